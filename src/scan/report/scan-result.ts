/**
 * What one scan produced, as every report and SBOM writer in this folder takes it. Writers are pure:
 * the same `ScanResult` always gives the same bytes (ids are hashes of it, times come from `createdAt`).
 */
import type { Distro, Finding, Package } from '../model.ts';

export interface ScanLayer {
  /** The compressed blob's digest, as in the manifest. */
  readonly digest: string;
  /** The uncompressed tar's digest, as in the config's `rootfs.diff_ids`. */
  readonly diffId: string;
  readonly size?: number;
}

export interface ScanArtifact {
  /** An image reference (`registry.example/team/api:1.4`) or a path. */
  readonly name: string;
  /** The manifest digest, when known. */
  readonly digest?: string;
  readonly mediaType?: string;
  /** The image ID: its config's digest. */
  readonly imageId?: string;
  readonly repoTags?: readonly string[];
  readonly repoDigests?: readonly string[];
  readonly config?: { readonly architecture?: string; readonly os?: string };
  readonly layers: readonly ScanLayer[];
}

export interface ScanResult {
  readonly artifact: ScanArtifact;
  readonly distro?: Distro;
  readonly packages: readonly Package[];
  readonly findings: readonly Finding[];
  /** The vulnerability database: last update (ms since the epoch, `null` when never) and size. */
  /**
   * The vulnerability data: when it was last imported, and how old it is — the newest `modified` of
   * its advisories (an old dump imported today is old data).
   */
  readonly db: { readonly updatedAt: number | null; readonly newestAdvisory?: number | null; readonly advisories: number };
  readonly scanner: { readonly name: 'Slipway'; readonly vendor: 'Slipway'; readonly version: string };
  /** When the scan ran, ms since the epoch. */
  readonly createdAt: number;
  readonly warnings: readonly string[];
  /**
   * Files a cataloger wanted that were not read (among the warnings): present when there are
   * some. The packages in them are unknown, so such a scan passes no gate.
   */
  readonly unexamined?: readonly string[];
}

/** `2025-01-15T10:00:00Z`: RFC 3339 in UTC without fractions, as SPDX requires and the others accept. */
export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
