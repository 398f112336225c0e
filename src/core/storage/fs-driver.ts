import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, mkdir, open, readFile, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { dirname, join } from 'node:path';
import type { BlobDriver, FileInfo, IoOptions, ReadOptions, WriterOptions } from './blob-driver.ts';
import { openFileWriter } from './fs-file-writer.ts';
import { StorageError } from './storage-error.ts';

const SEGMENT = /^[A-Za-z0-9._-]+$/;
const BUFFER = 1 << 20;

export interface FilesystemDriverOptions {
  readonly root: string;
  /** fsync files before they become visible (default true): a crash never exposes a torn file. */
  readonly fsync?: boolean;
}

/** The filesystem driver: every path maps below `root`; nothing outside it is ever touched. */
export function createFilesystemDriver(options: FilesystemDriverOptions): BlobDriver {
  const root = options.root;
  const durable = options.fsync ?? true;
  const resolve = (path: string): string => join(root, ...segments(path));

  return {
    name: 'filesystem',

    async stat(path, o) {
      o?.signal?.throwIfAborted();
      try {
        const info = await stat(resolve(path));
        return { path, size: info.isDirectory() ? 0 : info.size, modifiedAt: info.mtime, isDirectory: info.isDirectory() };
      } catch (error) {
        if (isMissing(error)) return undefined;
        throw io(error, path);
      }
    },

    async read(path, o: ReadOptions = {}) {
      o.signal?.throwIfAborted();
      const file = resolve(path);
      const info = await stat(file).catch((error: unknown) => {
        throw isMissing(error) ? notFound(path) : io(error, path);
      });
      const start = o.offset ?? 0;
      if (start > info.size) throw new StorageError('IO', `offset ${start} is beyond the ${info.size} bytes of ${path}`);
      const end = o.length === undefined ? undefined : start + o.length - 1;
      if (end !== undefined && end < start) return createReadStream(file, { start: 0, end: -1 });
      return createReadStream(file, { start, ...(end === undefined ? {} : { end }), highWaterMark: BUFFER, ...signalOf(o) });
    },

    async openFile(path, o = {}) {
      o.signal?.throwIfAborted();
      return open(resolve(path), 'r').catch((error: unknown) => {
        throw isMissing(error) ? notFound(path) : io(error, path);
      });
    },

    async copyTo(path, target, o: ReadOptions = {}) {
      o.signal?.throwIfAborted();
      const handle = await open(resolve(path), 'r').catch((error: unknown) => {
        throw isMissing(error) ? notFound(path) : io(error, path);
      });
      try {
        const size = (await handle.stat()).size;
        const start = o.offset ?? 0;
        const end = Math.min(size, o.length === undefined ? size : start + o.length);
        await copyRange(handle, target, start, end, o.signal);
      } finally {
        await handle.close();
      }
    },

    async writer(path, o: WriterOptions = {}) {
      o.signal?.throwIfAborted();
      const file = resolve(path);
      await mkdir(dirname(file), { recursive: true });
      const before = o.append === true ? await existingSize(file, path) : undefined;
      return openFileWriter(file, { append: o.append === true, durable, before });
    },

    async getContent(path, o) {
      try {
        return await readFile(resolve(path), signalOf(o));
      } catch (error) {
        throw isMissing(error) ? notFound(path) : io(error, path);
      }
    },

    async putContent(path, content, o) {
      o?.signal?.throwIfAborted();
      const file = resolve(path);
      await mkdir(dirname(file), { recursive: true });
      const temp = `${file}.tmp-${randomUUID()}`;
      const handle = await open(temp, 'w');
      try {
        await handle.writeFile(content);
        if (durable) await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, file).catch(async (error: unknown) => {
        await rm(temp, { force: true });
        throw io(error, path);
      });
    },

    async move(from, to, o) {
      o?.signal?.throwIfAborted();
      const target = resolve(to);
      await mkdir(dirname(target), { recursive: true });
      try {
        await rename(resolve(from), target);
      } catch (error) {
        throw isMissing(error) ? notFound(from) : io(error, from);
      }
    },

    async delete(path, o) {
      o?.signal?.throwIfAborted();
      await rm(resolve(path), { recursive: true, force: true });
    },

    async list(path, o) {
      o?.signal?.throwIfAborted();
      try {
        const names = await readdir(resolve(path));
        return names.sort().map((name) => (path === '/' ? `/${name}` : `${path}/${name}`));
      } catch (error) {
        if (isMissing(error) || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
        throw io(error, path);
      }
    },

    walk(path, o) {
      return walkFiles(resolve(path), path, o);
    },

    redirectUrl() {
      return Promise.resolve(undefined);
    },
  };
}

/**
 * Reads into two buffers in turn and hands each to `target`; a buffer is refilled only once the
 * target has taken its bytes (the write callback). No allocation per chunk, so a pull of gigabytes
 * creates no garbage.
 */
async function copyRange(handle: FileHandle, target: Writable, start: number, end: number, signal: AbortSignal | undefined): Promise<void> {
  const buffers = [Buffer.allocUnsafeSlow(BUFFER), Buffer.allocUnsafeSlow(BUFFER)];
  let inFlight: Promise<void> = Promise.resolve();
  for (let position = start, turn = 0; position < end; turn += 1) {
    signal?.throwIfAborted();
    const buffer = buffers[turn % 2] ?? Buffer.alloc(0);
    const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.byteLength, end - position), position);
    if (bytesRead === 0) throw new StorageError('IO', `file ended at ${position} bytes, before ${end}`);
    position += bytesRead;
    await inFlight;
    inFlight = new Promise((resolve, reject) => {
      target.write(bytesRead === buffer.byteLength ? buffer : buffer.subarray(0, bytesRead), (error) => (error ? reject(error) : resolve()));
    });
    // Marked handled now; the rejection (a client gone) still surfaces at the next await.
    inFlight.catch(() => undefined);
  }
  await inFlight;
}

async function* walkFiles(dir: string, path: string, o: IoOptions | undefined): AsyncGenerator<FileInfo> {
  o?.signal?.throwIfAborted();
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if (isMissing(error) || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return;
    throw io(error, path);
  }
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const childPath = path === '/' ? `/${entry.name}` : `${path}/${entry.name}`;
    const child = join(dir, entry.name);
    if (entry.isDirectory()) {
      yield* walkFiles(child, childPath, o);
    } else if (entry.isFile()) {
      const info = await lstat(child).catch(() => undefined);
      if (info !== undefined) yield { path: childPath, size: info.size, modifiedAt: info.mtime, isDirectory: false };
    }
  }
}

async function existingSize(file: string, path: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch (error) {
    throw isMissing(error) ? notFound(path) : io(error, path);
  }
}

/** Splits and validates a driver path: `/`-separated segments of `[A-Za-z0-9._-]`, never `.` or `..`. */
function segments(path: string): string[] {
  if (path === '/') return [];
  const parts = path.split('/');
  if (parts[0] !== '' || parts.length < 2 || parts.slice(1).some((p) => p === '.' || p === '..' || !SEGMENT.test(p))) {
    throw new StorageError('PATH_INVALID', `invalid storage path ${JSON.stringify(path)}`);
  }
  return parts.slice(1);
}

function signalOf(o: IoOptions | undefined): { signal?: AbortSignal } {
  return o?.signal === undefined ? {} : { signal: o.signal };
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

function notFound(path: string): StorageError {
  return new StorageError('NOT_FOUND', `${path} not found`);
}

function io(error: unknown, path: string): StorageError {
  return error instanceof StorageError ? error : new StorageError('IO', `storage error on ${path}: ${(error as Error).message}`, { cause: error });
}
