import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { Digester, digestAlgorithm, parseDigest, type Digest } from '../digest.ts';
import { through } from './blob-guard.ts';
import { deleteScope, pullScope } from './auth-challenge.ts';
import { RegistryClientError } from './client-error.ts';
import { discard, header } from './http-transport.ts';
import { unexpected } from './registry-requester.ts';
import { describeReference, repositoryPath, retrying, withSignal, type RepositoryContext } from './repository-context.ts';

export interface OpenBlobOptions {
  /** Start at this byte (a Range request). */
  readonly offset?: number;
  /** Hash the stream and fail at its end on a digest mismatch. Default: true when reading from 0. */
  readonly verify?: boolean;
  readonly signal?: AbortSignal;
}

/** HEAD a blob: its size, or undefined when the repository does not have it. */
export async function blobSize(context: RepositoryContext, digest: Digest, o: { signal?: AbortSignal } = {}): Promise<number | undefined> {
  const d = parseDigest(digest);
  return retrying(context, o.signal, async () => {
    const response = await context.requester.send({
      method: 'HEAD',
      host: context.host,
      target: repositoryPath(context, `blobs/${d}`),
      scopes: pullScope(context.name),
      followRedirects: true,
      ...withSignal(o.signal),
    });
    discard(response);
    if (response.status === 404) return undefined;
    if (response.status !== 200) throw await unexpected(response, `HEAD blob ${describeReference(context, d)}`);
    const size = Number(header(response, 'content-length'));
    if (!Number.isSafeInteger(size) || size < 0) throw new RegistryClientError('PROTOCOL', `HEAD blob ${describeReference(context, d)}: no Content-Length`);
    return size;
  });
}

/**
 * Streams a blob, following redirects to storage (without forwarding `Authorization` to another
 * host). NOT_FOUND when absent. The stream errors with DIGEST_MISMATCH at its end if the bytes
 * do not match (when verifying).
 */
export async function openBlob(context: RepositoryContext, digest: Digest, o: OpenBlobOptions = {}): Promise<Readable> {
  const d = parseDigest(digest);
  const offset = o.offset ?? 0;
  return retrying(context, o.signal, async () => {
    const response = await context.requester.send({
      method: 'GET',
      host: context.host,
      target: repositoryPath(context, `blobs/${d}`),
      scopes: pullScope(context.name),
      headers: offset > 0 ? { range: `bytes=${offset}-` } : {},
      followRedirects: true,
      ...withSignal(o.signal),
    });
    if (response.status === 404) {
      discard(response);
      throw new RegistryClientError('NOT_FOUND', `blob ${describeReference(context, d)} is not in ${context.host}`, { status: 404 });
    }
    if (response.status === 206 && offset > 0) return response.body;
    if (response.status !== 200) throw await unexpected(response, `GET blob ${describeReference(context, d)}`);
    if (offset > 0) return through(response.body, skipBytes(offset));
    return o.verify === false ? response.body : through(response.body, verifying(d));
  });
}

/** DELETE a blob from the repository. NOT_FOUND when absent. */
export async function deleteBlob(context: RepositoryContext, digest: Digest, o: { signal?: AbortSignal } = {}): Promise<void> {
  const d = parseDigest(digest);
  return retrying(context, o.signal, async () => {
    const response = await context.requester.send({
      method: 'DELETE',
      host: context.host,
      target: repositoryPath(context, `blobs/${d}`),
      scopes: deleteScope(context.name),
      ...withSignal(o.signal),
    });
    if (response.status !== 202 && response.status !== 200 && response.status !== 204) throw await unexpected(response, `DELETE blob ${describeReference(context, d)}`);
    discard(response);
  });
}

/** A pass-through that fails at the end unless the bytes hash to `digest`. */
export function verifying(digest: Digest): Transform {
  const digester = new Digester(digestAlgorithm(digest));
  return new Transform({
    highWaterMark: 1 << 20,
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      digester.update(chunk);
      callback(null, chunk);
    },
    flush(callback: TransformCallback) {
      const actual = digester.digest();
      callback(actual === digest ? null : new RegistryClientError('DIGEST_MISMATCH', `blob ${digest}: the bytes received have digest ${actual}`));
    },
  });
}

function skipBytes(count: number): Transform {
  let remaining = count;
  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      if (remaining >= chunk.byteLength) {
        remaining -= chunk.byteLength;
        return callback();
      }
      const rest = chunk.subarray(remaining);
      remaining = 0;
      callback(null, rest);
    },
  });
}
