import type { Descriptor } from '../core/oci/descriptor.ts';
import { digestOf } from '../core/oci/digest.ts';
import type { SignatureStore } from '../sign/signature-store.ts';

/**
 * A signature store in memory, for tests of the storage schemes and verification without a
 * registry: manifests by tag and digest, blobs by digest, referrers indexed by their subject;
 * conditional tag PUTs honoured as Slipway's registry honours them.
 */
export function memorySignatureStore(repository: string): SignatureStore {
  const blobs = new Map<string, Buffer>();
  const manifests = new Map<string, { bytes: Buffer; mediaType: string }>();
  const referrers = new Map<string, Descriptor[]>();
  return {
    repository,
    manifest: (reference) => {
      const found = manifests.get(reference);
      return Promise.resolve(found === undefined ? undefined : { ...found, digest: digestOf(found.bytes) });
    },
    blob: (descriptor) => Promise.resolve(blobs.get(descriptor.digest) ?? Buffer.alloc(0)),
    referrers: (subject) => Promise.resolve(referrers.get(subject) ?? []),
    putBlob(bytes, mediaType) {
      const digest = digestOf(bytes);
      blobs.set(digest, bytes);
      return Promise.resolve({ mediaType, digest, size: bytes.byteLength });
    },
    putManifest(reference, bytes, mediaType, o = {}) {
      const current = manifests.get(reference);
      if (o.condition !== undefined && ('absent' in o.condition ? current !== undefined : current === undefined || digestOf(current.bytes) !== o.condition.digest)) {
        return Promise.resolve({ subjectIndexed: true, moved: true as const });
      }
      manifests.set(reference, { bytes, mediaType });
      manifests.set(digestOf(bytes), { bytes, mediaType });
      const parsed = JSON.parse(bytes.toString()) as { subject?: { digest: string }; artifactType?: string };
      if (parsed.subject !== undefined) {
        const list = referrers.get(parsed.subject.digest) ?? [];
        list.push({ mediaType, digest: digestOf(bytes), size: bytes.byteLength, ...(parsed.artifactType === undefined ? {} : { artifactType: parsed.artifactType }) });
        referrers.set(parsed.subject.digest, list);
      }
      return Promise.resolve({ subjectIndexed: true });
    },
    addReferrerToFallbackTag: () => Promise.resolve(),
    deleteManifest(digest) {
      manifests.delete(digest);
      for (const [subject, list] of referrers) referrers.set(subject, list.filter((d) => d.digest !== digest));
      return Promise.resolve();
    },
  };
}
