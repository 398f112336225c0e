import type { RegistryClient } from '../core/oci/client/registry-client.ts';
import { registrySource, type ImageSource } from '../core/oci/copy-endpoints.ts';
import { parseCopyLocation } from '../core/oci/copy-location.ts';
import type { Descriptor, Platform } from '../core/oci/descriptor.ts';
import { digestAlgorithm, digestOf } from '../core/oci/digest.ts';
import { openImageLayout } from '../core/oci/image-layout.ts';
import { layoutSource } from '../core/oci/layout-endpoints.ts';
import { parseManifest } from '../core/oci/manifest.ts';
import { MediaType } from '../core/oci/media-types.ts';
import { readLimited } from '../core/stream/read-limited.ts';
import { registryApiHost, formatReference } from '../core/oci/reference.ts';
import { openDockerArchive } from './docker-archive.ts';
import { parseConfig, type ScanImage } from './image-config.ts';
import { ScanError } from './scan-error.ts';

export type { ScanImage, ScanLayer } from './image-config.ts';
export { parseConfig } from './image-config.ts';

export interface OpenScanImageOptions {
  /**
   * For registry references: the client, or a function that makes one when a target turns out to
   * be a registry reference (the CLI: a layout or archive scan then never loads the HTTP client).
   */
  readonly client: RegistryClient | (() => Promise<RegistryClient>);
  /** Which platform of an index (default linux/amd64, else the first). */
  readonly platform?: string;
  readonly signal?: AbortSignal;
}

/**
 * Opens `target`: `docker-archive:<file>` or a `.tar` file (`docker save`), `oci:<dir>[:ref]` or
 * a directory with an `oci-layout` file, or a registry reference (`[docker://]host/repo:tag`).
 */
export async function openScanImage(target: string, options: OpenScanImageOptions): Promise<ScanImage> {
  if (target.startsWith('docker-archive:') || target.endsWith('.tar')) return openDockerArchive(target.replace(/^docker-archive:/, ''), options);
  const location = parseCopyLocation(target.startsWith('/') || target.startsWith('.') ? `oci:${target}` : target);
  if (location.kind === 'layout') {
    const layout = await openImageLayout(location.dir, { create: false });
    return fromSource(layoutSource(layout), location.ref, `oci:${location.dir}${location.ref === undefined ? '' : `:${location.ref}`}`, options);
  }
  const { reference } = location;
  const client = typeof options.client === 'function' ? await options.client() : options.client;
  const source = registrySource(client.repository(registryApiHost(reference.registry), reference.repository));
  return fromSource(source, reference.digest ?? reference.tag ?? 'latest', formatReference(reference), options);
}

const IMAGE_CONFIGS: ReadonlySet<string> = new Set([MediaType.ociConfig, MediaType.dockerConfig]);
const MAX_CONFIG_BYTES = 8 * 1024 * 1024;

function fromSource(source: ImageSource, reference: string | undefined, name: string, options: OpenScanImageOptions): Promise<ScanImage> {
  return imageFromSource(source, reference, name, { ...(options.platform === undefined ? {} : { platform: options.platform }), ...(options.signal === undefined ? {} : { signal: options.signal }) });
}

/**
 * The container image `reference` names in `source`: an index resolves to one platform (or,
 * with `indexes: 'refuse'`, is refused: the server scans each child by its own digest).
 * Artifacts that are not container images (signatures, SBOMs) are refused as UNSUPPORTED.
 */
export async function imageFromSource(
  source: ImageSource,
  reference: string | undefined,
  name: string,
  options: { readonly platform?: string; readonly signal?: AbortSignal; readonly indexes?: 'pick-platform' | 'refuse' } = {},
): Promise<ScanImage> {
  const signal = options.signal === undefined ? {} : { signal: options.signal };
  let found = await source.getManifest(reference, signal);
  if (found === undefined) throw new ScanError('IMAGE_UNKNOWN', `${name}: no such image`);
  let manifest = parseManifest(found.bytes, found.mediaType);
  if (manifest.kind === 'index' && options.indexes === 'refuse') throw new ScanError('UNSUPPORTED', 'an index is not scanned itself; its children are');
  if (manifest.kind === 'index') {
    const child = pickPlatform(manifest.manifests, options.platform, name);
    found = await source.getManifest(child.digest, signal);
    if (found === undefined) throw new ScanError('IMAGE_UNKNOWN', `${name}: platform manifest ${child.digest} is missing`);
    manifest = parseManifest(found.bytes, found.mediaType);
    if (manifest.kind !== 'image') throw new ScanError('UNSUPPORTED', `${name}: nested indexes are not supported`);
  }
  if (!IMAGE_CONFIGS.has(manifest.config.mediaType) || manifest.subject !== undefined) {
    throw new ScanError('UNSUPPORTED', `not a container image (config ${manifest.config.mediaType})`);
  }
  const configBytes = await readLimited(await source.openBlob(manifest.config, signal), MAX_CONFIG_BYTES, signal);
  // A source is not trusted to hand back what was asked for (a layout's file can be replaced, a
  // registry's blob is not hashed by the client when scanning): the config is checked here, each
  // layer by the walker as it streams.
  const configDigest = digestOf(configBytes, digestAlgorithm(manifest.config.digest));
  if (configDigest !== manifest.config.digest || configBytes.byteLength !== manifest.config.size) {
    throw new ScanError('DIGEST_MISMATCH', `${name}: config ${manifest.config.digest}: the bytes have digest ${configDigest} (${configBytes.byteLength} bytes, expected ${manifest.config.size})`);
  }
  const config = parseConfig(configBytes.toString('utf8'), name);
  if (config.diffIds.length !== manifest.layers.length) {
    throw new ScanError('UNSUPPORTED', `${name}: the config lists ${config.diffIds.length} layers, the manifest ${manifest.layers.length}`);
  }
  const digest = found.digest;
  const openBlobFile = source.openBlobFile?.bind(source);
  return {
    name,
    digest,
    mediaType: found.mediaType,
    configDigest: manifest.config.digest,
    ...(config.architecture === undefined ? {} : { architecture: config.architecture }),
    ...(config.os === undefined ? {} : { os: config.os }),
    // A registry tag is a `repo:tag`; a layout's ref name is not (`oci:dir:ref` is not a reference).
    repoTags: source.registry !== undefined && reference !== undefined && !reference.includes(':') ? [name] : [],
    repoDigests: source.registry === undefined ? [] : [`${source.description}@${digest}`],
    layers: manifest.layers.map((layer, i) => ({
      digest: layer.digest,
      diffId: config.diffIds[i] ?? '',
      mediaType: layer.mediaType,
      size: layer.size,
      open: (o) => source.openBlob(layer, o?.signal === undefined ? {} : { signal: o.signal }),
      ...(openBlobFile === undefined ? {} : { openFile: async (o?: { signal?: AbortSignal }) => ({ handle: await openBlobFile(layer, o?.signal === undefined ? {} : { signal: o.signal }), start: 0 }) }),
    })),
  };
}

function pickPlatform(manifests: readonly Descriptor[], wanted: string | undefined, name: string): Descriptor {
  const [os, architecture, variant] = (wanted ?? 'linux/amd64').split('/');
  const matches = (p: Platform | undefined) => p !== undefined && p.os === os && p.architecture === architecture && (variant === undefined || p.variant === variant);
  const images = manifests.filter((m) => m.platform === undefined || m.platform.os !== 'unknown');
  const chosen = images.find((m) => matches(m.platform)) ?? (wanted === undefined ? images[0] : undefined);
  if (chosen === undefined) throw new ScanError('IMAGE_UNKNOWN', `${name}: no ${wanted ?? 'image'} platform in the index`);
  return chosen;
}

