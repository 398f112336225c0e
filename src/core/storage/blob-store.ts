import { randomUUID } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Digester, digestAlgorithm, digestHex, digestOf, type Digest, type DigestAlgorithm } from '../oci/digest.ts';
import type { BlobDriver, IoOptions, RedirectOptions } from './blob-driver.ts';
import { StorageError } from './storage-error.ts';

/**
 * The content-addressed store above a driver. Blobs live at `/blobs/<alg>/<ab>/<hex>/data`; every
 * write lands under `/uploads/<id>/data` first and moves into place only after its digest (and
 * size) are verified, so a blob path never holds anything but exactly its bytes.
 */
export interface BlobStore {
  stat(digest: Digest, o?: IoOptions): Promise<{ size: number; modifiedAt: Date } | undefined>;
  open(digest: Digest, o?: { offset?: number; length?: number; signal?: AbortSignal }): Promise<Readable>;
  /** The blob's file, opened to be read in place, when the driver keeps local files (see BlobDriver.openFile). */
  openFile?(digest: Digest, o?: IoOptions): Promise<FileHandle>;
  /** Writes a blob (or a range of it) into `target` without ending it: the pull path. */
  copyTo(digest: Digest, target: Writable, o?: { offset?: number; length?: number; signal?: AbortSignal }): Promise<void>;
  /** Small content only (manifests): refuses more than `maxBytes` (default 4 MiB). */
  readAll(digest: Digest, o?: { maxBytes?: number; signal?: AbortSignal }): Promise<Buffer>;
  redirectUrl(digest: Digest, o: RedirectOptions): Promise<string | undefined>;
  /** Streams into a temporary name, verifies, then moves into place. On a mismatch nothing is left. */
  put(source: Readable | Uint8Array, expected?: { digest?: Digest; size?: number }, o?: IoOptions): Promise<{ digest: Digest; size: number }>;
  delete(digest: Digest, o?: IoOptions): Promise<void>;
  walk(o?: IoOptions): AsyncIterable<{ digest: Digest; size: number; modifiedAt: Date }>;
  createUpload(id: string, o?: IoOptions): Promise<void>;
  /**
   * Appends to a session; on any failure the session is left at its previous size. Returns the new
   * size. `length`, the chunk's announced length (its Content-Range), must be met exactly.
   */
  appendUpload(id: string, source: Readable, o?: { offset?: number; length?: number; signal?: AbortSignal }): Promise<number>;
  uploadSize(id: string, o?: IoOptions): Promise<number | undefined>;
  /**
   * When the session last changed: the newest modification time of its directory and the files in
   * it. That of its data advances as bytes land, whichever node writes them, while the directory's
   * stays at its creation. Undefined when there is no such session.
   */
  uploadModifiedAt(id: string, o?: IoOptions): Promise<Date | undefined>;
  /** Verifies the session's content and moves it into place; on a mismatch the session stays as it was. */
  commitUpload(id: string, expected: { digest: Digest; size?: number }, o?: IoOptions): Promise<{ digest: Digest; size: number }>;
  cancelUpload(id: string, o?: IoOptions): Promise<void>;
  /**
   * Session directories on storage, those of streamed puts included, each with when it last changed
   * (see `uploadModifiedAt`). The directories of this store's own puts still under way are left out.
   */
  listUploads(o?: IoOptions): AsyncIterable<{ id: string; modifiedAt: Date }>;
}

const UPLOAD_ID = /^[A-Za-z0-9-]{1,64}$/;
const DEFAULT_READ_LIMIT = 4 * 1024 * 1024;

export function blobPath(digest: Digest): string {
  const hex = digestHex(digest);
  return `/blobs/${digestAlgorithm(digest)}/${hex.slice(0, 2)}/${hex}/data`;
}

function uploadDir(id: string): string {
  if (!UPLOAD_ID.test(id)) throw new StorageError('UPLOAD_UNKNOWN', `invalid upload id ${JSON.stringify(id)}`);
  return `/uploads/${id}`;
}

export function createBlobStore(driver: BlobDriver): BlobStore {
  /** Hash state of sessions this process has fed from the start, so commit need not re-read them. */
  const hashers = new Map<string, Digester>();
  /**
   * The temporary sessions of this process's streamed puts under way. They have no metadata record,
   * and a put may stream for longer than uploads are kept: expiry must not take them from under it.
   */
  const puts = new Set<string>();

  async function lastChange(dir: string, o?: IoOptions): Promise<Date | undefined> {
    const info = await driver.stat(dir, o);
    if (info === undefined) return undefined;
    let newest = info.modifiedAt.getTime();
    for await (const file of driver.walk(dir, o)) newest = Math.max(newest, file.modifiedAt.getTime());
    return new Date(newest);
  }

  async function verifiedDigest(id: string, size: number, algorithm: DigestAlgorithm, o?: IoOptions): Promise<Digest> {
    const cached = hashers.get(id);
    hashers.delete(id);
    if (cached !== undefined && cached.size === size && cached.algorithm === algorithm) return cached.digest();
    const digester = new Digester(algorithm);
    const stream = await driver.read(`${uploadDir(id)}/data`, o);
    for await (const chunk of stream) digester.update(chunk as Buffer);
    return digester.digest();
  }

  /**
   * Always renames over an existing copy (same digest, same bytes), as `put` of small content
   * always writes it: the blob then carries a fresh modification time, which is what garbage
   * collection checks before it deletes a file, so a re-upload racing a collection keeps its blob.
   */
  async function moveIntoPlace(from: string, digest: Digest, vanished: 'IO' | 'UPLOAD_UNKNOWN', o?: IoOptions): Promise<void> {
    try {
      await driver.move(from, blobPath(digest), o);
    } catch (error) {
      // The driver's NOT_FOUND names the temporary data, not the blob: passed on, it would read as
      // an unknown blob (BLOB_UNKNOWN) rather than as the failure it is.
      if (!(error instanceof StorageError && error.code === 'NOT_FOUND')) throw error;
      throw new StorageError(vanished, `the verified content of ${digest} vanished from ${from} before it was moved into place`, { cause: error });
    }
  }

  const openFile = driver.openFile?.bind(driver);
  return {
    async stat(digest, o) {
      const info = await driver.stat(blobPath(digest), o);
      return info === undefined || info.isDirectory ? undefined : { size: info.size, modifiedAt: info.modifiedAt };
    },

    open(digest, o = {}) {
      return driver.read(blobPath(digest), o);
    },

    ...(openFile === undefined ? {} : { openFile: (digest: Digest, o: IoOptions = {}) => openFile(blobPath(digest), o) }),

    copyTo(digest, target, o = {}) {
      return driver.copyTo(blobPath(digest), target, o);
    },

    async readAll(digest, o = {}) {
      const limit = o.maxBytes ?? DEFAULT_READ_LIMIT;
      const info = await driver.stat(blobPath(digest), o);
      if (info === undefined) throw new StorageError('NOT_FOUND', `blob ${digest} not found`);
      if (info.size > limit) throw new StorageError('TOO_LARGE', `blob ${digest} is ${info.size} bytes; the limit is ${limit}`);
      return driver.getContent(blobPath(digest), o);
    },

    redirectUrl(digest, o) {
      return driver.redirectUrl(blobPath(digest), o);
    },

    async put(source, expected = {}, o) {
      const algorithm = expected.digest === undefined ? 'sha256' : digestAlgorithm(expected.digest);
      if (source instanceof Uint8Array) {
        const digest = digestOf(source, algorithm);
        check(expected, digest, source.byteLength);
        // Written even when the file is there, as moveIntoPlace renames over it: see there why.
        await driver.putContent(blobPath(digest), source, o);
        return { digest, size: source.byteLength };
      }
      const id = `put-${randomUUID()}`;
      const dir = uploadDir(id);
      puts.add(id);
      try {
        const digester = new Digester(algorithm);
        const writer = await driver.writer(`${dir}/data`, o);
        await feed(source, digester, writer, undefined, o?.signal).catch(async (error: unknown) => {
          await writer.cancel();
          throw error;
        });
        const digest = digester.digest();
        check(expected, digest, digester.size);
        await moveIntoPlace(`${dir}/data`, digest, 'IO', o);
        return { digest, size: digester.size };
      } finally {
        puts.delete(id);
        await driver.delete(dir);
      }
    },

    delete(digest, o) {
      return driver.delete(blobPath(digest).replace(/\/data$/, ''), o);
    },

    async *walk(o) {
      for await (const file of driver.walk('/blobs', o)) {
        const match = /^\/blobs\/(sha256|sha512)\/[0-9a-f]{2}\/([0-9a-f]+)\/data$/.exec(file.path);
        if (match !== null) yield { digest: `${match[1]}:${match[2]}` as Digest, size: file.size, modifiedAt: file.modifiedAt };
      }
    },

    async createUpload(id, o) {
      const writer = await driver.writer(`${uploadDir(id)}/data`, o);
      await writer.commit();
      hashers.set(id, new Digester('sha256'));
    },

    async appendUpload(id, source, o = {}) {
      const path = `${uploadDir(id)}/data`;
      const info = await driver.stat(path, o);
      if (info === undefined) throw new StorageError('UPLOAD_UNKNOWN', `upload ${id} is unknown or has expired`);
      if (o.offset !== undefined && o.offset !== info.size) {
        throw new StorageError('OFFSET_MISMATCH', `chunk starts at ${o.offset} but the upload holds ${info.size} bytes`, {
          detail: { size: info.size },
        });
      }
      const cached = hashers.get(id);
      const digester = cached !== undefined && cached.size === info.size ? cached : undefined;
      if (digester === undefined) hashers.delete(id);
      const writer = await driver.writer(path, { append: true, ...(o.signal === undefined ? {} : { signal: o.signal }) });
      try {
        return info.size + (await feed(source, digester ?? new Digester('sha256'), writer, o.length, o.signal, info.size));
      } catch (error) {
        hashers.delete(id);
        await writer.cancel();
        throw error;
      }
    },

    async uploadSize(id, o) {
      return (await driver.stat(`${uploadDir(id)}/data`, o))?.size;
    },

    async uploadModifiedAt(id, o) {
      return lastChange(uploadDir(id), o);
    },

    async commitUpload(id, expected, o) {
      const dir = uploadDir(id);
      const info = await driver.stat(`${dir}/data`, o);
      if (info === undefined) throw new StorageError('UPLOAD_UNKNOWN', `upload ${id} is unknown or has expired`);
      const digest = await verifiedDigest(id, info.size, digestAlgorithm(expected.digest), o);
      check(expected, digest, info.size);
      await moveIntoPlace(`${dir}/data`, digest, 'UPLOAD_UNKNOWN', o);
      await driver.delete(dir, o);
      return { digest, size: info.size };
    },

    async cancelUpload(id, o) {
      hashers.delete(id);
      await driver.delete(uploadDir(id), o);
    },

    async *listUploads(o) {
      for (const dir of await driver.list('/uploads', o)) {
        const id = dir.slice('/uploads/'.length);
        if (puts.has(id)) continue;
        const modifiedAt = await lastChange(dir, o);
        if (modifiedAt !== undefined) yield { id, modifiedAt };
      }
    },
  };
}

/** Throws DIGEST_MISMATCH or SIZE_MISMATCH unless the content is what the caller said it is. */
function check(expected: { digest?: Digest; size?: number }, digest: Digest, size: number): void {
  if (expected.size !== undefined && expected.size !== size) {
    throw new StorageError('SIZE_MISMATCH', `content is ${size} bytes, not the ${expected.size} announced`, { detail: { expected: expected.size, actual: size } });
  }
  if (expected.digest !== undefined && expected.digest !== digest) {
    throw new StorageError('DIGEST_MISMATCH', `content digest is ${digest}, not ${expected.digest}`, { detail: { expected: expected.digest, actual: digest } });
  }
}

/**
 * Pipes `source` through a hashing, counting stage into the writer and commits it; returns the
 * byte count. With `length` (a chunk's announced length), more bytes or fewer are refused before
 * the commit; `held` is what the upload held before, for the error.
 */
async function feed(
  source: Readable,
  digester: Digester,
  writer: { stream: NodeJS.WritableStream; commit(): Promise<void> },
  length: number | undefined,
  signal: AbortSignal | undefined,
  held = 0,
): Promise<number> {
  let received = 0;
  let sourceFailed = false;
  const onError = () => (sourceFailed = true);
  source.once('error', onError);
  source.once('aborted', onError);
  // Hashed and counted as each chunk arrives, beside the pipe into the writer rather than as a
  // stream stage of its own: one function call per chunk instead of a Transform's buffering.
  const onData = (chunk: Buffer) => {
    received += chunk.byteLength;
    if (length !== undefined && received > length) {
      source.destroy(new StorageError('TOO_LARGE', `content exceeds the ${length} bytes announced`));
      return;
    }
    digester.update(chunk);
  };
  source.on('data', onData);
  try {
    await pipeline(source, writer.stream, signal === undefined ? {} : { signal });
    if (source instanceof Readable && 'complete' in source && source.complete === false) {
      throw new StorageError('ABORTED', 'the request body ended before its announced length');
    }
    if (length !== undefined && received !== length) {
      throw new StorageError('OFFSET_MISMATCH', `the chunk holds ${received} bytes, not the ${length} its range announced; the upload stays at ${held} bytes`, { detail: { size: held } });
    }
    await writer.commit();
    return received;
  } catch (error) {
    if (error instanceof StorageError) throw error;
    if (sourceFailed || signal?.aborted === true) {
      throw new StorageError('ABORTED', `the content stream broke off after ${received} bytes`, { cause: error });
    }
    throw new StorageError('IO', `writing content failed: ${(error as Error).message}`, { cause: error });
  } finally {
    source.off('error', onError);
    source.off('aborted', onError);
    source.off('data', onData);
  }
}
