/**
 * The registry's port for project rules on writes: quotas and tag immutability. The registry
 * asks before it links a blob, stores a manifest, or removes tags; a rule that refuses throws a
 * RegistryError (QUOTA_EXCEEDED, PRECONDITION) and nothing is changed.
 */
import type { RepositoryName } from './repository-name.ts';

export interface WritePolicy {
  /** Before `digest` (`size` bytes) becomes part of the repository (upload, mount, manifest bytes). */
  checkBlob(repo: RepositoryName, digest: string, size: number, options?: { signal?: AbortSignal }): Promise<void>;
  /** Before a manifest is stored; `tag` when pushed by tag, `isNew` when the project does not hold it yet. */
  checkManifest(repo: RepositoryName, manifest: { readonly digest: string; readonly size: number; readonly tag: string | undefined }, options?: { signal?: AbortSignal }): Promise<void>;
  /** Before tags go (untag, or delete of the manifest they name). */
  checkTagRemoval(repo: RepositoryName, tags: readonly string[], options?: { signal?: AbortSignal }): Promise<void>;
}

export const openWritePolicy: WritePolicy = {
  checkBlob: () => Promise.resolve(),
  checkManifest: () => Promise.resolve(),
  checkTagRemoval: () => Promise.resolve(),
};
