import { createHash } from 'node:crypto';
import type { Descriptor } from '../core/oci/descriptor.ts';
import type { Digest } from '../core/oci/digest.ts';
import { uploadDsse, uploadHashedRekord } from './keyless/rekor-client.ts';
import type { DsseEnvelope, TlogEntry } from './model.ts';
import { DSSE_ENVELOPE_MEDIA_TYPE, IN_TOTO_PAYLOAD_TYPE, preAuthEncoding, serializeEnvelope } from './payload/dsse.ts';
import { attestationStatement, COSIGN_SIGN_PREDICATE, signStatement } from './payload/in-toto.ts';
import { SIMPLE_SIGNING_MEDIA_TYPE, simpleSigningPayload } from './payload/simple-signing.ts';
import { legacyRekorBundleJson, serializeDsseBundle } from './scheme/bundle-json.ts';
import { BundleAnnotation, deleteBundleReferrers, writeBundleReferrer } from './scheme/bundle-referrer.ts';
import { appendLegacyLayer, LegacyAnnotation } from './scheme/legacy.ts';
import { certificatePem } from './pem.ts';
import type { Scheme } from './discover.ts';
import type { Signer } from './signer.ts';
import type { SignatureStore } from './signature-store.ts';

export interface SignOptions {
  readonly signer: Signer;
  readonly schemes: readonly Scheme[];
  /** Upload each signature to this Rekor (required for keyless; optional with a key). */
  readonly rekorUrl?: string;
  /** `-a key=value`: simple-signing `optional`, statement subject annotations. */
  readonly annotations?: Readonly<Record<string, string>>;
  readonly created?: Date;
  readonly signal?: AbortSignal;
  /** Told of each signature manifest once it is stored: a failure in a later scheme leaves the earlier one written. */
  readonly written?: (manifest: Digest) => void;
}

/** Where each scheme stored the signature: the `.sig` manifest digest and the bundle referrer digest. */
export interface SignResult {
  readonly digest: Digest;
  readonly legacy?: Digest;
  readonly bundle?: Digest;
  readonly tlogIndexes: readonly number[];
}

/**
 * Signs a manifest digest in the chosen schemes: the legacy simple-signing layer on the
 * `.sig` tag, and a sigstore bundle v0.3 (DSSE, cosign's sign/v1 statement) as a referrer.
 */
export async function signImage(store: SignatureStore, subject: Descriptor, options: SignOptions): Promise<SignResult> {
  const io = options.signal === undefined ? {} : { signal: options.signal };
  const tlogIndexes: number[] = [];
  let legacy: Digest | undefined;
  let bundle: Digest | undefined;
  if (options.schemes.includes('legacy')) {
    const payload = simpleSigningPayload(store.repository, subject.digest, options.annotations);
    const signature = options.signer.sign(payload);
    const entry = options.rekorUrl === undefined ? undefined : await uploadHashedRekord({ rekorUrl: options.rekorUrl, digest: sha256(payload), signature, verifier: options.signer.verifierPem, ...io });
    if (entry !== undefined) tlogIndexes.push(entry.logIndex);
    legacy = await appendLegacyLayer(store, subject.digest, 'sig', { bytes: payload, mediaType: SIMPLE_SIGNING_MEDIA_TYPE, annotations: legacyAnnotations(options.signer, signature.toString('base64'), entry) }, io);
    options.written?.(legacy);
  }
  if (options.schemes.includes('bundle')) {
    const signed = await signEnvelope(signStatement(subject.digest, options.annotations), options);
    if (signed.entry !== undefined) tlogIndexes.push(signed.entry.logIndex);
    bundle = await writeBundleReferrer(store, subject, bundleOf(options.signer, signed), COSIGN_SIGN_PREDICATE, { ...io, ...(options.created === undefined ? {} : { created: options.created }) });
    options.written?.(bundle);
  }
  return { digest: subject.digest, ...(legacy === undefined ? {} : { legacy }), ...(bundle === undefined ? {} : { bundle }), tlogIndexes };
}

export interface AttestOptions extends SignOptions {
  readonly predicateType: string;
  readonly predicate: unknown;
  /**
   * Annotations that mark attestations this one replaces: written on this one (the `.att` layer
   * and the bundle referrer), and earlier attestations of the same predicate type carrying them
   * are removed — so that attesting each new scan does not pile up attestations.
   */
  readonly replaces?: Readonly<Record<string, string>>;
}

/**
 * Attests a manifest digest: one in-toto statement in one DSSE envelope (and one log entry),
 * stored as a layer of the `.att` tag and as a bundle referrer.
 */
export async function attestImage(store: SignatureStore, subject: Descriptor, options: AttestOptions): Promise<SignResult> {
  const io = options.signal === undefined ? {} : { signal: options.signal };
  const signed = await signEnvelope(attestationStatement(store.repository, subject.digest, options.predicateType, options.predicate), options);
  let legacy: Digest | undefined;
  let bundle: Digest | undefined;
  const marks = options.replaces ?? {};
  const marked = (annotations: Readonly<Record<string, string>> | undefined) => Object.keys(marks).length > 0 && Object.entries(marks).every(([k, v]) => annotations?.[k] === v);
  if (options.schemes.includes('legacy')) {
    const annotations = { ...legacyAnnotations(options.signer, '', signed.entry), [LegacyAnnotation.predicateType]: options.predicateType, ...marks };
    const replaces = (layer: Descriptor) => marked(layer.annotations) && layer.annotations?.[LegacyAnnotation.predicateType] === options.predicateType;
    legacy = await appendLegacyLayer(store, subject.digest, 'att', { bytes: signed.bytes, mediaType: DSSE_ENVELOPE_MEDIA_TYPE, annotations }, { ...io, replaces });
    options.written?.(legacy);
  }
  if (options.schemes.includes('bundle')) {
    const created = options.created === undefined ? {} : { created: options.created };
    bundle = await writeBundleReferrer(store, subject, bundleOf(options.signer, signed), options.predicateType, { ...io, ...created, annotations: marks });
    options.written?.(bundle);
    if (Object.keys(marks).length > 0) await deleteBundleReferrers(store, subject.digest, bundle, { ...marks, [BundleAnnotation.predicateType]: options.predicateType }, io);
  }
  return { digest: subject.digest, ...(legacy === undefined ? {} : { legacy }), ...(bundle === undefined ? {} : { bundle }), tlogIndexes: signed.entry === undefined ? [] : [signed.entry.logIndex] };
}

interface SignedEnvelope {
  readonly envelope: DsseEnvelope;
  /** The envelope exactly as stored in the `.att` layer and submitted to Rekor. */
  readonly bytes: Buffer;
  readonly entry?: TlogEntry;
}

async function signEnvelope(statement: Buffer, options: SignOptions): Promise<SignedEnvelope> {
  const sig = options.signer.sign(preAuthEncoding(IN_TOTO_PAYLOAD_TYPE, statement));
  const envelope: DsseEnvelope = { payloadType: IN_TOTO_PAYLOAD_TYPE, payload: statement, signatures: [{ keyid: '', sig }] };
  const bytes = serializeEnvelope(envelope);
  if (options.rekorUrl === undefined) return { envelope, bytes };
  const entry = await uploadDsse({ rekorUrl: options.rekorUrl, envelope: bytes.toString('utf8'), verifiers: [options.signer.verifierPem], ...(options.signal === undefined ? {} : { signal: options.signal }) });
  return { envelope, bytes, entry };
}

function bundleOf(signer: Signer, signed: SignedEnvelope): Buffer {
  return serializeDsseBundle({ material: signer.material, tlogEntries: signed.entry === undefined ? [] : [signed.entry], envelope: signed.envelope });
}

function legacyAnnotations(signer: Signer, signature: string, entry: TlogEntry | undefined): Record<string, string> {
  const annotations: Record<string, string> = { [LegacyAnnotation.signature]: signature };
  if (signer.material.kind === 'certificate') {
    annotations[LegacyAnnotation.certificate] = certificatePem(signer.material.certificate);
    if (signer.material.chain.length > 0) annotations[LegacyAnnotation.chain] = signer.material.chain.map((c) => certificatePem(c)).join('');
  }
  if (entry !== undefined) annotations[LegacyAnnotation.bundle] = legacyRekorBundleJson(entry);
  return annotations;
}

function sha256(data: Uint8Array): Buffer {
  return createHash('sha256').update(data).digest();
}
