import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { it } from 'node:test';
import { dpkg } from './dpkg.ts';
import { parseRpmHeader, RPM_TAG, RPM_TYPE } from './rpm-header.ts';
import { parseSourceRpm, rpm } from './rpm.ts';
import { ScanError } from '../scan-error.ts';
import { testLayer, walk } from './test-layers.ts';

type Tag = readonly [tag: number, value: string | number];

/** An rpmdb header blob as rpm writes it: a region tag (63) first, its 16-byte trailer last in the data. */
function headerBlob(tags: readonly Tag[]): Buffer {
  const data: Buffer[] = [];
  const index: Buffer[] = [];
  let length = 0;
  for (const [tag, value] of tags) {
    const isInt = typeof value === 'number';
    if (isInt && length % 4 !== 0) data.push(Buffer.alloc(4 - (length % 4)));
    length = data.reduce((sum, part) => sum + part.byteLength, 0);
    const bytes = isInt ? Buffer.alloc(4) : Buffer.from(`${value}\0`);
    if (isInt) bytes.writeUInt32BE(value);
    index.push(entry(tag, isInt ? RPM_TYPE.int32 : RPM_TYPE.string, length, 1));
    data.push(bytes);
    length += bytes.byteLength;
  }
  const count = tags.length + 1;
  data.push(entry(63, RPM_TYPE.bin, -count * 16, 16));
  const head = Buffer.alloc(8);
  head.writeInt32BE(count, 0);
  head.writeInt32BE(length + 16, 4);
  return Buffer.concat([head, entry(63, RPM_TYPE.bin, length, 16), ...index, ...data]);
}

function entry(tag: number, type: number, offset: number, count: number): Buffer {
  const out = Buffer.alloc(16);
  [tag, type, offset, count].forEach((value, at) => out.writeInt32BE(value, at * 4));
  return out;
}

const { name, version, release, epoch, arch, license, sourceRpm } = RPM_TAG;
const HEADERS = [
  headerBlob([[name, 'bash'], [version, '5.1.8'], [release, '9.el9'], [arch, 'x86_64'], [license, 'GPLv3+'], [sourceRpm, 'bash-5.1.8-9.el9.src.rpm']]),
  headerBlob([[name, 'openssl-libs'], [version, '3.0.7'], [release, '27.el9'], [epoch, 1], [arch, 'x86_64'], [license, 'ASL 2.0'], [sourceRpm, 'openssl-3.0.7-27.el9.src.rpm']]),
  headerBlob([[name, 'NetworkManager'], [version, '1.46.0'], [release, '8.el9'], [epoch, 1], [arch, 'x86_64'], [sourceRpm, 'NetworkManager-1.46.0-8.el9.src.rpm']]),
  headerBlob([[name, 'gpg-pubkey'], [version, '350d275d'], [release, '6395ed3d']]),
];

/** A real SQLite rpmdb file (and, when `walOnly`, the WAL that still holds its content). */
function rpmdb(blobs: readonly Buffer[], walOnly = false): { db: Buffer; wal?: Buffer } {
  const dir = mkdtempSync(join(tmpdir(), 'rpmdb-fixture-'));
  try {
    const database = new DatabaseSync(join(dir, 'rpmdb.sqlite'));
    if (walOnly) database.exec('PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0;');
    database.exec('CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL); CREATE TABLE Name (key TEXT, hnum INTEGER, idx INTEGER);');
    const insert = database.prepare('INSERT INTO Packages (blob) VALUES (?)');
    for (const blob of blobs) insert.run(blob);
    const files = { db: readFileSync(join(dir, 'rpmdb.sqlite')), ...(walOnly ? { wal: readFileSync(join(dir, 'rpmdb.sqlite-wal')) } : {}) };
    database.close();
    return files;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const ROCKY = { path: 'etc/os-release', content: 'NAME="Rocky Linux"\nID="rocky"\nVERSION_ID="9.3"\nPRETTY_NAME="Rocky Linux 9.3 (Blue Onyx)"\n' };
const tempCopies = () => readdirSync(tmpdir()).filter((file) => file.startsWith('slipway-rpmdb-')).length;

async function catalog(files: readonly { path: string; content?: Buffer | string; type?: 'symlink'; linkname?: string }[]) {
  const layer = testLayer([ROCKY, ...files]);
  const result = await walk([layer], [rpm, dpkg]);
  return { layer, packages: () => rpm.catalog(result.files, { distro: result.distro }) };
}

it('reads packages from a SQLite rpmdb through the var/lib/rpm symlink, and removes its temp copy', async () => {
  const before = tempCopies();
  const { layer, packages } = await catalog([
    { path: 'var/lib/rpm', type: 'symlink', linkname: '../../usr/lib/sysimage/rpm' },
    { path: 'usr/lib/sysimage/rpm/rpmdb.sqlite', content: rpmdb(HEADERS).db },
  ]);
  const found = packages();
  assert.equal(tempCopies(), before);
  assert.deepEqual(
    found.map((p) => [p.name, p.version, p.sourceName, p.sourceVersion, p.arch, p.licenses, p.purl]),
    [
      ['bash', '5.1.8-9.el9', 'bash', '5.1.8-9.el9', 'x86_64', ['GPLv3+'], 'pkg:rpm/rocky/bash@5.1.8-9.el9?arch=x86_64&distro=rocky-9.3'],
      ['openssl-libs', '1:3.0.7-27.el9', 'openssl', '1:3.0.7-27.el9', 'x86_64', ['ASL 2.0'], 'pkg:rpm/rocky/openssl-libs@3.0.7-27.el9?arch=x86_64&distro=rocky-9.3&epoch=1'],
      ['NetworkManager', '1:1.46.0-8.el9', 'NetworkManager', '1:1.46.0-8.el9', 'x86_64', [], 'pkg:rpm/rocky/NetworkManager@1.46.0-8.el9?arch=x86_64&distro=rocky-9.3&epoch=1'],
    ],
  );
  assert.ok(found.every((p) => p.type === 'rpm' && p.foundBy === 'rpm' && p.location === 'usr/lib/sysimage/rpm/rpmdb.sqlite' && p.layerDiffId === layer.diffId));
});

it('replays a WAL the database was left with', async () => {
  const { db, wal } = rpmdb(HEADERS.slice(0, 2), true);
  assert.ok(wal !== undefined && wal.byteLength > 0);
  const { packages } = await catalog([{ path: 'var/lib/rpm/rpmdb.sqlite', content: db }, { path: 'var/lib/rpm/rpmdb.sqlite-wal', content: wal }]);
  assert.deepEqual(packages().map((p) => p.name), ['bash', 'openssl-libs']);
  const withoutWal = await catalog([{ path: 'var/lib/rpm/rpmdb.sqlite', content: db }]);
  assert.throws(withoutWal.packages, (e: unknown) => e instanceof ScanError && e.code === 'PACKAGE_DB_INVALID' && /no Packages table/.test(e.message));
});

it('refuses an unreadable database or header as a whole, still removing its temp copy', async () => {
  const before = tempCopies();
  const garbage = await catalog([{ path: 'var/lib/rpm/rpmdb.sqlite', content: Buffer.alloc(4096, 0x5a) }]);
  assert.throws(garbage.packages, (e: unknown) => e instanceof ScanError && e.code === 'PACKAGE_DB_INVALID' && /^var\/lib\/rpm\/rpmdb.sqlite: not a readable rpmdb/.test(e.message));
  const broken = await catalog([{ path: 'var/lib/rpm/rpmdb.sqlite', content: rpmdb([HEADERS[0] ?? Buffer.alloc(0), Buffer.from([0, 0, 0, 9, 0, 0, 0, 1])]).db }]);
  assert.throws(broken.packages, (e: unknown) => e instanceof ScanError && e.code === 'PACKAGE_DB_INVALID' && /8-byte header blob does not parse/.test(e.message));
  assert.equal(tempCopies(), before);
  assert.deepEqual((await catalog([])).packages(), []);
});

it('parses header blobs defensively and source rpm names', () => {
  const bash = HEADERS[0] ?? Buffer.alloc(0);
  assert.deepEqual(parseRpmHeader(bash), { name: 'bash', version: '5.1.8', release: '9.el9', epoch: undefined, arch: 'x86_64', license: 'GPLv3+', sourceRpm: 'bash-5.1.8-9.el9.src.rpm', provides: [], requires: [] });
  assert.equal(parseRpmHeader(new Uint8Array(bash))?.name, 'bash');
  for (const bad of [Buffer.alloc(0), bash.subarray(0, bash.byteLength - 1), Buffer.from([0, 0, 0, 0, 0, 0, 0, 0]), Buffer.from([0x7f, 0, 0, 0, 0, 0, 0, 0]), headerBlob([[name, 'x'], [version, '1']])]) {
    assert.equal(parseRpmHeader(bad), undefined);
  }
  const nameOutOfRange = Buffer.from(bash);
  nameOutOfRange.writeInt32BE(0x7fffffff, 8 + 16 + 8);
  assert.equal(parseRpmHeader(nameOutOfRange), undefined);
  const licenseAsInt = Buffer.from(bash);
  licenseAsInt.writeInt32BE(RPM_TYPE.int32, 8 + 5 * 16 + 4);
  assert.equal(parseRpmHeader(licenseAsInt)?.license, undefined);
  assert.deepEqual(parseSourceRpm('openssl-3.0.7-27.el9.src.rpm'), { name: 'openssl', version: '3.0.7-27.el9' });
  assert.deepEqual(parseSourceRpm('python3.11-3.11.5-1.el9_3.nosrc.rpm'), { name: 'python3.11', version: '3.11.5-1.el9_3' });
  assert.equal(parseSourceRpm('garbage'), undefined);
});
