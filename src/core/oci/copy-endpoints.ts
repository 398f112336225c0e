import type { FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { RepositoryClient } from './client/registry-client.ts';
import type { Descriptor } from './descriptor.ts';
import type { Digest } from './digest.ts';
import { OciError } from './oci-error.ts';

/** Manifest bytes exactly as stored, with their media type and digest. */
export interface ManifestBytes {
  readonly bytes: Buffer;
  readonly mediaType: string;
  readonly digest: Digest;
}

/** Where a registry endpoint lives, so the copier can mount blobs between repositories of one registry. */
export interface RegistryLocation {
  readonly host: string;
  readonly repository: string;
}

/** Where `copyImage` reads from: a registry repository or an OCI layout. */
export interface ImageSource {
  /** For messages: `reg.example/dev/app`, `oci:/path`. */
  readonly description: string;
  readonly registry?: RegistryLocation;
  /** A manifest by tag (or layout ref name) or digest; `undefined` names a layout's only image. Undefined when absent. */
  getManifest(reference: string | undefined, options?: { signal?: AbortSignal }): Promise<ManifestBytes | undefined>;
  openBlob(descriptor: Descriptor, options?: { signal?: AbortSignal }): Promise<Readable>;
  /** Where blobs are local files (a layout): the blob's file, opened to be read in place; the caller closes it. */
  openBlobFile?(descriptor: Descriptor, options?: { signal?: AbortSignal }): Promise<FileHandle>;
  /** The manifests whose `subject` is `subject` (OCI 1.1 referrers, however the source stores them). */
  referrers(subject: Digest, options?: { signal?: AbortSignal }): Promise<readonly Descriptor[]>;
}

/**
 * What a manifest is to the copy, which decides how a target records it: the image asked for
 * (under the target tag), a child of an index, a referrer, or a manifest under cosign's legacy tag.
 */
export type ManifestRole = 'root' | 'child' | 'referrer' | 'tagged';

export type BlobOutcome = 'copied' | 'skipped' | 'mounted';

/** Where `copyImage` writes to. Content is stored verbatim: digests never change. */
export interface ImageTarget {
  readonly description: string;
  readonly registry?: RegistryLocation;
  hasManifest(digest: Digest, options?: { signal?: AbortSignal }): Promise<boolean>;
  putBlob(
    descriptor: Descriptor,
    open: () => Promise<Readable>,
    options?: { mountFrom?: string; onProgress?: (bytes: number) => void; signal?: AbortSignal },
  ): Promise<BlobOutcome>;
  /** `subjectIndexed`: the target finds this referrer by its subject without a fallback tag. */
  putManifest(manifest: ManifestBytes, options: { role: ManifestRole; tag?: string; signal?: AbortSignal }): Promise<{ subjectIndexed: boolean }>;
  /** Records a referrer where the target cannot index subjects itself (the referrers tag schema). */
  addReferrer(subject: Digest, descriptor: Descriptor, options?: { signal?: AbortSignal }): Promise<void>;
}

/** A registry repository as a copy source. Blobs are not re-hashed here: every target verifies them. */
export function registrySource(repository: RepositoryClient): ImageSource {
  return {
    description: `${repository.host}/${repository.name}`,
    registry: { host: repository.host, repository: repository.name },
    async getManifest(reference, o = {}) {
      if (reference === undefined) throw new OciError('REFERENCE_INVALID', `${repository.host}/${repository.name}: name a tag or a digest to copy`);
      return repository.getManifest(reference, o);
    },
    openBlob: (descriptor, o = {}) => repository.openBlob(descriptor.digest, { ...o, verify: false }),
    referrers: (subject, o = {}) => repository.referrers(subject, o),
  };
}

/** A registry repository as a copy target. */
export function registryTarget(repository: RepositoryClient, options: { chunkSize?: number } = {}): ImageTarget {
  return {
    description: `${repository.host}/${repository.name}`,
    registry: { host: repository.host, repository: repository.name },
    hasManifest: async (digest, o = {}) => (await repository.headManifest(digest, o)) !== undefined,
    async putBlob(descriptor, open, o = {}) {
      const result = await repository.uploadBlob(descriptor, open, { ...o, ...(options.chunkSize === undefined ? {} : { chunkSize: options.chunkSize }) });
      return result.skipped ? 'skipped' : result.mounted ? 'mounted' : 'copied';
    },
    async putManifest(manifest, o) {
      const result = await repository.putManifest(o.tag ?? manifest.digest, manifest.bytes, manifest.mediaType, o.signal === undefined ? {} : { signal: o.signal });
      return { subjectIndexed: result.subjectIndexed };
    },
    async addReferrer(subject, descriptor, o = {}) {
      await repository.addReferrerToFallbackTag(subject, descriptor, o);
    },
  };
}
