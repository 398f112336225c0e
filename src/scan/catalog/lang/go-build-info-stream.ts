/**
 * A Go binary's build information read as the file streams past, so that executables are never
 * kept whole across a walk (an image's executables and shared libraries run to gigabytes) and
 * Go binaries of any size are read.
 *
 * An ELF body up to `wholeLimit` is held while it passes (one file at a time) and read through its
 * `.go.buildinfo` section, which the pointer format of Go < 1.18 needs. A larger one is searched
 * for the build-info magic at 16-byte-aligned offsets inside its first data segment (from the
 * program headers at its start), as `debug/buildinfo` does without a section table, and the bytes
 * after it are read in the inline format of Go >= 1.18 (a larger binary of an older toolchain is
 * not read, and says so). Only the result is kept: `{ goVersion, modinfo }` as JSON.
 */
import type { BodyExtractor } from '../../model.ts';
import { ELF_MAGIC, firstDataSegment } from './elf-image.ts';
import { BUILD_INFO_MAGIC, buildInfoFormat, MAX_BUILD_INFO_STRING, MAX_CANDIDATES, parseBuildInfoBlob, readGoBuildInfo, type GoBuildInfo } from './go-build-info.ts';

/** Held whole up to this size. */
export const WHOLE_BINARY_LIMIT = 64 * 1024 * 1024;
/** The header, two uvarint lengths and the two strings of the inline format, at most. */
const WINDOW = 32 + 2 * (10 + MAX_BUILD_INFO_STRING);
const ALIGN = 16;
/** Bytes held from the start of a large binary for its program headers (they follow the 64-byte ELF header). */
const PROGRAM_HEADERS = 4096;
const EMPTY = Buffer.alloc(0);

export class GoBuildInfoExtractor implements BodyExtractor {
  readonly #size: number;
  readonly #wholeLimit: number;
  readonly #head = Buffer.alloc(ELF_MAGIC.length);
  #headBytes = 0;
  #notElf = false;
  #whole: Buffer | undefined;
  #wholeBytes = 0;
  /** The start of a large binary, for its program headers; the search begins once it is full. */
  #start: Buffer[] = [];
  #startBytes = 0;
  #search: MagicSearch | undefined;

  constructor(size: number, wholeLimit = WHOLE_BINARY_LIMIT) {
    this.#size = size;
    this.#wholeLimit = wholeLimit;
  }

  push(chunk: Buffer): void {
    if (this.#notElf) return;
    let rest = chunk;
    if (this.#headBytes < ELF_MAGIC.length) {
      const taken = chunk.copy(this.#head, this.#headBytes, 0, ELF_MAGIC.length - this.#headBytes);
      this.#headBytes += taken;
      rest = chunk.subarray(taken);
      if (this.#headBytes < ELF_MAGIC.length) return;
      if (!this.#head.equals(ELF_MAGIC)) {
        this.#notElf = true;
        return;
      }
      this.#feed(this.#head);
    }
    this.#feed(rest);
  }

  end(warn: (reason: string) => void): Buffer | undefined {
    if (this.#notElf || this.#headBytes < ELF_MAGIC.length) return undefined;
    if (this.#size > this.#wholeLimit) this.#startSearch();
    const info = this.#whole === undefined ? this.#search?.end() : readGoBuildInfo(this.#whole.subarray(0, this.#wholeBytes));
    if (info === undefined && this.#search?.olderFormat === true) {
      warn(`a Go binary of a toolchain before 1.18 over ${this.#wholeLimit} bytes: its build info (pointer format) is not read`);
    } else if (info === undefined && this.#search?.exhausted === true) {
      warn(`no Go build info after ${MAX_CANDIDATES} false candidates; the search stopped`);
    }
    return info === undefined ? undefined : Buffer.from(JSON.stringify(info));
  }

  #feed(bytes: Buffer): void {
    if (this.#size <= this.#wholeLimit) {
      // Every byte up to `#wholeBytes` is written before it is read.
      this.#whole ??= Buffer.allocUnsafe(this.#size);
      this.#wholeBytes += bytes.copy(this.#whole, this.#wholeBytes);
    } else if (this.#search !== undefined) {
      this.#search.push(bytes);
    } else {
      this.#start.push(Buffer.from(bytes));
      this.#startBytes += bytes.byteLength;
      if (this.#startBytes >= PROGRAM_HEADERS) this.#startSearch();
    }
  }

  /** The search, limited to the first data segment when the program headers name one (as `debug/buildinfo` does). */
  #startSearch(): void {
    if (this.#search !== undefined) return;
    const start = Buffer.concat(this.#start);
    this.#start = [];
    this.#search = new MagicSearch(firstDataSegment(start.subarray(0, PROGRAM_HEADERS)));
    this.#search.push(start);
  }
}

/** What `GoBuildInfoExtractor` kept, read back; undefined when it is not that. */
export function keptBuildInfo(kept: Buffer): GoBuildInfo | undefined {
  try {
    const value = JSON.parse(kept.toString('utf8')) as Partial<GoBuildInfo>;
    return typeof value.goVersion === 'string' && typeof value.modinfo === 'string' ? { goVersion: value.goVersion, modinfo: value.modinfo } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The streaming search: a 16-byte-aligned occurrence of the magic (it may span two chunks) opens a
 * window of the bytes after it. A window that does not parse was a false candidate: the search goes
 * on inside it, then in what follows; after MAX_CANDIDATES false ones (a hostile file) it gives up.
 */
class MagicSearch {
  /** Where a candidate may start (the file's first data segment); anywhere when undefined. */
  readonly #within: { readonly start: number; readonly end: number } | undefined;
  /** Absolute offset of the next byte pushed. */
  #offset = 0;
  /** The last bytes before `#offset` while no window is open, for a magic that spans two chunks. */
  #tail: Buffer = EMPTY;
  #window: Buffer | undefined;
  /** Absolute offset of the window's first byte, and how many it holds. */
  #windowStart = 0;
  #windowBytes = 0;
  #candidates = 0;
  #done = false;
  #found: GoBuildInfo | undefined;
  /** A candidate had the header of the pointer format (Go < 1.18), which needs the whole binary. */
  olderFormat = false;
  /** MAX_CANDIDATES false candidates: the search gave up. */
  exhausted = false;

  constructor(within?: { readonly start: number; readonly end: number }) {
    this.#within = within;
  }

  push(chunk: Buffer): void {
    let rest = chunk;
    while (rest.byteLength > 0 && !this.#done) {
      if (this.#window !== undefined) {
        const taken = rest.copy(this.#window, this.#windowBytes);
        this.#windowBytes += taken;
        this.#offset += taken;
        rest = rest.subarray(taken);
        if (this.#windowBytes === WINDOW) this.#settle(false);
        continue;
      }
      if (this.#within !== undefined && this.#offset - this.#tail.byteLength >= this.#within.end) {
        // Past the data segment: no candidate can start in what is left (nor in the tail kept for a seam).
        this.#done = true;
        return;
      }
      const start = this.#candidate(rest);
      if (start === undefined) {
        this.#offset += rest.byteLength;
        const keep = BUILD_INFO_MAGIC.length - 1;
        this.#tail = rest.byteLength >= keep ? Buffer.from(rest.subarray(-keep)) : Buffer.concat([this.#tail, rest]).subarray(-keep);
        return;
      }
      // The window opens at the magic; one that began before this chunk brings its first bytes from the tail.
      this.#window ??= Buffer.alloc(WINDOW);
      this.#windowStart = this.#offset + start;
      this.#windowBytes = start < 0 ? this.#tail.copy(this.#window, 0, this.#tail.byteLength + start) : 0;
      this.#tail = EMPTY;
      const from = Math.max(0, start);
      this.#offset += from;
      rest = rest.subarray(from);
    }
  }

  end(): GoBuildInfo | undefined {
    if (this.#window !== undefined) this.#settle(true);
    return this.#found;
  }

  /** Where in `chunk` an aligned magic starts (negative: that many bytes before it, in the tail). */
  #candidate(chunk: Buffer): number | undefined {
    const seam = Buffer.concat([this.#tail, chunk.subarray(0, BUILD_INFO_MAGIC.length - 1)]);
    const before = this.#tail.byteLength;
    const search = (bytes: Buffer, base: number, limit: number): number | undefined => {
      for (let at = bytes.indexOf(BUILD_INFO_MAGIC); at >= 0 && at < limit; at = bytes.indexOf(BUILD_INFO_MAGIC, at + 1)) {
        if (this.#eligible(this.#offset + base + at)) return base + at;
      }
      return undefined;
    };
    return search(seam, -before, before) ?? search(chunk, 0, chunk.byteLength);
  }

  /** Parses the window (full, or all there is at the end); on a false candidate moves to the next one inside it. */
  #settle(final: boolean): void {
    for (;;) {
      const window = (this.#window ?? EMPTY).subarray(0, this.#windowBytes);
      this.#found = parseBuildInfoBlob(window);
      if (this.#found === undefined && buildInfoFormat(window) === 'pointer') this.olderFormat = true;
      if (this.#found !== undefined || ++this.#candidates >= MAX_CANDIDATES) {
        this.exhausted = this.#found === undefined;
        this.#done = true;
        this.#window = undefined;
        return;
      }
      const next = this.#nextInside(window);
      if (next === undefined) {
        this.#window = undefined;
        this.#tail = Buffer.from(window.subarray(-(BUILD_INFO_MAGIC.length - 1)));
        return;
      }
      window.copy(window, 0, next);
      this.#windowStart += next;
      this.#windowBytes -= next;
      if (!final) return;
    }
  }

  #eligible(offset: number): boolean {
    return offset % ALIGN === 0 && (this.#within === undefined || (offset >= this.#within.start && offset < this.#within.end));
  }

  /** The next aligned magic in the window after its first byte. */
  #nextInside(window: Buffer): number | undefined {
    for (let at = window.indexOf(BUILD_INFO_MAGIC, 1); at >= 0; at = window.indexOf(BUILD_INFO_MAGIC, at + 1)) {
      if (this.#eligible(this.#windowStart + at)) return at;
    }
    return undefined;
  }
}
