import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import type { MetadataDatabase } from '../../core/storage/metadata/database.ts';
import { describeEachDatabase } from '../../testing/databases.ts';
import type { Distro, Finding, Package, PackageType } from '../model.ts';
import { importOsv, type ImportResult } from './osv-import.ts';
import { VulnDbError } from './vulndb-error.ts';
import { createVulnDb, type VulnDb } from './vulndb.ts';
import { writeZip } from '../../testing/zip-writer.ts';
import { sharedData } from '../../testing/shared-data.ts';

const OSV = sharedData('osv/');
const BOOKWORM: Distro = { id: 'debian', versionId: '12', prettyName: 'Debian GNU/Linux 12 (bookworm)' };
const ALPINE_318: Distro = { id: 'alpine', versionId: '3.18.0', prettyName: 'Alpine Linux v3.18' };
const ALPINE_321: Distro = { id: 'alpine', versionId: '3.21.3', prettyName: 'Alpine Linux v3.21' };

function pkg(type: PackageType, name: string, version: string, extra: Partial<Package> = {}): Package {
  return { type, name, version, licenses: [], purl: `pkg:${type}/${name}@${version}`, location: 'test', foundBy: 'test', ...extra };
}

/** id → fixed versions, sorted by id. */
const fixes = (findings: readonly Finding[]) => Object.fromEntries(findings.map((f) => [f.id, [...f.fixedVersions].toSorted()]));
const osv = (id: string, modified: string, extra: object) => JSON.stringify({ schema_version: '1.7.0', id, modified, ...extra });
const npmAffected = (name: string, events: object[]) => ({ affected: [{ package: { ecosystem: 'npm', name }, ranges: [{ type: 'ECOSYSTEM', events }] }] });

let dir: string;
let goZip: string;
let goCount: number;
let pypiSubset: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-vulndb-'));
  const goFiles = (await readdir(join(OSV, 'Go'))).filter((name) => name.endsWith('.json'));
  goCount = goFiles.length;
  const entries = await Promise.all(goFiles.map(async (name) => ({ name, data: await readFile(join(OSV, 'Go', name)) })));
  goZip = join(dir, 'Go-all.zip');
  await writeFile(goZip, writeZip(entries));
  pypiSubset = join(dir, 'pypi');
  for (const project of ['jinja2', 'binderhub']) {
    await mkdir(join(pypiSubset, project), { recursive: true });
    for (const name of await readdir(join(OSV, 'PyPI', project))) await writeFile(join(pypiSubset, project, name), await readFile(join(OSV, 'PyPI', project, name)));
  }
});
after(() => rm(dir, { recursive: true, force: true }));

describeEachDatabase('vulnerability database', (open) => {
  let database: MetadataDatabase;
  let vulndb: VulnDb;
  const imported: Record<string, ImportResult> = {};
  const packageRows = async () => (await database.db.selectFrom('advisory_packages').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n;

  before(async () => {
    database = await open();
    vulndb = createVulnDb(database);
    let at = 1_700_000_000_000;
    for (const name of ['Debian', 'Alpine', 'npm']) imported[name] = await importOsv(database, join(OSV, name), { now: () => (at += 1000) });
    imported.Go = await importOsv(database, goZip, { now: () => (at += 1000) });
  });

  it('imports the real Debian, Alpine and npm folders and a Go zip, skipping what is not a record', async () => {
    assert.deepEqual(
      Object.fromEntries(Object.entries(imported).map(([name, r]) => [name, [r.records, r.skipped.length]])),
      { Debian: [31, 1], Alpine: [136, 21], npm: [32, 1], Go: [goCount, 0] },
    );
    assert.deepEqual(imported.Debian?.ecosystems, ['Debian:11', 'Debian:12', 'Debian:7']);
    assert.deepEqual(imported.Alpine?.ecosystems, ['Alpine:v3.18', 'Alpine:v3.19', 'Alpine:v3.20', 'Alpine:v3.21']);
    assert.deepEqual(imported.npm?.skipped, [{ file: '_SOURCES.json', reason: 'id is missing or not a non-empty string' }]);
    const status = await vulndb.status();
    assert.equal(status.advisories, 31 + 136 + 32 + goCount);
    assert.deepEqual(
      status.imports.map((i) => [i.source, i.records]),
      [[goZip, goCount], [join(OSV, 'npm'), 32], [join(OSV, 'Alpine'), 136], [join(OSV, 'Debian'), 31]],
    );
    assert.equal(status.lastImportAt, status.imports[0]?.importedAt);
    assert.equal(status.newestModified, Date.parse('2026-11-22T00:00:00Z'));
  });

  it('re-imports idempotently', async () => {
    const lodash = await vulndb.match(pkg('npm', 'lodash', '4.17.15'), undefined);
    const [advisories, rows] = [(await vulndb.status()).advisories, await packageRows()];
    const again = await importOsv(database, join(OSV, 'npm'));
    assert.deepEqual([again.records, again.updated, imported.npm?.updated], [32, 0, 32], 'read again, nothing new');
    assert.equal((await vulndb.status()).advisories, advisories);
    assert.equal(await packageRows(), rows);
    assert.deepEqual(await vulndb.match(pkg('npm', 'lodash', '4.17.15'), undefined), lodash);
  });

  it('keeps a stored advisory that is newer, replaces an older one with its package rows', async () => {
    const write = async (name: string, modified: string, pkgName: string) => {
      const path = join(dir, name);
      await writeFile(path, osv('TEST-KEEP-1', modified, npmAffected(pkgName, [{ introduced: '0' }])));
      return importOsv(database, path);
    };
    const matches = async (name: string) => (await vulndb.match(pkg('npm', name, '1.0.0'), undefined)).map((f) => f.id);
    await write('keep-1.json', '2024-06-01T00:00:00Z', 'keep-a');
    await write('keep-2.json', '2024-01-01T00:00:00Z', 'keep-b');
    assert.deepEqual([await matches('keep-a'), await matches('keep-b')], [['TEST-KEEP-1'], []], 'an older record does not replace a newer one');
    await write('keep-3.json', '2024-12-01T00:00:00Z', 'keep-b');
    assert.deepEqual([await matches('keep-a'), await matches('keep-b')], [[], ['TEST-KEEP-1']], 'a newer one replaces it, package rows included');
  });

  it('reports an advisory fixing several CVEs once per CVE, and one vulnerability once however many advisories name it', async () => {
    const folder = join(dir, 'bundles');
    await mkdir(folder, { recursive: true });
    const affected = npmAffected('bundled', [{ introduced: '0' }, { fixed: '2.0.0' }]);
    // A vendor advisory fixing three CVEs, as a DSA does; one of them also has its own record.
    await writeFile(join(folder, 'a.json'), osv('VENDOR-2024-1', '2024-06-01T00:00:00Z', { upstream: ['CVE-2024-0001', 'CVE-2024-0002', 'CVE-2024-0003'], ...affected }));
    await writeFile(join(folder, 'b.json'), osv('GHSA-aaaa-bbbb-cccc', '2024-06-01T00:00:00Z', { aliases: ['CVE-2024-0002'], database_specific: { severity: 'HIGH' }, ...affected }));
    // Two records naming each other, neither a CVE.
    await writeFile(join(folder, 'c.json'), osv('GHSA-dddd-eeee-ffff', '2024-06-01T00:00:00Z', { aliases: ['PYSEC-2024-9'], ...affected }));
    await writeFile(join(folder, 'd.json'), osv('PYSEC-2024-9', '2024-06-01T00:00:00Z', { aliases: ['GHSA-dddd-eeee-ffff'], ...affected }));
    await importOsv(database, folder);
    const findings = await vulndb.match(pkg('npm', 'bundled', '1.0.0'), undefined);
    assert.deepEqual(findings.map((f) => [f.id, f.aliases.toSorted(), f.fixedVersions]), [
      ['CVE-2024-0001', ['CVE-2024-0001'], ['2.0.0']],
      ['CVE-2024-0002', ['CVE-2024-0002', 'GHSA-aaaa-bbbb-cccc'], ['2.0.0']],
      ['CVE-2024-0003', ['CVE-2024-0003'], ['2.0.0']],
      ['GHSA-dddd-eeee-ffff', ['GHSA-dddd-eeee-ffff', 'PYSEC-2024-9'], ['2.0.0']],
    ]);
    assert.deepEqual(findings.map((f) => f.advisory), ['VENDOR-2024-1', 'GHSA-aaaa-bbbb-cccc', 'VENDOR-2024-1', 'GHSA-dddd-eeee-ffff']);
    assert.equal(findings[1]?.severity, 'High', "the rated record's severity wins the merge");
  });

  it('never matches a withdrawn advisory (GHSA-7fhm-mqm4-2wp7)', async () => {
    assert.deepEqual(await vulndb.match(pkg('npm', 'acorn', '5.7.3'), undefined), []);
    const minimist = await vulndb.match(pkg('npm', 'minimist', '1.2.0'), undefined);
    assert.ok(minimist.every((f) => !f.aliases.includes('GHSA-7fhm-mqm4-2wp7')));
    assert.deepEqual(fixes(minimist), { 'CVE-2020-7598': ['1.2.3'], 'CVE-2021-44906': ['1.2.6'] });
    assert.deepEqual(fixes(await vulndb.match(pkg('npm', 'minimist', '0.0.8'), undefined)), { 'CVE-2020-7598': ['0.2.1'], 'CVE-2021-44906': ['0.2.4'] });
  });

  it('matches lodash 4.17.15 against its GHSA advisories, CVE first, GHSA ids kept', async () => {
    const findings = await vulndb.match(pkg('npm', 'lodash', '4.17.15'), undefined);
    assert.deepEqual(
      findings.map((f) => [f.id, f.aliases, f.fixedVersions, f.severity]),
      [
        ['CVE-2020-28500', ['GHSA-29mw-wpgm-hmr9', 'CVE-2020-28500'], ['4.17.21'], 'Medium'],
        ['CVE-2020-8203', ['GHSA-p6mc-m468-83gw', 'CVE-2020-8203'], ['4.17.20'], 'High'],
        ['CVE-2021-23337', ['GHSA-35jh-r3h4-6jhm', 'CVE-2021-23337'], ['4.17.21'], 'High'],
      ],
    );
    assert.ok(findings.every((f) => f.package.name === 'lodash' && f.references.length > 0 && f.summary !== ''));
    // What the record says besides, for the reports: its details whole, its dates, its CWE ids.
    const redos = findings[0];
    assert.match(redos?.description ?? '', /^All versions of package lodash prior to 4\.17\.21 are vulnerable to Regular Expression Denial of Service[\s\S]*lo\.trimEnd\(s\)/);
    assert.deepEqual([redos?.published, redos?.modified, redos?.cweIds], [Date.parse('2022-01-06T20:30:46Z'), Date.parse('2023-09-05T22:58:25Z'), ['CWE-1333', 'CWE-400']]);
    assert.deepEqual(await vulndb.match(pkg('npm', 'lodash', '4.17.21'), undefined), []);
    assert.deepEqual(fixes(await vulndb.match(pkg('npm', 'axios', '1.7.2'), undefined)), { 'CVE-2024-39338': ['1.7.4'] }, 'the record names the package Axios');
  });

  it('treats last_affected as inclusive (GHSA-29mw-wpgm-hmr9, lodash.trim)', async () => {
    assert.deepEqual(fixes(await vulndb.match(pkg('npm', 'lodash.trim', '4.5.1'), undefined)), { 'CVE-2020-28500': [] });
    assert.deepEqual(await vulndb.match(pkg('npm', 'lodash.trim', '4.5.2'), undefined), []);
  });

  it('matches a Debian package through its source package and version', async () => {
    const libssl = (version: string) => pkg('deb', 'libssl3', version, { sourceName: 'openssl', sourceVersion: version, arch: 'amd64' });
    const vulnerable = await vulndb.match(libssl('3.0.11-1~deb12u1'), BOOKWORM);
    assert.deepEqual(fixes(vulnerable), { 'CVE-2023-5363': ['3.0.11-1~deb12u2'], 'CVE-2024-5535': [], 'CVE-2024-6119': ['3.0.14-1~deb12u2'] });
    assert.deepEqual(vulnerable.find((f) => f.id === 'CVE-2023-5363')?.aliases, ['DSA-5532-1', 'CVE-2023-5363']);
    assert.equal(vulnerable.find((f) => f.id === 'CVE-2024-5535')?.severity, 'Unknown', 'urgency "not yet assigned", no vector');
    assert.deepEqual(fixes(await vulndb.match(libssl('3.0.14-1~deb12u2'), BOOKWORM)), { 'CVE-2024-5535': [] }, 'only the open CVE is left at the fixed version');
    assert.deepEqual(await vulndb.match(libssl('3.0.11-1~deb12u1'), undefined), [], 'no distro, no ecosystem');
  });

  it('matches Alpine musl per release', async () => {
    const musl = (version: string) => pkg('apk', 'musl', version, { sourceName: 'musl' });
    assert.deepEqual(fixes(await vulndb.match(musl('1.2.4-r0'), ALPINE_318)), { 'CVE-2025-26519': ['1.2.4-r3'] });
    assert.deepEqual(fixes(await vulndb.match(musl('1.2.5-r9'), ALPINE_321)), { 'CVE-2026-40200': ['1.2.5-r11'], 'CVE-2026-6042': ['1.2.5-r10'] });
    assert.deepEqual(await vulndb.match(musl('1.2.5-r11'), ALPINE_321), []);
  });

  it('matches the Go standard library from the zip import', async () => {
    const findings = await vulndb.match(pkg('golang', 'stdlib', 'go1.20.4'), undefined);
    assert.deepEqual(fixes(findings.filter((f) => f.aliases.includes('GO-2023-1840'))), { 'CVE-2023-29403': ['1.20.5'] });
    assert.deepEqual(fixes(await vulndb.match(pkg('golang', 'stdlib', 'go1.20.5'), undefined))['CVE-2023-29403'], undefined);
    // A binary's own module built from a checkout names no release: not matched, as Trivy does not; a release is.
    assert.ok((await vulndb.match(pkg('golang', 'github.com/gin-gonic/gin', 'v1.5.0'), undefined)).some((f) => f.aliases.includes('GO-2020-0001')));
    assert.deepEqual(await vulndb.match(pkg('golang', 'github.com/gin-gonic/gin', '(devel)'), undefined), []);
  });

  it('reports a version it cannot compare as a finding (fail closed)', async () => {
    const path = join(dir, 'odd.json');
    await writeFile(path, osv('TEST-ODD-1', '2024-01-01T00:00:00Z', { aliases: ['CVE-2099-0001'], summary: 'odd versions', database_specific: { severity: 'HIGH' }, ...npmAffected('oddpkg', [{ introduced: '0' }, { fixed: 'not a version' }]) }));
    await importOsv(database, path);
    const [finding, ...rest] = await vulndb.match(pkg('npm', 'oddpkg', '1.0.0'), undefined);
    assert.equal(rest.length, 0);
    assert.equal(finding?.id, 'CVE-2099-0001');
    assert.equal(finding.severity, 'High');
    assert.ok(finding.summary.startsWith('version not comparable: '), finding.summary);
    assert.deepEqual(finding.fixedVersions, ['not a version']);
  });

  it('refuses a missing or unsupported source, and stops when aborted, writing nothing', async () => {
    const importsBefore = (await vulndb.status()).imports.length;
    const isCode = (code: string) => (error: unknown) => error instanceof VulnDbError && error.code === code;
    await assert.rejects(importOsv(database, join(dir, 'missing')), isCode('SOURCE_UNREADABLE'));
    await assert.rejects(importOsv(database, join(OSV, 'Go', 'LICENSE.CC-BY-4.0')), isCode('SOURCE_UNREADABLE'));
    await assert.rejects(importOsv(database, join(OSV, 'npm'), { signal: AbortSignal.abort() }), { name: 'AbortError' });
    assert.equal((await vulndb.status()).imports.length, importsBefore);
  });

  it('refuses a source without one valid record and records no import, so the data does not look fresh', async () => {
    const earlier = await vulndb.status();
    const isEmpty = (pattern: RegExp) => (error: unknown) => error instanceof VulnDbError && error.code === 'SOURCE_EMPTY' && pattern.test(error.message);
    const notOsv = join(dir, 'not-osv.json');
    await writeFile(notOsv, JSON.stringify({ name: 'a package.json, say' }));
    await assert.rejects(importOsv(database, notOsv), isEmpty(new RegExp(`^${notOsv}: no valid OSV record to import \\(skipped 1: ${notOsv}: id is missing`)));
    const emptyArray = join(dir, 'empty-array.json');
    await writeFile(emptyArray, '[]');
    await assert.rejects(importOsv(database, emptyArray), isEmpty(/no valid OSV record to import \(skipped 1: .*not an object\)/));
    const broken = join(dir, 'broken');
    await mkdir(broken, { recursive: true });
    for (const name of ['a', 'b', 'c', 'd']) await writeFile(join(broken, `${name}.json`), '{');
    await assert.rejects(importOsv(database, broken), isEmpty(/skipped 4: .*a\.json: not valid JSON.*; and 1 more\); nothing was imported$/));
    const empty = join(dir, 'empty-dir');
    await mkdir(empty, { recursive: true });
    await assert.rejects(importOsv(database, empty), isEmpty(/\(it holds no records\)/));
    const later = await vulndb.status();
    assert.deepEqual([later.imports.length, later.lastImportAt, later.advisories], [earlier.imports.length, earlier.lastImportAt, earlier.advisories]);
  });

  it('imports PyPI YAML and matches after PEP 503 name normalisation', async () => {
    const result = await importOsv(database, pypiSubset);
    assert.deepEqual([result.records, result.skipped.map((s) => s.file)], [6, []], 'binderhub/PYSEC-2021-371 too, its short-commit GIT range dropped');
    assert.deepEqual(Object.keys(fixes(await vulndb.match(pkg('pypi', 'binderhub', '0.2.0'), undefined))), ['CVE-2021-39159']);
    assert.deepEqual(fixes(await vulndb.match(pkg('pypi', 'Jinja2', '2.10'), undefined)), { 'CVE-2019-10906': ['2.10.1'], 'CVE-2020-28493': ['2.11.3'] });
  });
});
