import assert from 'node:assert/strict';
import { cpSync, lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TarEntry } from '../../testing/tar-writer.ts';
import { eraseRpm, eraseRpmBeforeCheckpoint, installedRpms, RPM_DBPATH, rpmRootfs, type InstalledRpm } from '../../testing/rpm-rootfs.ts';
import type { Package } from '../model.ts';
import { rpm } from './rpm.ts';
import { entriesFromDisk, testLayer, walk } from './test-layers.ts';

const DATABASE = `${RPM_DBPATH}/rpmdb.sqlite`;

/** Every directory, symlink and file under `root`, as layer entries. */
function rootfsEntries(root: string): TarEntry[] {
  const paths = readdirSync(root, { recursive: true, encoding: 'utf8' }).sort();
  const files = paths.filter((path) => lstatSync(join(root, path)).isFile());
  const others = paths.filter((path) => !files.includes(path)).map((path): TarEntry => {
    const full = join(root, path);
    return lstatSync(full).isSymbolicLink() ? { path, type: 'symlink', linkname: readlinkSync(full) } : { path, type: 'dir' };
  });
  return [...others, ...entriesFromDisk(Object.fromEntries(files.map((path) => [path, join(root, path)])))];
}

/** The changeset from `lower` to `upper`: new or changed files, and whiteouts for removed ones. */
function changesetEntries(lower: string, upper: string): TarEntry[] {
  const filesOf = (root: string) => readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((path) => lstatSync(join(root, path)).isFile());
  const [old, current] = [filesOf(lower), filesOf(upper)];
  const changed = current.filter((path) => !old.includes(path) || !readFileSync(join(lower, path)).equals(readFileSync(join(upper, path))));
  const removed = old.filter((path) => !current.includes(path)).map((path): TarEntry => ({ path: join(dirname(path), `.wh.${basename(path)}`) }));
  return [...entriesFromDisk(Object.fromEntries(changed.map((path) => [path, join(upper, path)]))), ...removed];
}

async function catalog(layers: Parameters<typeof walk>[0]): Promise<readonly Package[]> {
  const result = await walk(layers, [rpm]);
  assert.deepEqual(result.warnings, []);
  assert.deepEqual(result.distro, { id: 'rocky', versionId: '9.3', prettyName: 'Rocky Linux 9.3 (Blue Onyx)' });
  return rpm.catalog(result.files, { distro: result.distro });
}

/** What the cataloger must say about a package rpm -qa lists (rpm.ts writes `E:` only when the header has an Epoch). */
function expectedFrom(row: InstalledRpm) {
  const epoch = row.epoch === undefined ? '' : `${row.epoch}:`;
  // rpmbuild gives every binary package of a build its source rpm's version-release.
  const sourceSuffix = `-${row.version}-${row.release}.src.rpm`;
  assert.ok(row.sourceRpm.endsWith(sourceSuffix), row.sourceRpm);
  const purlEpoch = row.epoch === undefined ? '' : `&epoch=${row.epoch}`;
  return {
    name: row.name,
    version: `${epoch}${row.version}-${row.release}`,
    sourceName: row.sourceRpm.slice(0, -sourceSuffix.length),
    sourceVersion: `${epoch}${row.version}-${row.release}`,
    arch: row.arch,
    licenses: [row.license],
    purl: `pkg:rpm/rocky/${row.name}@${row.version}-${row.release}?arch=${row.arch}&distro=rocky-9.3${purlEpoch}`,
  };
}

function reported(packages: readonly Package[]) {
  return packages.map(({ name, version, sourceName, sourceVersion, arch, licenses, purl }) => ({ name, version, sourceName, sourceVersion, arch, licenses, purl }));
}

const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

describe('rpm cataloger on a rpmdb written by the real rpm', () => {
  let work: string;
  let rootfs: string;
  let installed: InstalledRpm[];
  let base: ReturnType<typeof testLayer>;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'slipway-rpm-real-'));
    rootfs = await rpmRootfs(work);
    installed = await installedRpms(rootfs);
    base = testLayer(rootfsEntries(rootfs));
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  const copyOfRootfs = (name: string) => {
    const copy = join(work, name);
    cpSync(rootfs, copy, { recursive: true, verbatimSymlinks: true });
    return copy;
  };

  it('reports exactly what rpm -qa lists, from the database as rpm left it (checkpointed: empty -wal, -shm beside it)', async () => {
    assert.equal(readFileSync(join(rootfs, `${DATABASE}-wal`)).byteLength, 0);
    assert.ok(lstatSync(join(rootfs, `${DATABASE}-shm`)).isFile());
    assert.deepEqual(installed.map((row) => row.name).sort(), ['openssl', 'openssl-libs', 'rocky-release', 'tzdata']);
    const packages = await catalog([base]);
    assert.deepEqual(reported(packages).sort(byName), installed.map(expectedFrom).sort(byName));
    assert.ok(packages.every((p) => p.type === 'rpm' && p.foundBy === 'rpm' && p.location === DATABASE && p.layerDiffId === base.diffId && p.layerDigest === base.digest));
  });

  it('links what each package requires to the package that provides it (sonames, arch-qualified names)', async () => {
    const packages = new Map((await catalog([base])).map((p) => [p.name, p]));
    // openssl requires libcrypto.so.3()(64bit), libssl.so.3(OPENSSL_3.0.0)(64bit), openssl-libs(x86-64) = 1:3.0.7-27.el9: all openssl-libs.
    assert.deepEqual(packages.get('openssl')?.dependsOn, [packages.get('openssl-libs')?.purl]);
    assert.ok([...packages.values()].every((p) => (p.dependsOn ?? []).every((purl) => purl !== p.purl && [...packages.values()].some((q) => q.purl === purl))));
  });

  it('maps a subpackage to its source rpm and keeps an explicit Epoch 0, with Rocky 9.3 purls', async () => {
    const packages = new Map((await catalog([base])).map((p) => [p.name, p]));
    assert.deepEqual(reported([packages.get('openssl-libs'), packages.get('rocky-release'), packages.get('tzdata')].filter((p) => p !== undefined)), [
      {
        name: 'openssl-libs',
        version: '1:3.0.7-27.el9',
        sourceName: 'openssl',
        sourceVersion: '1:3.0.7-27.el9',
        arch: 'x86_64',
        licenses: ['Apache-2.0 AND (MIT OR BSD-3-Clause)'],
        purl: 'pkg:rpm/rocky/openssl-libs@3.0.7-27.el9?arch=x86_64&distro=rocky-9.3&epoch=1',
      },
      {
        name: 'rocky-release',
        version: '0:9.3-1.2.el9',
        sourceName: 'rocky-release',
        sourceVersion: '0:9.3-1.2.el9',
        arch: 'noarch',
        licenses: ['BSD-3-Clause'],
        purl: 'pkg:rpm/rocky/rocky-release@9.3-1.2.el9?arch=noarch&distro=rocky-9.3&epoch=0',
      },
      {
        name: 'tzdata',
        version: '2024a-3.el9',
        sourceName: 'tzdata',
        sourceVersion: '2024a-3.el9',
        arch: 'noarch',
        licenses: ['LicenseRef-Fedora-Public-Domain'],
        purl: 'pkg:rpm/rocky/tzdata@2024a-3.el9?arch=noarch&distro=rocky-9.3',
      },
    ]);
  });

  it('drops a package a later layer erased with rpm -e', async () => {
    const erased = copyOfRootfs('erased');
    await eraseRpm(erased, 'tzdata');
    const upper = testLayer(changesetEntries(rootfs, erased));
    const expected = await installedRpms(erased);
    assert.deepEqual(expected.map((row) => row.name).sort(), ['openssl', 'openssl-libs', 'rocky-release']);
    const packages = await catalog([base, upper]);
    assert.deepEqual(reported(packages).sort(byName), expected.map(expectedFrom).sort(byName));
    // The database was rewritten, the packages left in it were not: each is still the base layer's.
    assert.ok(packages.every((p) => p.layerDiffId === base.diffId));
  });

  it('replays an erase that rpm committed to the WAL but could not checkpoint yet', async () => {
    const erased = copyOfRootfs('erased-in-wal');
    const snapshot = await eraseRpmBeforeCheckpoint(erased, 'openssl');
    assert.ok(snapshot.wal.byteLength > 0);
    assert.ok(snapshot.database.equals(readFileSync(join(rootfs, DATABASE))), 'the database file itself is untouched: the erase is all in the WAL');
    const upper = testLayer([
      { path: DATABASE, content: snapshot.database },
      { path: `${DATABASE}-wal`, content: snapshot.wal },
    ]);
    const expected = await installedRpms(erased);
    assert.deepEqual(expected.map((row) => row.name).sort(), ['openssl-libs', 'rocky-release', 'tzdata']);
    assert.deepEqual(reported(await catalog([base, upper])).sort(byName), expected.map(expectedFrom).sort(byName));
  });
});
