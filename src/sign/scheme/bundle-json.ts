import type { DsseEnvelope, SignerMaterial, TlogEntry } from '../model.ts';

export const BUNDLE_V03_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';

export interface BundleParts {
  readonly material: SignerMaterial;
  readonly tlogEntries: readonly TlogEntry[];
  readonly envelope: DsseEnvelope;
}

/**
 * A sigstore bundle v0.3 holding a DSSE envelope, in protobuf JSON as cosign v3 writes it:
 * camelCase, int64 as strings, bytes as standard base64, zero values left out; a keyless
 * bundle carries the leaf certificate only, a key bundle the key's hint.
 */
export function serializeDsseBundle(parts: BundleParts): Buffer {
  const material = parts.material;
  const verificationMaterial = {
    ...(material.kind === 'key' ? { publicKey: { hint: material.hint ?? '' } } : { certificate: { rawBytes: material.certificate.toString('base64') } }),
    ...(parts.tlogEntries.length === 0 ? {} : { tlogEntries: parts.tlogEntries.map(tlogEntryJson) }),
  };
  return Buffer.from(
    JSON.stringify({
      mediaType: BUNDLE_V03_MEDIA_TYPE,
      verificationMaterial,
      dsseEnvelope: {
        payload: parts.envelope.payload.toString('base64'),
        payloadType: parts.envelope.payloadType,
        signatures: parts.envelope.signatures.map((s) => (s.keyid === '' ? { sig: s.sig.toString('base64') } : { sig: s.sig.toString('base64'), keyid: s.keyid })),
      },
    }),
  );
}

/** A `TransparencyLogEntry` in protobuf JSON (int64 as strings, bytes base64). */
export function tlogEntryJson(entry: TlogEntry): Record<string, unknown> {
  const proof = entry.inclusionProof;
  return {
    logIndex: String(entry.logIndex),
    logId: { keyId: entry.logId.toString('base64') },
    kindVersion: { kind: entry.kind, version: entry.version },
    integratedTime: String(entry.integratedTime),
    ...(entry.signedEntryTimestamp === undefined ? {} : { inclusionPromise: { signedEntryTimestamp: entry.signedEntryTimestamp.toString('base64') } }),
    ...(proof === undefined
      ? {}
      : {
          inclusionProof: {
            logIndex: String(proof.logIndex),
            rootHash: proof.rootHash.toString('base64'),
            treeSize: String(proof.treeSize),
            hashes: proof.hashes.map((h) => h.toString('base64')),
            checkpoint: { envelope: proof.checkpoint },
          },
        }),
    canonicalizedBody: entry.canonicalizedBody.toString('base64'),
  };
}

/**
 * The legacy `dev.sigstore.cosign/bundle` annotation for a log entry: capitalised Go field
 * names, the log id in hex, no inclusion proof.
 */
export function legacyRekorBundleJson(entry: TlogEntry): string {
  return JSON.stringify({
    SignedEntryTimestamp: (entry.signedEntryTimestamp ?? Buffer.alloc(0)).toString('base64'),
    Payload: { body: entry.canonicalizedBody.toString('base64'), integratedTime: entry.integratedTime, logIndex: entry.logIndex, logID: entry.logId.toString('hex') },
  });
}
