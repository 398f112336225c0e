import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, it } from 'node:test';
import { openDatabase, type MetadataDatabase } from '../../core/storage/metadata/database.ts';
import { sharedData } from '../../testing/shared-data.ts';
import type { Distro, Package, PackageType } from '../model.ts';
import { openAdvisoryFile, type AdvisoryFile } from './advisory-file.ts';
import { importOsv } from './osv-import.ts';
import { createVulnDb, type VulnDb } from './vulndb.ts';

const BOOKWORM: Distro = { id: 'debian', versionId: '12', prettyName: 'Debian GNU/Linux 12 (bookworm)' };
const ALPINE: Distro = { id: 'alpine', versionId: '3.18.0', prettyName: 'Alpine Linux v3.18' };

function pkg(type: PackageType, name: string, version: string, extra: Partial<Package> = {}): Package {
  return { type, name, version, licenses: [], purl: `pkg:${type}/${name}@${version}`, location: 'test', foundBy: 'test', ...extra };
}

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-advisory-file-'));
});
after(() => rm(dir, { recursive: true, force: true }));

describe('the vulnerability database read from its SQLite file', () => {
  let path: string;
  let database: MetadataDatabase;
  let server: VulnDb;
  let file: AdvisoryFile;

  before(async () => {
    path = join(dir, 'slipway.db');
    database = await openDatabase({ kind: 'sqlite', path });
    for (const name of ['Debian', 'Alpine', 'npm']) await importOsv(database, sharedData(`osv/${name}`));
    server = createVulnDb(database);
    file = openAdvisoryFile(path);
  });
  after(async () => {
    file.close();
    await database.close();
  });

  it('answers status, match and matchAll exactly as the metadata database does', async () => {
    const status = await file.status();
    assert.ok(status.advisories > 100 && status.imports.length === 3);
    assert.deepEqual(status, await server.status());
    const debian = [
      pkg('deb', 'libssl3', '3.0.11-1~deb12u2', { sourceName: 'openssl', sourceVersion: '3.0.11-1~deb12u2' }),
      pkg('deb', 'libc6', '2.36-9+deb12u4', { sourceName: 'glibc' }),
      pkg('deb', 'zlib1g', '1:1.2.13.dfsg-1'),
    ];
    const npm = [pkg('npm', 'lodash', '4.17.15'), pkg('npm', 'minimist', '1.2.0'), pkg('npm', 'acorn', '5.7.3'), pkg('npm', 'left-pad', '1.3.0')];
    const cases: [readonly Package[], Distro | undefined][] = [
      [debian, BOOKWORM],
      [npm, undefined],
      [[pkg('apk', 'musl', '1.2.4-r1')], ALPINE],
    ];
    for (const [packages, distro] of cases) {
      const findings = await file.matchAll(packages, distro);
      assert.deepEqual(findings, await server.matchAll(packages, distro), packages.map((p) => p.name).join(', '));
      assert.ok(findings.length > 0, `${packages[0]?.name}: known advisories match`);
    }
    const ids = new Set((await file.matchAll(npm, undefined)).map((f) => `${f.package.name} ${f.id}`));
    assert.ok(ids.has('lodash CVE-2020-8203'));
    assert.ok(![...ids].some((id) => id.startsWith('left-pad ') || id.startsWith('acorn ')), 'no advisory for left-pad; the acorn one is withdrawn');
    assert.deepEqual(await file.match(npm[0] as Package, undefined), await server.match(npm[0] as Package, undefined));
  });

  it('answers a whole scan from one snapshot, while an import writes the file', async () => {
    const earlier = await file.status();
    const record = join(dir, 'TEST-SNAPSHOT-1.json');
    await writeFile(record, JSON.stringify({ schema_version: '1.7.0', id: 'TEST-SNAPSHOT-1', modified: '2026-11-30T00:00:00Z', affected: [{ package: { ecosystem: 'npm', name: 'snapshot-test' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }] }] }));
    await importOsv(database, record);
    assert.deepEqual(await file.status(), earlier, 'the open reader still sees the database as it was');
    assert.deepEqual(await file.matchAll([pkg('npm', 'snapshot-test', '1.0.0')], undefined), []);
    const fresh = openAdvisoryFile(join(dir, 'slipway.db'));
    try {
      assert.equal((await fresh.status()).advisories, earlier.advisories + 1);
      assert.deepEqual((await fresh.matchAll([pkg('npm', 'snapshot-test', '1.0.0')], undefined)).map((f) => f.id), ['TEST-SNAPSHOT-1']);
    } finally {
      fresh.close();
    }
  });

  it('stops at once when the caller has aborted', async () => {
    const reason = new Error('the walk failed');
    await assert.rejects(file.matchAll([pkg('npm', 'lodash', '4.17.15')], undefined, { signal: AbortSignal.abort(reason) }), reason);
    await assert.rejects(file.status({ signal: AbortSignal.abort(reason) }), reason);
  });
});

describe('the vulnerability database file, absent or not one', () => {
  it('reads a missing file as an empty database and creates nothing', async () => {
    const path = join(dir, 'none', 'slipway.db');
    const file = openAdvisoryFile(path);
    assert.deepEqual(await file.status(), { imports: [], advisories: 0, newestModified: null, lastImportAt: null });
    assert.deepEqual(await file.matchAll([pkg('npm', 'lodash', '4.17.15')], undefined), []);
    file.close();
    assert.equal(existsSync(join(dir, 'none')), false);
  });

  it('reads a database without advisory tables as empty, leaving it unmigrated', async () => {
    const path = join(dir, 'other.db');
    const other = new DatabaseSync(path);
    other.exec('create table unrelated (id integer)');
    other.close();
    const file = openAdvisoryFile(path);
    assert.equal((await file.status()).advisories, 0);
    file.close();
    const reopened = new DatabaseSync(path, { readOnly: true });
    assert.deepEqual(
      reopened.prepare("select name from sqlite_master where type = 'table'").all().map((row) => row['name']),
      ['unrelated'],
    );
    reopened.close();
  });

  it("refuses advisory tables of another shape (another version's), naming the file and the way to migrate it", () => {
    const path = join(dir, 'older.db');
    const older = new DatabaseSync(path);
    older.exec('create table vuln_imports (id integer, source text); create table advisories (id text); create table advisory_packages (advisory_id text)');
    older.close();
    assert.throws(() => openAdvisoryFile(path), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'QUERY_FAILED');
      assert.match(error.message, /cannot read the vulnerability database at .*older\.db: no such column: .*\(slipway db status migrates it/);
      return true;
    });
  });

  it('refuses a file that is not a SQLite database, naming it', async () => {
    const path = join(dir, 'garbage.db');
    await writeFile(path, 'this is not a database, just some text that is long enough to have a header'.repeat(20));
    assert.throws(() => openAdvisoryFile(path), (error: Error & { code?: string }) => {
      assert.equal(error.name, 'VulnDbError');
      assert.equal(error.code, 'QUERY_FAILED');
      assert.match(error.message, /cannot read the vulnerability database at .*garbage\.db: file is not a database/);
      return true;
    });
    assert.deepEqual((await readdir(dir)).filter((name) => name.startsWith('garbage')), ['garbage.db']);
  });
});
