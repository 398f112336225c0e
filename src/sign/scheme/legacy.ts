import type { Descriptor } from '../../core/oci/descriptor.ts';
import { digestOf, type Digest } from '../../core/oci/digest.ts';
import { MediaType } from '../../core/oci/media-types.ts';
import { parseManifest } from '../../core/oci/manifest.ts';
import { cosignTags, type CosignTagSuffix } from '../../core/oci/referrer-tags.ts';
import { TAG_MOVED, updateTag } from '../../core/oci/tag-update.ts';
import type { FoundSignature, SignedContent, TlogEntry } from '../model.ts';
import { DSSE_ENVELOPE_MEDIA_TYPE, parseEnvelopeBytes } from '../payload/dsse.ts';
import { SIMPLE_SIGNING_MEDIA_TYPE } from '../payload/simple-signing.ts';
import { SignError } from '../sign-error.ts';
import type { SignatureStore } from '../signature-store.ts';
import { legacyRekorBundle } from '../sigstore/bundle.ts';
import { goJson, goMap } from '../payload/go-json.ts';
import { pemBlocks } from '../pem.ts';

/** cosign's legacy layer annotations (the spellings differ on purpose: that is what cosign reads). */
export const LegacyAnnotation = {
  signature: 'dev.cosignproject.cosign/signature',
  certificate: 'dev.sigstore.cosign/certificate',
  chain: 'dev.sigstore.cosign/chain',
  bundle: 'dev.sigstore.cosign/bundle',
  timestamp: 'dev.sigstore.cosign/rfc3161timestamp',
  predicateType: 'predicateType',
} as const;

/** cosign refuses to grow a signature manifest past this many layers. */
const MAX_LAYERS = 1000;

export interface LegacyLayer {
  readonly bytes: Buffer;
  readonly mediaType: string;
  readonly annotations: Readonly<Record<string, string>>;
}

/** The `sha256-<hex>.<suffix>` tag of a subject. */
export function legacyTag(subject: Digest, suffix: CosignTagSuffix): string {
  const tag = cosignTags(subject).find((t) => t.suffix === suffix);
  if (tag === undefined) throw new SignError('IMAGE_UNKNOWN', `no ${suffix} tag for ${subject}`);
  return tag.tag;
}

/**
 * Adds a layer to the subject's `.sig` (or `.att`) manifest the way cosign does: read the tag,
 * append, rebuild the go-containerregistry config, re-PUT the tag. A layer already there (same
 * digest, media type and annotations) is not added twice; layers `replaces` matches are dropped
 * in the same PUT (cosign's `attest --replace`). Returns the new manifest's digest.
 *
 * cosign's PUT is unconditional, so two signers appending at once lose one signature. This one is
 * conditional (`If-Match` the digest read, `If-None-Match: *` for a new tag) and starts over when
 * the tag moved in between; a registry that ignores the condition keeps cosign's race.
 */
export async function appendLegacyLayer(
  store: SignatureStore,
  subject: Digest,
  suffix: 'sig' | 'att',
  layer: LegacyLayer,
  options: { replaces?: (layer: Descriptor) => boolean; signal?: AbortSignal } = {},
): Promise<Digest> {
  const tag = legacyTag(subject, suffix);
  const added = await store.putBlob(layer.bytes, layer.mediaType, options);
  const descriptor: Descriptor = { mediaType: layer.mediaType, size: added.size, digest: added.digest, annotations: layer.annotations };
  const written = await updateTag(() => putWithLayer(store, tag, descriptor, options), options);
  if (written === undefined) throw new SignError('SIGNATURE_MALFORMED', `${tag} kept changing under other signers; this signature was not added (try again)`);
  return written;
}

/** One read-modify-PUT of the tag with `descriptor` in it (nothing written when it is there already). */
async function putWithLayer(
  store: SignatureStore,
  tag: string,
  descriptor: Descriptor,
  options: { replaces?: (layer: Descriptor) => boolean; signal?: AbortSignal },
): Promise<Digest | typeof TAG_MOVED> {
  const existing = await store.manifest(tag, options);
  const replaces = options.replaces ?? (() => false);
  const layers: Descriptor[] = existing === undefined ? [] : imageLayers(existing.bytes, tag).filter((l) => !replaces(l));
  if (layers.some((l) => sameLayer(l, descriptor)) && existing !== undefined) return existing.digest;
  if (layers.length >= MAX_LAYERS) throw new SignError('SIGNATURE_MALFORMED', `${tag} already holds ${MAX_LAYERS} layers`);
  layers.push(descriptor);
  const config = Buffer.from(goContainerRegistryConfig(layers.map((l) => l.digest)));
  const configDescriptor = await store.putBlob(config, MediaType.ociConfig, options);
  const manifest = Buffer.from(
    goJson({
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: { mediaType: MediaType.ociConfig, size: configDescriptor.size, digest: configDescriptor.digest },
      layers: layers.map((l) => ({ mediaType: l.mediaType, size: l.size, digest: l.digest, ...(l.annotations === undefined ? {} : { annotations: goMap({ ...l.annotations }) }) })),
    }),
  );
  const condition = existing === undefined ? ({ absent: true } as const) : { digest: existing.digest };
  const put = await store.putManifest(tag, manifest, MediaType.ociManifest, { ...(options.signal === undefined ? {} : { signal: options.signal }), condition });
  return put.moved === true ? TAG_MOVED : digestOf(manifest);
}

function sameLayer(a: Descriptor, b: Descriptor): boolean {
  return a.digest === b.digest && a.mediaType === b.mediaType && sameRecord(a.annotations ?? {}, b.annotations ?? {});
}

/** The config go-containerregistry writes for `empty.Image` plus the layers: zero times, one history item per layer. */
export function goContainerRegistryConfig(diffIds: readonly string[]): string {
  const zero = '0001-01-01T00:00:00Z';
  return goJson({ architecture: '', created: zero, history: diffIds.map(() => ({ created: zero })), os: '', rootfs: { type: 'layers', diff_ids: diffIds }, config: {} });
}

/**
 * Every signature (`sig`) or attestation (`att`) stored under the subject's legacy tag, each with
 * its certificate, chain and Rekor bundle. Layers that cannot be read are reported, not skipped silently.
 */
export async function readLegacy(
  store: SignatureStore,
  subject: Digest,
  suffix: 'sig' | 'att',
  options: { signal?: AbortSignal } = {},
): Promise<{ found: FoundSignature[]; unreadable: { location: string; error: SignError }[] }> {
  const tag = legacyTag(subject, suffix);
  const manifest = await store.manifest(tag, options);
  if (manifest === undefined) return { found: [], unreadable: [] };
  const found: FoundSignature[] = [];
  const unreadable: { location: string; error: SignError }[] = [];
  const wanted = suffix === 'sig' ? SIMPLE_SIGNING_MEDIA_TYPE : DSSE_ENVELOPE_MEDIA_TYPE;
  const layers = imageLayers(manifest.bytes, tag);
  for (const [i, layer] of layers.entries()) {
    if (layer.mediaType !== wanted) continue;
    const location = `${tag} layer ${i}`;
    try {
      found.push(await readLayer(store, layer, location, suffix, options));
    } catch (error) {
      unreadable.push({ location, error: error instanceof SignError ? error : new SignError('SIGNATURE_MALFORMED', String(error), { cause: error }) });
    }
  }
  return { found, unreadable };
}

async function readLayer(store: SignatureStore, layer: Descriptor, location: string, suffix: 'sig' | 'att', options: { signal?: AbortSignal }): Promise<FoundSignature> {
  const a = layer.annotations ?? {};
  const bytes = await store.blob(layer, options);
  let content: SignedContent;
  if (suffix === 'sig') {
    const signature = a[LegacyAnnotation.signature];
    if (signature === undefined || signature === '') throw new SignError('SIGNATURE_MALFORMED', `${location} has no ${LegacyAnnotation.signature} annotation`);
    content = { kind: 'message', payload: bytes, signature: Buffer.from(signature, 'base64') };
  } else {
    content = { kind: 'dsse', envelope: parseEnvelopeBytes(bytes), envelopeBytes: bytes };
  }
  const certificate = a[LegacyAnnotation.certificate];
  const certificates = certificate === undefined ? [] : pemBlocks(certificate);
  const chainPem = a[LegacyAnnotation.chain];
  const chain = chainPem === undefined ? [] : pemBlocks(chainPem);
  const bundle = a[LegacyAnnotation.bundle];
  const tlogEntries: TlogEntry[] = bundle === undefined ? [] : [legacyRekorBundle(bundle)];
  const timestamp = a[LegacyAnnotation.timestamp];
  const predicateType = a[LegacyAnnotation.predicateType];
  return {
    scheme: 'legacy',
    location,
    content,
    material: certificates[0] === undefined ? { kind: 'key' } : { kind: 'certificate', certificate: certificates[0], chain },
    tlogEntries,
    timestamps: timestamp === undefined ? [] : [parseTimestampAnnotation(timestamp, location)],
    ...(predicateType === undefined ? {} : { predicateType }),
  };
}

function parseTimestampAnnotation(text: string, location: string): Buffer {
  try {
    const value = (JSON.parse(text) as { SignedRFC3161Timestamp?: unknown }).SignedRFC3161Timestamp;
    if (typeof value === 'string') return Buffer.from(value, 'base64');
  } catch {
    // reported below
  }
  throw new SignError('SIGNATURE_MALFORMED', `${location} has an unreadable ${LegacyAnnotation.timestamp} annotation`);
}

function imageLayers(bytes: Buffer, tag: string): readonly Descriptor[] {
  let manifest;
  try {
    manifest = parseManifest(bytes);
  } catch (error) {
    throw new SignError('SIGNATURE_MALFORMED', `${tag} is not a readable manifest`, { cause: error });
  }
  if (!('layers' in manifest)) throw new SignError('SIGNATURE_MALFORMED', `${tag} is an index, not a signature manifest`);
  return manifest.layers;
}

function sameRecord(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}
