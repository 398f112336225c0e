/**
 * The registry stage: OCI Distribution Spec v1.1 and Docker Registry v2 semantics over a blob
 * store and the metadata database. Other folders import the registry only through this file.
 */
import type { BlobStore } from '../core/storage/blob-store.ts';
import type { MetadataDatabase } from '../core/storage/metadata/database.ts';
import { createBlobService, type BlobService } from './blob-service.ts';
import { createManifestService, type ManifestService } from './manifest-service.ts';
import { openPullGate, type PullGate } from './pull-gate.ts';
import { createRegistryMetadata } from './registry-metadata.ts';
import { createRepositoryResolver } from './repository-resolver.ts';

export interface RegistryDeps {
  readonly database: MetadataDatabase;
  readonly blobs: BlobStore;
  readonly pullGate?: PullGate;
  readonly clock?: () => number;
}

export interface Registry {
  readonly blobs: BlobService;
  readonly manifests: ManifestService;
  /** Creates a project if it does not exist (bootstrap and tests; the projects API comes later). */
  ensureProject(name: string, options: { public: boolean }): Promise<void>;
  isProjectPublic(name: string): Promise<boolean>;
}

export function createRegistry(deps: RegistryDeps): Registry {
  const clock = deps.clock ?? Date.now;
  const metadata = createRegistryMetadata(deps.database);
  const repositories = createRepositoryResolver(metadata, clock);
  return {
    blobs: createBlobService({ metadata, blobs: deps.blobs, repositories, clock }),
    manifests: createManifestService({ metadata, blobs: deps.blobs, repositories, pullGate: deps.pullGate ?? openPullGate, clock }),
    async ensureProject(name, options) {
      await metadata.ensureProject(name, { public: options.public, now: clock() });
    },
    async isProjectPublic(name) {
      return (await metadata.findProject(name))?.public ?? false;
    },
  };
}

export { RegistryError, type RegistryErrorCode } from './registry-error.ts';
export { parseRepositoryName, isValidTag, type RepositoryName } from './repository-name.ts';
export { openPullGate, type PullGate, type PullRequest, type PullVerdict } from './pull-gate.ts';
export type { ByteRange, UploadState, BlobService } from './blob-service.ts';
export type { ManifestService, PageResult, StoredManifest } from './manifest-service.ts';
