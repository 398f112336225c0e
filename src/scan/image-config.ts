import type { LayerSource } from './catalog/layer-stream.ts';
import { ScanError } from './scan-error.ts';

/** One layer of the image to scan: opened (streamed, or read in place) only when the walker reaches it. */
export type ScanLayer = LayerSource;

/** An image as the scanner sees it: config facts and layers in order, from any source. */
export interface ScanImage {
  readonly name: string;
  readonly digest?: string;
  readonly mediaType?: string;
  /** The image ID: the digest of its config (what `docker images` and Trivy's `ImageID` show). */
  readonly configDigest?: string;
  readonly architecture?: string;
  readonly os?: string;
  readonly repoTags: readonly string[];
  readonly repoDigests: readonly string[];
  readonly layers: readonly ScanLayer[];
}

/** The image config's facts the scanner needs. */
export function parseConfig(json: string, name: string): { architecture?: string; os?: string; diffIds: string[] } {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (cause) {
    throw new ScanError('UNSUPPORTED', `${name}: the image config is not JSON`, { cause });
  }
  const config = (typeof value === 'object' && value !== null ? value : {}) as { architecture?: unknown; os?: unknown; rootfs?: { diff_ids?: unknown } };
  const diffIds = Array.isArray(config.rootfs?.diff_ids) ? config.rootfs.diff_ids.filter((d): d is string => typeof d === 'string') : [];
  return {
    ...(typeof config.architecture === 'string' ? { architecture: config.architecture } : {}),
    ...(typeof config.os === 'string' ? { os: config.os } : {}),
    diffIds,
  };
}
