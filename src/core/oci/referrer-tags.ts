import type { Descriptor } from './descriptor.ts';
import { digestAlgorithm, digestHex, digestOf, type Digest } from './digest.ts';
import { effectiveArtifactType, type Manifest } from './manifest.ts';

/** cosign's legacy attachment kinds, stored under `sha256-<hex>.<kind>` tags beside the image. */
export const COSIGN_TAG_SUFFIXES = ['sig', 'att', 'sbom'] as const;
export type CosignTagSuffix = (typeof COSIGN_TAG_SUFFIXES)[number];

/**
 * The referrers tag schema (DS-1.1 §2.3): `<alg>-<encoded>` of the subject digest, the algorithm
 * cut to 32 characters and the encoded part to 64 (`sha512-<first 64 hex>`).
 */
export function referrersFallbackTag(subject: Digest): string {
  return `${digestAlgorithm(subject).slice(0, 32)}-${digestHex(subject).slice(0, 64)}`;
}

/** `sha256-<hex>.sig`, `.att`, `.sbom` for a subject (cosign ≤ v2 and legacy mode). */
export function cosignTags(subject: Digest): readonly { readonly suffix: CosignTagSuffix; readonly tag: string }[] {
  const base = `${digestAlgorithm(subject)}-${digestHex(subject)}`;
  return COSIGN_TAG_SUFFIXES.map((suffix) => ({ suffix, tag: `${base}.${suffix}` }));
}

const ATTACHMENT_TAG = /^(?:sha256-[0-9a-f]{64}|sha512-[0-9a-f]{64,128})(?:\.(?:sig|att|sbom))?$/;

/** Whether a tag is one of the two attachment schemes above (not a tag people chose). */
export function isAttachmentTag(tag: string): boolean {
  return ATTACHMENT_TAG.test(tag);
}

/**
 * The entry a referrers listing (or fallback index) holds for a referrer manifest: media type,
 * digest, size, effective artifact type and the referrer's own top-level annotations.
 */
export function referrerDescriptor(manifest: Manifest, bytes: Uint8Array, digest: Digest = digestOf(bytes)): Descriptor {
  const artifactType = effectiveArtifactType(manifest);
  return {
    mediaType: manifest.mediaType,
    digest,
    size: bytes.byteLength,
    ...(artifactType === undefined ? {} : { artifactType }),
    ...(manifest.annotations === undefined ? {} : { annotations: manifest.annotations }),
  };
}
