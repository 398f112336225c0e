import type { Descriptor } from '../../core/oci/descriptor.ts';
import { digestOf, type Digest } from '../../core/oci/digest.ts';
import { parseManifest } from '../../core/oci/manifest.ts';
import { MediaType } from '../../core/oci/media-types.ts';
import { referrerDescriptor } from '../../core/oci/referrer-tags.ts';
import type { FoundSignature } from '../model.ts';
import { SignError } from '../sign-error.ts';
import type { SignatureStore } from '../signature-store.ts';
import { parseBundle } from '../sigstore/bundle.ts';
import { BUNDLE_V03_MEDIA_TYPE } from './bundle-json.ts';

export const BundleAnnotation = {
  content: 'dev.sigstore.bundle.content',
  predicateType: 'dev.sigstore.bundle.predicateType',
  created: 'org.opencontainers.image.created',
} as const;

const BUNDLE_LAYER_PREFIX = 'application/vnd.dev.sigstore.bundle';

/**
 * Stores a bundle as an OCI 1.1 referrer of the image, as cosign v3 does: empty config (with the
 * artifact type inside too, cosign's quirk), one bundle layer, the predicate type annotated, and
 * a fallback-tag entry where the registry has no referrers API.
 */
export async function writeBundleReferrer(
  store: SignatureStore,
  subject: Descriptor,
  bundle: Buffer,
  predicateType: string,
  options: { created?: Date; annotations?: Readonly<Record<string, string>>; signal?: AbortSignal } = {},
): Promise<Digest> {
  const empty = await store.putBlob(Buffer.from('{}'), MediaType.ociEmpty, options);
  const layer = await store.putBlob(bundle, BUNDLE_V03_MEDIA_TYPE, options);
  const created = (options.created ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: { mediaType: MediaType.ociEmpty, size: empty.size, digest: empty.digest, artifactType: BUNDLE_V03_MEDIA_TYPE },
      layers: [{ mediaType: BUNDLE_V03_MEDIA_TYPE, size: layer.size, digest: layer.digest }],
      annotations: { [BundleAnnotation.content]: 'dsse-envelope', [BundleAnnotation.predicateType]: predicateType, [BundleAnnotation.created]: created, ...options.annotations },
      subject: { mediaType: subject.mediaType, size: subject.size, digest: subject.digest },
      artifactType: BUNDLE_V03_MEDIA_TYPE,
    }),
  );
  const digest = digestOf(manifest);
  const put = await store.putManifest(digest, manifest, MediaType.ociManifest, options);
  if (!put.subjectIndexed) await store.addReferrerToFallbackTag(subject.digest, referrerDescriptor(parseManifest(manifest), manifest, digest), options);
  return digest;
}

/**
 * Deletes the subject's bundle referrers (other than `keep`) whose manifest annotations include
 * all of `marks`: the attestations a new one replaces.
 */
export async function deleteBundleReferrers(store: SignatureStore, subject: Digest, keep: Digest, marks: Readonly<Record<string, string>>, options: { signal?: AbortSignal } = {}): Promise<void> {
  for (const descriptor of await store.referrers(subject, options)) {
    if (descriptor.digest === keep || (descriptor.artifactType !== undefined && !mayHoldBundle(descriptor.artifactType))) continue;
    const manifest = await store.manifest(descriptor.digest, options);
    const annotations = manifest === undefined ? undefined : parseManifest(manifest.bytes).annotations;
    if (annotations !== undefined && Object.entries(marks).every(([k, v]) => annotations[k] === v)) await store.deleteManifest(descriptor.digest, options);
  }
}

/**
 * Every sigstore bundle among the subject's referrers. Listing types are not trusted (older
 * cosign wrote `application/vnd.oci.empty.v1+json` into fallback indexes): each manifest is
 * opened and its layers are read by media type.
 */
export async function readBundleReferrers(
  store: SignatureStore,
  subject: Digest,
  options: { signal?: AbortSignal } = {},
): Promise<{ found: FoundSignature[]; unreadable: { location: string; error: SignError }[] }> {
  const found: FoundSignature[] = [];
  const unreadable: { location: string; error: SignError }[] = [];
  for (const descriptor of await store.referrers(subject, options)) {
    if (descriptor.artifactType !== undefined && !mayHoldBundle(descriptor.artifactType)) continue;
    const location = `referrer ${descriptor.digest}`;
    try {
      const manifest = await store.manifest(descriptor.digest, options);
      if (manifest === undefined) continue;
      const parsed = parseManifest(manifest.bytes);
      if (!('layers' in parsed)) continue;
      const predicateType = parsed.annotations?.[BundleAnnotation.predicateType];
      for (const layer of parsed.layers) {
        if (!layer.mediaType.startsWith(BUNDLE_LAYER_PREFIX)) continue;
        const bundle = parseBundle(JSON.parse((await store.blob(layer, options)).toString('utf8')));
        found.push({
          scheme: 'bundle',
          location,
          content: bundle.content,
          material: bundle.material,
          tlogEntries: bundle.tlogEntries,
          timestamps: bundle.timestamps,
          ...(predicateType === undefined ? {} : { predicateType }),
        });
      }
    } catch (error) {
      unreadable.push({ location, error: error instanceof SignError ? error : new SignError('SIGNATURE_MALFORMED', `${location}: ${String(error)}`, { cause: error }) });
    }
  }
  return { found, unreadable };
}

function mayHoldBundle(artifactType: string): boolean {
  return artifactType.startsWith(BUNDLE_LAYER_PREFIX) || artifactType === MediaType.ociEmpty;
}
