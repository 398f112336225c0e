/**
 * The hash and signature primitives the sigstore checks share, over node:crypto.
 */
import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';

/** SHA-256 over the concatenation of `parts`. */
export function sha256(...parts: readonly (Buffer | Uint8Array | string)[]): Buffer {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

/** The digest a key signs with the way sigstore logs and CAs use it: ECDSA by curve size, RSA SHA-256, Ed25519 none. */
function digestFor(key: KeyObject): string | null {
  if (key.asymmetricKeyType === 'ed25519' || key.asymmetricKeyType === 'ed448') return null;
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === 'secp384r1') return 'sha384';
    if (curve === 'secp521r1') return 'sha512';
  }
  return 'sha256';
}

/**
 * Whether `signature` (ECDSA: DER; RSA: PKCS#1 v1.5; Ed25519: raw) verifies over `data` with `key`. Never throws: a
 * signature that does not even parse simply does not verify.
 */
export function verifySignature(key: KeyObject, data: Buffer, signature: Buffer): boolean {
  try {
    return verify(digestFor(key), data, key, signature);
  } catch {
    return false;
  }
}

/** A public key from SPKI DER; `undefined` when the bytes are not one. */
export function spkiKey(der: Buffer): KeyObject | undefined {
  try {
    return createPublicKey({ key: der, format: 'der', type: 'spki' });
  } catch {
    return undefined;
  }
}

/** The SPKI DER of a public key. */
export function spkiDer(key: KeyObject): Buffer {
  return key.export({ format: 'der', type: 'spki' });
}
