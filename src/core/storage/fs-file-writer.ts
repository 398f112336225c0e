import { open, truncate, unlink } from 'node:fs/promises';
import { Writable } from 'node:stream';
import type { DriverWriter } from './blob-driver.ts';

/** Dirty bytes after which a background flush starts, so the final one has little left to do. */
const FLUSH_EVERY = 16 * 1024 * 1024;

/**
 * The filesystem driver's writer: a Writable over one file handle. When durable, it flushes to
 * disk in the background while bytes keep arriving and once more at commit, so a large upload
 * pays for durability alongside the network transfer rather than after it.
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

  const stream = new Writable({
    highWaterMark: 1 << 20,
    writev(chunks, callback) {
      handle.writev(chunks.map((c) => c.chunk as Buffer)).then(({ bytesWritten }) => {
        written += bytesWritten;
        dirty += bytesWritten;
        if (options.durable && dirty >= FLUSH_EVERY && flushing === undefined) {
          dirty = 0;
          flush().catch(() => undefined);
        }
        callback();
      }, callback);
    },
    final(callback) {
      (async () => {
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

