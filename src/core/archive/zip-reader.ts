/**
 * Reads zip archives (jar, war, ear, wheel) held in memory: the central directory (ZIP64 too),
 * stored and deflated entries. Every read is bounded — entry count, declared and actual inflated
 * size — so a zip bomb costs at most the cap, and a malformed archive throws a `ZipError`.
 */
import { crc32, inflateRawSync } from 'node:zlib';

export type ZipErrorCode =
  /** No end-of-central-directory record: not a zip archive. */
  | 'ZIP_NO_DIRECTORY'
  /** Offsets, sizes or signatures that do not fit the archive, or a CRC that does not match. */
  | 'ZIP_INVALID'
  /** Multi-disk archives, encryption, or a compression method other than stored/deflate. */
  | 'ZIP_UNSUPPORTED'
  /** More entries or more inflated bytes than the caller allows. */
  | 'ZIP_TOO_LARGE';

/** The zip reader's error class (tar has `TarError`); codes are `ZIP_`-prefixed like its `TAR_` ones. */
export class ZipError extends Error {
  readonly code: ZipErrorCode;

  constructor(code: ZipErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ZipError';
    this.code = code;
  }
}

export interface ZipEntry {
  /** The entry name as stored (`/`-separated; directories end with `/`). */
  readonly name: string;
  readonly method: number;
  readonly flags: number;
  readonly crc32: number;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
  readonly localHeaderOffset: number;
  readonly isDirectory: boolean;
}

export interface ZipArchive {
  /** Central directory order. */
  readonly entries: readonly ZipEntry[];
  /** The last entry of that name (what unzip tools extract), or undefined. */
  find(name: string): ZipEntry | undefined;
  /** The entry's content; `maxSize` (default 64 MiB) caps the inflated size. */
  read(entry: ZipEntry, options?: { readonly maxSize?: number }): Buffer;
}

export interface OpenZipOptions {
  /** Refuse archives with more entries (default 65 536). */
  readonly maxEntries?: number;
}

const EOCD_SIGNATURE = 0x06054b50;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const ZIP64_EOCD_SIGNATURE = 0x06064b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const EOCD_SIZE = 22;
const CENTRAL_SIZE = 46;
const LOCAL_SIZE = 30;
const STORED = 0;
const DEFLATE = 8;
const DEFAULT_MAX_SIZE = 64 * 1024 * 1024;
const DEFAULT_MAX_ENTRIES = 65_536;

interface Directory {
  readonly count: number;
  readonly size: number;
  readonly offset: number;
  /** Where the central directory must end: the ZIP64 record or the EOCD record. */
  readonly end: number;
}

/** Parses the central directory of `zip`; throws `ZipError`. */
export function openZip(zip: Buffer, options: OpenZipOptions = {}): ZipArchive {
  const directory = readDirectory(zip);
  const maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
  if (directory.count > maxEntries) throw new ZipError('ZIP_TOO_LARGE', `the archive has ${directory.count} entries, more than ${maxEntries}`);
  const start = directory.end - directory.size;
  const base = start - directory.offset;
  if (start < 0 || base < 0) throw new ZipError('ZIP_INVALID', 'the central directory lies outside the archive');
  const entries = readEntries(zip, start, directory.end, directory.count, base);
  refuseOverlaps(zip, entries);
  const byName = new Map(entries.map((entry) => [entry.name, entry]));
  return {
    entries,
    find: (name) => byName.get(name),
    read: (entry, readOptions = {}) => readEntry(zip, entry, readOptions.maxSize ?? DEFAULT_MAX_SIZE),
  };
}

function findEocd(zip: Buffer): number {
  const earliest = Math.max(0, zip.length - EOCD_SIZE - 0xffff);
  for (let at = zip.length - EOCD_SIZE; at >= earliest; at--) {
    if (zip.readUInt32LE(at) === EOCD_SIGNATURE && at + EOCD_SIZE + zip.readUInt16LE(at + 20) <= zip.length) return at;
  }
  throw new ZipError('ZIP_NO_DIRECTORY', 'no end of central directory record');
}

function readDirectory(zip: Buffer): Directory {
  const eocd = findEocd(zip);
  if (zip.readUInt16LE(eocd + 4) !== 0 || zip.readUInt16LE(eocd + 6) !== 0) throw new ZipError('ZIP_UNSUPPORTED', 'multi-disk archives are not supported');
  const count = zip.readUInt16LE(eocd + 10);
  const size = zip.readUInt32LE(eocd + 12);
  const offset = zip.readUInt32LE(eocd + 16);
  if (count !== 0xffff && size !== 0xffffffff && offset !== 0xffffffff) return { count, size, offset, end: eocd };
  return readZip64Directory(zip, eocd);
}

function readZip64Directory(zip: Buffer, eocd: number): Directory {
  const locator = eocd - 20;
  if (locator < 0 || zip.readUInt32LE(locator) !== ZIP64_LOCATOR_SIGNATURE) throw new ZipError('ZIP_INVALID', 'ZIP64 fields without a ZIP64 locator');
  const record = safeNumber(zip.readBigUInt64LE(locator + 8));
  // A prefix (a launcher script) shifts the record; it then sits right before the locator.
  const at = record + 56 <= locator && zip.readUInt32LE(record) === ZIP64_EOCD_SIGNATURE ? record : locator - 56;
  if (at < 0 || zip.readUInt32LE(at) !== ZIP64_EOCD_SIGNATURE) throw new ZipError('ZIP_INVALID', 'no ZIP64 end of central directory record');
  return {
    count: safeNumber(zip.readBigUInt64LE(at + 32)),
    size: safeNumber(zip.readBigUInt64LE(at + 40)),
    offset: safeNumber(zip.readBigUInt64LE(at + 48)),
    end: at,
  };
}

/**
 * The `count` entries of a central directory read on its own (a file-backed reader reads just
 * the directory with positional reads, then each entry's data on demand).
 */
export function centralDirectoryEntries(directory: Buffer, count: number): ZipEntry[] {
  return readEntries(directory, 0, directory.length, count, 0);
}

function readEntries(zip: Buffer, start: number, end: number, count: number, base: number): ZipEntry[] {
  const entries: ZipEntry[] = [];
  let at = start;
  for (let index = 0; index < count; index++) {
    if (at + CENTRAL_SIZE > end || zip.readUInt32LE(at) !== CENTRAL_SIGNATURE) throw new ZipError('ZIP_INVALID', `central directory entry ${index} is damaged`);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const next = at + CENTRAL_SIZE + nameLength + extraLength + zip.readUInt16LE(at + 32);
    if (next > end) throw new ZipError('ZIP_INVALID', `central directory entry ${index} runs past the directory`);
    entries.push(centralEntry(zip, at, base));
    at = next;
  }
  return entries;
}

function centralEntry(zip: Buffer, at: number, base: number): ZipEntry {
  const flags = zip.readUInt16LE(at + 8);
  const nameStart = at + CENTRAL_SIZE;
  const nameEnd = nameStart + zip.readUInt16LE(at + 28);
  const name = zip.toString((flags & 0x800) === 0 ? 'latin1' : 'utf8', nameStart, nameEnd);
  const extra = zip.subarray(nameEnd, nameEnd + zip.readUInt16LE(at + 30));
  const sizes = zip64Sizes(extra, zip.readUInt32LE(at + 24), zip.readUInt32LE(at + 20), zip.readUInt32LE(at + 42));
  return {
    name,
    method: zip.readUInt16LE(at + 10),
    flags,
    crc32: zip.readUInt32LE(at + 16),
    compressedSize: sizes.compressed,
    uncompressedSize: sizes.uncompressed,
    localHeaderOffset: sizes.offset + base,
    isDirectory: name.endsWith('/'),
  };
}

/** Replaces 0xffffffff header fields with the values of the ZIP64 extra field (id 1), in its order. */
function zip64Sizes(extra: Buffer, uncompressed: number, compressed: number, offset: number): { uncompressed: number; compressed: number; offset: number } {
  const values = [uncompressed, compressed, offset];
  for (let at = 0; at + 4 <= extra.length; ) {
    const id = extra.readUInt16LE(at);
    const length = extra.readUInt16LE(at + 2);
    if (id === 1) {
      let field = at + 4;
      for (let index = 0; index < values.length; index++) {
        if (values[index] !== 0xffffffff) continue;
        if (field + 8 > at + 4 + length || field + 8 > extra.length) throw new ZipError('ZIP_INVALID', 'ZIP64 extra field is too short');
        values[index] = safeNumber(extra.readBigUInt64LE(field));
        field += 8;
      }
    }
    at += 4 + length;
  }
  const [u = 0, c = 0, o = 0] = values;
  return { uncompressed: u, compressed: c, offset: o };
}

function readEntry(zip: Buffer, entry: ZipEntry, maxSize: number): Buffer {
  if ((entry.flags & 0x1) !== 0) throw new ZipError('ZIP_UNSUPPORTED', `${entry.name}: encrypted entries are not supported`);
  if (entry.uncompressedSize > maxSize) throw new ZipError('ZIP_TOO_LARGE', `${entry.name}: ${entry.uncompressedSize} bytes exceed the limit of ${maxSize}`);
  const data = entryData(zip, entry);
  const content = inflate(entry, data, maxSize);
  if (content.length !== entry.uncompressedSize) throw new ZipError('ZIP_INVALID', `${entry.name}: size ${content.length}, the directory says ${entry.uncompressedSize}`);
  if (crc32(content) !== entry.crc32) throw new ZipError('ZIP_INVALID', `${entry.name}: CRC mismatch`);
  return content;
}

/** The local header's length of an entry held in memory (undefined: none there; reading it fails later). */
function refuseOverlaps(zip: Buffer, entries: readonly ZipEntry[]): void {
  refuseOverlappingEntries(entries, (entry) => {
    const at = entry.localHeaderOffset;
    if (at + LOCAL_SIZE > zip.length || zip.readUInt32LE(at) !== LOCAL_SIGNATURE) return undefined;
    return LOCAL_SIZE + zip.readUInt16LE(at + 26) + zip.readUInt16LE(at + 28);
  });
}

/**
 * Entries whose data overlap (several directory entries over one stream of deflate data) are how a
 * small zip inflates to gigabytes one entry at a time; no archive tool writes them. `headerLength`
 * gives an entry's local header length; without the local headers at hand, their fixed part only
 * (never more than the truth, so a valid archive is never refused; a bomb's overlaps are far larger).
 */
export function refuseOverlappingEntries(entries: readonly ZipEntry[], headerLength: (entry: ZipEntry) => number | undefined = () => LOCAL_SIZE): void {
  const spans = entries.flatMap((entry) => {
    const header = headerLength(entry);
    return header === undefined ? [] : [{ entry, start: entry.localHeaderOffset, end: entry.localHeaderOffset + header + entry.compressedSize }];
  });
  spans.sort((a, b) => a.start - b.start);
  for (let i = 1; i < spans.length; i += 1) {
    const [before, after] = [spans[i - 1], spans[i]];
    if (before !== undefined && after !== undefined && after.start < before.end) {
      throw new ZipError('ZIP_INVALID', `entries ${JSON.stringify(before.entry.name)} and ${JSON.stringify(after.entry.name)} overlap`);
    }
  }
}

function entryData(zip: Buffer, entry: ZipEntry): Buffer {
  const at = entry.localHeaderOffset;
  if (at + LOCAL_SIZE > zip.length || zip.readUInt32LE(at) !== LOCAL_SIGNATURE) throw new ZipError('ZIP_INVALID', `${entry.name}: no local header at ${at}`);
  const start = at + LOCAL_SIZE + zip.readUInt16LE(at + 26) + zip.readUInt16LE(at + 28);
  if (start + entry.compressedSize > zip.length) throw new ZipError('ZIP_INVALID', `${entry.name}: data runs past the archive`);
  return zip.subarray(start, start + entry.compressedSize);
}

function inflate(entry: ZipEntry, data: Buffer, maxSize: number): Buffer {
  switch (entry.method) {
    case STORED:
      return data;
    case DEFLATE:
      try {
        // One byte past the declared size is enough to tell a lying header; never past the cap.
        return inflateRawSync(data, { maxOutputLength: Math.max(1, Math.min(maxSize, entry.uncompressedSize + 1)) });
      } catch (error) {
        if ((error as { code?: unknown }).code !== 'ERR_BUFFER_TOO_LARGE') throw new ZipError('ZIP_INVALID', `${entry.name}: bad deflate data`, { cause: error });
        if (entry.uncompressedSize < maxSize) throw new ZipError('ZIP_INVALID', `${entry.name}: inflates past its declared size of ${entry.uncompressedSize}`, { cause: error });
        throw new ZipError('ZIP_TOO_LARGE', `${entry.name}: inflates past the limit of ${maxSize} bytes`, { cause: error });
      }
    default:
      throw new ZipError('ZIP_UNSUPPORTED', `${entry.name}: compression method ${entry.method} is not supported`);
  }
}

function safeNumber(value: bigint): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new ZipError('ZIP_INVALID', `offset or size ${value} is out of range`);
  return Number(value);
}
