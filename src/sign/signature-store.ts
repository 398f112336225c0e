import { Readable } from 'node:stream';
import { RegistryClientError } from '../core/oci/client/client-error.ts';
import type { TagCondition } from '../core/oci/client/manifest-requests.ts';
import type { RepositoryClient } from '../core/oci/client/registry-client.ts';
import type { Descriptor } from '../core/oci/descriptor.ts';
import { digestAlgorithm, digestOf, type Digest } from '../core/oci/digest.ts';
import type { ImageLayout } from '../core/oci/image-layout.ts';
import { layoutSource } from '../core/oci/layout-endpoints.ts';
import { SignError } from './sign-error.ts';

/** Signature payloads, envelopes and bundles are read whole to verify their bytes: at most this many. */
export const MAX_SIGNATURE_BLOB_BYTES = 32 * 1024 * 1024;

export interface StoredManifest {
  readonly bytes: Buffer;
  readonly mediaType: string;
  readonly digest: Digest;
}

/**
 * Where an image's signatures live: its repository, in a remote registry (the CLI) or in
 * Slipway's own registry (the server's gates). The signing stage reads and writes both schemes
 * through this port only.
 */
export interface SignatureStore {
  /** `host/path` of the repository: the docker-reference legacy signatures name. */
  readonly repository: string;
  manifest(reference: string, options?: { signal?: AbortSignal }): Promise<StoredManifest | undefined>;
  /** A small blob, whole, its digest verified; larger than MAX_SIGNATURE_BLOB_BYTES is refused. */
  blob(descriptor: Descriptor, options?: { signal?: AbortSignal }): Promise<Buffer>;
  /** The OCI 1.1 referrers of a subject, however the registry stores them (API or tag schema). */
  referrers(subject: Digest, options?: { signal?: AbortSignal }): Promise<readonly Descriptor[]>;
  putBlob(bytes: Buffer, mediaType: string, options?: { signal?: AbortSignal }): Promise<Descriptor>;
  /**
   * `subjectIndexed`: the registry lists this referrer by its subject itself (no fallback tag needed). With a
   * `condition` the tag is written only if it is still where it was read; `moved` when it was not (nothing written).
   * A registry that ignores conditional PUTs simply writes.
   */
  putManifest(
    reference: string,
    bytes: Buffer,
    mediaType: string,
    options?: { signal?: AbortSignal; condition?: TagCondition },
  ): Promise<{ readonly subjectIndexed: boolean; readonly moved?: true }>;
  addReferrerToFallbackTag(subject: Digest, descriptor: Descriptor, options?: { signal?: AbortSignal }): Promise<void>;
  /** Deletes a manifest by digest (a replaced attestation). */
  deleteManifest(digest: Digest, options?: { signal?: AbortSignal }): Promise<void>;
}

/**
 * An OCI image layout (what `slipway copy … oci:<dir>` writes, signatures included) as a read-only
 * signature store: `.sig`/`.att` manifests by their ref name, referrers by their `subject`. Its
 * repository is `oci:<dir>`, which no legacy signature names: verifying one needs the repository it
 * was signed in (`--docker-reference`) or `--ignore-docker-reference`.
 */
export function layoutSignatureStore(layout: ImageLayout): SignatureStore {
  const source = layoutSource(layout);
  const readOnly = (): never => {
    throw new SignError('IMAGE_UNKNOWN', `${source.description} is an OCI layout: signatures are verified there, not written`);
  };
  return {
    repository: source.description,
    async manifest(reference, o = {}) {
      const found = await source.getManifest(reference, o);
      return found === undefined ? undefined : { bytes: found.bytes, mediaType: found.mediaType, digest: found.digest };
    },
    async blob(descriptor, o = {}) {
      checkSize(descriptor);
      return readVerified(descriptor, await layout.openBlob(descriptor.digest, o));
    },
    referrers: (subject) => source.referrers(subject),
    putBlob: readOnly,
    putManifest: readOnly,
    addReferrerToFallbackTag: readOnly,
    deleteManifest: readOnly,
  };
}

/** A repository of a remote registry as a signature store. */
export function registrySignatureStore(repository: RepositoryClient): SignatureStore {
  return {
    repository: `${repository.host}/${repository.name}`,
    manifest: (reference, o = {}) => repository.getManifest(reference, o),
    async blob(descriptor, o = {}) {
      checkSize(descriptor);
      return readVerified(descriptor, await repository.openBlob(descriptor.digest, { ...o, verify: false }));
    },
    referrers: (subject, o = {}) => repository.referrers(subject, o),
    async putBlob(bytes, mediaType, o = {}) {
      const descriptor: Descriptor = { mediaType, digest: digestOf(bytes), size: bytes.byteLength };
      await repository.uploadBlob(descriptor, () => Promise.resolve(Readable.from([bytes])), o);
      return descriptor;
    },
    async putManifest(reference, bytes, mediaType, o = {}) {
      try {
        const result = await repository.putManifest(reference, bytes, mediaType, o);
        return { subjectIndexed: result.subjectIndexed };
      } catch (error) {
        if (error instanceof RegistryClientError && error.code === 'TAG_MOVED') return { subjectIndexed: false, moved: true };
        throw error;
      }
    },
    async addReferrerToFallbackTag(subject, descriptor, o = {}) {
      await repository.addReferrerToFallbackTag(subject, descriptor, o);
    },
    deleteManifest: (digest, o = {}) => repository.deleteManifest(digest, o),
  };
}

export function checkSize(descriptor: Descriptor): void {
  if (descriptor.size > MAX_SIGNATURE_BLOB_BYTES) {
    throw new SignError('SIGNATURE_MALFORMED', `${descriptor.digest} is ${descriptor.size} bytes, over the ${MAX_SIGNATURE_BLOB_BYTES}-byte limit for signature content`);
  }
}

/** Reads a stream whole, refusing more bytes than the descriptor says and a digest other than its own. */
export async function readVerified(descriptor: Descriptor, stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    if (size > descriptor.size) {
      stream.destroy();
      throw new SignError('SIGNATURE_MALFORMED', `${descriptor.digest} is longer than its descriptor's ${descriptor.size} bytes`);
    }
    chunks.push(chunk);
  }
  const bytes = Buffer.concat(chunks);
  if (bytes.byteLength !== descriptor.size || digestOf(bytes, digestAlgorithm(descriptor.digest)) !== descriptor.digest) {
    throw new SignError('SIGNATURE_MALFORMED', `the content of ${descriptor.digest} does not match its digest`);
  }
  return bytes;
}
