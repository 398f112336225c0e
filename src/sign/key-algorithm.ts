import { constants, sign, verify, type KeyObject } from 'node:crypto';
import { SignError } from './sign-error.ts';

/**
 * The signature algorithms cosign v3 signs and verifies with a key: ECDSA on the NIST curves with
 * the curve's hash, RSA PKCS#1 v1.5 with SHA-256, and Ed25519. Slipway signs Ed25519 keys as pure
 * Ed25519 (RFC 8032); cosign's default for Ed25519 keys, Ed25519ph, is not supported.
 */
export type KeyAlgorithm = 'ecdsa-p256-sha256' | 'ecdsa-p384-sha384' | 'ecdsa-p521-sha512' | 'rsa-pkcs1-sha256' | 'ed25519';

const CURVES: Readonly<Record<string, KeyAlgorithm>> = {
  prime256v1: 'ecdsa-p256-sha256',
  secp384r1: 'ecdsa-p384-sha384',
  secp521r1: 'ecdsa-p521-sha512',
};

const RSA_SIZES: readonly number[] = [2048, 3072, 4096];

/** The digest each algorithm signs (`null`: Ed25519 signs the message itself). */
const HASHES: Readonly<Record<KeyAlgorithm, string | null>> = {
  'ecdsa-p256-sha256': 'sha256',
  'ecdsa-p384-sha384': 'sha384',
  'ecdsa-p521-sha512': 'sha512',
  'rsa-pkcs1-sha256': 'sha256',
  ed25519: null,
};

/** The algorithm a (private or public) key signs with; any other curve, RSA size or key type → `KEY_INVALID`. */
export function algorithmOf(key: KeyObject): KeyAlgorithm {
  const type = key.asymmetricKeyType;
  if (type === 'ec') return ecdsaAlgorithm(key.asymmetricKeyDetails?.namedCurve);
  if (type === 'rsa') return rsaAlgorithm(key.asymmetricKeyDetails?.modulusLength);
  if (type === 'ed25519') return 'ed25519';
  throw new SignError('KEY_INVALID', `unsupported key type ${type ?? key.type}: use ECDSA P-256/P-384/P-521, RSA 2048/3072/4096 or Ed25519`);
}

function ecdsaAlgorithm(curve: string | undefined): KeyAlgorithm {
  const algorithm = curve === undefined ? undefined : CURVES[curve];
  if (algorithm === undefined) throw new SignError('KEY_INVALID', `ECDSA curve ${curve ?? '(explicit parameters)'} is not supported: use P-256, P-384 or P-521`);
  return algorithm;
}

function rsaAlgorithm(bits: number | undefined): KeyAlgorithm {
  if (bits === undefined || !RSA_SIZES.includes(bits)) throw new SignError('KEY_INVALID', `RSA key size ${bits ?? '?'} is not supported: use 2048, 3072 or 4096 bits`);
  return 'rsa-pkcs1-sha256';
}

/** Signs `data` as `algorithm` does: ECDSA signatures are ASN.1 DER, RSA is PKCS#1 v1.5. */
export function signWith(algorithm: KeyAlgorithm, privateKey: KeyObject, data: Uint8Array): Buffer {
  return sign(HASHES[algorithm], data, keyInput(algorithm, privateKey));
}

/** Whether `signature` is `algorithm`'s signature over `data`; malformed signatures are `false`, never an exception. */
export function verifyWith(algorithm: KeyAlgorithm, publicKey: KeyObject, data: Uint8Array, signature: Uint8Array): boolean {
  try {
    return verify(HASHES[algorithm], data, keyInput(algorithm, publicKey), signature);
  } catch {
    return false;
  }
}

function keyInput(algorithm: KeyAlgorithm, key: KeyObject): KeyObject | { key: KeyObject; padding?: number; dsaEncoding?: 'der' } {
  if (algorithm === 'rsa-pkcs1-sha256') return { key, padding: constants.RSA_PKCS1_PADDING };
  if (algorithm === 'ed25519') return key;
  return { key, dsaEncoding: 'der' };
}
