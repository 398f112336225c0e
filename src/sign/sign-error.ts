/**
 * The one error class of the signing stage: keys, payloads, storage schemes and verification.
 * Every way a signature can fail verification has its own code, so a gate can say exactly why
 * an image is refused (the payload names another digest, the certificate names another identity,
 * the log proof does not check out …).
 */
export type SignErrorCode =
  // Keys
  /** A key file that cannot be read: unknown PEM label, bad JSON, unsupported KDF or cipher, unsupported algorithm. */
  | 'KEY_INVALID'
  /** The password does not open the encrypted key (secretbox authentication failed). */
  | 'KEY_PASSWORD_WRONG'
  // Finding and parsing signatures
  /** No signature (or attestation) of the wanted kind is stored for the image, in either scheme. */
  | 'SIGNATURE_NOT_FOUND'
  /** A signature manifest, layer, payload, envelope or bundle that does not parse. */
  | 'SIGNATURE_MALFORMED'
  // Verification, one code per check
  /** The signature does not verify over the exact payload (or DSSE PAE) with the signer's key. */
  | 'SIGNATURE_INVALID'
  /** The signed payload names another image digest than the one verified. */
  | 'PAYLOAD_DIGEST_MISMATCH'
  /** The simple-signing docker-reference is another repository than the one verified. */
  | 'DOCKER_REFERENCE_MISMATCH'
  /** A key-signed signature whose key is not one of the trusted keys. */
  | 'KEY_UNTRUSTED'
  /** The certificate does not chain to a certificate authority of the trusted root. */
  | 'CERTIFICATE_CHAIN_INVALID'
  /** The certificate was not valid at the trusted signing time (expired or not yet valid). */
  | 'CERTIFICATE_NOT_VALID_AT_SIGNING_TIME'
  /** The certificate has no embedded SCT, or none from a CT log the trusted root trusted at the SCT's time. */
  | 'CERTIFICATE_SCT_MISSING'
  /** An embedded SCT of a trusted CT log does not verify over the certificate (or the SCT extension does not parse). */
  | 'CERTIFICATE_SCT_INVALID'
  /** The certificate's subject (SAN) does not match the trusted identity. */
  | 'IDENTITY_MISMATCH'
  /** The certificate's OIDC issuer does not match the trusted issuer. */
  | 'ISSUER_MISMATCH'
  /** No transparency-log proof where one is required (no SET, no inclusion proof). */
  | 'TLOG_PROOF_MISSING'
  /** The signed entry timestamp, inclusion proof or checkpoint does not verify against the trusted root. */
  | 'TLOG_PROOF_INVALID'
  /** The log entry is about another signature, key, certificate or payload than this one. */
  | 'TLOG_BODY_MISMATCH'
  /**
   * An RFC 3161 signed timestamp that does not verify: unreadable or not granted, its message imprint is not over this
   * signature, its signer is no timestamp authority of the trusted root, or that TSA (its certificate chain, or the
   * root's trust in it) was not valid at the timestamp's time.
   */
  | 'TIMESTAMP_INVALID'
  /** A Rekor v2 entry (no integrated time) and no verified RFC 3161 timestamp to take the signing time from. */
  | 'TIMESTAMP_MISSING'
  /** The trusted root file cannot be read or has nothing to verify with. */
  | 'TRUSTED_ROOT_INVALID'
  /** The attestation's statement does not parse, has another subject or another predicate type. */
  | 'ATTESTATION_INVALID'
  // Signing
  /** Fulcio or Rekor refused or could not be reached. */
  | 'SIGSTORE_UNAVAILABLE'
  /** The OIDC identity token is missing or unreadable. */
  | 'IDENTITY_TOKEN_INVALID'
  /** The image's scan gate has not passed and signing was not forced. */
  | 'SCAN_GATE_NOT_PASSED'
  /** The image (or the repository) is not there. */
  | 'IMAGE_UNKNOWN';

export class SignError extends Error {
  readonly code: SignErrorCode;

  constructor(code: SignErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SignError';
    this.code = code;
  }
}
