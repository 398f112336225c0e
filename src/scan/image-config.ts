import type { Readable } from 'node:stream';
import { ScanError } from './scan-error.ts';

/** One layer of the image to scan: opened only when the walker reaches it. */
export interface ScanLayer {
  readonly digest: string;
  readonly diffId: string;
  readonly mediaType: string;
  /** The stored blob's size, checked with `digest` as the layer streams. */
  readonly size?: number;
  /** What the walker checks the bytes against (see LayerSource): `digest` unless said. */
  readonly verify?: 'digest' | 'diffId';
  open(options?: { signal?: AbortSignal }): Promise<Readable>;
}

/** An image as the scanner sees it: config facts and layers in order, from any source. */
export interface ScanImage {
  readonly name: string;
  readonly digest?: string;
  readonly mediaType?: string;
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
