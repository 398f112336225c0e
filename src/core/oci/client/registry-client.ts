import type { Readable } from 'node:stream';
import type { Descriptor } from '../descriptor.ts';
import type { Digest } from '../digest.ts';
import { parseRegistryHost, parseRepositoryName } from '../reference.ts';
import { createAuthenticator } from './auth.ts';
import { blobSize, deleteBlob, openBlob, type OpenBlobOptions } from './blob-requests.ts';
import { uploadBlob, type UploadBlobOptions, type UploadBlobResult } from './blob-upload.ts';
import { RegistryClientError } from './client-error.ts';
import type { CredentialStore } from './credentials.ts';
import { createHttpTransport, discard, header } from './http-transport.ts';
import { deleteManifest, getManifest, headManifest, putManifest, type ManifestContent, type ManifestHead, type PutManifestOptions, type PutManifestResult } from './manifest-requests.ts';
import { addReferrerToFallbackTag, referrers, type ReferrersOptions } from './referrer-requests.ts';
import { createRequester, unexpected } from './registry-requester.ts';
import type { RepositoryContext } from './repository-context.ts';
import { retrying, withSignal } from './repository-context.ts';
import type { RetryPolicy } from './retry.ts';
import { listTags, type ListTagsOptions } from './tag-requests.ts';

export type { ManifestContent, ManifestHead, PutManifestResult, OpenBlobOptions, UploadBlobOptions, UploadBlobResult, ReferrersOptions, ListTagsOptions };

export interface RegistryClientOptions {
  readonly credentials?: CredentialStore;
  /** Hosts reached without TLS verification, over plain HTTP when they do not speak TLS. */
  readonly insecure?: boolean | ((host: string) => boolean);
  readonly userAgent?: string;
  readonly retry?: RetryPolicy;
}

export interface PingResult {
  /** `https://host` or `http://host`. */
  readonly origin: string;
  readonly apiVersion?: string;
}

export interface RegistryClient {
  /** GET /v2/, authenticating as the registry asks: validates credentials (`slipway login`). */
  ping(host: string, options?: { signal?: AbortSignal }): Promise<PingResult>;
  repository(host: string, name: string): RepositoryClient;
  /** Closes pooled connections. */
  close(): void;
}

/** One repository of one registry host (`host` = API host, e.g. `registry-1.docker.io`). */
export interface RepositoryClient {
  readonly host: string;
  readonly name: string;
  getManifest(ref: string, options?: { signal?: AbortSignal; accept?: string }): Promise<ManifestContent | undefined>;
  headManifest(ref: string, options?: { signal?: AbortSignal }): Promise<ManifestHead | undefined>;
  putManifest(ref: string, bytes: Uint8Array, mediaType: string, options?: PutManifestOptions): Promise<PutManifestResult>;
  deleteManifest(ref: string, options?: { signal?: AbortSignal }): Promise<void>;
  blobSize(digest: Digest, options?: { signal?: AbortSignal }): Promise<number | undefined>;
  openBlob(digest: Digest, options?: OpenBlobOptions): Promise<Readable>;
  uploadBlob(descriptor: Descriptor, open: () => Promise<Readable>, options?: UploadBlobOptions): Promise<UploadBlobResult>;
  deleteBlob(digest: Digest, options?: { signal?: AbortSignal }): Promise<void>;
  listTags(options?: ListTagsOptions): AsyncIterable<string>;
  referrers(subject: Digest, options?: ReferrersOptions): Promise<readonly Descriptor[]>;
  addReferrerToFallbackTag(subject: Digest, descriptor: Descriptor, options?: { signal?: AbortSignal }): Promise<boolean>;
}

export function createRegistryClient(options: RegistryClientOptions = {}): RegistryClient {
  const insecure = typeof options.insecure === 'function' ? options.insecure : () => options.insecure === true;
  const transport = createHttpTransport(options.userAgent === undefined ? {} : { userAgent: options.userAgent });
  const auth = createAuthenticator({
    transport,
    verifyTls: (host) => !insecure(host),
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
  });
  const requester = createRequester(transport, auth, insecure);
  const retry = options.retry ?? {};
  return {
    async ping(host, o = {}) {
      parseRegistryHost(host);
      const context: RepositoryContext = { host, name: '', requester, retry };
      return retrying(context, o.signal, async () => {
        const response = await requester.send({ method: 'GET', host, target: '/v2/', scopes: [], followRedirects: true, ...withSignal(o.signal) });
        if (response.status === 404) {
          discard(response);
          throw new RegistryClientError('PROTOCOL', `${host} does not serve the registry API (/v2/ answered 404)`, { status: 404 });
        }
        if (response.status !== 200) throw await unexpected(response, `GET ${host}/v2/`);
        discard(response);
        const apiVersion = header(response, 'docker-distribution-api-version');
        return { origin: response.url.origin, ...(apiVersion === undefined ? {} : { apiVersion }) };
      });
    },
    repository(host, name) {
      parseRegistryHost(host);
      const context: RepositoryContext = { host, name: parseRepositoryName(name), requester, retry };
      return repositoryClient(context);
    },
    close: () => transport.close(),
  };
}

function repositoryClient(context: RepositoryContext): RepositoryClient {
  return {
    host: context.host,
    name: context.name,
    getManifest: (ref, o) => getManifest(context, ref, o),
    headManifest: (ref, o) => headManifest(context, ref, o),
    putManifest: (ref, bytes, mediaType, o) => putManifest(context, ref, bytes, mediaType, o),
    deleteManifest: (ref, o) => deleteManifest(context, ref, o),
    blobSize: (digest, o) => blobSize(context, digest, o),
    openBlob: (digest, o) => openBlob(context, digest, o),
    uploadBlob: (descriptor, open, o) => uploadBlob(context, descriptor, open, o),
    deleteBlob: (digest, o) => deleteBlob(context, digest, o),
    listTags: (o) => listTags(context, o),
    referrers: (subject, o) => referrers(context, subject, o),
    addReferrerToFallbackTag: (subject, descriptor, o) => addReferrerToFallbackTag(context, subject, descriptor, o),
  };
}
