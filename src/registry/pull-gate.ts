import type { Principal } from '../core/auth/authorizer.ts';

/**
 * The registry's port for pull decisions. The registry knows nothing of scans or signatures; the
 * composition root plugs in a gate built from project policies, scan facts and trust policies.
 * A gate that cannot decide must say not allowed (fail closed) and give the reason.
 */
export interface PullGate {
  check(request: PullRequest, options?: { signal?: AbortSignal }): Promise<PullVerdict>;
}

export interface PullRequest {
  readonly project: string;
  readonly repository: string;
  readonly digest: string;
  readonly mediaType: string;
  /** The artifact type (or config media type) and the subject, so gates can tell signatures and other referrers from images. */
  readonly artifactType: string | null;
  readonly subject: string | null;
  /**
   * The media types of the manifest's layers (none for an index), read on demand: a manifest with
   * an image layer is an image a runtime can run, whatever its subject or tags say.
   */
  readonly layerMediaTypes: () => Promise<readonly string[]>;
  readonly principal: Principal;
}

export type PullVerdict = { readonly allowed: true } | { readonly allowed: false; readonly reasons: readonly string[] };

/** The gate of a deployment without pull policies: every pull the caller is permitted passes. */
export const openPullGate: PullGate = {
  check: () => Promise.resolve({ allowed: true }),
};
