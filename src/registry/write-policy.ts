/**
 * The registry's port for project rules on writes: quotas and tag immutability. The registry
 * asks before it links a blob, stores a manifest, or removes tags; a rule that refuses throws a
 * RegistryError (QUOTA_EXCEEDED, PRECONDITION) and nothing is changed.
 */
import type { RepositoryName } from './repository-name.ts';

/** Who writes (the account name; empty for anonymous), for the events a refusal announces. */
export interface WriteOptions {
  readonly actor?: string;
  readonly signal?: AbortSignal;
}

export interface WritePolicy {
  /** Before `digest` (`size` bytes) becomes part of the repository (upload, mount, manifest bytes); `actor` is who asked. */
  checkBlob(repo: RepositoryName, digest: string, size: number, options?: WriteOptions): Promise<void>;
  /** Before a manifest is stored; `tag` when pushed by tag. */
  checkManifest(repo: RepositoryName, manifest: { readonly digest: string; readonly size: number; readonly tag: string | undefined }, options?: WriteOptions): Promise<void>;
  /** Before tags go (untag, or delete of the manifest they name). */
  checkTagRemoval(repo: RepositoryName, tags: readonly string[], options?: { signal?: AbortSignal }): Promise<void>;
}

export const openWritePolicy: WritePolicy = {
  checkBlob: () => Promise.resolve(),
  checkManifest: () => Promise.resolve(),
  checkTagRemoval: () => Promise.resolve(),
};
