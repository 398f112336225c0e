import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import type { RepositoryClient } from '../core/oci/client/registry-client.ts';
import type { Descriptor, Platform } from '../core/oci/descriptor.ts';
import { digestHex, digestOf } from '../core/oci/digest.ts';
import type { ImageLayout } from '../core/oci/image-layout.ts';
import { MediaType } from '../core/oci/media-types.ts';
import { tarArchive } from './tar-writer.ts';

/**
 * Fixture images built in code (after zot's image-utils): real gzip'd tar layers, correct
 * diff_ids, canonical JSON, deterministic for a given seed.
 */
export interface Blob {
  readonly descriptor: Descriptor;
  readonly bytes: Buffer;
}

export interface TestImage {
  readonly manifest: Blob;
  readonly config: Blob;
  readonly layers: readonly Blob[];
}

export interface TestIndex {
  readonly index: Blob;
  readonly images: readonly TestImage[];
}

export interface BuildImageOptions {
  readonly layers?: number;
  readonly layerBytes?: number;
  readonly seed?: string;
  /** Files per layer (overrides the generated content for that layer). */
  readonly files?: readonly Readonly<Record<string, string>>[];
  readonly mediaType?: 'oci' | 'docker';
  readonly platform?: Platform;
  readonly annotations?: Readonly<Record<string, string>>;
  /** An OCI 1.1 subject (OCI manifests only). */
  readonly subject?: Descriptor;
  /** The layers' media type (default: OCI or Docker tar+gzip). */
  readonly layerMediaType?: string;
}

/** Deterministic incompressible bytes: SHA-256 in counter mode over the seed. */
export function randomBlob(size: number, seed: string): Buffer {
  const out = Buffer.alloc(size);
  for (let offset = 0, counter = 0; offset < size; offset += 32, counter += 1) {
    createHash('sha256').update(`${seed}:${counter}`).digest().copy(out, offset);
  }
  return out;
}

export function blobOf(bytes: Buffer, mediaType: string, extra: Partial<Descriptor> = {}): Blob {
  return { bytes, descriptor: { mediaType, digest: digestOf(bytes), size: bytes.byteLength, ...extra } };
}

export function buildImage(options: BuildImageOptions = {}): TestImage {
  const seed = options.seed ?? 'image';
  const docker = options.mediaType === 'docker';
  const count = options.files?.length ?? options.layers ?? 2;
  const tars = Array.from({ length: count }, (_, i) => {
    const files = options.files?.[i] ?? { [`layer-${i}/data.bin`]: randomBlob(options.layerBytes ?? 1024, `${seed}:${i}`).toString('base64') };
    return tarArchive(Object.entries(files).map(([path, content]) => ({ path, content })));
  });
  const layers = tars.map((tar) => blobOf(gzipSync(tar, { level: 1 }), options.layerMediaType ?? (docker ? MediaType.dockerLayerGzip : MediaType.ociLayerGzip)));
  const platform = options.platform ?? { architecture: 'amd64', os: 'linux' };
  const config = blobOf(
    Buffer.from(
      JSON.stringify({
        architecture: platform.architecture,
        os: platform.os,
        ...(platform.variant === undefined ? {} : { variant: platform.variant }),
        config: { Env: ['PATH=/usr/bin:/bin'], Labels: { seed } },
        rootfs: { type: 'layers', diff_ids: tars.map((t) => digestOf(t)) },
        history: tars.map(() => ({ created_by: 'test-images' })),
      }),
    ),
    docker ? MediaType.dockerConfig : MediaType.ociConfig,
  );
  const manifestType = docker ? MediaType.dockerManifest : MediaType.ociManifest;
  const manifest = blobOf(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: manifestType,
        config: config.descriptor,
        layers: layers.map((l) => l.descriptor),
        ...(options.annotations === undefined || docker ? {} : { annotations: options.annotations }),
        ...(options.subject === undefined || docker ? {} : { subject: { mediaType: options.subject.mediaType, digest: options.subject.digest, size: options.subject.size } }),
      }),
    ),
    manifestType,
    { platform },
  );
  return { manifest, config, layers };
}

export function buildIndex(images: readonly TestImage[], options: { mediaType?: 'oci' | 'docker' } = {}): TestIndex {
  const mediaType = options.mediaType === 'docker' ? MediaType.dockerManifestList : MediaType.ociIndex;
  const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType, manifests: images.map((i) => i.manifest.descriptor) }));
  return { index: blobOf(bytes, mediaType), images };
}

/** An OCI 1.1 artifact attached to `subject`: the empty config, one payload layer. */
export function buildArtifact(options: {
  subject: Descriptor;
  artifactType: string;
  payload: Buffer | string;
  payloadMediaType?: string;
  annotations?: Readonly<Record<string, string>>;
}): { manifest: Blob; blobs: Blob[] } {
  const empty = blobOf(Buffer.from('{}'), MediaType.ociEmpty);
  const payload = blobOf(Buffer.from(options.payload), options.payloadMediaType ?? options.artifactType);
  const { mediaType, digest, size } = options.subject;
  const manifest = blobOf(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.ociManifest,
        artifactType: options.artifactType,
        config: empty.descriptor,
        layers: [payload.descriptor],
        subject: { mediaType, digest, size },
        ...(options.annotations === undefined ? {} : { annotations: options.annotations }),
      }),
    ),
    MediaType.ociManifest,
  );
  return { manifest, blobs: [empty, payload] };
}

/**
 * cosign's legacy signature manifest (tag `sha256-<hex>.sig`): the simple-signing payload as the
 * one layer, an ECDSA P-256 signature over it in the layer's annotation, go-containerregistry's config.
 */
export function buildCosignSignatureManifest(options: { subject: Descriptor; dockerReference: string }): {
  manifest: Blob;
  blobs: Blob[];
  tag: string;
  publicKeyPem: string;
} {
  const payloadBytes = Buffer.from(
    JSON.stringify({
      critical: {
        identity: { 'docker-reference': options.dockerReference },
        image: { 'docker-manifest-digest': options.subject.digest },
        type: 'cosign container image signature',
      },
      optional: null,
    }),
  );
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const signature = sign('sha256', payloadBytes, privateKey).toString('base64');
  const payload = blobOf(payloadBytes, 'application/vnd.dev.cosign.simplesigning.v1+json', {
    annotations: { 'dev.cosignproject.cosign/signature': signature },
  });
  const config = blobOf(
    Buffer.from(
      JSON.stringify({
        architecture: '',
        created: '0001-01-01T00:00:00Z',
        history: [{ created: '0001-01-01T00:00:00Z' }],
        os: '',
        rootfs: { type: 'layers', diff_ids: [payload.descriptor.digest] },
        config: {},
      }),
    ),
    MediaType.ociConfig,
  );
  const manifest = blobOf(
    Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociManifest, config: config.descriptor, layers: [payload.descriptor] })),
    MediaType.ociManifest,
  );
  return {
    manifest,
    blobs: [config, { bytes: payloadBytes, descriptor: { mediaType: payload.descriptor.mediaType, digest: payload.descriptor.digest, size: payload.descriptor.size } }],
    tag: `sha256-${digestHex(options.subject.digest)}.sig`,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/** Writes an image or an index (with every child) into a layout, named `refName`. */
export async function writeImageToLayout(layout: ImageLayout, image: TestImage | TestIndex, refName?: string): Promise<void> {
  const images = 'index' in image ? image.images : [image];
  for (const img of images) {
    for (const blob of [img.config, ...img.layers, img.manifest]) await layout.writeBlobBytes(blob.bytes);
  }
  const top = 'index' in image ? image.index : image.manifest;
  await layout.writeBlobBytes(top.bytes);
  const { mediaType, digest, size } = top.descriptor;
  await layout.addManifest({ mediaType, digest, size }, refName);
}

/** Pushes blobs, then a manifest (tagged or by digest) through the registry client: the way a client publishes an image or artifact. */
export async function pushToRegistry(repo: RepositoryClient, blobs: readonly Blob[], manifest: Blob, tag?: string): Promise<{ subjectIndexed: boolean }> {
  for (const blob of blobs) {
    const { mediaType, digest, size } = blob.descriptor;
    await repo.uploadBlob({ mediaType, digest, size }, () => Promise.resolve(Readable.from([blob.bytes])));
  }
  return repo.putManifest(tag ?? manifest.descriptor.digest, manifest.bytes, manifest.descriptor.mediaType);
}

/** Pushes an index with every child image, then tags the index. */
export async function pushIndexToRegistry(repo: RepositoryClient, index: TestIndex, tag: string): Promise<void> {
  for (const image of index.images) await pushToRegistry(repo, [image.config, ...image.layers], image.manifest);
  await pushToRegistry(repo, [], index.index, tag);
}
