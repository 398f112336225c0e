/**
 * Where zstd frames end in a stream of chunks, found from frame and block headers alone (RFC 8878
 * sections 3.1.1 and 3.1.2; block bodies are passed over, never decoded).
 *
 * Why: Node's zstd decompressor (Node 24) stops at the end of a frame when the same write holds more
 * input, and drops it (nodejs/node#64741); a layer of several frames (zstd:chunked, as podman and
 * buildah write them) then reads as truncated. Cut so that no write runs past the end of a frame,
 * the decompressor goes on to the next frame with the next write. A cut in the wrong place costs
 * nothing (the decompressor takes input in any pieces), so input this does not understand is passed
 * on whole, and the decompressor reports it.
 */

const ZSTD_MAGIC = 0xfd2fb528;
const SKIPPABLE_MAGIC = 0x184d2a50;
const SKIPPABLE_MASK = 0xfffffff0;
const DICTIONARY_ID_BYTES = [0, 1, 2, 4] as const;
const CONTENT_SIZE_BYTES = [0, 2, 4, 8] as const;
const EMPTY = Buffer.alloc(0);

type Step = 'magic' | 'skippable-size' | 'descriptor' | 'frame-header' | 'block-header' | 'opaque';

export class ZstdFrameCutter {
  #step: Step = 'magic';
  /** Header bytes the current step reads. */
  #want = 4;
  #header: Buffer = EMPTY;
  /** Body bytes to pass over before the next header. */
  #skip = 0;
  /** The bytes being passed over are the last of a frame. */
  #lastOfFrame = false;
  #checksum = false;

  /** `chunk`, cut after each frame end inside it (views, not copies). */
  cut(chunk: Buffer): Buffer[] {
    const pieces: Buffer[] = [];
    let start = 0;
    let at = 0;
    while (at < chunk.byteLength && this.#step !== 'opaque') {
      if (this.#skip > 0) {
        const passed = Math.min(this.#skip, chunk.byteLength - at);
        at += passed;
        this.#skip -= passed;
      } else {
        const taken = Math.min(this.#want - this.#header.byteLength, chunk.byteLength - at);
        this.#header = this.#header.byteLength === 0 ? chunk.subarray(at, at + taken) : Buffer.concat([this.#header, chunk.subarray(at, at + taken)]);
        at += taken;
        if (this.#header.byteLength < this.#want) break;
        this.#read(this.#header);
        this.#header = EMPTY;
      }
      if (this.#skip === 0 && this.#lastOfFrame) {
        pieces.push(chunk.subarray(start, at));
        start = at;
        this.#lastOfFrame = false;
        this.#expect('magic', 4);
      }
    }
    if (start < chunk.byteLength) pieces.push(start === 0 ? chunk : chunk.subarray(start));
    return pieces;
  }

  #expect(step: Step, want: number): void {
    this.#step = step;
    this.#want = want;
  }

  #read(header: Buffer): void {
    switch (this.#step) {
      case 'magic': {
        const magic = header.readUInt32LE(0);
        if (magic === ZSTD_MAGIC) return this.#expect('descriptor', 1);
        if (((magic & SKIPPABLE_MASK) >>> 0) === SKIPPABLE_MAGIC) return this.#expect('skippable-size', 4);
        return this.#expect('opaque', 0);
      }
      case 'skippable-size':
        this.#skip = header.readUInt32LE(0);
        this.#lastOfFrame = true;
        return;
      case 'descriptor': {
        const descriptor = header[0] ?? 0;
        const singleSegment = (descriptor >> 5) & 1;
        this.#checksum = ((descriptor >> 2) & 1) === 1;
        const contentSizeFlag = descriptor >> 6;
        const rest =
          (singleSegment === 1 ? 0 : 1) +
          (DICTIONARY_ID_BYTES[descriptor & 3] ?? 0) +
          (contentSizeFlag === 0 ? singleSegment : (CONTENT_SIZE_BYTES[contentSizeFlag] ?? 0));
        return rest === 0 ? this.#expect('block-header', 3) : this.#expect('frame-header', rest);
      }
      case 'frame-header':
        return this.#expect('block-header', 3);
      case 'block-header': {
        const value = header.readUIntLE(0, 3);
        const type = (value >> 1) & 3;
        if (type === 3) return this.#expect('opaque', 0);
        // An RLE block's body is the one byte it repeats.
        this.#skip = type === 1 ? 1 : value >> 3;
        if ((value & 1) === 1) {
          this.#skip += this.#checksum ? 4 : 0;
          this.#lastOfFrame = true;
        }
        return this.#expect('block-header', 3);
      }
      case 'opaque':
        return;
    }
  }
}
