import type { TrustSigner } from '../core/policy/trust-policy.ts';

/**
 * The data the signing stage works on, independent of the storage scheme: what a signature
 * carries once found (legacy `.sig`/`.att` layer or sigstore bundle), and what verification
 * proved about its signer.
 */

/** A transparency-log entry, from a bundle's `tlogEntries` or a legacy `dev.sigstore.cosign/bundle` annotation. */
export interface TlogEntry {
  /** The global log index (the one the SET signs). */
  readonly logIndex: number;
  /** SHA-256 of the log's public key (SPKI DER). */
  readonly logId: Buffer;
  readonly kind: string;
  readonly version: string;
  /** Seconds since the epoch; 0 for a Rekor v2 entry, which has none (its time comes from a timestamp authority). */
  readonly integratedTime: number;
  /** The canonical (JCS) entry body, exactly as the log returned it. */
  readonly canonicalizedBody: Buffer;
  readonly signedEntryTimestamp?: Buffer;
  readonly inclusionProof?: InclusionProof;
}

export interface InclusionProof {
  /** The index in the current shard's tree (not the global index). */
  readonly logIndex: number;
  readonly rootHash: Buffer;
  readonly treeSize: number;
  /** Leaf to root. */
  readonly hashes: readonly Buffer[];
  /** The signed note (checkpoint) text. */
  readonly checkpoint: string;
}

/** A DSSE envelope; `payload` and `sig` decoded. */
export interface DsseEnvelope {
  readonly payloadType: string;
  readonly payload: Buffer;
  readonly signatures: readonly { readonly keyid: string; readonly sig: Buffer }[];
}

/** What was signed: a blob (simple-signing payload, bundle message signature) or a DSSE envelope. */
export type SignedContent =
  | {
      readonly kind: 'message';
      /** The signed blob; empty for a bundle message signature, which carries only its digest. */
      readonly payload: Buffer;
      readonly signature: Buffer;
      /** A bundle message signature's `messageDigest` (SHA-256 of the blob). */
      readonly digest?: Buffer;
    }
  | {
      readonly kind: 'dsse';
      readonly envelope: DsseEnvelope;
      /** A legacy `.att` layer: the envelope JSON as stored, which is what cosign's RFC 3161 timestamp covers there. */
      readonly envelopeBytes?: Buffer;
    };

/** Who the signature says signed it: a bare key (found by the verifier's keys) or a certificate. */
export type SignerMaterial =
  | { readonly kind: 'key'; readonly hint?: string }
  | { readonly kind: 'certificate'; readonly certificate: Buffer; readonly chain: readonly Buffer[] };

/** One signature or attestation stored for an image, in either scheme, ready to verify. */
export interface FoundSignature {
  readonly scheme: 'legacy' | 'bundle';
  /** Where it was found, for messages: `sha256-….sig layer 1`, `referrer sha256:…`. */
  readonly location: string;
  readonly content: SignedContent;
  readonly material: SignerMaterial;
  readonly tlogEntries: readonly TlogEntry[];
  /** RFC 3161 signed timestamps (DER TimeStampResp), if any. */
  readonly timestamps: readonly Buffer[];
  /** The predicate type the storage annotates (attestations). */
  readonly predicateType?: string;
}

/** A signing time verification trusts: a Rekor v1 entry's integrated time, or a verified RFC 3161 timestamp's genTime. */
export interface TrustedTime {
  readonly source: 'tlog' | 'timestamp-authority';
  readonly time: Date;
  /** The log's base URL, or the timestamp authority's URI (as the trusted root names them). */
  readonly authority: string;
}

/** A signer whose signature verified, as a trust policy names it (a key by its id, or a keyless identity). */
export type VerifiedSigner = TrustSigner;

export { describeTrustSigner as describeSigner } from '../core/policy/trust-policy.ts';
