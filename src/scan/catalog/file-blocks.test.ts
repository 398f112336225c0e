import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { setImmediate as turn } from 'node:timers/promises';
import { FileBlocks, type Block } from './file-blocks.ts';

const MIB = 1024 * 1024;
const content = randomBytes(5 * MIB + 123);
let dir: string;
let file: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-file-blocks-'));
  file = join(dir, 'blob');
  await writeFile(file, content);
});
after(() => rm(dir, { recursive: true, force: true }));

const blocksOf = async (start: number, length?: number) => new FileBlocks({ handle: await open(file), start, ...(length === undefined ? {} : { length }) });

it('reads a file, or a range of it, block by block through three buffers it reuses once released', async () => {
  const blocks = await blocksOf(0);
  const seen: Buffer[] = [];
  const buffers = new Set<ArrayBufferLike>();
  for (let block = await blocks.next(); block !== undefined; block = await blocks.next()) {
    seen.push(Buffer.from(block.bytes));
    buffers.add(block.bytes.buffer);
    block.release();
  }
  await blocks.close();
  assert.ok(Buffer.concat(seen).equals(content));
  assert.ok(buffers.size <= 3, `${buffers.size} buffers`);

  const range = await blocksOf(1000, 2 * MIB + 7);
  const parts: Buffer[] = [];
  for (let block = await range.next(); block !== undefined; block = await range.next()) {
    parts.push(Buffer.from(block.bytes));
    block.release();
  }
  await range.close();
  assert.ok(Buffer.concat(parts).equals(content.subarray(1000, 1000 + 2 * MIB + 7)));
});

it('waits while every buffer is held, and never hands out bytes still held', async () => {
  const blocks = await blocksOf(0);
  const held = [await blocks.next(), await blocks.next(), await blocks.next()] as Block[];
  const copies = held.map((block) => Buffer.from(block.bytes));
  let fourth = undefined as Block | undefined;
  const waiting = blocks.next().then((block) => (fourth = block));
  await turn();
  await turn();
  assert.equal(fourth, undefined, 'a fourth block while three are held');
  held.forEach((block, i) => assert.ok(block.bytes.equals(copies[i] as Buffer)));
  held[1]?.release();
  const got = await waiting;
  assert.equal(got?.bytes.buffer, held[1]?.bytes.buffer);
  assert.ok(got?.bytes.equals(content.subarray(3 * MIB, 4 * MIB)));
  assert.ok(held[0]?.bytes.equals(copies[0] as Buffer) && held[2]?.bytes.equals(copies[2] as Buffer));
  await blocks.close();
});

it('gives blocks of their own after own(), and ends a waiting read on close', async () => {
  const blocks = await blocksOf(0);
  const first = await blocks.next();
  blocks.own();
  const own = [await blocks.next(), await blocks.next(), await blocks.next(), await blocks.next()];
  assert.equal(new Set(own.map((block) => block?.bytes.buffer)).size, 4);
  assert.ok(own[3]?.bytes.equals(content.subarray(4 * MIB, 5 * MIB)));
  first?.release();

  const pooled = await blocksOf(0);
  for (let i = 0; i < 3; i += 1) await pooled.next();
  const waiting = pooled.next();
  await pooled.close();
  assert.equal(await waiting, undefined);
  assert.equal(await pooled.next(), undefined);
  await blocks.close();
});

it('stops before reading once aborted', async () => {
  const blocks = new FileBlocks({ handle: await open(file), start: 0 }, AbortSignal.abort());
  await assert.rejects(blocks.next(), { name: 'AbortError' });
  await blocks.close();
});
