import type { Readable } from 'node:stream';
import type { Descriptor } from '../descriptor.ts';
import { isDigest, parseDigest } from '../digest.ts';
import { parseRepositoryName } from '../reference.ts';
import { pullScope, pushScope } from './auth-challenge.ts';
import { RegistryClientError } from './client-error.ts';
import { sizeGuard, through } from './blob-guard.ts';
import { blobSize } from './blob-requests.ts';
import { discard, header, type TransportResponse } from './http-transport.ts';
import { unexpected } from './registry-requester.ts';
import { describeReference, repositoryPath, retrying, withSignal, type RepositoryContext } from './repository-context.ts';

export interface UploadBlobOptions {
  /** Upload in PATCH chunks of this many bytes (each held in memory); monolithic PUT when unset. */
  readonly chunkSize?: number;
  /** Another repository on the same registry that has the blob: try a cross-repository mount first. */
  readonly mountFrom?: string;
  /** Bytes sent so far for this blob. */
  readonly onProgress?: (bytes: number) => void;
  readonly signal?: AbortSignal;
}

export interface UploadBlobResult {
  /** The blob was already there: nothing sent. */
  readonly skipped: boolean;
  /** The registry linked the blob from `mountFrom`: nothing sent. */
  readonly mounted: boolean;
}

/**
 * Puts a blob into the repository unless it is there already: a cross-repository mount when
 * `mountFrom` is given, else POST then one streaming PUT with `Content-Length` (or PATCH chunks with
 * `Content-Range`). Transient failures restart the whole upload, re-opening the source with `open`.
 */
export async function uploadBlob(
  context: RepositoryContext,
  descriptor: Descriptor,
  open: () => Promise<Readable>,
  o: UploadBlobOptions = {},
): Promise<UploadBlobResult> {
  parseDigest(descriptor.digest);
  if (o.mountFrom !== undefined) parseRepositoryName(o.mountFrom);
  const present = await blobSize(context, descriptor.digest, withSignal(o.signal));
  if (present !== undefined) return { skipped: true, mounted: false };
  return retrying(context, o.signal, async () => {
    const session = await startUpload(context, descriptor, o);
    if (session === 'mounted') return { skipped: false, mounted: true };
    if (o.chunkSize !== undefined && o.chunkSize > 0) {
      await chunkedUpload(context, descriptor, open, session, Math.max(o.chunkSize, session.minChunk), o);
    } else {
      await monolithicUpload(context, descriptor, open, session.location, o);
    }
    return { skipped: false, mounted: false };
  });
}

interface UploadSession {
  readonly location: URL;
  readonly minChunk: number;
}

async function startUpload(context: RepositoryContext, descriptor: Descriptor, o: UploadBlobOptions): Promise<UploadSession | 'mounted'> {
  const mount = o.mountFrom !== undefined && o.mountFrom !== context.name;
  const query = mount ? `?mount=${encodeURIComponent(descriptor.digest)}&from=${encodeURIComponent(o.mountFrom ?? '')}` : '';
  const response = await context.requester.send({
    method: 'POST',
    host: context.host,
    target: repositoryPath(context, `blobs/uploads/${query}`),
    scopes: mount ? [...pushScope(context.name), ...pullScope(o.mountFrom ?? '')] : pushScope(context.name),
    ...withSignal(o.signal),
  });
  if (mount && response.status === 201) {
    discard(response);
    return 'mounted';
  }
  if (response.status !== 202) throw await unexpected(response, `POST blob upload ${context.name}`);
  discard(response);
  const minChunk = Number(header(response, 'oci-chunk-min-length') ?? 0);
  return { location: nextLocation(response, 'POST blob upload'), minChunk: Number.isSafeInteger(minChunk) && minChunk > 0 ? minChunk : 0 };
}

async function monolithicUpload(context: RepositoryContext, descriptor: Descriptor, open: () => Promise<Readable>, location: URL, o: UploadBlobOptions): Promise<void> {
  const response = await context.requester.send({
    method: 'PUT',
    host: context.host,
    target: withDigest(location, descriptor),
    scopes: pushScope(context.name),
    headers: { 'content-type': 'application/octet-stream', 'content-length': String(descriptor.size) },
    body: async () => through(await open(), sizeGuard(descriptor, o.onProgress)),
    ...withSignal(o.signal),
  });
  await expectCreated(context, response, descriptor);
}

async function chunkedUpload(
  context: RepositoryContext,
  descriptor: Descriptor,
  open: () => Promise<Readable>,
  session: UploadSession,
  chunkSize: number,
  o: UploadBlobOptions,
): Promise<void> {
  let location = session.location;
  let offset = 0;
  const source = through(await open(), sizeGuard(descriptor));
  for await (const chunk of chunks(source, chunkSize)) {
    const response = await context.requester.send({
      method: 'PATCH',
      host: context.host,
      target: location,
      scopes: pushScope(context.name),
      headers: { 'content-type': 'application/octet-stream', 'content-range': `${offset}-${offset + chunk.byteLength - 1}` },
      body: chunk,
      ...withSignal(o.signal),
    });
    if (response.status !== 202) throw await unexpected(response, `PATCH blob upload ${context.name}`);
    discard(response);
    location = nextLocation(response, 'PATCH blob upload');
    offset += chunk.byteLength;
    o.onProgress?.(offset);
  }
  const response = await context.requester.send({
    method: 'PUT',
    host: context.host,
    target: withDigest(location, descriptor),
    scopes: pushScope(context.name),
    ...withSignal(o.signal),
  });
  await expectCreated(context, response, descriptor);
}

/** Regroups a stream into buffers of exactly `size` bytes (the last one shorter). */
async function* chunks(source: Readable, size: number): AsyncGenerator<Buffer> {
  let parts: Buffer[] = [];
  let held = 0;
  for await (const data of source.iterator()) {
    let piece: Buffer = Buffer.isBuffer(data) ? data : Buffer.from(String(data));
    while (held + piece.byteLength >= size) {
      const take = size - held;
      parts.push(piece.subarray(0, take));
      yield Buffer.concat(parts, size);
      piece = piece.subarray(take);
      parts = [];
      held = 0;
    }
    if (piece.byteLength > 0) {
      parts.push(piece);
      held += piece.byteLength;
    }
  }
  if (held > 0) yield Buffer.concat(parts, held);
}

async function expectCreated(context: RepositoryContext, response: TransportResponse, descriptor: Descriptor): Promise<void> {
  if (response.status !== 201) {
    const error = await unexpected(response, `PUT blob ${describeReference(context, descriptor.digest)}`);
    if (error.ociCode === 'DIGEST_INVALID' || error.ociCode === 'SIZE_INVALID') {
      throw new RegistryClientError('DIGEST_MISMATCH', `${context.host} refused blob ${descriptor.digest}: ${error.message}`, { cause: error, status: error.status ?? 400, ociCode: error.ociCode });
    }
    throw error;
  }
  discard(response);
  const answered = header(response, 'docker-content-digest');
  if (answered !== undefined && isDigest(answered) && answered !== descriptor.digest) {
    throw new RegistryClientError('DIGEST_MISMATCH', `${context.host} stored blob ${descriptor.digest} as ${answered}`);
  }
}

function nextLocation(response: TransportResponse, what: string): URL {
  const location = header(response, 'location');
  if (location === undefined) throw new RegistryClientError('PROTOCOL', `${what}: the registry sent no Location`, { status: response.status });
  return new URL(location, response.url);
}

/** Appends `digest=` to an opaque upload URL without re-encoding its query. */
function withDigest(location: URL, descriptor: Descriptor): URL {
  const url = new URL(location);
  const param = `digest=${encodeURIComponent(descriptor.digest)}`;
  url.search = url.search === '' || url.search === '?' ? `?${param}` : `${url.search}&${param}`;
  return url;
}
