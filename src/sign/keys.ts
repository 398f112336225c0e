import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { COSIGN_KEY_LABEL, decryptPrivateKey, SIGSTORE_KEY_LABEL } from './encrypted-key.ts';
import { algorithmOf, signWith, verifyWith, type KeyAlgorithm } from './key-algorithm.ts';
import { decodePem, encodePem, pemLabel } from './pem.ts';
import { SignError } from './sign-error.ts';

/**
 * cosign-compatible keys: generating a key pair, reading and writing `cosign.key` / `cosign.pub`,
 * signing and verifying with them. Format: `../shared/formats/cosign-sigstore.md` §1.
 */

export type { KeyAlgorithm } from './key-algorithm.ts';
export { encryptPrivateKey } from './encrypted-key.ts';

/** A private key cosign can sign with, ready to sign. */
export interface SigningKey {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly algorithm: KeyAlgorithm;
  /** The signature over `data`: ECDSA as ASN.1 DER over the curve's hash, RSA PKCS#1 v1.5 SHA-256, pure Ed25519. */
  sign(data: Uint8Array): Buffer;
}

/** A public key to verify signatures with. */
export interface VerificationKey {
  readonly publicKey: KeyObject;
  readonly algorithm: KeyAlgorithm;
  /** base64 (standard) of SHA-256 of the SPKI DER: sigstore's key hint. */
  readonly keyId: string;
  /** Whether `signature` is this key's signature over `data`; garbage is `false`, never an exception. */
  verify(data: Uint8Array, signature: Uint8Array): boolean;
}

/** Unencrypted private key PEM labels (as `cosign import-key-pair` takes them) and their DER encodings. */
const PLAIN_PRIVATE_LABELS: Readonly<Record<string, 'pkcs8' | 'sec1' | 'pkcs1'>> = {
  'PRIVATE KEY': 'pkcs8',
  'EC PRIVATE KEY': 'sec1',
  'RSA PRIVATE KEY': 'pkcs1',
};
const ENCRYPTED_LABELS: readonly string[] = [SIGSTORE_KEY_LABEL, COSIGN_KEY_LABEL];
const PUBLIC_LABELS: Readonly<Record<string, 'spki' | 'pkcs1'>> = { 'PUBLIC KEY': 'spki', 'RSA PUBLIC KEY': 'pkcs1' };

/** A new ECDSA P-256 key pair, the kind `cosign generate-key-pair` makes. */
export function generateKeyPair(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' });
}

/**
 * A signing key from a PEM private key: a cosign key file (`ENCRYPTED SIGSTORE PRIVATE KEY` or the
 * older `ENCRYPTED COSIGN PRIVATE KEY`; `password` is asked for these only), or an unencrypted
 * `PRIVATE KEY` (PKCS#8), `EC PRIVATE KEY` (SEC 1) or `RSA PRIVATE KEY` (PKCS#1).
 * Unreadable or unsupported keys → `KEY_INVALID`; a wrong password → `KEY_PASSWORD_WRONG`.
 */
export async function loadPrivateKey(pem: string, password: () => Promise<string>): Promise<SigningKey> {
  const label = pemLabel(pem);
  if (Object.hasOwn(PUBLIC_LABELS, label)) throw new SignError('KEY_INVALID', `this is a public key (${label}): signing takes the private key, such as cosign.key`);
  const block = decodePem(pem, [...ENCRYPTED_LABELS, ...Object.keys(PLAIN_PRIVATE_LABELS)]);
  const privateKey = ENCRYPTED_LABELS.includes(block.label) ? await decryptPrivateKey(block.der, password) : parsePrivateDer(block.der, block.label);
  return signingKeyOf(privateKey);
}

function parsePrivateDer(der: Buffer, label: string): KeyObject {
  const type = PLAIN_PRIVATE_LABELS[label] ?? 'pkcs8';
  try {
    return createPrivateKey({ key: der, format: 'der', type });
  } catch (error) {
    throw new SignError('KEY_INVALID', `the ${label} PEM block is not a ${type} private key`, { cause: error });
  }
}

/** A signing key for a private key object; algorithms cosign cannot sign with → `KEY_INVALID`. */
export function signingKeyOf(privateKey: KeyObject): SigningKey {
  if (privateKey.type !== 'private') throw new SignError('KEY_INVALID', `a signing key needs a private key, not a ${privateKey.type} key`);
  const algorithm = algorithmOf(privateKey);
  return {
    privateKey,
    publicKey: createPublicKey(privateKey),
    algorithm,
    sign: (data) => signWith(algorithm, privateKey, data),
  };
}

/** A verification key from a PEM `PUBLIC KEY` (SPKI, as in `cosign.pub`) or `RSA PUBLIC KEY` (PKCS#1). */
export function loadPublicKey(pem: string): VerificationKey {
  const label = pemLabel(pem);
  if (label.includes('PRIVATE KEY')) {
    throw new SignError('KEY_INVALID', `this is a private key (${label}): verifying takes the public key, such as the cosign.pub written beside cosign.key`);
  }
  const block = decodePem(pem, Object.keys(PUBLIC_LABELS));
  const type = PUBLIC_LABELS[block.label] ?? 'spki';
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: block.der, format: 'der', type });
  } catch (error) {
    throw new SignError('KEY_INVALID', `the ${block.label} PEM block is not a ${type} public key`, { cause: error });
  }
  return verificationKeyOf(publicKey);
}

/** A verification key for a public key object (a private key stands for its public half). */
export function verificationKeyOf(publicKey: KeyObject): VerificationKey {
  const key = publicHalf(publicKey);
  const algorithm = algorithmOf(key);
  return {
    publicKey: key,
    algorithm,
    keyId: keyIdOf(key),
    verify: (data, signature) => verifyWith(algorithm, key, data, signature),
  };
}

/** The PEM `PUBLIC KEY` (SPKI) of a key, as `cosign.pub` holds it (a private key gives its public half). */
export function publicKeyPem(key: KeyObject): string {
  return encodePem('PUBLIC KEY', spkiDer(key));
}

/** Sigstore's key hint: base64 (standard, padded) of SHA-256 of the SPKI DER. */
export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256').update(spkiDer(publicKey)).digest('base64');
}

function spkiDer(key: KeyObject): Buffer {
  return publicHalf(key).export({ type: 'spki', format: 'der' });
}

function publicHalf(key: KeyObject): KeyObject {
  if (key.type === 'public') return key;
  if (key.type === 'private') return createPublicKey(key);
  throw new SignError('KEY_INVALID', 'a secret key has no public key');
}
