import { Buffer } from 'node:buffer';
import type { Annotations, Descriptor, Platform } from './descriptor.ts';
import { digestAlgorithm, digestOf, parseDigest, type Digest } from './digest.ts';
import {
  MediaType,
  bareMediaType,
  isImageManifestMediaType,
  isIndexMediaType,
  isSchema1MediaType,
} from './media-types.ts';
import { OciError } from './oci-error.ts';

/** Registries and clients refuse manifests larger than this (CNCF distribution's limit). */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

export interface ImageManifest {
  readonly kind: 'image';
  readonly mediaType: string;
  readonly artifactType?: string;
  readonly config: Descriptor;
  readonly layers: readonly Descriptor[];
  readonly subject?: Descriptor;
  readonly annotations?: Annotations;
}

export interface ImageIndex {
  readonly kind: 'index';
  readonly mediaType: string;
  readonly artifactType?: string;
  readonly manifests: readonly Descriptor[];
  readonly subject?: Descriptor;
  readonly annotations?: Annotations;
}

export type Manifest = ImageManifest | ImageIndex;

type Json = Record<string, unknown>;

/**
 * Parses and validates manifest bytes: OCI image manifest and index, Docker schema 2 manifest and
 * manifest list. Docker schema 1 is refused with a clear error. `contentType`, when given, must
 * agree with the body's `mediaType` (parameters are ignored).
 */
export function parseManifest(bytes: Uint8Array, contentType?: string): Manifest {
  if (bytes.byteLength > MAX_MANIFEST_BYTES) {
    throw new OciError('MANIFEST_INVALID', `manifest is ${bytes.byteLength} bytes; the limit is ${MAX_MANIFEST_BYTES}`);
  }
  const declared = contentType === undefined || contentType === '' ? undefined : bareMediaType(contentType);
  if (declared !== undefined && isSchema1MediaType(declared)) throw schema1Refused();
  const json = parseJsonObject(bytes);
  if (json['schemaVersion'] === 1) throw schema1Refused();
  if (json['schemaVersion'] !== 2) {
    throw invalid(`schemaVersion must be 2, got ${JSON.stringify(json['schemaVersion'])}`);
  }
  const bodyType = optionalString(json, 'mediaType');
  if (bodyType !== undefined && isSchema1MediaType(bodyType)) throw schema1Refused();
  if (bodyType !== undefined && declared !== undefined && bodyType !== declared && !isGenericJson(declared)) {
    throw invalid(`Content-Type ${declared} does not match the manifest's mediaType ${bodyType}`);
  }
  const mediaType = bodyType ?? inferMediaType(json, declared);
  if (isIndexMediaType(mediaType)) return parseIndex(json, mediaType);
  if (isImageManifestMediaType(mediaType)) return parseImage(json, mediaType);
  throw new OciError('MANIFEST_UNSUPPORTED', `unsupported manifest media type ${mediaType}`);
}

/** Everything a manifest points at that must exist before it may be stored (never the subject). */
export function manifestReferences(manifest: Manifest): readonly { readonly kind: 'blob' | 'manifest'; readonly descriptor: Descriptor }[] {
  switch (manifest.kind) {
    case 'image':
      return [manifest.config, ...manifest.layers]
        .filter((d) => !isForeignLayer(d))
        .map((descriptor) => ({ kind: 'blob' as const, descriptor }));
    case 'index':
      return manifest.manifests.map((descriptor) => ({ kind: 'manifest' as const, descriptor }));
  }
}

/** The type a referrers listing reports: `artifactType`, else an image manifest's config media type. */
export function effectiveArtifactType(manifest: Manifest): string | undefined {
  if (manifest.artifactType !== undefined) return manifest.artifactType;
  return manifest.kind === 'image' ? manifest.config.mediaType : undefined;
}

/** Foreign and non-distributable layers carry `urls` and may be absent from a registry. */
export function isForeignLayer(descriptor: Descriptor): boolean {
  return (descriptor.urls?.length ?? 0) > 0 && /foreign|nondistributable/.test(descriptor.mediaType);
}

export function parseDescriptor(value: unknown, where: string): Descriptor {
  if (!isObject(value)) throw invalid(`${where} must be an object`);
  const mediaType = value['mediaType'];
  if (typeof mediaType !== 'string' || mediaType === '') throw invalid(`${where}.mediaType must be a non-empty string`);
  const digest = descriptorDigest(value['digest'], where);
  const size = value['size'];
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw invalid(`${where}.size must be a non-negative integer`);
  }
  const descriptor: { -readonly [K in keyof Descriptor]: Descriptor[K] } = { mediaType, digest, size };
  if (value['urls'] !== undefined) descriptor.urls = stringArray(value['urls'], `${where}.urls`);
  if (value['annotations'] !== undefined) descriptor.annotations = annotations(value['annotations'], `${where}.annotations`);
  if (value['artifactType'] !== undefined) descriptor.artifactType = requiredString(value, 'artifactType', where);
  if (value['platform'] !== undefined) descriptor.platform = platform(value['platform'], `${where}.platform`);
  if (value['data'] !== undefined) descriptor.data = embeddedData(value['data'], digest, size, where);
  return descriptor;
}

function parseImage(json: Json, mediaType: string): ImageManifest {
  const layersValue = json['layers'];
  if (!Array.isArray(layersValue)) throw invalid('layers must be an array');
  const manifest: { -readonly [K in keyof ImageManifest]: ImageManifest[K] } = {
    kind: 'image',
    mediaType,
    config: parseDescriptor(json['config'], 'config'),
    layers: layersValue.map((layer: unknown, i) => parseDescriptor(layer, `layers[${i}]`)),
  };
  addCommonFields(manifest, json, mediaType);
  return manifest;
}

function parseIndex(json: Json, mediaType: string): ImageIndex {
  const manifestsValue = json['manifests'];
  if (!Array.isArray(manifestsValue)) throw invalid('manifests must be an array');
  const index: { -readonly [K in keyof ImageIndex]: ImageIndex[K] } = {
    kind: 'index',
    mediaType,
    manifests: manifestsValue.map((entry: unknown, i) => parseDescriptor(entry, `manifests[${i}]`)),
  };
  addCommonFields(index, json, mediaType);
  return index;
}

function addCommonFields(
  target: { artifactType?: string; subject?: Descriptor; annotations?: Annotations },
  json: Json,
  mediaType: string,
): void {
  const docker = mediaType === MediaType.dockerManifest || mediaType === MediaType.dockerManifestList;
  if (json['artifactType'] !== undefined) {
    if (docker) throw invalid('artifactType is not allowed in a Docker manifest');
    target.artifactType = requiredString(json, 'artifactType', 'manifest');
  }
  if (json['subject'] !== undefined) {
    if (docker) throw invalid('subject is not allowed in a Docker manifest');
    target.subject = parseDescriptor(json['subject'], 'subject');
  }
  if (json['annotations'] !== undefined) target.annotations = annotations(json['annotations'], 'annotations');
}

function inferMediaType(json: Json, declared: string | undefined): string {
  if (declared !== undefined && !isGenericJson(declared)) return declared;
  if (Array.isArray(json['manifests'])) return MediaType.ociIndex;
  if (json['config'] !== undefined) return MediaType.ociManifest;
  throw invalid('cannot tell the manifest type: no mediaType, config or manifests');
}

function isGenericJson(mediaType: string): boolean {
  return mediaType === 'application/json' || mediaType === 'application/octet-stream';
}

function parseJsonObject(bytes: Uint8Array): Json {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch (cause) {
    throw new OciError('MANIFEST_INVALID', `manifest is not valid JSON: ${(cause as Error).message}`, { cause });
  }
  if (!isObject(value)) throw invalid('manifest must be a JSON object');
  return value;
}

function descriptorDigest(value: unknown, where: string): Digest {
  if (typeof value !== 'string') throw invalid(`${where}.digest must be a string`);
  try {
    return parseDigest(value);
  } catch (cause) {
    throw new OciError('MANIFEST_INVALID', `${where}.digest: ${(cause as Error).message}`, { cause });
  }
}

function embeddedData(value: unknown, digest: Digest, size: number, where: string): string {
  if (typeof value !== 'string') throw invalid(`${where}.data must be a base64 string`);
  const bytes = Buffer.from(value, 'base64');
  if (bytes.byteLength !== size || digestOf(bytes, digestAlgorithm(digest)) !== digest) {
    throw invalid(`${where}.data does not match the descriptor's digest and size`);
  }
  return value;
}

function platform(value: unknown, where: string): Platform {
  if (!isObject(value)) throw invalid(`${where} must be an object`);
  const result: { -readonly [K in keyof Platform]: Platform[K] } = {
    architecture: requiredString(value, 'architecture', where),
    os: requiredString(value, 'os', where),
  };
  const osVersion = optionalString(value, 'os.version');
  if (osVersion !== undefined) result['os.version'] = osVersion;
  const variant = optionalString(value, 'variant');
  if (variant !== undefined) result.variant = variant;
  if (value['os.features'] !== undefined) result['os.features'] = stringArray(value['os.features'], `${where}.os.features`);
  if (value['features'] !== undefined) result.features = stringArray(value['features'], `${where}.features`);
  return result;
}

function annotations(value: unknown, where: string): Annotations {
  if (!isObject(value)) throw invalid(`${where} must be an object`);
  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry !== 'string') throw invalid(`${where}[${JSON.stringify(key)}] must be a string`);
  }
  return value as Annotations;
}

function stringArray(value: unknown, where: string): readonly string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw invalid(`${where} must be an array of strings`);
  return value;
}

function requiredString(json: Json, key: string, where: string): string {
  const value = json[key];
  if (typeof value !== 'string') throw invalid(`${where}.${key} must be a string`);
  return value;
}

function optionalString(json: Json, key: string): string | undefined {
  const value = json[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalid(`${key} must be a string`);
  return value;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalid(message: string): OciError {
  return new OciError('MANIFEST_INVALID', `invalid manifest: ${message}`);
}

function schema1Refused(): OciError {
  return new OciError(
    'MANIFEST_UNSUPPORTED',
    'Docker schema 1 manifests are not supported; convert the image to Docker schema 2 or OCI (for example `skopeo copy --format oci`)',
  );
}
