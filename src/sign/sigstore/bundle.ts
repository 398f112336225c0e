/**
 * Reading sigstore bundles (v0.1, v0.2, v0.3) and cosign's legacy `dev.sigstore.cosign/bundle` annotation into
 * Slipway's model types. `@sigstore/bundle` validates the bundle against its media type's rules; everything after
 * works on plain Buffers and numbers.
 */
import { bundleFromJSON, type Bundle, type TransparencyLogEntry } from '@sigstore/bundle';
import type { DsseEnvelope, InclusionProof, SignedContent, SignerMaterial, TlogEntry } from '../model.ts';
import { SignError } from '../sign-error.ts';
import { fail, reader, requiredBytes, requiredInt64, requiredObject, requiredString } from './proto-json.ts';

/** A parsed bundle: what was signed, by whom, the log entries and timestamps that vouch for it. */
export interface ParsedBundle {
  readonly content: SignedContent;
  readonly material: SignerMaterial;
  readonly tlogEntries: TlogEntry[];
  /** RFC 3161 signed timestamps (DER). */
  readonly timestamps: Buffer[];
  readonly mediaType: string;
}

/** `HashAlgorithm.SHA2_256` of `@sigstore/protobuf-specs` (the enum is not re-exported by `@sigstore/bundle`). */
const SHA2_256 = 1;

function malformed(message: string, cause?: unknown): SignError {
  return new SignError('SIGNATURE_MALFORMED', `bundle: ${message}`, cause === undefined ? {} : { cause });
}

function safeInteger(value: string, field: string): number {
  const n = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n)) throw malformed(`${field} ${JSON.stringify(value)} is not an integer`);
  return n;
}

function validated(json: unknown): Bundle {
  try {
    return bundleFromJSON(json);
  } catch (error) {
    const fields = (error as { fields?: unknown }).fields;
    const detail = Array.isArray(fields) && fields.length > 0 ? `invalid ${fields.join(', ')}` : (error as Error).message;
    throw malformed(detail, error);
  }
}

function signedContent(content: Bundle['content']): SignedContent {
  if (content.$case === 'dsseEnvelope') {
    const e = content.dsseEnvelope;
    const envelope: DsseEnvelope = { payloadType: e.payloadType, payload: e.payload, signatures: e.signatures.map((s) => ({ keyid: s.keyid, sig: s.sig })) };
    return { kind: 'dsse', envelope };
  }
  const { messageDigest, signature } = content.messageSignature;
  const algorithm: number = messageDigest.algorithm;
  if (algorithm !== SHA2_256) throw malformed(`message digest algorithm ${algorithm} is not SHA2_256`);
  return { kind: 'message', payload: Buffer.alloc(0), signature, digest: messageDigest.digest };
}

function signerMaterial(material: Bundle['verificationMaterial']['content']): SignerMaterial {
  switch (material.$case) {
    case 'publicKey':
      return material.publicKey.hint === '' ? { kind: 'key' } : { kind: 'key', hint: material.publicKey.hint };
    case 'certificate':
      return { kind: 'certificate', certificate: material.certificate.rawBytes, chain: [] };
    case 'x509CertificateChain': {
      const [leaf, ...chain] = material.x509CertificateChain.certificates.map((c) => c.rawBytes);
      if (leaf === undefined) throw malformed('x509CertificateChain has no certificate');
      return { kind: 'certificate', certificate: leaf, chain };
    }
  }
}

/** The entry's inclusion proof; one without a checkpoint proves nothing (its root is unsigned) and is left out. */
function inclusionProof(entry: TransparencyLogEntry, field: string): InclusionProof | undefined {
  const proof = entry.inclusionProof;
  if (proof === undefined || proof.checkpoint === undefined) return undefined;
  return {
    logIndex: safeInteger(proof.logIndex, `${field}.inclusionProof.logIndex`),
    rootHash: proof.rootHash,
    treeSize: safeInteger(proof.treeSize, `${field}.inclusionProof.treeSize`),
    hashes: proof.hashes,
    checkpoint: proof.checkpoint.envelope,
  };
}

function tlogEntry(entry: TransparencyLogEntry, index: number): TlogEntry {
  const field = `tlogEntries[${index}]`;
  const proof = inclusionProof(entry, field);
  const set = entry.inclusionPromise?.signedEntryTimestamp;
  return {
    logIndex: safeInteger(entry.logIndex, `${field}.logIndex`),
    logId: entry.logId.keyId,
    kind: entry.kindVersion.kind,
    version: entry.kindVersion.version,
    integratedTime: safeInteger(entry.integratedTime, `${field}.integratedTime`),
    canonicalizedBody: entry.canonicalizedBody,
    ...(set === undefined ? {} : { signedEntryTimestamp: set }),
    ...(proof === undefined ? {} : { inclusionProof: proof }),
  };
}

/**
 * Parses a sigstore bundle (the JSON value) of media type v0.1, v0.2 or v0.3, validated by `@sigstore/bundle`.
 * A message signature becomes `{kind: 'message'}` with an empty payload (a bundle carries only the blob's digest,
 * kept in `digest`). SIGNATURE_MALFORMED when the bundle is invalid for its media type.
 */
export function parseBundle(json: unknown): ParsedBundle {
  const bundle = validated(json);
  return {
    mediaType: bundle.mediaType,
    content: signedContent(bundle.content),
    material: signerMaterial(bundle.verificationMaterial.content),
    tlogEntries: bundle.verificationMaterial.tlogEntries.map(tlogEntry),
    timestamps: (bundle.verificationMaterial.timestampVerificationData?.rfc3161Timestamps ?? []).map((t) => t.signedTimestamp),
  };
}

function bodyKind(body: Buffer): { kind: string; version: string } {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new SignError('SIGNATURE_MALFORMED', 'cosign bundle annotation: Payload.body is not base64 of a JSON log entry', { cause: error });
  }
  const r = reader(json, 'cosign bundle annotation', 'SIGNATURE_MALFORMED', 'Payload.body');
  return { kind: requiredString(r, 'kind'), version: requiredString(r, 'apiVersion') };
}

/**
 * Reads cosign's legacy `dev.sigstore.cosign/bundle` annotation
 * (`{"SignedEntryTimestamp": b64, "Payload": {"body": b64, "integratedTime", "logIndex", "logID": hex}}`) into a log
 * entry with a SET and no inclusion proof; kind and version come from the body. SIGNATURE_MALFORMED when it does not
 * parse.
 */
export function legacyRekorBundle(annotationJson: string): TlogEntry {
  let json: unknown;
  try {
    json = JSON.parse(annotationJson);
  } catch (error) {
    throw new SignError('SIGNATURE_MALFORMED', 'cosign bundle annotation is not JSON', { cause: error });
  }
  const r = reader(json, 'cosign bundle annotation', 'SIGNATURE_MALFORMED');
  const payload = requiredObject(r, 'Payload');
  const logId = requiredString(payload, 'logID');
  if (!/^[0-9a-fA-F]{64}$/.test(logId)) fail(payload, 'logID', 'is not a hex SHA-256');
  const canonicalizedBody = requiredBytes(payload, 'body');
  return {
    logIndex: requiredInt64(payload, 'logIndex'),
    logId: Buffer.from(logId, 'hex'),
    ...bodyKind(canonicalizedBody),
    integratedTime: requiredInt64(payload, 'integratedTime'),
    canonicalizedBody,
    signedEntryTimestamp: requiredBytes(r, 'SignedEntryTimestamp'),
  };
}
