import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { it } from 'node:test';
import { Readable } from 'node:stream';
import { constants, createZstdCompress, zstdCompressSync } from 'node:zlib';
import { ZstdFrameCutter } from './zstd-frames.ts';

function skippable(size: number): Buffer {
  const frame = Buffer.alloc(8 + size, 0x55);
  frame.writeUInt32LE(0x184d2a53, 0);
  frame.writeUInt32LE(size, 4);
  return frame;
}

/** A frame as a streaming compressor writes it: no content size, a window descriptor instead. */
async function streamed(data: Buffer): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of Readable.from([data.subarray(0, 1000), data.subarray(1000)]).pipe(createZstdCompress())) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

it('cuts a stream of zstd frames (raw, RLE and compressed blocks, checksums, skippable frames) where each frame ends, however it is chunked', async () => {
  const frames = [
    await streamed(Buffer.from('streamed '.repeat(20_000))),
    zstdCompressSync(randomBytes(300_000)),
    zstdCompressSync(Buffer.alloc(200_000, 7), { params: { [constants.ZSTD_c_checksumFlag]: 1 } }),
    skippable(0),
    skippable(5),
    zstdCompressSync(Buffer.from('small text, small text, small text')),
    zstdCompressSync(Buffer.alloc(0)),
  ];
  const stream = Buffer.concat(frames);
  const ends = frames.map((_, i) => frames.slice(0, i + 1).reduce((sum, f) => sum + f.byteLength, 0));
  for (const size of [1, 3, 7, 1000, 65_536, stream.byteLength]) {
    const cutter = new ZstdFrameCutter();
    const cuts: number[] = [];
    let offset = 0;
    for (let at = 0; at < stream.byteLength; at += size) {
      for (const piece of cutter.cut(stream.subarray(at, at + size))) cuts.push((offset += piece.byteLength));
    }
    assert.equal(offset, stream.byteLength, `chunks of ${size}: every byte passed on`);
    assert.deepEqual(ends.filter((end) => !cuts.includes(end)), [], `chunks of ${size}: a cut at every frame end`);
  }
});

it('passes on what is not zstd whole, uncut', () => {
  const cutter = new ZstdFrameCutter();
  const text = Buffer.from('not a zstd frame at all');
  assert.deepEqual(cutter.cut(text), [text]);
  assert.deepEqual(cutter.cut(text), [text]);
});
