/**
 * The hash and signature primitives the sigstore checks share, over node:crypto.
 */
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { algorithmOf, verifyWith } from '../key-algorithm.ts';

/** SHA-256 over the concatenation of `parts`. */
export function sha256(...parts: readonly (Buffer | Uint8Array | string)[]): Buffer {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

/**
 * Whether `signature` verifies over `data` with `key`, in the algorithm the key implies (the one
 * table in `key-algorithm.ts`). Never throws: a key of an unsupported kind, or a signature that
 * does not even parse, simply does not verify.
 */
export function verifySignature(key: KeyObject, data: Buffer, signature: Buffer): boolean {
  try {
    return verifyWith(algorithmOf(key), key, data, signature);
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

/** An RSA public key from PKCS#1 DER (`RSAPublicKey`, a trusted root's `PKCS1_RSA_*` keys); `undefined` when the bytes are not one. */
export function pkcs1Key(der: Buffer): KeyObject | undefined {
  try {
    return createPublicKey({ key: der, format: 'der', type: 'pkcs1' });
  } catch {
    return undefined;
  }
}

/** The SPKI DER of a public key. */
export function spkiDer(key: KeyObject): Buffer {
  return key.export({ format: 'der', type: 'spki' });
}
