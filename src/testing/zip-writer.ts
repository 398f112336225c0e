/**
 * Test support: builds zip archives in memory, so tests make the OSV dumps they read. Entries are
 * deflated (or stored); `zip64` writes the ZIP64 records and extra fields that big dumps carry.
 */
import { crc32, deflateRawSync } from 'node:zlib';

export interface ZipWriterEntry {
  readonly name: string;
  readonly data: Buffer | string;
  readonly store?: boolean;
}

/** A zip archive holding `entries`, in order. */
export function writeZip(entries: readonly ZipWriterEntry[], options: { readonly zip64?: boolean } = {}): Buffer {
  const zip64 = options.zip64 === true;
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const data = Buffer.from(entry.data);
    const body = entry.store === true ? data : deflateRawSync(data);
    const name = Buffer.from(entry.name, 'utf8');
    const fields = { method: entry.store === true ? 0 : 8, crc: crc32(data), compressed: body.length, size: data.length, name };
    const local = header(0x04034b50, fields, Buffer.alloc(0));
    locals.push(local, body);
    centrals.push(centralHeader(fields, offset, zip64));
    offset += local.length + body.length;
  }
  const directory = Buffer.concat(centrals);
  return Buffer.concat([...locals, directory, ...end(entries.length, directory.length, offset, zip64)]);
}

interface Fields {
  readonly method: number;
  readonly crc: number;
  readonly compressed: number;
  readonly size: number;
  readonly name: Buffer;
}

function header(signature: number, fields: Fields, extra: Buffer): Buffer {
  const out = Buffer.alloc(30);
  out.writeUInt32LE(signature, 0);
  out.writeUInt16LE(20, 4);
  out.writeUInt16LE(0x0800, 6);
  out.writeUInt16LE(fields.method, 8);
  out.writeUInt32LE(fields.crc, 14);
  out.writeUInt32LE(fields.compressed, 18);
  out.writeUInt32LE(fields.size, 22);
  out.writeUInt16LE(fields.name.length, 26);
  out.writeUInt16LE(extra.length, 28);
  return Buffer.concat([out, fields.name, extra]);
}

function centralHeader(fields: Fields, offset: number, zip64: boolean): Buffer {
  const extra = Buffer.alloc(zip64 ? 28 : 0);
  if (zip64) {
    extra.writeUInt16LE(1, 0);
    extra.writeUInt16LE(24, 2);
    extra.writeBigUInt64LE(BigInt(fields.size), 4);
    extra.writeBigUInt64LE(BigInt(fields.compressed), 12);
    extra.writeBigUInt64LE(BigInt(offset), 20);
  }
  const out = Buffer.alloc(46);
  out.writeUInt32LE(0x02014b50, 0);
  out.writeUInt16LE(zip64 ? 45 : 20, 4);
  out.writeUInt16LE(zip64 ? 45 : 20, 6);
  out.writeUInt16LE(0x0800, 8);
  out.writeUInt16LE(fields.method, 10);
  out.writeUInt32LE(fields.crc, 16);
  out.writeUInt32LE(zip64 ? 0xffffffff : fields.compressed, 20);
  out.writeUInt32LE(zip64 ? 0xffffffff : fields.size, 24);
  out.writeUInt16LE(fields.name.length, 28);
  out.writeUInt16LE(extra.length, 30);
  out.writeUInt32LE(zip64 ? 0xffffffff : offset, 42);
  return Buffer.concat([out, fields.name, extra]);
}

function end(count: number, length: number, offset: number, zip64: boolean): Buffer[] {
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(zip64 ? 0xffff : count, 8);
  eocd.writeUInt16LE(zip64 ? 0xffff : count, 10);
  eocd.writeUInt32LE(zip64 ? 0xffffffff : length, 12);
  eocd.writeUInt32LE(zip64 ? 0xffffffff : offset, 16);
  if (!zip64) return [eocd];
  const record = Buffer.alloc(56);
  record.writeUInt32LE(0x06064b50, 0);
  record.writeBigUInt64LE(44n, 4);
  record.writeUInt16LE(45, 12);
  record.writeUInt16LE(45, 14);
  record.writeBigUInt64LE(BigInt(count), 24);
  record.writeBigUInt64LE(BigInt(count), 32);
  record.writeBigUInt64LE(BigInt(length), 40);
  record.writeBigUInt64LE(BigInt(offset), 48);
  const locator = Buffer.alloc(20);
  locator.writeUInt32LE(0x07064b50, 0);
  locator.writeBigUInt64LE(BigInt(offset + length), 8);
  locator.writeUInt32LE(1, 16);
  return [record, locator, eocd];
}
