import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { after, before, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { digestOf } from '../core/oci/digest.ts';
import type { MetadataDatabase } from '../core/storage/metadata/database.ts';
import { describeEachDatabase } from '../testing/databases.ts';
import { tarArchive } from '../testing/tar-writer.ts';
import { catalogers } from './catalogers.ts';
import type { ScanImage } from './image-config.ts';
import type { Cataloger, Package } from './model.ts';
import { ScanError } from './scan-error.ts';
import { scanImage } from './scanner.ts';
import { importOsv } from './vulndb/osv-import.ts';
import { createVulnDb, type VulnDb } from './vulndb/vulndb.ts';
import { sharedData } from '../testing/shared-data.ts';

const DATA = sharedData('');
const MINBASE = `${DATA}pkgdb/debian-bookworm-minbase/`;

/** An image from in-memory layers: each a gzip'd tar of `files`. */
function image(layers: readonly Readonly<Record<string, string>>[]): ScanImage {
  return {
    name: 'test/image:1',
    repoTags: [],
    repoDigests: [],
    layers: layers.map((files) => {
      const tar = tarArchive(Object.entries(files).map(([path, content]) => ({ path, content })));
      const gz = gzipSync(tar);
      return { digest: digestOf(gz), diffId: digestOf(tar), mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', size: gz.byteLength, open: () => Promise.resolve(Readable.from([gz])) };
    }),
  };
}

/** Binary packages and their source, read from the status file independently of the cataloger. */
function statusPackages(status: string): Map<string, { version: string; source: string }> {
  const result = new Map<string, { version: string; source: string }>();
  for (const block of status.trim().split(/\n\n+/)) {
    const field = (name: string) => new RegExp(`^${name}: (.*)$`, 'm').exec(block)?.[1];
    if (!/^Status: install ok installed$/m.test(block)) continue;
    const name = field('Package') ?? '';
    result.set(name, { version: field('Version') ?? '', source: (field('Source') ?? name).split(' ')[0] ?? name });
  }
  return result;
}

describeEachDatabase('scanning with real package databases and OSV data', (open) => {
  let database: MetadataDatabase;
  let vulndb: VulnDb;
  let status: string;
  let osRelease: string;

  before(async () => {
    database = await open();
    for (const ecosystem of ['Debian', 'npm']) await importOsv(database, `${DATA}osv/${ecosystem}`);
    vulndb = createVulnDb(database);
    status = await readFile(`${MINBASE}var/lib/dpkg/status`, 'utf8');
    osRelease = await readFile(`${MINBASE}etc/os-release`, 'utf8');
  });
  after(() => database.close());

  it('finds exactly the packages of a Debian bookworm dpkg status and the advisories of their sources', async () => {
    const result = await scanImage(image([{ 'etc/os-release': osRelease, 'var/lib/dpkg/status': status }]), { catalogers, vulndb, version: 'test' });
    const expected = statusPackages(status);
    const debs = result.packages.filter((p) => p.type === 'deb');
    assert.deepEqual(debs.map((p) => `${p.name}@${p.version}`).toSorted(), [...expected].map(([name, p]) => `${name}@${p.version}`).toSorted());
    assert.equal(debs.find((p) => p.name === 'libc6')?.sourceName, 'glibc');
    assert.equal(result.distro?.versionId, '12');
    // Unfixed in bookworm (no fixed version): every binary package built from these sources is affected.
    const bySource = new Map<string, Set<string>>();
    for (const f of result.findings) bySource.set(f.package.sourceName ?? f.package.name, (bySource.get(f.package.sourceName ?? f.package.name) ?? new Set()).add(f.id));
    for (const [source, id] of [
      ['glibc', 'CVE-2010-4756'],
      ['zlib', 'CVE-2023-45853'],
      ['coreutils', 'CVE-2016-2781'],
      ['tar', 'CVE-2005-2541'],
    ] as const) {
      assert.ok(bySource.get(source)?.has(id), `${id} is reported for ${source}`);
    }
    assert.ok(!bySource.get('tar')?.has('CVE-2022-48303'), 'tar is at the fixed version of CVE-2022-48303');
    assert.ok(!bySource.get('glibc')?.has('CVE-2023-4911'), 'glibc is past the fix of CVE-2023-4911');
    const libc = result.findings.filter((f) => f.package.name === 'libc6' && f.id === 'CVE-2010-4756');
    assert.equal(libc.length, 1);
    assert.deepEqual(libc[0]?.fixedVersions, []);
  });

  it('says so when an OS release has no vulnerability data keyed to it (Debian testing, without VERSION_ID)', async () => {
    const sid = 'PRETTY_NAME="Debian GNU/Linux trixie/sid"\nNAME="Debian GNU/Linux"\nID=debian\n';
    const result = await scanImage(image([{ 'etc/os-release': sid, 'var/lib/dpkg/status': status }]), { catalogers, vulndb, version: 'test' });
    assert.deepEqual(result.findings, []);
    const count = result.packages.filter((p) => p.type === 'deb').length;
    assert.ok(result.warnings.includes(`${count} deb packages not matched against any advisory: no vulnerability data is keyed to Debian GNU/Linux trixie/sid (ID=debian, VERSION_ID="")`), result.warnings.join('\n'));
    const bookworm = await scanImage(image([{ 'etc/os-release': osRelease, 'var/lib/dpkg/status': status }]), { catalogers, vulndb, version: 'test' });
    assert.ok(!bookworm.warnings.some((w) => w.includes('not matched')));
  });

  it('reports the right fixed versions for an older glibc', async () => {
    const older = status.replace(/(Package: libc6\n(?:.*\n)*?Version: )2\.36-9\+deb12u\d+/, '$12.36-9+deb12u2').replace(/(Package: libc-bin\n(?:.*\n)*?Version: )2\.36-9\+deb12u\d+/, '$12.36-9+deb12u2');
    assert.notEqual(older, status);
    const result = await scanImage(image([{ 'etc/os-release': osRelease, 'var/lib/dpkg/status': older }]), { catalogers, vulndb, version: 'test' });
    const fixes = (id: string) => result.findings.find((f) => f.package.name === 'libc6' && (f.id === id || f.aliases.includes(id)))?.fixedVersions;
    assert.deepEqual(fixes('CVE-2023-4911'), ['2.36-9+deb12u3']);
    assert.deepEqual(fixes('CVE-2024-2961'), ['2.36-9+deb12u6']);
  });

  it('reports known-vulnerable node_modules with their GHSA/CVE ids, and not a package a later layer removed', async () => {
    const nodeModules = {
      'srv/app/package.json': JSON.stringify({ name: 'app', version: '1.0.0' }),
      'srv/app/node_modules/lodash/package.json': JSON.stringify({ name: 'lodash', version: '4.17.15', license: 'MIT' }),
      'srv/app/node_modules/minimist/package.json': JSON.stringify({ name: 'minimist', version: '1.2.0', license: 'MIT' }),
    };
    const first = await scanImage(image([nodeModules]), { catalogers, vulndb, version: 'test' });
    const ids = (name: string) => first.findings.filter((f) => f.package.name === name).flatMap((f) => [f.id, ...f.aliases]);
    for (const id of ['CVE-2020-8203', 'GHSA-p6mc-m468-83gw', 'CVE-2021-23337', 'CVE-2020-28500']) assert.ok(ids('lodash').includes(id), `lodash: ${id}`);
    for (const id of ['CVE-2021-44906', 'GHSA-xvch-5gv4-984h', 'CVE-2020-7598']) assert.ok(ids('minimist').includes(id), `minimist: ${id}`);
    assert.ok(!ids('minimist').includes('GHSA-7fhm-mqm4-2wp7'), 'a withdrawn advisory never matches');
    assert.equal(first.findings.find((f) => f.id === 'CVE-2021-44906')?.severity, 'Critical');

    const removed = await scanImage(image([nodeModules, { 'srv/app/node_modules/.wh.minimist': '' }]), { catalogers, vulndb, version: 'test' });
    assert.deepEqual(removed.packages.map((p) => p.name).toSorted(), ['lodash']);
    assert.ok(removed.findings.every((f) => f.package.name !== 'minimist'), 'a whited-out package is not reported');
  });
});

it('fails the scan when a cataloger fails, rather than call the image clean without its packages', async () => {
  const failing: Cataloger = {
    name: 'failing',
    version: 1,
    wants: () => false,
    catalog: () => {
      throw new RangeError('Maximum call stack size exceeded');
    },
  };
  await assert.rejects(
    scanImage(image([{ 'etc/os-release': 'ID=debian\nVERSION_ID="12"\n' }]), { catalogers: [...catalogers, failing], version: 'test' }),
    (e: unknown) => e instanceof ScanError && e.code === 'CATALOGER_FAILED' && /^cataloger failing failed: Maximum call stack size exceeded$/.test(e.message),
  );
});

it('takes hundreds of thousands of packages from one cataloger', async () => {
  const pkg = (i: number): Package => ({ type: 'npm', name: `p${i}`, version: '1.0.0', purl: `pkg:npm/p${i}@1.0.0`, location: `node_modules/p${i}/package.json`, licenses: [], foundBy: 'many' });
  const many: Cataloger = { name: 'many', version: 1, wants: () => false, catalog: () => Array.from({ length: 300_000 }, (_, i) => pkg(i)) };
  const result = await scanImage(image([{ 'etc/os-release': 'ID=debian\nVERSION_ID="12"\n' }]), { catalogers: [many], version: 'test' });
  assert.equal(result.packages.length, 300_000);
});

it('records the layer that introduced each package of a database later layers rewrote, as Trivy does', async () => {
  const os = { 'etc/os-release': 'ID=debian\nVERSION_ID="12"\n' };
  const stanza = (name: string, version: string) => `Package: ${name}\nStatus: install ok installed\nVersion: ${version}\nArchitecture: amd64\n\n`;
  const status = (...stanzas: string[]) => ({ 'var/lib/dpkg/status': stanzas.join('') });
  const layers = [
    { ...os, ...status(stanza('libc6', '2.36-9'), stanza('zlib1g', '1.2.13'), stanza('bash', '5.2.15')) },
    status(stanza('libc6', '2.36-9'), stanza('zlib1g', '1.2.13'), stanza('bash', '5.2.15'), stanza('curl', '7.88.1')), // apt-get install curl
    status(stanza('libc6', '2.36-9'), stanza('zlib1g', '1.2.14'), stanza('curl', '7.88.1')), // upgrade zlib1g, remove bash
    status(stanza('libc6', '2.36-9'), stanza('zlib1g', '1.2.14'), stanza('curl', '7.88.1'), stanza('bash', '5.2.15')), // bash again
  ];
  const built = image(layers);
  const result = await scanImage(built, { catalogers, version: 'test' });
  const layerOf = (name: string) => built.layers.findIndex((layer) => layer.digest === result.packages.find((p) => p.name === name)?.layerDigest);
  assert.deepEqual(Object.fromEntries(['libc6', 'zlib1g', 'curl', 'bash'].map((name) => [name, layerOf(name)])), { libc6: 0, zlib1g: 2, curl: 1, bash: 3 });
  assert.ok(result.packages.every((p) => p.layerDiffId === built.layers.find((l) => l.digest === p.layerDigest)?.diffId), 'digest and diff id of the same layer');
  const alpine = image([
    { 'etc/os-release': 'ID=alpine\nVERSION_ID=3.19.1\n', 'lib/apk/db/installed': 'P:musl\nV:1.2.4-r2\nA:x86_64\n\n' },
    { 'lib/apk/db/installed': 'P:musl\nV:1.2.4-r2\nA:x86_64\n\nP:curl\nV:8.5.0-r0\nA:x86_64\n\n' },
  ]);
  const apk = await scanImage(alpine, { catalogers, version: 'test' });
  assert.deepEqual(apk.packages.map((p) => [p.name, alpine.layers.findIndex((l) => l.digest === p.layerDigest)]), [['curl', 1], ['musl', 0]]);
});

it('fails with LIMIT_EXCEEDED, naming the file, past the package records a scan reads, however few bytes each takes', async () => {
  const stanza = (i: number) => `Package: p${i}\nStatus: install ok installed\nVersion: 1\nArchitecture: all\n\n`;
  const status = Array.from({ length: 30 }, (_, i) => stanza(i)).join('');
  const limited = (files: Record<string, string>) => scanImage(image([{ 'etc/os-release': 'ID=debian\nVERSION_ID="12"\n', ...files }]), { catalogers, version: 'test', maxPackageRecords: 20 });
  const isLimit = (file: string) => (e: unknown) => e instanceof ScanError && e.code === 'LIMIT_EXCEEDED' && e.message === `${file}: more than 20 package records in the image (maxPackageRecords)`;
  await assert.rejects(limited({ 'var/lib/dpkg/status': status }), isLimit('var/lib/dpkg/status'));
  // Across files: a distroless status.d of many small databases.
  const statusD = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`var/lib/dpkg/status.d/f${i}`, stanza(3 * i) + stanza(3 * i + 1) + stanza(3 * i + 2)]));
  await assert.rejects(limited(statusD), isLimit('var/lib/dpkg/status.d/f6'));
  await assert.rejects(limited({ 'lib/apk/db/installed': Array.from({ length: 30 }, (_, i) => `P:p${i}\nV:1-r0\n\n`).join('') }), isLimit('lib/apk/db/installed'));
  // Language catalogers, across their files.
  const modules = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`app/node_modules/p${i}/package.json`, JSON.stringify({ name: `p${i}`, version: '1.0.0' })]));
  await assert.rejects(limited(modules), (e: unknown) => e instanceof ScanError && e.code === 'LIMIT_EXCEEDED');
  assert.equal((await limited({ 'var/lib/dpkg/status': Array.from({ length: 20 }, (_, i) => stanza(i)).join('') })).packages.length, 20, 'up to the limit');
});

it('lists the files a cataloger wanted and did not get, so that no gate passes the image on what was not read', async () => {
  const layered = image([{ 'etc/os-release': 'ID=debian\nVERSION_ID="12"\n' }]);
  const tar = tarArchive([
    { path: 'srv/blob', content: JSON.stringify({ name: 'minimist', version: '1.2.0' }) },
    { path: 'srv/node_modules/minimist/package.json', type: 'hardlink', linkname: 'srv/blob' },
  ]);
  const gz = gzipSync(tar);
  const withLink: ScanImage = {
    ...layered,
    layers: [...layered.layers, { digest: digestOf(gz), diffId: digestOf(tar), mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', size: gz.byteLength, open: () => Promise.resolve(Readable.from([gz])) }],
  };
  const result = await scanImage(withLink, { catalogers, version: 'test' });
  assert.equal(result.unexamined?.length, 1);
  assert.match(result.unexamined?.[0] ?? '', /entry "srv\/node_modules\/minimist\/package.json": hardlink to "srv\/blob", whose content was not kept; not cataloged$/);
  assert.equal((await scanImage(layered, { catalogers, version: 'test' })).unexamined, undefined, 'absent when every wanted file was read');
});

it('says which files a cataloger skipped and why, among the warnings, a bounded number of them', async () => {
  const broken = Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`srv/node_modules/broken-${String(i).padStart(3, '0')}/package.json`, '{ not json']));
  const result = await scanImage(image([{ 'etc/os-release': 'ID=debian\nVERSION_ID="12"\n', 'srv/node_modules/lodash/package.json': JSON.stringify({ name: 'lodash', version: '4.17.15' }), ...broken }]), {
    catalogers,
    version: 'test',
  });
  assert.deepEqual(result.packages.map((p) => p.name), ['lodash']);
  const skipped = result.warnings.filter((w) => w.startsWith('npm: '));
  assert.equal(skipped[0], 'npm: srv/node_modules/broken-000/package.json: not a JSON object');
  assert.equal(skipped.length, 101);
  assert.equal(result.warnings.at(-1), 'npm: 50 more warnings not shown');
  assert.equal(result.unexamined, undefined, 'a file read and found malformed is not unexamined: Node would not load that package either');
});
