import { createPrivateKey, randomBytes, scrypt, type KeyObject } from 'node:crypto';
import { secretbox } from '@noble/ciphers/salsa.js';
import { algorithmOf } from './key-algorithm.ts';
import { encodePem } from './pem.ts';
import { SignError } from './sign-error.ts';

/**
 * cosign's encrypted private key file (`cosign.key`): PKCS#8 DER sealed with NaCl secretbox
 * (XSalsa20-Poly1305) under a scrypt key, in a JSON document inside a PEM block. Byte layout:
 * `../shared/formats/cosign-sigstore.md` §1.1.
 */

/** The label cosign ≥ v2.0.1 writes. */
export const SIGSTORE_KEY_LABEL = 'ENCRYPTED SIGSTORE PRIVATE KEY';
/** The label cosign ≤ v2.0.0 wrote; still read. */
export const COSIGN_KEY_LABEL = 'ENCRYPTED COSIGN PRIVATE KEY';

interface ScryptParams {
  readonly N: number;
  readonly r: number;
  readonly p: number;
}

/** What cosign (go-securesystemslib) accepts; new keys use 65536 as cosign ≥ v2.2 does. */
const ACCEPTED_PARAMS: readonly ScryptParams[] = [
  { N: 32768, r: 8, p: 1 },
  { N: 65536, r: 8, p: 1 },
  { N: 131072, r: 8, p: 1 },
];
const WRITE_PARAMS: ScryptParams = { N: 65536, r: 8, p: 1 };
const SALT_BYTES = 32;
const NONCE_BYTES = 24;
const TAG_BYTES = 16;
/** scrypt needs 128·N·r bytes: 128 MiB for N=131072; Node's default limit (32 MiB) is too small. */
const SCRYPT_MAXMEM = 256 * 1024 * 1024;
const STD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

interface EncryptedKeyDocument {
  readonly params: ScryptParams;
  readonly salt: Buffer;
  readonly nonce: Buffer;
  readonly ciphertext: Buffer;
}

/**
 * The `ENCRYPTED SIGSTORE PRIVATE KEY` PEM of `privateKey`, exactly as `cosign generate-key-pair`
 * writes it: scrypt N=65536 r=8 p=1 with a fresh 32-byte salt, secretbox with a fresh 24-byte
 * nonce, the JSON as Go's `encoding/json` writes it. Keys cosign cannot sign with → `KEY_INVALID`.
 */
export async function encryptPrivateKey(privateKey: KeyObject, password: string): Promise<string> {
  if (privateKey.type !== 'private') throw new SignError('KEY_INVALID', `only a private key can be encrypted, not a ${privateKey.type} key`);
  algorithmOf(privateKey);
  const salt = randomBytes(SALT_BYTES);
  const nonce = randomBytes(NONCE_BYTES);
  const key = await deriveKey(password, salt, WRITE_PARAMS);
  const plaintext = privateKey.export({ type: 'pkcs8', format: 'der' });
  try {
    const ciphertext = secretbox(key, nonce).seal(plaintext);
    return encodePem(SIGSTORE_KEY_LABEL, Buffer.from(documentJson({ params: WRITE_PARAMS, salt, nonce, ciphertext: Buffer.from(ciphertext) })));
  } finally {
    key.fill(0);
    plaintext.fill(0);
  }
}

/**
 * The private key sealed in the body (DER of the PEM block) of a cosign key file. The document is
 * checked before `password` is asked for: another KDF, cipher or scrypt parameters, bad JSON, or a
 * plaintext that is not PKCS#8 → `KEY_INVALID`; a password that does not open it (or a tampered
 * ciphertext: secretbox cannot tell them apart) → `KEY_PASSWORD_WRONG`.
 */
export async function decryptPrivateKey(body: Buffer, password: () => Promise<string>): Promise<KeyObject> {
  const document = parseDocument(body);
  const key = await deriveKey(await password(), document.salt, document.params);
  const plaintext = open(key, document);
  try {
    return createPrivateKey({ key: plaintext, format: 'der', type: 'pkcs8' });
  } catch (error) {
    throw new SignError('KEY_INVALID', 'the decrypted key is not a PKCS#8 private key', { cause: error });
  } finally {
    plaintext.fill(0);
  }
}

function open(key: Buffer, document: EncryptedKeyDocument): Buffer {
  try {
    return Buffer.from(secretbox(key, document.nonce).open(document.ciphertext));
  } catch (error) {
    throw new SignError('KEY_PASSWORD_WRONG', 'the password does not open the private key (decryption failed)', { cause: error });
  } finally {
    key.fill(0);
  }
}

/** The 32-byte secretbox key: Node's asynchronous scrypt, so the event loop is not blocked for it. */
function deriveKey(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, 32, { N: params.N, r: params.r, p: params.p, maxmem: SCRYPT_MAXMEM }, (error, key) => (error === null ? resolve(key) : reject(error)));
  });
}

/** Go's `encoding/json` of cosign's structs: compact, this key order, byte fields as padded std base64. */
function documentJson(document: EncryptedKeyDocument): string {
  return JSON.stringify({
    kdf: { name: 'scrypt', params: { N: document.params.N, r: document.params.r, p: document.params.p }, salt: document.salt.toString('base64') },
    cipher: { name: 'nacl/secretbox', nonce: document.nonce.toString('base64') },
    ciphertext: document.ciphertext.toString('base64'),
  });
}

function parseDocument(body: Buffer): EncryptedKeyDocument {
  const json = parseJson(body);
  const kdf = field(json, 'kdf');
  const cipher = field(json, 'cipher');
  if (field(kdf, 'name') !== 'scrypt') throw invalid(`unsupported kdf ${JSON.stringify(field(kdf, 'name'))}: only scrypt`);
  if (field(cipher, 'name') !== 'nacl/secretbox') throw invalid(`unsupported cipher ${JSON.stringify(field(cipher, 'name'))}: only nacl/secretbox`);
  const params = scryptParams(field(kdf, 'params'));
  const nonce = base64Field(cipher, 'nonce');
  if (nonce.length !== NONCE_BYTES) throw invalid(`the nonce is ${nonce.length} bytes, not ${NONCE_BYTES}`);
  const ciphertext = base64Field(json, 'ciphertext');
  if (ciphertext.length < TAG_BYTES) throw invalid('the ciphertext is shorter than the authentication tag');
  return { params, salt: base64Field(kdf, 'salt'), nonce, ciphertext };
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new SignError('KEY_INVALID', 'the encrypted key is not JSON', { cause: error });
  }
}

function scryptParams(value: unknown): ScryptParams {
  const params = { N: field(value, 'N'), r: field(value, 'r'), p: field(value, 'p') };
  const accepted = ACCEPTED_PARAMS.find((a) => a.N === params.N && a.r === params.r && a.p === params.p);
  if (accepted === undefined) throw invalid(`unsupported scrypt parameters ${JSON.stringify(params)}: N must be 32768, 65536 or 131072 with r=8, p=1`);
  return accepted;
}

function base64Field(value: unknown, name: string): Buffer {
  const text = field(value, name);
  if (typeof text !== 'string' || !STD_BASE64.test(text)) throw invalid(`${name} is not standard base64`);
  return Buffer.from(text, 'base64');
}

/** `value[name]`, or `KEY_INVALID` if `value` is not a JSON object. */
function field(value: unknown, name: string): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(`expected a JSON object around ${name}`);
  return (value as Record<string, unknown>)[name];
}

function invalid(message: string): SignError {
  return new SignError('KEY_INVALID', `invalid encrypted key: ${message}`);
}
