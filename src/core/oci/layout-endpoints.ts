import type { Descriptor } from './descriptor.ts';
import { digestOf, isDigest, type Digest } from './digest.ts';
import type { ImageSource, ImageTarget, ManifestBytes } from './copy-endpoints.ts';
import { sizeGuard, through } from './client/blob-guard.ts';
import type { ImageLayout } from './image-layout.ts';
import { MAX_MANIFEST_BYTES, parseManifest } from './manifest.ts';
import { isManifestMediaType, MediaType } from './media-types.ts';
import { OciError } from './oci-error.ts';
import { isAttachmentTag, referrerDescriptor } from './referrer-tags.ts';

const REF_NAME = 'org.opencontainers.image.ref.name';

/**
 * An OCI image layout as a copy source. Referrers are found the way the layout target stores
 * them: manifests listed in `index.json` whose `subject` names the digest (scanned once).
 * Without a reference, the layout's one image is copied: the one entry that is neither a
 * referrer nor under an attachment tag (`sha256-<hex>[.sig|.att|.sbom]`).
 */
export function layoutSource(layout: ImageLayout): ImageSource {
  let bySubject: Promise<Map<Digest, Descriptor[]>> | undefined;
  return {
    description: `oci:${layout.dir}`,
    async getManifest(reference, o = {}) {
      const descriptor = reference === undefined ? await onlyImage(layout) : isDigest(reference) ? undefined : await resolveRef(layout, reference);
      const digest = reference !== undefined && isDigest(reference) ? reference : descriptor?.digest;
      if (digest === undefined || (await layout.blobSize(digest)) === undefined) return undefined;
      const bytes = await layout.readBlob(digest, { maxBytes: MAX_MANIFEST_BYTES, ...o });
      return { bytes, digest, mediaType: descriptor?.mediaType ?? manifestType(bytes) };
    },
    openBlob: (descriptor, o = {}) => layout.openBlob(descriptor.digest, o),
    openBlobFile: (descriptor, o = {}) => layout.openBlobFile(descriptor.digest, o),
    async referrers(subject) {
      bySubject ??= scanReferrers(layout);
      return (await bySubject).get(subject) ?? [];
    },
  };
}

/**
 * An OCI image layout as a copy target. The root image is listed in `index.json` under the
 * target tag (as `org.opencontainers.image.ref.name`), children are blobs only, referrers are
 * listed without a ref name (found again by their `subject`), cosign-tagged manifests under
 * their tag (`sha256-<hex>.sig`).
 */
export function layoutTarget(layout: ImageLayout): ImageTarget {
  return {
    description: `oci:${layout.dir}`,
    // A manifest already there counts only when its bytes have its digest (it is small enough to
    // check); a blob, when it has its size: a file left damaged is written again, not trusted.
    hasManifest: (digest) => layout.readBlob(digest, { maxBytes: MAX_MANIFEST_BYTES }).then(() => true, () => false),
    async putBlob(descriptor, open, o = {}) {
      if ((await layout.blobSize(descriptor.digest)) === descriptor.size) return 'skipped';
      const source = through(await open(), sizeGuard(descriptor, o.onProgress));
      await layout.writeBlob(source, { digest: descriptor.digest, size: descriptor.size, ...(o.signal === undefined ? {} : { signal: o.signal }) });
      return 'copied';
    },
    async putManifest(manifest, o) {
      await writeManifestBlob(layout, manifest);
      const descriptor: Descriptor = { mediaType: manifest.mediaType, digest: manifest.digest, size: manifest.bytes.byteLength };
      if (o.role === 'root') await layout.addManifest(descriptor, o.tag);
      if (o.role === 'tagged') await layout.addManifest(descriptor, o.tag);
      if (o.role === 'referrer') await layout.addManifest(descriptor);
      return { subjectIndexed: true };
    },
    addReferrer: () => Promise.resolve(),
  };
}

async function writeManifestBlob(layout: ImageLayout, manifest: ManifestBytes): Promise<void> {
  if (digestOf(manifest.bytes) !== manifest.digest) {
    throw new OciError('DIGEST_MISMATCH', `manifest ${manifest.digest}: the bytes do not have that digest`);
  }
  await layout.writeBlobBytes(manifest.bytes);
}

async function resolveRef(layout: ImageLayout, ref: string): Promise<Descriptor | undefined> {
  const entries = await layout.entries();
  return entries.find((e) => e.annotations?.[REF_NAME] === ref);
}

async function onlyImage(layout: ImageLayout): Promise<Descriptor> {
  const entries = await layout.entries();
  const referrers = new Set<Digest>();
  for (const list of (await scanReferrers(layout)).values()) for (const d of list) referrers.add(d.digest);
  const images = entries.filter((e) => !referrers.has(e.digest) && !isAttachmentTag(e.annotations?.[REF_NAME] ?? '') && isManifestMediaType(e.mediaType));
  const distinct = [...new Set(images.map((e) => e.digest))];
  if (distinct.length !== 1 || images[0] === undefined) {
    throw new OciError('REFERENCE_INVALID', `oci:${layout.dir} holds ${distinct.length} images: name one as oci:${layout.dir}:<ref>`);
  }
  return images[0];
}

async function scanReferrers(layout: ImageLayout): Promise<Map<Digest, Descriptor[]>> {
  const map = new Map<Digest, Descriptor[]>();
  for (const entry of await layout.entries()) {
    if (!isManifestMediaType(entry.mediaType) || (await layout.blobSize(entry.digest)) === undefined) continue;
    const bytes = await layout.readBlob(entry.digest, { maxBytes: MAX_MANIFEST_BYTES });
    const manifest = parseManifest(bytes, entry.mediaType);
    if (manifest.subject === undefined) continue;
    const list = map.get(manifest.subject.digest) ?? [];
    if (!list.some((d) => d.digest === entry.digest)) list.push(referrerDescriptor(manifest, bytes, entry.digest));
    map.set(manifest.subject.digest, list);
  }
  return map;
}

/** The `mediaType` a manifest declares, else what its shape says. */
function manifestType(bytes: Buffer): string {
  const value: unknown = JSON.parse(bytes.toString('utf8'));
  if (typeof value === 'object' && value !== null && 'mediaType' in value && typeof value.mediaType === 'string') return value.mediaType;
  return typeof value === 'object' && value !== null && 'manifests' in value ? MediaType.ociIndex : MediaType.ociManifest;
}
