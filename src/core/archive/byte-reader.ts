import { TarError } from './tar-error.ts';

const EMPTY = Buffer.alloc(0);

/**
 * Pulls byte counts from an async iterable of chunks (a Readable, a decompressor), holding at most
 * one source chunk. Chunks are handed out as views, never copied unless a read spans two chunks.
 */
export class ByteReader {
  readonly #iterator: AsyncIterator<unknown>;
  /** The source chunk being read, from `#at`. */
  #chunk: Buffer = EMPTY;
  #at = 0;
  #ended = false;

  constructor(source: AsyncIterable<unknown>) {
    this.#iterator = source[Symbol.asyncIterator]();
  }

  /** Between 1 and `max` bytes, or undefined once the source has ended. */
  async chunk(max: number): Promise<Buffer | undefined> {
    if (this.#at === this.#chunk.byteLength && !(await this.#fill())) return undefined;
    const end = Math.min(this.#chunk.byteLength, this.#at + max);
    const out = this.#chunk.subarray(this.#at, end);
    this.#at = end;
    return out;
  }

  /**
   * Exactly `length` bytes when the chunk in hand holds them, without waiting; undefined otherwise
   * (then `exactly`). A tar walk reads most headers this way: no promise per header.
   */
  take(length: number): Buffer | undefined {
    if (this.#chunk.byteLength - this.#at < length) return undefined;
    const out = this.#chunk.subarray(this.#at, this.#at + length);
    this.#at += length;
    return out;
  }

  /** Discards up to `length` bytes of the chunk in hand, without waiting; returns how many. */
  drop(length: number): number {
    const dropped = Math.min(length, this.#chunk.byteLength - this.#at);
    this.#at += dropped;
    return dropped;
  }

  /** Exactly `length` bytes, or fewer when the source ends first. */
  async exactly(length: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    let got = 0;
    while (got < length) {
      const part = await this.chunk(length - got);
      if (part === undefined) break;
      parts.push(part);
      got += part.byteLength;
    }
    return parts.length === 1 ? (parts[0] ?? EMPTY) : Buffer.concat(parts, got);
  }

  /** Discards `length` bytes; returns how many there were (fewer when the source ends first). */
  async skip(length: number): Promise<number> {
    let skipped = this.drop(length);
    while (skipped < length) {
      const part = await this.chunk(length - skipped);
      if (part === undefined) break;
      skipped += part.byteLength;
    }
    return skipped;
  }

  /** Releases the source (a Readable is destroyed). */
  async close(): Promise<void> {
    this.#chunk = EMPTY;
    this.#at = 0;
    if (!this.#ended) {
      this.#ended = true;
      await this.#iterator.return?.();
    }
  }

  async #fill(): Promise<boolean> {
    while (!this.#ended) {
      const next = await this.#iterator.next();
      if (next.done === true) {
        this.#ended = true;
        return false;
      }
      const bytes = asBuffer(next.value);
      if (bytes.byteLength > 0) {
        this.#chunk = bytes;
        this.#at = 0;
        return true;
      }
    }
    return false;
  }
}

function asBuffer(value: unknown): Buffer {
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  throw new TarError('TAR_INVALID', `the source yielded ${typeof value} instead of bytes`);
}
