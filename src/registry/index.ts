/**
 * The registry stage: OCI Distribution Spec v1.1 and Docker Registry v2 semantics over a blob
 * store and the metadata database. Other folders import the registry only through this file.
 */
import type { Readable } from 'node:stream';
import type { Digest } from '../core/oci/digest.ts';
import { MAX_MANIFEST_BYTES } from '../core/oci/manifest.ts';
import type { BlobStore } from '../core/storage/blob-store.ts';
import type { MetadataDatabase } from '../core/storage/metadata/database.ts';
import { createBlobService, type BlobService } from './blob-service.ts';
import { createManifestService, type ManifestService } from './manifest-service.ts';
import { openPullGate, type PullGate } from './pull-gate.ts';
import { createArtifacts, type Artifacts } from './artifacts.ts';
import { createProjects, type Projects } from './projects.ts';
import { noRegistryEvents, type RegistryEventSink } from './registry-events.ts';
import { openWritePolicy, type WritePolicy } from './write-policy.ts';
import { createImmutableRules, type ImmutableRules } from './immutable-rules.ts';
import { createTrustPolicies, type TrustPolicies } from './trust-policies.ts';
import { createLabels, type Labels } from './labels.ts';
import { createRetentionService, type RetentionExecutionView, type RetentionSchedules, type RetentionService } from './retention-service.ts';
import { createGarbageCollector, type GarbageCollector } from './garbage-collector.ts';
import { createRegistryMetadata } from './registry-metadata.ts';
import { createRepositoryResolver } from './repository-resolver.ts';

export interface RegistryDeps {
  readonly database: MetadataDatabase;
  readonly blobs: BlobStore;
  readonly pullGate?: PullGate;
  readonly writePolicy?: WritePolicy;
  readonly events?: RegistryEventSink;
  /** Where retention schedules are kept (the durable scheduler); none: schedules are ignored. */
  readonly retentionSchedules?: RetentionSchedules;
  readonly onRetentionFinished?: (execution: RetentionExecutionView, project: string) => void;
  readonly clock?: () => number;
}

export interface Registry {
  readonly blobs: BlobService;
  readonly manifests: ManifestService;
  readonly projects: Projects;
  readonly artifacts: Artifacts;
  readonly immutableRules: ImmutableRules;
  /** Each project's trust policy for signatures (keys, identities, threshold, required attestations), versioned. */
  readonly trustPolicies: TrustPolicies;
  readonly labels: Labels;
  readonly retention: RetentionService;
  readonly gc: GarbageCollector;
  /**
   * Trusted internal reads for other stages (the scanner, promotion): manifests and blobs of a
   * repository by digest, without the pull gate. Never exposed to callers from outside.
   */
  readonly content: {
    manifest(repository: string, digest: string, options?: { signal?: AbortSignal }): Promise<{ bytes: Buffer; mediaType: string } | undefined>;
    openBlob(digest: string, options?: { signal?: AbortSignal }): Promise<Readable>;
    /** The digest a tag names in a repository (cosign's legacy `.sig`/`.att` tags, say). */
    resolveTag(repository: string, tag: string): Promise<string | undefined>;
  };
  /** Creates a project if it does not exist (bootstrap and tests; the projects API comes later). */
  ensureProject(name: string, options: { public: boolean }): Promise<void>;
  isProjectPublic(name: string): Promise<boolean>;
}

export function createRegistry(deps: RegistryDeps): Registry {
  const clock = deps.clock ?? Date.now;
  const metadata = createRegistryMetadata(deps.database);
  const repositories = createRepositoryResolver(metadata, clock);
  const writePolicy = deps.writePolicy ?? openWritePolicy;
  const events = deps.events ?? noRegistryEvents;
  const manifests = createManifestService({ metadata, blobs: deps.blobs, repositories, pullGate: deps.pullGate ?? openPullGate, writePolicy, events, clock });
  const labels = createLabels(deps.database, clock);
  const artifacts = createArtifacts({ database: deps.database, metadata, manifests, writePolicy, labels, clock });
  return {
    blobs: createBlobService({ metadata, blobs: deps.blobs, repositories, writePolicy, clock }),
    manifests,
    projects: createProjects(deps.database, clock),
    artifacts,
    immutableRules: createImmutableRules(deps.database, clock),
    trustPolicies: createTrustPolicies(deps.database, clock),
    labels,
    retention: createRetentionService({
      database: deps.database,
      artifacts,
      schedules: deps.retentionSchedules ?? { set: () => Promise.resolve() },
      clock,
      ...(deps.onRetentionFinished === undefined ? {} : { onFinished: deps.onRetentionFinished }),
    }),
    gc: createGarbageCollector({ database: deps.database, blobs: deps.blobs, clock }),
    content: {
      async manifest(repository, digest, options) {
        const repositoryId = await metadata.findRepositoryId(repository);
        const row = repositoryId === undefined ? undefined : await metadata.findManifest(repositoryId, digest);
        if (row === undefined) return undefined;
        return { bytes: await deps.blobs.readAll(row.digest as Digest, { maxBytes: MAX_MANIFEST_BYTES, ...options }), mediaType: row.mediaType };
      },
      openBlob: (digest, options) => deps.blobs.open(digest as Digest, options),
      async resolveTag(repository, tag) {
        const repositoryId = await metadata.findRepositoryId(repository);
        return repositoryId === undefined ? undefined : metadata.resolveTag(repositoryId, tag);
      },
    },
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
export { openWritePolicy, type WritePolicy } from './write-policy.ts';
export { noRegistryEvents, type RegistryEvent, type RegistryEventSink } from './registry-events.ts';
export { createProjectWritePolicy } from './project-write-policy.ts';
export { createProjectPullGate, createScanGate, noScanFacts, noSignatureFacts, type ScanFacts, type ScanGate, type SignatureFacts } from './project-pull-gate.ts';
export type { Projects, ProjectView, ProjectInput, MemberView, ProjectSummary } from './projects.ts';
export type { Artifacts, ArtifactView, RepositoryView } from './artifacts.ts';
export type { ImmutableRules, ImmutableRuleView } from './immutable-rules.ts';
export { trustedKeyId, type TrustPolicies, type StoredTrustPolicy } from './trust-policies.ts';
export type { Labels, LabelView, LabelInput } from './labels.ts';
export type { RetentionService, RetentionPolicyView, RetentionExecutionView, RetentionSchedules } from './retention-service.ts';
export type { GarbageCollector, GcReport } from './garbage-collector.ts';
export { normalizeAllowlist, type CveAllowlist } from './project-metadata.ts';
export { projectUsage, type ProjectUsage } from './project-usage.ts';
export type { ByteRange, UploadState, BlobService } from './blob-service.ts';
export type { ManifestService, PageResult, StoredManifest } from './manifest-service.ts';
export type { TagPrecondition } from './registry-metadata.ts';
