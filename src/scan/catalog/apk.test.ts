import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { apk } from './apk.ts';
import { dpkg } from './dpkg.ts';
import { testLayer, walk } from './test-layers.ts';
import { sharedData } from '../../testing/shared-data.ts';

const ALPINE = sharedData('pkgdb/alpine');
const catalogers = [apk, dpkg];
const osRelease = (version: string) => ({ path: 'etc/os-release', content: `NAME="Alpine Linux"\nID=alpine\nVERSION_ID=${version}\nPRETTY_NAME="Alpine Linux v${version.split('.').slice(0, 2).join('.')}"\n` });

/** `P:` names of records that also have a `V:` line, read with a regex instead of the record parser. */
function namesByRegex(db: string): string[] {
  return db
    .split(/\n\s*\n/)
    .filter((record) => /^V:./m.test(record))
    .map((record) => /^P:(.+)$/m.exec(record)?.[1] ?? '')
    .filter((name) => name !== '')
    .sort();
}

async function catalog(layers: Parameters<typeof walk>[0]) {
  const result = await walk(layers, catalogers);
  return catalogers.flatMap((c) => c.catalog(result.files, { distro: result.distro }));
}

it('finds every package of real Alpine installed databases, origins as sources', async () => {
  for (const [dir, version, count] of [['v3.18-osv-scalibr', '3.18.0', 15], ['v3.21-apk-tools', '3.21.3', 39], ['v3.4-trivy-edgecase', '3.4.6', 15]] as const) {
    const db = readFileSync(`${ALPINE}/${dir}/lib/apk/db/installed`, 'utf8');
    const layer = testLayer([osRelease(version), { path: 'lib/apk/db/installed', content: db }]);
    const packages = await catalog([layer]);
    assert.equal(packages.length, count, dir);
    assert.deepEqual(packages.map((p) => p.name).sort(), namesByRegex(db), dir);
    assert.ok(packages.every((p) => p.location === 'lib/apk/db/installed' && p.layerDiffId === layer.diffId && p.foundBy === 'apk'), dir);
  }
  const db = readFileSync(`${ALPINE}/v3.18-osv-scalibr/lib/apk/db/installed`, 'utf8');
  const packages = await catalog([testLayer([osRelease('3.18.0'), { path: 'lib/apk/db/installed', content: db }])]);
  const libssl = packages.find((p) => p.name === 'libssl3');
  assert.deepEqual(
    { ...libssl, layerDiffId: undefined, layerDigest: undefined },
    {
      type: 'apk',
      name: 'libssl3',
      version: '3.1.0-r4',
      sourceName: 'openssl',
      sourceVersion: '3.1.0-r4',
      arch: 'x86_64',
      licenses: ['Apache-2.0'],
      purl: 'pkg:apk/alpine/libssl3@3.1.0-r4?arch=x86_64&distro=alpine-3.18.0',
      location: 'lib/apk/db/installed',
      foundBy: 'apk',
      // `D:so:libc.musl-x86_64.so.1 so:libcrypto.so.3`: met by what musl and libcrypto3 provide (`p:`).
      dependsOn: ['pkg:apk/alpine/libcrypto3@3.1.0-r4?arch=x86_64&distro=alpine-3.18.0', 'pkg:apk/alpine/musl@1.2.4-r0?arch=x86_64&distro=alpine-3.18.0'],
      layerDiffId: undefined,
      layerDigest: undefined,
    },
  );
  assert.deepEqual(packages.find((p) => p.name === 'musl-utils')?.licenses, ['MIT AND BSD-2-Clause AND GPL-2.0-or-later']);
});

it('drops packages removed by a later layer, and follows a merged-usr lib symlink', async () => {
  const db = readFileSync(`${ALPINE}/v3.18-osv-scalibr/lib/apk/db/installed`, 'utf8');
  const base = testLayer([osRelease('3.18.0'), { path: 'lib/apk/db/installed', content: db }]);
  const withoutZlib = db.split(/\n\n/).filter((record) => !/^P:zlib$/m.test(record)).join('\n\n');
  const upgraded = await catalog([base, testLayer([{ path: 'lib/apk/db/installed', content: withoutZlib }])]);
  assert.deepEqual(upgraded.map((p) => p.name).filter((name) => name === 'zlib'), []);
  assert.equal(upgraded.length, 14);
  assert.deepEqual(await catalog([base, testLayer([{ path: 'lib/apk/db/.wh.installed', content: '' }])]), []);
  assert.deepEqual(await catalog([base, testLayer([{ path: 'lib/.wh.apk', content: '' }])]), []);
  const merged = await catalog([testLayer([{ path: 'lib', type: 'symlink', linkname: 'usr/lib' }, { path: 'usr/lib/apk/db/installed', content: db }])]);
  assert.equal(merged.length, 15);
  assert.ok(merged.every((p) => p.location === 'usr/lib/apk/db/installed' && p.purl.endsWith('?arch=x86_64')));
});
