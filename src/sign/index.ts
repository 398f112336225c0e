/**
 * The signing stage: cosign-compatible keys, signatures and attestations in both storage schemes
 * (legacy `.sig`/`.att` tags and sigstore bundle v0.3 referrers), keyless signing through a
 * Fulcio and a Rekor, and verification against a trust policy. Other folders import the stage
 * only through this file.
 */
export { SignError, type SignErrorCode } from './sign-error.ts';
export { describeSigner, type FoundSignature, type TrustedTime, type VerifiedSigner } from './model.ts';
export { encryptPrivateKey, generateKeyPair, keyIdOf, loadPrivateKey, loadPublicKey, publicKeyPem, verificationKeyOf, type SigningKey, type VerificationKey } from './keys.ts';
export { keySigner, keylessSigner, type Signer } from './signer.ts';
export { layoutSignatureStore, registrySignatureStore, type SignatureStore, type StoredManifest, MAX_SIGNATURE_BLOB_BYTES, readVerified, checkSize } from './signature-store.ts';
export { signImage, attestImage, type SignOptions, type AttestOptions, type SignResult } from './sign-image.ts';
export { verifyImage, type ImageVerification } from './verify-image.ts';
export { discover, type Scheme, type SignatureKind } from './discover.ts';
export type { SignatureOutcome, VerificationPolicy } from './verify/verify-signature.ts';
export { loadTrustedRoot, parseTrustedRoot, type TrustedRoot } from './sigstore/trusted-root.ts';
export { attestationPredicate, vulnPredicate } from './payload/predicate.ts';
export { COSIGN_SIGN_PREDICATE } from './payload/in-toto.ts';
export { forcedAnnotations, recordForcedGate, requireScanGate, type ScanGateCheck, type ScanGateSource } from './scan-gate.ts';
