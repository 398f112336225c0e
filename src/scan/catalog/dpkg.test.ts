import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { apk } from './apk.ts';
import { copyrightLicenses, dpkg, parseSource } from './dpkg.ts';
import { rpm } from './rpm.ts';
import { entriesFromDisk, testLayer, walk } from './test-layers.ts';
import { sharedData } from '../../testing/shared-data.ts';

const DEBIAN = sharedData('pkgdb/debian-bookworm-minbase');
const STATUS = readFileSync(`${DEBIAN}/var/lib/dpkg/status`, 'utf8');
const catalogers = [dpkg, apk, rpm];
const baseLayer = testLayer(entriesFromDisk({ 'etc/os-release': `${DEBIAN}/etc/os-release`, 'etc/debian_version': `${DEBIAN}/etc/debian_version`, 'var/lib/dpkg/status': `${DEBIAN}/var/lib/dpkg/status` }));

/** The installed packages of a status file, counted without the deb822 parser: one regex per stanza. */
function installedByRegex(status: string): string[] {
  return status
    .split(/\n(?=Package: )/)
    .filter((stanza) => /^Status: install ok installed$/m.test(stanza))
    .map((stanza) => /^Package: (\S+)$/m.exec(stanza)?.[1] ?? '')
    .sort();
}

async function catalog(layers: Parameters<typeof walk>[0]) {
  const result = await walk(layers, catalogers);
  return { result, packages: catalogers.flatMap((c) => c.catalog(result.files, { distro: result.distro })) };
}

it('finds exactly the installed packages of a real bookworm status file, sources mapped', async () => {
  const { result, packages } = await catalog([baseLayer]);
  const expected = installedByRegex(STATUS);
  assert.equal(expected.length, 88);
  assert.deepEqual(packages.map((p) => p.name).sort(), expected);
  const byName = new Map(packages.map((p) => [p.name, p]));
  assert.deepEqual(byName.get('libc6'), {
    type: 'deb',
    name: 'libc6',
    version: '2.36-9+deb12u14',
    sourceName: 'glibc',
    sourceVersion: '2.36-9+deb12u14',
    arch: 'amd64',
    licenses: [],
    purl: 'pkg:deb/debian/libc6@2.36-9%2Bdeb12u14?arch=amd64&distro=debian-12',
    location: 'var/lib/dpkg/status',
    foundBy: 'dpkg',
    dependsOn: [byName.get('libgcc-s1')?.purl],
    layerDiffId: baseLayer.diffId,
    layerDigest: baseLayer.digest,
  });
  // Pre-Depends and Depends, versions dropped; `debconf (>= 0.5) | debconf-2.0` met by the first alternative.
  const named = (p: { dependsOn?: readonly string[] } | undefined) => (p?.dependsOn ?? []).map((purl) => packages.find((q) => q.purl === purl)?.name);
  assert.deepEqual(named(byName.get('bash')), ['base-files', 'debianutils', 'libc6', 'libtinfo6']);
  assert.ok(named(byName.get('libpam-modules')).includes('debconf'));
  assert.ok(packages.every((p) => !(p.dependsOn ?? []).includes(p.purl) && (p.dependsOn ?? []).every((purl) => packages.some((q) => q.purl === purl))));
  assert.ok(packages.filter((p) => p.dependsOn !== undefined).length > 60, 'most packages depend on another');
  assert.deepEqual([byName.get('libext2fs2')?.sourceName, byName.get('libext2fs2')?.sourceVersion, byName.get('libext2fs2')?.version], ['e2fsprogs', '1.47.0-2', '1.47.0-2+b2']);
  assert.deepEqual([byName.get('libgcc-s1')?.sourceName, byName.get('gpgv')?.sourceName, byName.get('tzdata')?.sourceName], ['gcc-12', 'gnupg2', 'tzdata']);
  assert.equal(byName.get('zlib1g')?.purl, 'pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?arch=amd64&distro=debian-12');
  assert.equal(byName.get('tzdata')?.arch, 'all');
  assert.equal(new Set(packages.map((p) => p.sourceName)).size, 63);
  assert.deepEqual(result.distro, { id: 'debian', versionId: '12', prettyName: 'Debian GNU/Linux 12 (bookworm)', release: '12.15' });
});

it('drops packages a later layer removes from the status file or whites out', async () => {
  const withoutBash = STATUS.split(/\n(?=Package: )/).filter((stanza) => !stanza.startsWith('Package: bash\n')).join('\n');
  const rewritten = testLayer([{ path: 'var/lib/dpkg/status', content: withoutBash }]);
  const { packages } = await catalog([baseLayer, rewritten]);
  assert.equal(packages.length, 87);
  assert.ok(!packages.some((p) => p.name === 'bash'));
  // Rewritten, not reinstalled: each package is still the base layer's.
  assert.ok(packages.every((p) => p.layerDiffId === baseLayer.diffId));

  assert.deepEqual((await catalog([baseLayer, testLayer([{ path: 'var/lib/dpkg/.wh.status', content: '' }])])).packages, []);
  assert.deepEqual((await catalog([baseLayer, testLayer([{ path: 'var/lib/.wh..wh..opq', content: '' }])])).packages, []);
  const opaqueKept = await catalog([baseLayer, testLayer([{ path: 'var/lib/dpkg/status', content: withoutBash }, { path: 'var/lib/dpkg/.wh..wh..opq', content: '' }])]);
  assert.equal(opaqueKept.packages.length, 87);
});

it('keeps only installed stanzas and reads distroless status.d with DEP-5 licences', async () => {
  const status = [
    'Package: held\nStatus: hold ok installed\nVersion: 1.0-1\nArchitecture: amd64\n',
    'Package: removed\nStatus: deinstall ok config-files\nVersion: 2.0-1\nArchitecture: amd64\n',
    'Package: half\nStatus: install ok half-installed\nVersion: 3.0-1\nArchitecture: amd64\n',
    'Package: noversion\nStatus: install ok installed\n',
  ].join('\n');
  const copyright = [
    'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/',
    'Upstream-Name: zlib',
    '',
    'Files: *',
    'Copyright: 1995-2022 Jean-loup Gailly and Mark Adler',
    'License: Zlib',
    '',
    'Files: debian/*',
    'Copyright: 2000-2023 Mark Brown',
    'License: Zlib',
    '',
    'Files: contrib/minizip/*',
    'License: GPL-2+ or Artistic',
    '',
    'License: Zlib',
    ' This software is provided as-is, without any express or implied warranty.',
    '',
  ].join('\n');
  const layer = testLayer([
    { path: 'etc/os-release', content: 'ID=ubuntu\nVERSION_ID="22.04"\nPRETTY_NAME="Ubuntu 22.04.4 LTS"\n' },
    { path: 'var/lib/dpkg/status', content: status },
    { path: 'var/lib/dpkg/status.d/zlib1g', content: 'Package: zlib1g\nSource: zlib (1:1.2.11.dfsg-2)\nVersion: 1:1.2.11.dfsg-2ubuntu9\nArchitecture: amd64\n' },
    { path: 'var/lib/dpkg/status.d/zlib1g.md5sums', content: 'd41d8cd98f00b204e9800998ecf8427e  usr/lib/libz.so.1\n' },
    { path: 'usr/share/doc/zlib1g/copyright', content: copyright },
    { path: 'usr/share/doc/held/copyright', content: 'This is free text, not DEP-5.\nLicense: GPL\n' },
  ]);
  const { packages } = await catalog([layer]);
  assert.deepEqual(
    packages.map((p) => [p.name, p.version, p.sourceName, p.sourceVersion, p.licenses, p.purl, p.location]),
    [
      ['held', '1.0-1', 'held', '1.0-1', [], 'pkg:deb/ubuntu/held@1.0-1?arch=amd64&distro=ubuntu-22.04', 'var/lib/dpkg/status'],
      ['zlib1g', '1:1.2.11.dfsg-2ubuntu9', 'zlib', '1:1.2.11.dfsg-2', ['Zlib', 'GPL-2+ or Artistic'], 'pkg:deb/ubuntu/zlib1g@1:1.2.11.dfsg-2ubuntu9?arch=amd64&distro=ubuntu-22.04', 'var/lib/dpkg/status.d/zlib1g'],
    ],
  );
  assert.equal(dpkg.wants('usr/share/doc/zlib1g/copyright', { mode: 0o644, size: 10 }), true);
  assert.equal(dpkg.wants('var/lib/dpkg/status.d/zlib1g.md5sums', { mode: 0o644, size: 10 }), false);
  assert.deepEqual(copyrightLicenses(undefined), []);
  assert.deepEqual(parseSource('gcc-12 (12.2.0-14)', 'libgcc-s1', '12.2.0-14+deb12u1'), { name: 'gcc-12', version: '12.2.0-14' });
  assert.deepEqual(parseSource(undefined, 'bash', '5.2'), { name: 'bash', version: '5.2' });
});

it('reports nothing from an empty image, garbage or truncated evidence, and never throws on text databases', async () => {
  assert.deepEqual((await catalog([testLayer([{ path: 'etc/hostname', content: 'x' }])])).packages, []);
  for (const garbage of [Buffer.alloc(0), Buffer.alloc(4096, 0xff), Buffer.from(STATUS.slice(0, 37))]) {
    const { packages } = await catalog([testLayer([{ path: 'var/lib/dpkg/status', content: garbage }, { path: 'lib/apk/db/installed', content: garbage }])]);
    assert.deepEqual(packages, []);
  }
});
