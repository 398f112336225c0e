import assert from 'node:assert/strict';
import { it } from 'node:test';
import { crc32, deflateRawSync } from 'node:zlib';
import { openZip, ZipError, type ZipErrorCode } from './zip-reader.ts';

interface TestEntry {
  readonly name: string;
  readonly content: Buffer | string;
  readonly deflate?: boolean;
  /** Override the size the headers declare. */
  readonly declaredSize?: number;
}

interface TestZipOptions {
  /** Bytes before the archive (a launcher script); offsets stay relative to the archive. */
  readonly prefix?: Buffer;
  /** Write ZIP64 records and extra fields, with 0xffff… in the classic fields. */
  readonly zip64?: boolean;
  readonly comment?: string;
}

/** A minimal zip writer (stored/deflate, optional ZIP64): just enough to exercise the reader. */
function buildZip(entries: readonly TestEntry[], options: TestZipOptions = {}): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const content = Buffer.from(entry.content);
    const data = entry.deflate === true ? deflateRawSync(content) : content;
    const name = Buffer.from(entry.name, 'utf8');
    const sizes = { crc: crc32(content), compressed: data.length, uncompressed: entry.declaredSize ?? content.length, method: entry.deflate === true ? 8 : 0 };
    const local = header(0x04034b50, 30, name, sizes, undefined, options.zip64 === true);
    centrals.push(header(0x02014b50, 46, name, sizes, offset, options.zip64 === true));
    locals.push(local, data);
    offset += local.length + data.length;
  }
  const directory = Buffer.concat(centrals);
  const trailer = options.zip64 === true ? zip64Trailer(entries.length, directory.length, offset) : Buffer.alloc(0);
  const comment = Buffer.from(options.comment ?? '');
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(options.zip64 === true ? 0xffff : entries.length, 8);
  eocd.writeUInt16LE(options.zip64 === true ? 0xffff : entries.length, 10);
  eocd.writeUInt32LE(options.zip64 === true ? 0xffffffff : directory.length, 12);
  eocd.writeUInt32LE(options.zip64 === true ? 0xffffffff : offset, 16);
  eocd.writeUInt16LE(comment.length, 20);
  return Buffer.concat([options.prefix ?? Buffer.alloc(0), ...locals, directory, trailer, eocd, comment]);
}

function header(signature: number, size: number, name: Buffer, sizes: { crc: number; compressed: number; uncompressed: number; method: number }, offset: number | undefined, zip64: boolean): Buffer {
  const central = offset !== undefined;
  const extra = Buffer.alloc(zip64 ? (central ? 28 : 20) : 0);
  if (zip64) {
    extra.writeUInt16LE(1, 0);
    extra.writeUInt16LE(extra.length - 4, 2);
    extra.writeBigUInt64LE(BigInt(sizes.uncompressed), 4);
    extra.writeBigUInt64LE(BigInt(sizes.compressed), 12);
    if (central) extra.writeBigUInt64LE(BigInt(offset), 20);
  }
  const fixed = Buffer.alloc(size);
  const at = central ? 2 : 0;
  fixed.writeUInt32LE(signature, 0);
  fixed.writeUInt16LE(0x800, 6 + at);
  fixed.writeUInt16LE(sizes.method, 8 + at);
  fixed.writeUInt32LE(sizes.crc, 14 + at);
  fixed.writeUInt32LE(zip64 ? 0xffffffff : sizes.compressed, 18 + at);
  fixed.writeUInt32LE(zip64 ? 0xffffffff : sizes.uncompressed, 22 + at);
  fixed.writeUInt16LE(name.length, 26 + at);
  fixed.writeUInt16LE(extra.length, 28 + at);
  if (central) fixed.writeUInt32LE(zip64 ? 0xffffffff : (offset ?? 0), 42);
  return Buffer.concat([fixed, name, extra]);
}

function zip64Trailer(count: number, directorySize: number, directoryOffset: number): Buffer {
  const record = Buffer.alloc(56);
  record.writeUInt32LE(0x06064b50, 0);
  record.writeBigUInt64LE(44n, 4);
  record.writeBigUInt64LE(BigInt(count), 24);
  record.writeBigUInt64LE(BigInt(count), 32);
  record.writeBigUInt64LE(BigInt(directorySize), 40);
  record.writeBigUInt64LE(BigInt(directoryOffset), 48);
  const locator = Buffer.alloc(20);
  locator.writeUInt32LE(0x07064b50, 0);
  locator.writeBigUInt64LE(BigInt(directoryOffset + directorySize), 8);
  locator.writeUInt32LE(1, 16);
  return Buffer.concat([record, locator]);
}

function zipError(code: ZipErrorCode): (error: unknown) => boolean {
  return (error) => error instanceof ZipError && error.code === code;
}

const sample: readonly TestEntry[] = [
  { name: 'META-INF/', content: '' },
  { name: 'META-INF/MANIFEST.MF', content: 'Manifest-Version: 1.0\r\n' },
  { name: 'big.txt', content: 'x'.repeat(100_000), deflate: true },
  { name: 'docs/ünïcode.txt', content: 'héllo', deflate: true },
];

it('lists and reads stored and deflated entries', () => {
  const zip = openZip(buildZip(sample, { comment: 'a comment' }));
  assert.deepEqual(zip.entries.map((entry) => [entry.name, entry.isDirectory]), [['META-INF/', true], ['META-INF/MANIFEST.MF', false], ['big.txt', false], ['docs/ünïcode.txt', false]]);
  const manifest = zip.find('META-INF/MANIFEST.MF');
  assert.ok(manifest);
  assert.equal(zip.read(manifest).toString(), 'Manifest-Version: 1.0\r\n');
  const big = zip.find('big.txt');
  assert.ok(big && big.compressedSize < big.uncompressedSize);
  assert.equal(zip.read(big).toString(), 'x'.repeat(100_000));
  assert.equal(zip.read(zip.find('docs/ünïcode.txt') ?? assert.fail()).toString(), 'héllo');
  assert.equal(zip.find('missing'), undefined);
});

it('reads ZIP64 archives and archives behind a prefix', () => {
  for (const options of [{ zip64: true }, { prefix: Buffer.from('#!/bin/sh\nexec java -jar "$0"\n') }, { zip64: true, prefix: Buffer.alloc(1000, 1) }]) {
    const zip = openZip(buildZip(sample, options));
    assert.equal(zip.entries.length, 4);
    assert.equal(zip.read(zip.find('big.txt') ?? assert.fail()).length, 100_000);
    assert.equal(zip.read(zip.find('META-INF/MANIFEST.MF') ?? assert.fail()).toString(), 'Manifest-Version: 1.0\r\n');
  }
});

it('caps inflated output: a zip bomb costs at most the limit', () => {
  const bomb = buildZip([{ name: 'bomb', content: Buffer.alloc(20 * 1024 * 1024), deflate: true }]);
  assert.ok(bomb.length < 100_000);
  const zip = openZip(bomb);
  const entry = zip.find('bomb') ?? assert.fail();
  assert.throws(() => zip.read(entry, { maxSize: 1024 * 1024 }), zipError('ZIP_TOO_LARGE'));
  // The header lies about the size: inflation stops one byte past what it declares.
  const liar = openZip(buildZip([{ name: 'bomb', content: Buffer.alloc(20 * 1024 * 1024), deflate: true, declaredSize: 10 }]));
  assert.throws(() => liar.read(liar.find('bomb') ?? assert.fail()), zipError('ZIP_INVALID'));
  assert.equal(zip.read(entry, { maxSize: 20 * 1024 * 1024 }).length, 20 * 1024 * 1024);
});

it('refuses too many entries', () => {
  const many = buildZip(Array.from({ length: 20 }, (_, index) => ({ name: `f${index}`, content: '' })));
  assert.throws(() => openZip(many, { maxEntries: 10 }), zipError('ZIP_TOO_LARGE'));
  assert.equal(openZip(many).entries.length, 20);
});

it('throws ZipError codes on malformed archives', () => {
  const good = buildZip(sample);
  assert.throws(() => openZip(Buffer.alloc(0)), zipError('ZIP_NO_DIRECTORY'));
  assert.throws(() => openZip(Buffer.from('PK not really a zip archive at all, just text')), zipError('ZIP_NO_DIRECTORY'));
  assert.throws(() => openZip(good.subarray(0, good.length - 30)), zipError('ZIP_NO_DIRECTORY'));
  assert.throws(() => openZip(good.subarray(200)), zipError('ZIP_INVALID'));
  const badDirectory = Buffer.from(good);
  badDirectory.writeUInt32LE(0xdeadbeef, badDirectory.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02])));
  assert.throws(() => openZip(badDirectory), zipError('ZIP_INVALID'));
  const badCrc = Buffer.from(good);
  badCrc[badCrc.indexOf('Manifest-Version')] = 0x6d;
  const zip = openZip(badCrc);
  assert.throws(() => zip.read(zip.find('META-INF/MANIFEST.MF') ?? assert.fail()), zipError('ZIP_INVALID'));
  const badDeflate = buildZip([{ name: 'x', content: 'not deflate' }]);
  badDeflate.writeUInt16LE(8, badDeflate.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02])) + 10);
  const broken = openZip(badDeflate);
  assert.throws(() => broken.read(broken.find('x') ?? assert.fail()), zipError('ZIP_INVALID'));
});

it('refuses encrypted entries and unknown methods', () => {
  const encrypted = buildZip([{ name: 'secret', content: 'x' }]);
  const central = encrypted.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
  encrypted.writeUInt16LE(0x801, central + 8);
  const zip = openZip(encrypted);
  assert.throws(() => zip.read(zip.find('secret') ?? assert.fail()), zipError('ZIP_UNSUPPORTED'));
  const bzip = buildZip([{ name: 'b', content: 'x' }]);
  bzip.writeUInt16LE(12, bzip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02])) + 10);
  const other = openZip(bzip);
  assert.throws(() => other.read(other.find('b') ?? assert.fail()), zipError('ZIP_UNSUPPORTED'));
});

it('refuses entries that share or overlap their data, the trick of zips that inflate to gigabytes one entry at a time', () => {
  const zip = buildZip([
    { name: 'a.txt', content: 'x'.repeat(1000), deflate: true },
    { name: 'b.txt', content: 'y'.repeat(1000), deflate: true },
  ]);
  assert.equal(openZip(zip).entries.length, 2);
  const directory = zip.length - 22 - zip.readUInt32LE(zip.length - 22 + 12);
  const second = directory + 46 + 'a.txt'.length;
  assert.equal(zip.readUInt32LE(second), 0x02014b50);
  const shared = Buffer.from(zip);
  shared.writeUInt32LE(0, second + 42);
  assert.throws(() => openZip(shared), (error: unknown) => error instanceof ZipError && error.code === 'ZIP_INVALID' && /entries "a\.txt" and "b\.txt" overlap/.test(error.message));
});
