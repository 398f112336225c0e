import { open, truncate, unlink } from 'node:fs/promises';
import { Writable } from 'node:stream';
import type { DriverWriter } from './blob-driver.ts';
import { StorageError } from './storage-error.ts';

/** Dirty bytes after which a background flush starts, so the final one has little left to do. */
const FLUSH_EVERY = 16 * 1024 * 1024;
/**
 * Bytes gathered before one `writev`. Network chunks are 16 to 64 KiB, and each file write costs a
 * request to libuv's thread pool and a promise on the main thread: gathering them makes a 512 MiB
 * upload a few hundred writes instead of tens of thousands.
 */
const BATCH = 1 << 20;

/**
 * The filesystem driver's writer: a Writable over one file handle that writes in batches of
 * {@link BATCH} bytes. When durable, it flushes to disk in the background while bytes keep
 * arriving and once more at commit, so a large upload pays for durability alongside the network
 * transfer rather than after it. A failed write fails the write that completed its batch, or the
 * end of the stream.
 */
export async function openFileWriter(file: string, options: { append: boolean; durable: boolean; before: number | undefined }): Promise<DriverWriter> {
  const handle = await open(file, options.append ? 'a' : 'w');
  let written = 0;
  let dirty = 0;
  let flushing: Promise<void> | undefined;
  let closed = false;

  const flush = (): Promise<void> => {
    flushing ??= handle.datasync().finally(() => (flushing = undefined));
    return flushing;
  };
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await flushing?.catch(() => undefined);
    await handle.close();
  };

  let batch: Buffer[] = [];
  let batched = 0;
  const writeBatch = async (): Promise<void> => {
    let buffers = batch;
    const total = batched;
    batch = [];
    batched = 0;
    // A write may take fewer bytes than given without an error (a full disk, a file-size limit):
    // write the rest, and fail rather than leave a file shorter than what was hashed.
    for (let done = 0; done < total; ) {
      const { bytesWritten } = await handle.writev(buffers);
      if (bytesWritten === 0) throw new StorageError('IO', `${file}: the file system took none of the last ${total - done} bytes (is it full?)`);
      done += bytesWritten;
      buffers = remainder(buffers, bytesWritten);
    }
    written += total;
    dirty += total;
    if (options.durable && dirty >= FLUSH_EVERY && flushing === undefined) {
      dirty = 0;
      flush().catch(() => undefined);
    }
  };

  const stream = new Writable({
    highWaterMark: BATCH,
    writev(chunks, callback) {
      for (const { chunk } of chunks) {
        batch.push(chunk as Buffer);
        batched += (chunk as Buffer).byteLength;
      }
      if (batched < BATCH) callback();
      else writeBatch().then(() => callback(), callback);
    },
    final(callback) {
      (async () => {
        await writeBatch();
        if (options.durable) {
          await flushing;
          await flush();
        }
        await close();
      })().then(() => callback(), callback);
    },
    destroy(error, callback) {
      close().then(() => callback(error), () => callback(error));
    },
  });

  return {
    stream,
    get size() {
      return (options.before ?? 0) + written;
    },
    async commit() {
      if (!stream.writableFinished) {
        await new Promise<void>((resolve, reject) => {
          stream.once('finish', resolve);
          stream.once('error', reject);
          if (!stream.writableEnded) stream.end();
        });
      }
    },
    async cancel() {
      stream.destroy();
      await close().catch(() => undefined);
      if (options.before === undefined) await unlink(file).catch(() => undefined);
      else await truncate(file, options.before);
    },
  };
}

/** What is left of `buffers` once their first `skip` bytes are written. */
function remainder(buffers: readonly Buffer[], skip: number): Buffer[] {
  const left: Buffer[] = [];
  let toSkip = skip;
  for (const buffer of buffers) {
    if (toSkip >= buffer.byteLength) {
      toSkip -= buffer.byteLength;
      continue;
    }
    left.push(toSkip === 0 ? buffer : buffer.subarray(toSkip));
    toSkip = 0;
  }
  return left;
}
