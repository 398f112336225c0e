import { randomUUID } from 'node:crypto';
import type { Readable, Writable } from 'node:stream';
import type { Digest } from '../core/oci/digest.ts';
import type { BlobStore } from '../core/storage/blob-store.ts';
import { StorageError } from '../core/storage/storage-error.ts';
import { RegistryError } from './registry-error.ts';
import type { RegistryMetadata } from './registry-metadata.ts';
import type { RepositoryName } from './repository-name.ts';
import type { RepositoryResolver } from './repository-resolver.ts';
import type { WritePolicy } from './write-policy.ts';

export interface ByteRange {
  readonly start: number;
  /** Inclusive. */
  readonly end: number;
}

export interface BlobServiceDeps {
  readonly metadata: RegistryMetadata;
  readonly blobs: BlobStore;
  readonly repositories: RepositoryResolver;
  readonly writePolicy: WritePolicy;
  readonly clock: () => number;
}

export interface UploadState {
  readonly id: string;
  /** Bytes received so far. */
  readonly size: number;
}

export type BlobService = ReturnType<typeof createBlobService>;

/** Blobs and the upload state machine of the Distribution spec (end-2, 4, 5, 6, 10, 11, 13, 14). */
export function createBlobService(deps: BlobServiceDeps) {
  const { metadata, blobs, repositories, writePolicy, clock } = deps;
  const locks = new Map<string, Promise<unknown>>();
  /** Requests on each upload session under way in this process, counted from arrival (those waiting for the lock too). */
  const inFlight = new Map<string, number>();

  /** Runs operations on one upload one at a time (chunks arriving together must not interleave). */
  async function exclusive<T>(id: string, work: () => Promise<T>): Promise<T> {
    const previous = locks.get(id) ?? Promise.resolve();
    const next = previous.then(work, work);
    const settled = next.catch(() => undefined);
    locks.set(id, settled);
    try {
      return await next;
    } finally {
      if (locks.get(id) === settled) locks.delete(id);
    }
  }

  /** A client's request on a session: run under its lock, and counted so that expiry leaves the session alone meanwhile. */
  async function request<T>(id: string, work: () => Promise<T>): Promise<T> {
    inFlight.set(id, (inFlight.get(id) ?? 0) + 1);
    try {
      return await exclusive(id, work);
    } finally {
      const left = (inFlight.get(id) ?? 1) - 1;
      if (left === 0) inFlight.delete(id);
      else inFlight.set(id, left);
    }
  }

  async function sessionOf(repo: RepositoryName, id: string) {
    const repositoryId = await repositories.existing(repo);
    const upload = await metadata.findUpload(id);
    if (upload === undefined || upload.repositoryId !== repositoryId) {
      throw new RegistryError('BLOB_UPLOAD_UNKNOWN', `upload ${id} is unknown or has expired`, { detail: { uuid: id } });
    }
    return { repositoryId, upload };
  }

  async function commit(repo: RepositoryName, repositoryId: number, id: string, digest: Digest, actor: string): Promise<{ digest: Digest; size: number }> {
    try {
      await writePolicy.checkBlob(repo, digest, (await blobs.uploadSize(id)) ?? 0, { actor });
    } catch (refusal) {
      // Refused by a project rule (quota): the session and its data go, nothing is linked.
      await blobs.cancelUpload(id);
      await metadata.deleteUpload(id);
      throw refusal;
    }
    const result = await translate(() => blobs.commitUpload(id, { digest }));
    await metadata.linkBlob(repositoryId, result.digest, result.size, clock());
    await metadata.deleteUpload(id);
    return result;
  }

  return {
    /** Size of a blob linked into the repository (HEAD). */
    async statBlob(repo: RepositoryName, digest: Digest): Promise<{ size: number }> {
      const repositoryId = await repositories.existing(repo);
      const size = await metadata.linkedBlobSize(repositoryId, digest);
      if (size === undefined) throw blobUnknown(digest);
      return { size };
    },

    /** Writes a linked blob, whole or a byte range, into `target` (a response), without ending it. */
    async sendBlob(repo: RepositoryName, digest: Digest, target: Writable, range?: ByteRange, options: { signal?: AbortSignal } = {}): Promise<void> {
      const repositoryId = await repositories.existing(repo);
      if ((await metadata.linkedBlobSize(repositoryId, digest)) === undefined) throw blobUnknown(digest);
      const read = range === undefined ? {} : { offset: range.start, length: range.end - range.start + 1 };
      await translate(() => blobs.copyTo(digest, target, { ...read, ...options }));
    },

    async redirectUrl(digest: Digest, method: 'GET' | 'HEAD'): Promise<string | undefined> {
      return blobs.redirectUrl(digest, { method });
    },

    /** Unlinks a blob from the repository; the bytes go when garbage collection finds them unreferenced. */
    async deleteBlob(repo: RepositoryName, digest: Digest): Promise<void> {
      const repositoryId = await repositories.existing(repo);
      if (!(await metadata.unlinkBlob(repositoryId, digest))) throw blobUnknown(digest);
    },

    async startUpload(repo: RepositoryName): Promise<UploadState> {
      const repositoryId = await repositories.forWrite(repo);
      const id = randomUUID();
      await blobs.createUpload(id);
      await metadata.createUpload(id, repositoryId, clock());
      return { id, size: 0 };
    },

    /** POST with `?digest=`: the whole blob in one request. Nothing is stored unless it matches. `actor` is who writes. */
    async uploadMonolithic(repo: RepositoryName, digest: Digest, body: Readable, size: number | undefined, actor = ''): Promise<{ digest: Digest; size: number }> {
      const repositoryId = await repositories.forWrite(repo);
      if (size !== undefined) await writePolicy.checkBlob(repo, digest, size, { actor });
      const result = await translate(() => blobs.put(body, size === undefined ? { digest } : { digest, size }));
      if (size === undefined) await writePolicy.checkBlob(repo, digest, result.size, { actor });
      await metadata.linkBlob(repositoryId, result.digest, result.size, clock());
      return result;
    },

    /** PATCH: appends a chunk (with `range`) or a stream (without). */
    async appendUpload(repo: RepositoryName, id: string, body: Readable, range: ByteRange | undefined): Promise<UploadState> {
      return request(id, async () => {
        await sessionOf(repo, id);
        const size = await translate(() =>
          blobs.appendUpload(id, body, range === undefined ? {} : { offset: range.start, length: range.end - range.start + 1 }),
        );
        await metadata.updateUpload(id, size, clock());
        return { id, size };
      });
    },

    async uploadStatus(repo: RepositoryName, id: string): Promise<UploadState> {
      const { upload } = await sessionOf(repo, id);
      const size = (await blobs.uploadSize(id)) ?? upload.size;
      return { id, size };
    },

    /** PUT `?digest=`: an optional last chunk, then verification and the move into place. */
    async finishUpload(
      repo: RepositoryName,
      id: string,
      digest: Digest,
      body: { readonly stream: Readable; readonly range: ByteRange | undefined } | undefined,
      actor = '',
    ): Promise<{ digest: Digest; size: number }> {
      return request(id, async () => {
        const { repositoryId } = await sessionOf(repo, id);
        if (body !== undefined) {
          const range = body.range;
          await translate(() =>
            blobs.appendUpload(id, body.stream, range === undefined ? {} : { offset: range.start, length: range.end - range.start + 1 }),
          );
        }
        return commit(repo, repositoryId, id, digest, actor);
      });
    },

    async cancelUpload(repo: RepositoryName, id: string): Promise<void> {
      await request(id, async () => {
        await sessionOf(repo, id);
        await blobs.cancelUpload(id);
        await metadata.deleteUpload(id);
      });
    },

    /**
     * Cross-repository mount: links `digest` from `from` when the caller may pull `from` and the blob
     * is there. Returns false when it cannot (the caller then starts a normal upload).
     */
    async mountBlob(repo: RepositoryName, digest: Digest, from: RepositoryName, mayPullFrom: boolean, actor = ''): Promise<boolean> {
      if (!mayPullFrom) return false;
      const fromId = await metadata.findRepositoryId(from.name);
      if (fromId === undefined) return false;
      const size = await metadata.linkedBlobSize(fromId, digest);
      if (size === undefined || (await blobs.stat(digest)) === undefined) return false;
      const repositoryId = await repositories.forWrite(repo);
      await writePolicy.checkBlob(repo, digest, size, { actor });
      await metadata.linkBlob(repositoryId, digest, size, clock());
      return true;
    },

    /**
     * Removes upload sessions idle for longer than `ttlMs`, with their temporary data. Idle means no
     * request on it in this process, and neither its record nor its data changed for that long: a
     * PATCH changes the record only when it ends, and docker, containerd and podman stream a whole
     * layer in one, for as long as that takes; its data changes as the bytes land, on whichever node.
     */
    async expireUploads(ttlMs: number): Promise<number> {
      const before = clock() - ttlMs;
      let removed = 0;
      // Page by id: sessions skipped as live must not hide the stale ones after them.
      const stale = async function* () {
        for (let page = await metadata.staleUploads(before, 1000); page.length > 0; page = await metadata.staleUploads(before, 1000, page.at(-1))) yield* page;
      };
      for await (const id of stale()) {
        // Not even queued behind its lock: the request holding it may stream for hours yet.
        if (inFlight.has(id)) continue;
        const expired = await exclusive(id, async () => {
          // A request may have arrived since (it waits behind this), or bytes landed from another node.
          if (inFlight.has(id)) return false;
          const changed = await blobs.uploadModifiedAt(id);
          if (changed !== undefined && changed.getTime() >= before) return false;
          // The record goes only if still stale, in one statement: another node may have just finished a request on it.
          if (!(await metadata.expireUpload(id, before))) return false;
          await blobs.cancelUpload(id);
          return true;
        });
        if (expired) removed += 1;
      }
      // Session data whose row never landed or was lost (a crash between the two writes), and the
      // temporary data of streamed puts (which have no row) that a crash left, or that no byte has
      // reached for that long. This process's own puts under way are not listed; another node's
      // show their progress in the data's time.
      for await (const session of blobs.listUploads()) {
        if (session.modifiedAt.getTime() < before && !(await metadata.uploadExists(session.id))) {
          await blobs.cancelUpload(session.id);
          removed += 1;
        }
      }
      return removed;
    },
  };
}

function blobUnknown(digest: Digest): RegistryError {
  return new RegistryError('BLOB_UNKNOWN', `blob ${digest} is not in this repository`, { detail: { digest } });
}

/** Storage errors become the registry's error codes; anything else passes through. */
async function translate<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw error instanceof StorageError ? registryErrorOf(error) : error;
  }
}

function registryErrorOf(error: StorageError): Error {
  const options = { cause: error, detail: error.detail };
  switch (error.code) {
    case 'DIGEST_MISMATCH':
      return new RegistryError('DIGEST_INVALID', error.message, options);
    case 'SIZE_MISMATCH':
    case 'TOO_LARGE':
      return new RegistryError('SIZE_INVALID', error.message, options);
    case 'OFFSET_MISMATCH':
      return new RegistryError('RANGE_INVALID', error.message, options);
    case 'UPLOAD_UNKNOWN':
      return new RegistryError('BLOB_UPLOAD_UNKNOWN', error.message, options);
    case 'NOT_FOUND':
      return new RegistryError('BLOB_UNKNOWN', error.message, options);
    case 'ABORTED':
      return new RegistryError('BLOB_UPLOAD_INVALID', `upload interrupted: ${error.message}`, options);
    case 'PATH_INVALID':
    case 'IO':
      return error;
  }
}
