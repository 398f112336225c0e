import { ByteReader } from './byte-reader.ts';
import { TarError } from './tar-error.ts';
import { BLOCK_SIZE, cString, isZeroBlock, parsePaxRecords, parseTarHeader, type RawTarHeader } from './tar-header.ts';

export type TarEntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo' | 'other';

export interface TarEntry {
  /** The member name as stored (PAX `path` > GNU `L` > ustar prefix + name); not normalised. */
  readonly path: string;
  readonly type: TarEntryType;
  /** Permission bits (`& 0o7777`). */
  readonly mode: number;
  /** Bytes in `body`; 0 for header-only types (links, directories, devices, FIFOs). */
  readonly size: number;
  /** Symlink target or hardlink source (PAX `linkpath` > GNU `K` > header). */
  readonly linkname: string;
  /** Modification time, seconds since the epoch. */
  readonly mtime: number;
  /**
   * The content, streamed straight from the archive. Read it before asking for the next entry;
   * whatever is left unread then is skipped, and reading it later fails with `TAR_BODY_STALE`.
   */
  readonly body: AsyncIterable<Buffer>;
}

/** Upper bound for one GNU long name / PAX header body, which is held in memory. */
export const MAX_EXTENDED_HEADER_BYTES = 1024 * 1024;

const TYPES: Readonly<Record<string, TarEntryType>> = {
  '0': 'file', '\0': 'file', '7': 'file', '1': 'hardlink', '2': 'symlink', '3': 'char', '4': 'block', '5': 'dir', '6': 'fifo', D: 'dir',
};
const HEADER_ONLY = new Set(['1', '2', '3', '4', '5', '6']);
const EXTENDED = new Set(['L', 'K', 'x', 'g']);

interface ReadState {
  readonly global: Map<string, string>;
  longName?: string | undefined;
  longLink?: string | undefined;
  pax?: ReadonlyMap<string, string> | undefined;
  previous: string | undefined;
}

/**
 * Reads a tar stream entry by entry (ustar, GNU long names, PAX). Nothing is buffered beyond one
 * source chunk and one header; a body is streamed to whoever iterates it. Ends at the end-of-archive
 * block or at the end of the source on a header boundary; stopping early releases the source.
 */
export async function* readTar(source: AsyncIterable<unknown>, options: { signal?: AbortSignal } = {}): AsyncGenerator<TarEntry, void, undefined> {
  const reader = new ByteReader(source);
  const state: ReadState = { global: new Map(), previous: undefined };
  try {
    for (;;) {
      const header = await nextHeader(reader, state, options.signal);
      if (header === undefined) return;
      const entry = resolveEntry(header, state);
      const cursor = bodyCursor(reader, entry.path, entry.size, options.signal);
      yield { ...entry, body: cursor.body };
      const finishing = cursor.finish();
      if (finishing !== undefined) await finishing;
      state.previous = entry.path;
    }
  } finally {
    await reader.close();
  }
}

async function nextHeader(reader: ByteReader, state: ReadState, signal: AbortSignal | undefined): Promise<RawTarHeader | undefined> {
  for (;;) {
    signal?.throwIfAborted();
    const block = reader.take(BLOCK_SIZE) ?? (await reader.exactly(BLOCK_SIZE));
    const pending = state.longName !== undefined || state.longLink !== undefined || state.pax !== undefined;
    if ((block.byteLength === 0 && pending) || (block.byteLength > 0 && block.byteLength < BLOCK_SIZE)) {
      throw new TarError('TAR_TRUNCATED', `the archive ends inside the header after ${describe(state.previous)}`);
    }
    if (block.byteLength === 0 || isZeroBlock(block)) return undefined;
    const header = parseTarHeader(block);
    if (!EXTENDED.has(header.typeflag)) return header;
    await readExtended(reader, header, state);
  }
}

async function readExtended(reader: ByteReader, header: RawTarHeader, state: ReadState): Promise<void> {
  const entry = `${header.name} (${header.typeflag} header)`;
  if (header.size > MAX_EXTENDED_HEADER_BYTES) {
    throw new TarError('TAR_INVALID', `extended header of ${header.size} bytes exceeds ${MAX_EXTENDED_HEADER_BYTES}`, { entry });
  }
  const data = await reader.exactly(header.size);
  const padding = padOf(header.size);
  if (data.byteLength < header.size || (await reader.skip(padding)) < padding) {
    throw new TarError('TAR_TRUNCATED', 'the archive ends inside an extended header', { entry });
  }
  switch (header.typeflag) {
    case 'L': state.longName = cString(data); break;
    case 'K': state.longLink = cString(data); break;
    case 'x': state.pax = parsePaxRecords(data, entry); break;
    default:
      for (const [key, value] of parsePaxRecords(data, entry)) {
        if (value === '') state.global.delete(key);
        else state.global.set(key, value);
      }
  }
}

function resolveEntry(header: RawTarHeader, state: ReadState): Omit<TarEntry, 'body'> {
  const record = (key: string): string | undefined => nonEmpty(state.pax?.get(key)) ?? nonEmpty(state.global.get(key));
  const path = record('path') ?? state.longName ?? header.name;
  const linkname = record('linkpath') ?? state.longLink ?? header.linkname;
  const size = paxSize(record('size'), path) ?? header.size;
  state.longName = undefined;
  state.longLink = undefined;
  state.pax = undefined;
  const legacyDir = (header.typeflag === '0' || header.typeflag === '\0') && path.endsWith('/');
  const type = legacyDir ? 'dir' : (TYPES[header.typeflag] ?? 'other');
  const headerOnly = legacyDir || HEADER_ONLY.has(header.typeflag);
  return { path, type, mode: header.mode, size: headerOnly ? 0 : size, linkname, mtime: header.mtime };
}

function bodyCursor(reader: ByteReader, entry: string, size: number, signal: AbortSignal | undefined) {
  let remaining = size;
  let stale = false;
  const truncated = () => new TarError('TAR_TRUNCATED', `the archive ends ${size - remaining} bytes into a ${size}-byte body`, { entry });
  const body: AsyncIterable<Buffer> = {
    async *[Symbol.asyncIterator]() {
      if (stale) throw new TarError('TAR_BODY_STALE', 'the body was read after the reader moved to the next entry', { entry });
      while (remaining > 0) {
        signal?.throwIfAborted();
        const chunk = await reader.chunk(remaining);
        if (chunk === undefined) throw truncated();
        remaining -= chunk.byteLength;
        yield chunk;
      }
    },
  };
  // Skips what is left of the body and its padding: at once when the chunk in hand holds it (the
  // usual case for a small file), else a promise.
  const finish = (): Promise<void> | undefined => {
    stale = true;
    const left = remaining + padOf(size);
    const dropped = reader.drop(left);
    remaining = Math.max(0, remaining - dropped);
    if (dropped === left) return undefined;
    return (async () => {
      const skipped = await reader.skip(left - dropped);
      remaining = Math.max(0, remaining - skipped);
      if (skipped < left - dropped) throw truncated();
    })();
  };
  return { body, finish };
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

function padOf(size: number): number {
  return (BLOCK_SIZE - (size % BLOCK_SIZE)) % BLOCK_SIZE;
}

function describe(previous: string | undefined): string {
  return previous === undefined ? 'the start of the archive' : `entry ${JSON.stringify(previous)}`;
}
