/**
 * A small zip reader for OSV dumps (`<ECOSYSTEM>/all.zip`: a flat zip of `<ID>.json`). It reads
 * the central directory with positional reads (ZIP64 included, since big ecosystems pass 65,535
 * entries), then each entry on demand: stored or deflated, inflated size capped, CRC-32 checked.
 * Nothing is streamed; an entry is read whole into memory.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { promisify } from 'node:util';
import { crc32, inflateRaw, inflateRawSync } from 'node:zlib';
import { centralDirectoryEntries, refuseOverlappingEntries, type ZipEntry as ArchiveZipEntry } from '../../core/archive/zip-reader.ts';
import { VulnDbError } from './vulndb-error.ts';

export interface ZipEntry {
  readonly name: string;
  readonly size: number;
  /** The entry's bytes; throws `ZIP_ENTRY_INVALID` for a damaged, encrypted or oversized entry. Call before the iteration moves on. */
  read(options?: { readonly signal?: AbortSignal }): Promise<Buffer>;
}

export interface ZipOptions {
  readonly signal?: AbortSignal;
  /** Largest inflated entry accepted (default 16 MiB). */
  readonly maxEntrySize?: number;
}

type CentralEntry = ArchiveZipEntry;

const DEFAULT_MAX_ENTRY = 16 * 1024 * 1024;
const MAX_CENTRAL_DIRECTORY = 256 * 1024 * 1024;
const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const LOCAL_HEADER = 0x04034b50;
const inflate = promisify(inflateRaw);
const SYNC_INFLATE_LIMIT = 64 * 1024;
const LOCAL_EXTRA_GUESS = 64;

/** Every file entry of the zip at `path` (directories left out), in central directory order. */
export async function* readZipEntries(path: string, options: ZipOptions = {}): AsyncGenerator<ZipEntry> {
  options.signal?.throwIfAborted();
  const max = options.maxEntrySize ?? DEFAULT_MAX_ENTRY;
  const file = await open(path, 'r').catch((error: unknown) => {
    throw new VulnDbError('SOURCE_UNREADABLE', `cannot open ${path}`, { cause: error });
  });
  try {
    const { size } = await file.stat();
    const { directory, count } = await readCentralDirectory(file, size, path);
    for (const entry of centralEntries(directory, count, path)) {
      options.signal?.throwIfAborted();
      if (entry.isDirectory) continue;
      yield { name: entry.name, size: entry.uncompressedSize, read: (readOptions = {}) => readEntry(file, entry, max, readOptions.signal) };
    }
  } finally {
    await file.close();
  }
}

async function readAt(file: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  const { bytesRead } = await file.read(buffer, 0, length, position);
  if (bytesRead !== length) throw new VulnDbError('ZIP_INVALID', `unexpected end of file at byte ${position + bytesRead}`);
  return buffer;
}

async function readCentralDirectory(file: FileHandle, size: number, path: string): Promise<{ directory: Buffer; count: number }> {
  const tailLength = Math.min(size, 22 + 0xffff);
  const tail = await readAt(file, size - tailLength, tailLength);
  let at = -1;
  for (let i = tailLength - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === EOCD && i + 22 + tail.readUInt16LE(i + 20) <= tailLength) {
      at = i;
      break;
    }
  }
  if (at < 0) throw new VulnDbError('ZIP_INVALID', `${path} is not a zip file (no end of central directory record)`);
  let count = tail.readUInt16LE(at + 10);
  let length = tail.readUInt32LE(at + 12);
  let offset = tail.readUInt32LE(at + 16);
  if (tail.readUInt16LE(at + 4) !== 0 || tail.readUInt16LE(at + 6) !== 0) throw new VulnDbError('ZIP_INVALID', `${path} spans several disks`);
  if (count === 0xffff || length === 0xffffffff || offset === 0xffffffff) {
    ({ count, length, offset } = await readZip64End(file, size - tailLength + at, path));
  }
  if (length > MAX_CENTRAL_DIRECTORY || offset + length > size) {
    throw new VulnDbError('ZIP_INVALID', `${path}: the central directory (${length} bytes at ${offset}) is out of bounds`);
  }
  return { directory: await readAt(file, offset, length), count };
}

async function readZip64End(file: FileHandle, eocdPosition: number, path: string): Promise<{ count: number; length: number; offset: number }> {
  if (eocdPosition < 20) throw new VulnDbError('ZIP_INVALID', `${path}: ZIP64 locator missing`);
  const locator = await readAt(file, eocdPosition - 20, 20);
  if (locator.readUInt32LE(0) !== ZIP64_LOCATOR) throw new VulnDbError('ZIP_INVALID', `${path}: ZIP64 locator missing`);
  const record = await readAt(file, safeNumber(locator.readBigUInt64LE(8), path), 56);
  if (record.readUInt32LE(0) !== ZIP64_EOCD) throw new VulnDbError('ZIP_INVALID', `${path}: ZIP64 end of central directory missing`);
  return {
    count: safeNumber(record.readBigUInt64LE(32), path),
    length: safeNumber(record.readBigUInt64LE(40), path),
    offset: safeNumber(record.readBigUInt64LE(48), path),
  };
}

function safeNumber(value: bigint, path: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new VulnDbError('ZIP_INVALID', `${path}: a ZIP64 size or offset is out of range`);
  return Number(value);
}

/** The central directory's entries, parsed by the archive module's one zip parser; entries over each other's data are refused. */
function centralEntries(directory: Buffer, count: number, path: string): CentralEntry[] {
  try {
    const entries = centralDirectoryEntries(directory, count);
    refuseOverlappingEntries(entries);
    return entries;
  } catch (error) {
    throw new VulnDbError('ZIP_INVALID', `${path}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

async function readEntry(file: FileHandle, entry: CentralEntry, max: number, signal: AbortSignal | undefined): Promise<Buffer> {
  signal?.throwIfAborted();
  const fail = (reason: string, cause?: unknown): never => {
    throw new VulnDbError('ZIP_ENTRY_INVALID', `zip entry ${entry.name}: ${reason}`, cause === undefined ? {} : { cause });
  };
  if ((entry.flags & 1) !== 0) fail('encrypted entries are not supported');
  if (entry.uncompressedSize > max || entry.compressedSize > max) fail(`larger than the ${max}-byte limit`);
  if (entry.method !== 0 && entry.method !== 8) fail(`compression method ${entry.method} is not supported`);
  const compressed = await readData(file, entry).catch((error: unknown) => fail('data out of bounds', error));
  let data = compressed;
  if (entry.method === 8) {
    // Small entries (the usual OSV record) inflate faster in line than through the thread pool.
    const inflated = compressed.length < SYNC_INFLATE_LIMIT ? Promise.resolve().then(() => inflateRawSync(compressed, { maxOutputLength: max })) : inflate(compressed, { maxOutputLength: max });
    data = await inflated.catch((error: unknown) => fail('cannot inflate', error));
  }
  if (data.length !== entry.uncompressedSize) fail(`inflated to ${data.length} bytes, the directory says ${entry.uncompressedSize}`);
  if (crc32(data) !== entry.crc32) fail('CRC-32 mismatch');
  return data;
}

/** The entry's stored bytes: local header and data in one read when the local extra field fits the guess. */
async function readData(file: FileHandle, entry: CentralEntry): Promise<Buffer> {
  const nameLength = Buffer.byteLength(entry.name, 'utf8');
  const guess = 30 + nameLength + LOCAL_EXTRA_GUESS + entry.compressedSize;
  const buffer = Buffer.alloc(guess);
  const { bytesRead } = await file.read(buffer, 0, guess, entry.localHeaderOffset);
  if (bytesRead < 30 || buffer.readUInt32LE(0) !== LOCAL_HEADER) throw new Error('bad local header');
  const start = 30 + buffer.readUInt16LE(26) + buffer.readUInt16LE(28);
  if (start + entry.compressedSize <= bytesRead) return buffer.subarray(start, start + entry.compressedSize);
  return readAt(file, entry.localHeaderOffset + start, entry.compressedSize);
}
