import { TarError } from './tar-error.ts';
import { BLOCK_SIZE, cString, isZeroBlock, parsePaxRecords, parseTarHeader, type RawTarHeader } from './tar-header.ts';

export type TarEntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo' | 'other';

export interface TarEntry {
  /** The member name as stored (PAX `path` > GNU `L` > ustar prefix + name); not normalised. */
  readonly path: string;
  readonly type: TarEntryType;
  /** Permission bits (`& 0o7777`). */
  readonly mode: number;
  /** Bytes of body; 0 for header-only types (links, directories, devices, FIFOs). */
  readonly size: number;
  /** Symlink target or hardlink source (PAX `linkpath` > GNU `K` > header). */
  readonly linkname: string;
  /** Modification time, seconds since the epoch. */
  readonly mtime: number;
}

/**
 * Where an entry's body goes: `data` with each piece as it arrives (a view of the chunk pushed:
 * copy what is kept), then `end` once the body is whole.
 */
export interface TarBodySink {
  data(bytes: Buffer): void;
  end(): void;
}

/** Called with each entry's header; returns a sink for its body, or nothing to skip the body. */
export type TarEntryHandler = (entry: TarEntry) => TarBodySink | undefined;

/** Upper bound for one GNU long name / PAX header body, which is held in memory. */
export const MAX_EXTENDED_HEADER_BYTES = 1024 * 1024;

const TYPES: Readonly<Record<string, TarEntryType>> = {
  '0': 'file', '\0': 'file', '7': 'file', '1': 'hardlink', '2': 'symlink', '3': 'char', '4': 'block', '5': 'dir', '6': 'fifo', D: 'dir',
};
const HEADER_ONLY = new Set(['1', '2', '3', '4', '5', '6']);
const EXTENDED = new Set(['L', 'K', 'x', 'g']);

/** What the bytes being read belong to: an entry's body, or an extended header's data. */
type Member = { readonly kind: 'body'; readonly entry: TarEntry; readonly sink: TarBodySink | undefined } | { readonly kind: 'extended'; readonly header: RawTarHeader; readonly parts: Buffer[] };

/**
 * Reads a tar stream (ustar, GNU long names, PAX) as it is pushed, chunk by chunk: each entry's
 * header goes to the handler as soon as it is whole, its body to the sink the handler returns,
 * piece by piece, synchronously. Nothing is buffered beyond one header (or one extended header,
 * at most MAX_EXTENDED_HEADER_BYTES). Entries end at the end-of-archive block (later bytes are
 * ignored: `ended`) or, at `end()`, at the end of the source on a header boundary; anything else
 * cut short is TAR_TRUNCATED, naming the entry.
 *
 * A push parser rather than an async iterator of entries: a layer holds thousands of small
 * entries, and a promise or two for each (header, body, skip) was a good part of a scan's walk.
 */
export class TarParser {
  readonly #onEntry: TarEntryHandler;
  /** A header split across chunks, gathered. */
  readonly #header = Buffer.alloc(BLOCK_SIZE);
  #headerBytes = 0;
  #member: Member | undefined;
  /** Bytes of the member's body (or extended data) still to come, then of its padding. */
  #remaining = 0;
  #padding = 0;
  #ended = false;
  /** The last entry read, for errors in what follows it. */
  #previous: string | undefined;
  readonly #global = new Map<string, string>();
  #longName: string | undefined;
  #longLink: string | undefined;
  #pax: ReadonlyMap<string, string> | undefined;

  constructor(onEntry: TarEntryHandler) {
    this.#onEntry = onEntry;
  }

  /** True once the end-of-archive block has been read. */
  get ended(): boolean {
    return this.#ended;
  }

  /** Reads `chunk`, calling the handler and sinks for what it completes. Ignored after the end-of-archive block. */
  push(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.byteLength && !this.#ended) {
      if (this.#member !== undefined) {
        at = this.#memberBytes(chunk, at);
        continue;
      }
      let block: Buffer;
      if (this.#headerBytes === 0 && chunk.byteLength - at >= BLOCK_SIZE) {
        block = chunk.subarray(at, at + BLOCK_SIZE);
        at += BLOCK_SIZE;
      } else {
        const copied = chunk.copy(this.#header, this.#headerBytes, at, Math.min(chunk.byteLength, at + BLOCK_SIZE - this.#headerBytes));
        this.#headerBytes += copied;
        at += copied;
        if (this.#headerBytes < BLOCK_SIZE) return;
        this.#headerBytes = 0;
        block = this.#header;
      }
      this.#headerBlock(block);
    }
  }

  /** The source has ended: throws TAR_TRUNCATED unless it ended between entries. */
  end(): void {
    if (this.#ended) return;
    const member = this.#member;
    if (member?.kind === 'body') {
      const { entry } = member;
      throw new TarError('TAR_TRUNCATED', `the archive ends ${entry.size - this.#remaining} bytes into a ${entry.size}-byte body`, { entry: entry.path });
    }
    if (member?.kind === 'extended') throw new TarError('TAR_TRUNCATED', 'the archive ends inside an extended header', { entry: describeExtended(member.header) });
    const pending = this.#longName !== undefined || this.#longLink !== undefined || this.#pax !== undefined;
    if (this.#headerBytes > 0 || pending) throw new TarError('TAR_TRUNCATED', `the archive ends inside the header after ${describe(this.#previous)}`);
  }

  #headerBlock(block: Buffer): void {
    if (isZeroBlock(block)) {
      this.#ended = true;
      return;
    }
    const header = parseTarHeader(block);
    if (EXTENDED.has(header.typeflag)) {
      if (header.size > MAX_EXTENDED_HEADER_BYTES) {
        throw new TarError('TAR_INVALID', `extended header of ${header.size} bytes exceeds ${MAX_EXTENDED_HEADER_BYTES}`, { entry: describeExtended(header) });
      }
      this.#begin({ kind: 'extended', header, parts: [] }, header.size);
      return;
    }
    const entry = this.#resolveEntry(header);
    this.#previous = entry.path;
    this.#begin({ kind: 'body', entry, sink: this.#onEntry(entry) }, entry.size);
  }

  #begin(member: Member, size: number): void {
    this.#member = member;
    this.#remaining = size;
    this.#padding = (BLOCK_SIZE - (size % BLOCK_SIZE)) % BLOCK_SIZE;
    if (size > 0) return;
    this.#member = undefined;
    this.#complete(member);
  }

  /** Reads the current member's bytes from `chunk` at `at`; returns where they end. */
  #memberBytes(chunk: Buffer, at: number): number {
    const member = this.#member;
    if (member === undefined) return at;
    if (this.#remaining > 0) {
      const taken = Math.min(this.#remaining, chunk.byteLength - at);
      const bytes = chunk.subarray(at, at + taken);
      this.#remaining -= taken;
      if (member.kind === 'body') member.sink?.data(bytes);
      else member.parts.push(Buffer.from(bytes));
      if (this.#remaining === 0) this.#complete(member);
      if (this.#remaining === 0 && this.#padding === 0) this.#member = undefined;
      return at + taken;
    }
    const skipped = Math.min(this.#padding, chunk.byteLength - at);
    this.#padding -= skipped;
    if (this.#padding === 0) this.#member = undefined;
    return at + skipped;
  }

  #complete(member: Member): void {
    if (member.kind === 'body') {
      member.sink?.end();
      return;
    }
    const { header } = member;
    const data = Buffer.concat(member.parts, header.size);
    const entry = describeExtended(header);
    switch (header.typeflag) {
      case 'L': this.#longName = cString(data); break;
      case 'K': this.#longLink = cString(data); break;
      case 'x': this.#pax = parsePaxRecords(data, entry); break;
      default:
        for (const [key, value] of parsePaxRecords(data, entry)) {
          if (value === '') this.#global.delete(key);
          else this.#global.set(key, value);
        }
    }
  }

  #resolveEntry(header: RawTarHeader): TarEntry {
    const record = (key: string): string | undefined => nonEmpty(this.#pax?.get(key)) ?? nonEmpty(this.#global.get(key));
    const path = record('path') ?? this.#longName ?? header.name;
    const linkname = record('linkpath') ?? this.#longLink ?? header.linkname;
    const size = paxSize(record('size'), path) ?? header.size;
    this.#longName = undefined;
    this.#longLink = undefined;
    this.#pax = undefined;
    const legacyDir = (header.typeflag === '0' || header.typeflag === '\0') && path.endsWith('/');
    const type = legacyDir ? 'dir' : (TYPES[header.typeflag] ?? 'other');
    const headerOnly = legacyDir || HEADER_ONLY.has(header.typeflag);
    return { path, type, mode: header.mode, size: headerOnly ? 0 : size, linkname, mtime: header.mtime };
  }
}

function describeExtended(header: RawTarHeader): string {
  return `${header.name} (${header.typeflag} header)`;
}

function paxSize(value: string | undefined, entry: string): number | undefined {
  if (value === undefined) return undefined;
  const size = Number(value);
  if (!/^[0-9]+$/.test(value) || !Number.isSafeInteger(size)) throw new TarError('TAR_INVALID', `PAX size ${JSON.stringify(value)} is not a byte count`, { entry });
  return size;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === '' ? undefined : value;
}

function describe(previous: string | undefined): string {
  return previous === undefined ? 'the start of the archive' : `entry ${JSON.stringify(previous)}`;
}
