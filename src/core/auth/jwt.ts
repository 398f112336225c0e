import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, createHash, type KeyObject } from 'node:crypto';
import { AuthError } from './auth-error.ts';

/** Clock skew tolerated when checking `exp` and `nbf`, as CNCF distribution does. */
const LEEWAY_SECONDS = 60;

export interface SigningKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

/** A new Ed25519 signing key. */
export function generateSigningKey(): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { kid: keyId(publicKey), privateKey, publicKey };
}

/** Loads a signing key from its PKCS#8 PEM form (as stored in the settings table). */
export function loadSigningKey(pem: string): SigningKey {
  const privateKey = createPrivateKey(pem);
  const publicKey = createPublicKey(privateKey);
  return { kid: keyId(publicKey), privateKey, publicKey };
}

export function exportSigningKey(key: SigningKey): string {
  return key.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
}

/** A stable key id: the first 16 bytes of the SHA-256 of the public key's DER, base64url. */
function keyId(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ format: 'der', type: 'spki' })).digest('base64url').slice(0, 22);
}

/** Signs a compact JWS (EdDSA) over the given claims. */
export function signJwt(claims: Readonly<Record<string, unknown>>, key: SigningKey): string {
  const header = { alg: 'EdDSA', typ: 'JWT', kid: key.kid };
  const signingInput = `${base64url(header)}.${base64url(claims)}`;
  const signature = sign(null, Buffer.from(signingInput), key.privateKey).toString('base64url');
  return `${signingInput}.${signature}`;
}

/**
 * Verifies a compact JWS signed by one of `keys` and checks `exp`/`nbf` (with leeway) and, when
 * given, `iss` and `aud`. Returns the claims.
 */
export function verifyJwt(
  token: string,
  keys: readonly SigningKey[],
  expect: { readonly issuer?: string; readonly audience?: string; readonly now?: number } = {},
): Record<string, unknown> {
  const parts = token.split('.');
  if (parts.length !== 3) throw new AuthError('TOKEN_INVALID', 'token is not a compact JWS');
  const [headerPart = '', claimsPart = '', signaturePart = ''] = parts;
  const header = decodePart(headerPart);
  const key = keys.find((k) => k.kid === header['kid']);
  if (header['alg'] !== 'EdDSA' || key === undefined) throw new AuthError('TOKEN_INVALID', 'token was not signed by this service');
  const valid = verify(null, Buffer.from(`${headerPart}.${claimsPart}`), key.publicKey, Buffer.from(signaturePart, 'base64url'));
  if (!valid) throw new AuthError('TOKEN_INVALID', 'token signature is invalid');
  const claims = decodePart(claimsPart);
  const now = Math.floor((expect.now ?? Date.now()) / 1000);
  if (typeof claims['exp'] !== 'number' || claims['exp'] + LEEWAY_SECONDS < now) throw new AuthError('TOKEN_EXPIRED', 'token has expired');
  if (typeof claims['nbf'] === 'number' && claims['nbf'] - LEEWAY_SECONDS > now) throw new AuthError('TOKEN_INVALID', 'token is not valid yet');
  if (expect.issuer !== undefined && claims['iss'] !== expect.issuer) throw new AuthError('TOKEN_INVALID', 'token issuer is not trusted');
  if (expect.audience !== undefined && !audienceIncludes(claims['aud'], expect.audience)) {
    throw new AuthError('TOKEN_INVALID', 'token audience does not include this service');
  }
  return claims;
}

function audienceIncludes(aud: unknown, audience: string): boolean {
  return aud === audience || (Array.isArray(aud) && aud.includes(audience));
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function decodePart(part: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch (cause) {
    throw new AuthError('TOKEN_INVALID', 'token is not valid JSON', { cause });
  }
  throw new AuthError('TOKEN_INVALID', 'token part is not a JSON object');
}
