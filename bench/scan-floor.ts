/**
 * The floor `bench/scan.ts` measures the scan against: every layer blob read, gunzipped and walked
 * header to header to the end, every body skipped. The cheapest honest read: faster than
 * `gzip -dc | tar -t`, than GNU tar, and than Node's defaults. It reads the way the scan reads a
 * local blob (three reused 1 MiB buffers, each written to the decompressor, 4 MiB of output at a
 * time), so whatever that saves the floor saves too; it neither hashes nor parses anything.
 *
 * Imported, it is the in-process floor; run as a program (`node scan-floor.js <layer.tar.gz>…`,
 * compiled by the bench as dist/ is for the CLI; it prints the entries walked), it is the floor a
 * process pays, Node's own start included, to set against the CLI timed the same way, from spawn
 * to exit.
 */
import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';

const BLOCK = 512;
const READ = 1 << 20;
const READ_BUFFERS = 3;
const OUTPUT = 4 << 20;

/** Reads every layer file in turn; returns the tar entries walked (each layer must reach its end-of-archive block). */
export async function floorRead(files: readonly string[]): Promise<number> {
  let entries = 0;
  for (const file of files) {
    const walk = new HeaderWalk();
    await gunzipFile(file, (chunk) => walk.push(chunk));
    if (!walk.ended) throw new Error(`floor: ${file} ended before its end-of-archive block`);
    entries += walk.entries;
  }
  return entries;
}

async function gunzipFile(file: string, onChunk: (chunk: Buffer) => void): Promise<void> {
  const handle = await open(file);
  const gunzip = createGunzip({ chunkSize: OUTPUT });
  const free: Buffer[] = Array.from({ length: READ_BUFFERS }, () => Buffer.allocUnsafeSlow(READ));
  const waiting: ((buffer: Buffer) => void)[] = [];
  const take = () => new Promise<Buffer>((resolve) => (free.length > 0 ? resolve(free.pop() as Buffer) : waiting.push(resolve)));
  const give = (buffer: Buffer) => (waiting.length > 0 ? waiting.shift()?.(buffer) : free.push(buffer));
  const feeding = (async () => {
    for (let position = 0; ; ) {
      const buffer = await take();
      const { bytesRead } = await handle.read(buffer, 0, READ, position);
      if (bytesRead === 0) break;
      position += bytesRead;
      gunzip.write(buffer.subarray(0, bytesRead), () => give(buffer));
    }
    gunzip.end();
  })().catch((error: unknown) => gunzip.destroy(error as Error));
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) onChunk(chunk);
    await feeding;
  } finally {
    await handle.close();
  }
}

/** A tar walk that parses each header's size and skips the body; nothing is copied but header bytes. */
class HeaderWalk {
  entries = 0;
  ended = false;
  #skip = 0;
  #have = 0;
  readonly #header = Buffer.alloc(BLOCK);

  push(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.byteLength && !this.ended) {
      if (this.#skip > 0) {
        const skipped = Math.min(this.#skip, chunk.byteLength - at);
        this.#skip -= skipped;
        at += skipped;
        continue;
      }
      const copied = chunk.copy(this.#header, this.#have, at, Math.min(chunk.byteLength, at + BLOCK - this.#have));
      this.#have += copied;
      at += copied;
      if (this.#have < BLOCK) return;
      this.#have = 0;
      if (this.#header[0] === 0 && isZeroBlock(this.#header)) {
        this.ended = true;
        return;
      }
      const size = Number.parseInt(this.#header.toString('latin1', 124, 136).replace(/\0.*$/s, '').trim() || '0', 8);
      this.#skip = Math.ceil(size / BLOCK) * BLOCK;
      this.entries += 1;
    }
  }
}

function isZeroBlock(block: Buffer): boolean {
  for (let i = 0; i < BLOCK; i += 1) if (block[i] !== 0) return false;
  return true;
}

if (import.meta.main) process.stdout.write(`${await floorRead(process.argv.slice(2))}\n`);
