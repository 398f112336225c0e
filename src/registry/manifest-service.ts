import type { Readable } from 'node:stream';
import type { Principal } from '../core/auth/authorizer.ts';
import type { Descriptor } from '../core/oci/descriptor.ts';
import { digestAlgorithm, digestOf, parseDigest, type Digest } from '../core/oci/digest.ts';
import { MAX_MANIFEST_BYTES, effectiveArtifactType, manifestReferences, parseManifest, type Manifest } from '../core/oci/manifest.ts';
import { MediaType } from '../core/oci/media-types.ts';
import { OciError } from '../core/oci/oci-error.ts';
import type { BlobStore } from '../core/storage/blob-store.ts';
import { StorageError } from '../core/storage/storage-error.ts';
import { StreamLimitError, readLimited } from '../core/stream/read-limited.ts';
import type { PullGate } from './pull-gate.ts';
import { RegistryError } from './registry-error.ts';
import type { ManifestRow, Page, RegistryMetadata, TagPrecondition } from './registry-metadata.ts';
import { assertTag, type RepositoryName } from './repository-name.ts';
import type { RepositoryResolver } from './repository-resolver.ts';
import type { RegistryEventSink } from './registry-events.ts';
import type { WritePolicy } from './write-policy.ts';

export interface ManifestServiceDeps {
  readonly metadata: RegistryMetadata;
  readonly blobs: BlobStore;
  readonly repositories: RepositoryResolver;
  readonly pullGate: PullGate;
  readonly writePolicy: WritePolicy;
  readonly events: RegistryEventSink;
  readonly clock: () => number;
}

export interface StoredManifest {
  readonly digest: Digest;
  readonly mediaType: string;
  readonly size: number;
}

export interface PageResult<T> {
  readonly items: readonly T[];
  /** The `last` value of the next page, when there may be one. */
  readonly next: string | undefined;
}

export type ManifestService = ReturnType<typeof createManifestService>;

/** Manifests, tags, referrers and the catalog (end-3, 7, 8, 9, 12 and `_catalog`). */
export function createManifestService(deps: ManifestServiceDeps) {
  const { metadata, blobs, repositories, pullGate, writePolicy, events, clock } = deps;

  async function resolve(repo: RepositoryName, reference: string): Promise<ManifestRow> {
    const repositoryId = await repositories.existing(repo);
    const digest = isDigestReference(reference) ? parseReferenceDigest(reference) : await metadata.resolveTag(repositoryId, reference);
    const row = digest === undefined ? undefined : await metadata.findManifest(repositoryId, digest);
    if (row === undefined) {
      throw new RegistryError('MANIFEST_UNKNOWN', `manifest ${reference} is not in ${repo.name}`, { detail: { reference } });
    }
    return row;
  }

  /**
   * The stored bytes of a manifest the metadata lists. Bytes gone from storage make the manifest
   * unknown, as a linked blob without its file is (BLOB_UNKNOWN), rather than an internal error.
   */
  async function manifestBytes(row: ManifestRow, options: { signal?: AbortSignal }): Promise<Buffer> {
    try {
      return await blobs.readAll(row.digest as Digest, { maxBytes: MAX_MANIFEST_BYTES, ...options });
    } catch (error) {
      if (!(error instanceof StorageError && error.code === 'NOT_FOUND')) throw error;
      throw new RegistryError('MANIFEST_UNKNOWN', `the content of manifest ${row.digest} is missing from storage`, { cause: error, detail: { digest: row.digest } });
    }
  }

  /**
   * `read` gives the manifest's bytes when the gate asks for its layers (a referrer in a gated
   * project); a GET passes the read it serves from, so the bytes are read once.
   */
  async function passGate(
    repo: RepositoryName,
    row: ManifestRow,
    principal: Principal,
    options: { signal?: AbortSignal },
    read: () => Promise<Buffer> = () => manifestBytes(row, options),
  ): Promise<void> {
    const layerMediaTypes = async (): Promise<readonly string[]> => {
      const manifest = parseManifest(await read(), row.mediaType);
      return manifest.kind === 'image' ? manifest.layers.map((layer) => layer.mediaType) : [];
    };
    const verdict = await pullGate.check(
      { project: repo.project, repository: repo.name, digest: row.digest, mediaType: row.mediaType, artifactType: row.artifactType, subject: row.subjectDigest, layerMediaTypes, principal },
      options,
    );
    if (!verdict.allowed) {
      // Recorded (the audit log): who was refused what, and why.
      events.emit({ type: 'pull-refused', project: repo.project, repository: repo.name, digest: row.digest, reasons: verdict.reasons, actor: principal.name, at: clock() });
      throw new RegistryError('POLICY_VIOLATION', verdict.reasons.join('; '), { detail: { digest: row.digest, reasons: verdict.reasons } });
    }
  }

  /** Every blob and child manifest must already be in the repository; the subject need not be. */
  async function assertReferencesPresent(repositoryId: number, manifest: Manifest): Promise<void> {
    const references = manifestReferences(manifest);
    const blobDescriptors = references.filter((r) => r.kind === 'blob').map((r) => r.descriptor);
    const childDigests = references.filter((r) => r.kind === 'manifest').map((r) => r.descriptor.digest);
    const linked = await metadata.linkedBlobs(repositoryId, blobDescriptors.map((d) => d.digest));
    const children = await metadata.existingManifests(repositoryId, childDigests);
    const missing = [
      ...blobDescriptors.filter((d) => !linked.has(d.digest)).map((d) => d.digest),
      ...childDigests.filter((d) => !children.has(d)),
    ];
    if (missing.length > 0) {
      throw new RegistryError('MANIFEST_BLOB_UNKNOWN', `manifest references content missing from the repository: ${missing.join(', ')}`, {
        detail: { digests: [...new Set(missing)] },
      });
    }
    const wrongSize = blobDescriptors.find((d) => linked.get(d.digest) !== d.size);
    if (wrongSize !== undefined) {
      throw new RegistryError(
        'MANIFEST_INVALID',
        `descriptor size ${wrongSize.size} of ${wrongSize.digest} does not match the stored blob (${linked.get(wrongSize.digest)} bytes)`,
        { detail: { digest: wrongSize.digest } },
      );
    }
  }

  return {
    /** PUT a manifest by tag or digest. Returns its digest and the subject it was indexed under. */
    async putManifest(
      repo: RepositoryName,
      reference: string,
      body: Readable,
      contentType: string | undefined,
      actor = '',
      options: { readonly tagPrecondition?: TagPrecondition } = {},
    ): Promise<{ digest: Digest; subject: Digest | undefined }> {
      const byDigest = isDigestReference(reference);
      const expected = byDigest ? parseReferenceDigest(reference) : undefined;
      if (!byDigest) assertTag(reference);
      if (byDigest && options.tagPrecondition !== undefined) throw new RegistryError('INVALID', 'If-Match and If-None-Match apply to a PUT by tag, not by digest');
      const bytes = await readManifestBody(body);
      const manifest = parseBody(bytes, contentType);
      const digest = digestOf(bytes, expected === undefined ? 'sha256' : digestAlgorithm(expected));
      if (expected !== undefined && expected !== digest) {
        throw new RegistryError('DIGEST_INVALID', `manifest digest is ${digest}, not ${expected}`, { detail: { expected, actual: digest } });
      }
      const repositoryId = await repositories.forWrite(repo);
      await assertReferencesPresent(repositoryId, manifest);
      const tag = byDigest ? undefined : reference;
      await writePolicy.checkManifest(repo, { digest, size: bytes.byteLength, tag }, { actor });
      await blobs.put(bytes, { digest, size: bytes.byteLength });
      await metadata.putManifest({
        repositoryId,
        digest,
        mediaType: manifest.mediaType,
        size: bytes.byteLength,
        artifactType: effectiveArtifactType(manifest),
        subjectDigest: manifest.subject?.digest,
        annotations: manifest.annotations === undefined ? undefined : JSON.stringify(manifest.annotations),
        references: manifestReferences(manifest).map((r) => ({ digest: r.descriptor.digest, kind: r.kind })),
        tag,
        ...(options.tagPrecondition === undefined ? {} : { tagPrecondition: options.tagPrecondition }),
        now: clock(),
      });
      const at = clock();
      events.emit({ type: 'push', project: repo.project, repository: repo.name, digest, mediaType: manifest.mediaType, tags: tag === undefined ? [] : [tag], actor, at });
      return { digest, subject: manifest.subject?.digest };
    },

    /**
     * HEAD: what the manifest is, from metadata alone, once the pull gate has passed — or, where it holds the image
     * back, for a caller who may push here (`mayPush`, asked only then): it reveals no more than what that caller could
     * have pushed itself, and signing a held image, or copying the signatures that release it, starts with a HEAD.
     */
    async statManifest(
      repo: RepositoryName,
      reference: string,
      principal?: Principal,
      options: { signal?: AbortSignal; mayPush?: () => Promise<boolean> } = {},
    ): Promise<StoredManifest> {
      const row = await resolve(repo, reference);
      if (principal !== undefined) {
        try {
          await passGate(repo, row, principal, options);
        } catch (error) {
          const held = error instanceof RegistryError && error.code === 'POLICY_VIOLATION';
          if (!held || options.mayPush === undefined || !(await options.mayPush())) throw error;
        }
      }
      return { digest: row.digest as Digest, mediaType: row.mediaType, size: row.size };
    },

    /** GET: the stored bytes, verbatim, once the pull gate has passed. */
    async getManifest(
      repo: RepositoryName,
      reference: string,
      principal: Principal,
      options: { signal?: AbortSignal } = {},
    ): Promise<StoredManifest & { readonly bytes: Buffer }> {
      const row = await resolve(repo, reference);
      let reading: Promise<Buffer> | undefined;
      const read = () => (reading ??= manifestBytes(row, options));
      await passGate(repo, row, principal, options, read);
      const bytes = await read();
      const at = clock();
      await metadata.touchPulled(row.id, at);
      events.emit({ type: 'pull', project: repo.project, repository: repo.name, digest: row.digest, mediaType: row.mediaType, tags: isDigestReference(reference) ? [] : [reference], actor: principal.name, at });
      return { digest: row.digest as Digest, mediaType: row.mediaType, size: row.size, bytes };
    },

    /** DELETE by tag untags; by digest removes the manifest and every tag on it. */
    async deleteManifest(repo: RepositoryName, reference: string, actor = ''): Promise<void> {
      const repositoryId = await repositories.existing(repo);
      if (!isDigestReference(reference)) {
        assertTag(reference);
        const tagged = await metadata.resolveTag(repositoryId, reference);
        if (tagged === undefined) throw new RegistryError('MANIFEST_UNKNOWN', `tag ${reference} is not in ${repo.name}`, { detail: { tag: reference } });
        await writePolicy.checkTagRemoval(repo, [reference]);
        if (!(await metadata.deleteTag(repositoryId, reference))) {
          throw new RegistryError('MANIFEST_UNKNOWN', `tag ${reference} is not in ${repo.name}`, { detail: { tag: reference } });
        }
        events.emit({ type: 'untag', project: repo.project, repository: repo.name, digest: tagged, mediaType: '', tags: [reference], actor, at: clock() });
        return;
      }
      const digest = parseReferenceDigest(reference);
      const parents = await metadata.parentsOf(repositoryId, digest);
      if (parents.length > 0) {
        throw new RegistryError(
          'MANIFEST_REFERENCED',
          `manifest ${digest} is part of index ${parents.join(', ')} in ${repo.name}; delete the index first`,
          { detail: { digest, parents } },
        );
      }
      const row = await metadata.findManifest(repositoryId, digest);
      if (row === undefined) throw new RegistryError('MANIFEST_UNKNOWN', `manifest ${digest} is not in ${repo.name}`, { detail: { digest } });
      const tags = await metadata.tagsOf(repositoryId, digest);
      await writePolicy.checkTagRemoval(repo, tags);
      if (!(await metadata.deleteManifest(repositoryId, digest))) {
        throw new RegistryError('MANIFEST_UNKNOWN', `manifest ${digest} is not in ${repo.name}`, { detail: { digest } });
      }
      events.emit({ type: 'delete', project: repo.project, repository: repo.name, digest, mediaType: row.mediaType, tags, actor, at: clock() });
    },

    async listTags(repo: RepositoryName, page: Page): Promise<PageResult<string>> {
      const repositoryId = await repositories.existing(repo);
      return paged(page, (p) => metadata.listTags(repositoryId, p));
    },

    async catalog(page: Page): Promise<PageResult<string>> {
      return paged(page, (p) => metadata.listRepositories(p));
    },

    /** The referrers of a subject as an image index (an unknown subject has none; never 404). */
    async referrers(repo: RepositoryName, subject: Digest, artifactType: string | undefined): Promise<{ index: Buffer; filtered: boolean }> {
      const repositoryId = await metadata.findRepositoryId(repo.name);
      const rows = repositoryId === undefined ? [] : await metadata.referrers(repositoryId, subject, artifactType);
      const manifests = rows.map(referrerDescriptor);
      const index = { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests };
      return { index: Buffer.from(JSON.stringify(index)), filtered: artifactType !== undefined };
    },
  };
}

/** Fetches one more than asked so that a next page is announced only when there is one. */
async function paged(page: Page, fetch: (page: Page) => Promise<string[]>): Promise<PageResult<string>> {
  if (page.n === 0) return { items: [], next: undefined };
  const rows = await fetch({ n: page.n + 1, last: page.last });
  const items = rows.slice(0, page.n);
  return { items, next: rows.length > page.n ? items.at(-1) : undefined };
}

function referrerDescriptor(row: ManifestRow): Descriptor {
  const descriptor: { -readonly [K in keyof Descriptor]: Descriptor[K] } = {
    mediaType: row.mediaType,
    digest: row.digest as Digest,
    size: row.size,
  };
  if (row.artifactType !== null) descriptor.artifactType = row.artifactType;
  if (row.annotations !== null) descriptor.annotations = JSON.parse(row.annotations) as Record<string, string>;
  return descriptor;
}

function isDigestReference(reference: string): boolean {
  return reference.includes(':');
}

function parseReferenceDigest(reference: string): Digest {
  try {
    return parseDigest(reference);
  } catch (cause) {
    throw new RegistryError('DIGEST_INVALID', (cause as Error).message, { cause, detail: { reference } });
  }
}

async function readManifestBody(body: Readable): Promise<Buffer> {
  try {
    return await readLimited(body, MAX_MANIFEST_BYTES);
  } catch (error) {
    if (error instanceof StreamLimitError) {
      throw new RegistryError('MANIFEST_TOO_LARGE', `manifest exceeds the limit of ${MAX_MANIFEST_BYTES} bytes`, { cause: error });
    }
    throw error;
  }
}

function parseBody(bytes: Buffer, contentType: string | undefined): Manifest {
  try {
    return parseManifest(bytes, contentType);
  } catch (error) {
    if (error instanceof OciError) throw new RegistryError('MANIFEST_INVALID', error.message, { cause: error });
    throw error;
  }
}
