/**
 * The certificate authority of the fake Sigstore: @sigstore/mock's CA and CT log (real X.509 and
 * SCTs) behind the checks Fulcio makes before issuing — the identity token is signed by this
 * fake's issuer (HS256) and unexpired, the proof of possession verifies over the token's subject
 * (`email` when present and verified, else `sub`). The mock then issues a 10-minute leaf whose
 * SAN is the subject (always as a URI SAN — a mock limitation; real Fulcio writes emails as
 * rfc822Name) with the issuer in extensions `.1` and `.8`.
 */
import { createHmac, createPublicKey, generateKeyPairSync, randomBytes, timingSafeEqual, verify } from 'node:crypto';
import { fulcioHandler, initializeCA, initializeCTLog } from '@sigstore/mock';

/** The claims of a token the fake issuer signs. */
export interface IdentityClaims {
  /** `sub`; defaults to the email. */
  readonly subject?: string;
  /** `email` (with `email_verified: true`); the certificate's SAN when present. */
  readonly email?: string;
  /** `iss`; the certificate's issuer extension. */
  readonly issuer: string;
}

export interface FulcioAnswer {
  readonly status: number;
  readonly body: string;
  readonly contentType: string;
}

export interface FakeFulcio {
  /** The CA's self-signed root, DER (the whole chain: the mock has no intermediate). */
  readonly rootCertificate: Buffer;
  /** The CT log key, SPKI DER, and its log ID (SHA-256 of it). */
  readonly ctlogPublicKey: Buffer;
  readonly ctlogId: Buffer;
  /** A signed identity token this CA accepts (and no other fake's CA does). */
  identityToken(claims: IdentityClaims): string;
  /** `POST /api/v2/signingCert`. */
  signingCert(requestBody: string): Promise<FulcioAnswer>;
}

type Claims = Record<string, unknown>;

/** Creates a CA with fresh keys; certificates and SCTs carry `clock` (the real time when absent). */
export async function createFakeFulcio(options: { readonly clock?: Date } = {}): Promise<FakeFulcio> {
  const ctlog = await initializeCTLog(generateKeyPairSync('ec', { namedCurve: 'P-256' }), options.clock);
  const ca = await initializeCA(generateKeyPairSync('ec', { namedCurve: 'P-256' }), ctlog, options.clock);
  const bySub = fulcioHandler(ca, { subjectClaim: 'sub' });
  const byEmail = fulcioHandler(ca, { subjectClaim: 'email' });
  const secret = randomBytes(32);

  return {
    rootCertificate: bytes(ca.rootCertificate),
    ctlogPublicKey: Buffer.from(ctlog.publicKey),
    ctlogId: bytes(ctlog.logID),
    identityToken: (claims) => signToken(tokenClaims(claims), secret),
    async signingCert(requestBody) {
      const request = parseRequest(requestBody);
      if (request === undefined) return grpcError(400, 3, 'The request body could not be parsed');
      const claims = verifyToken(request.token, secret);
      if (claims === undefined) return grpcError(401, 16, 'There was an error processing the identity token');
      const subject = tokenSubject(claims);
      if (subject === undefined) return grpcError(401, 16, 'There was an error processing the identity token');
      if (!proofVerifies(request.publicKeyPem, subject.value, request.proof)) {
        return grpcError(400, 3, 'The signature supplied in the request could not be verified');
      }
      const answer = await (subject.claim === 'email' ? byEmail : bySub).fn(requestBody);
      return { status: answer.statusCode, body: text(answer.response), contentType: answer.contentType ?? 'text/plain' };
    },
  };
}

function tokenClaims(claims: IdentityClaims): Claims {
  const sub = claims.subject ?? claims.email;
  if (sub === undefined) throw new TypeError('an identity token needs a subject or an email');
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: claims.issuer,
    sub,
    aud: 'sigstore',
    iat: now,
    nbf: now,
    exp: now + 600,
    ...(claims.email === undefined ? {} : { email: claims.email, email_verified: true }),
  };
}

function signToken(claims: Claims, secret: Buffer): string {
  const header = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  const signature = createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url');
  return `${header}.${payload}.${signature}`;
}

/** The claims of a token this fake signed and that has not expired, else undefined. */
function verifyToken(token: string, secret: Buffer): Claims | undefined {
  const [header, payload, signature, ...rest] = token.split('.');
  if (header === undefined || payload === undefined || signature === undefined || rest.length > 0) return undefined;
  const expected = createHmac('sha256', secret).update(`${header}.${payload}`).digest();
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Claims;
    return typeof claims['exp'] === 'number' && claims['exp'] * 1000 > Date.now() ? claims : undefined;
  } catch {
    return undefined;
  }
}

/** Fulcio's email principal needs a verified email; other tokens are named by `sub`. */
function tokenSubject(claims: Claims): { readonly claim: 'email' | 'sub'; readonly value: string } | undefined {
  if (typeof claims['email'] === 'string' && claims['email'] !== '') {
    return claims['email_verified'] === true ? { claim: 'email', value: claims['email'] } : undefined;
  }
  return typeof claims['sub'] === 'string' && claims['sub'] !== '' ? { claim: 'sub', value: claims['sub'] } : undefined;
}

interface CertificateRequest {
  readonly token: string;
  readonly publicKeyPem: string;
  readonly proof: Buffer;
}

function parseRequest(body: string): CertificateRequest | undefined {
  try {
    const request = JSON.parse(body) as {
      credentials?: { oidcIdentityToken?: unknown };
      publicKeyRequest?: { publicKey?: { content?: unknown }; proofOfPossession?: unknown };
    };
    const token = request.credentials?.oidcIdentityToken;
    const pem = request.publicKeyRequest?.publicKey?.content;
    const proof = request.publicKeyRequest?.proofOfPossession;
    if (typeof token !== 'string' || typeof pem !== 'string' || typeof proof !== 'string') return undefined;
    return { token, publicKeyPem: pem, proof: Buffer.from(proof, 'base64') };
  } catch {
    return undefined;
  }
}

function proofVerifies(publicKeyPem: string, subject: string, proof: Buffer): boolean {
  try {
    const key = createPublicKey(publicKeyPem);
    const algorithm = key.asymmetricKeyType === 'ed25519' ? null : 'sha256';
    return verify(algorithm, Buffer.from(subject, 'utf8'), key, proof);
  } catch {
    return false;
  }
}

/** grpc-gateway's error body, as Fulcio answers. */
function grpcError(status: number, code: number, message: string): FulcioAnswer {
  return { status, body: JSON.stringify({ code, message, details: [] }), contentType: 'application/json' };
}

function bytes(view: ArrayBufferView): Buffer {
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength);
}

function text(response: string | ArrayBufferView): string {
  return typeof response === 'string' ? response : bytes(response).toString('utf8');
}
