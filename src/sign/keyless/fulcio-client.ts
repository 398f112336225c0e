/**
 * A Fulcio v2 client (`POST /api/v2/signingCert`, fulcio `fulcio.proto` `CreateSigningCertificate`):
 * exchanges an OIDC identity token and a public key for a short-lived signing certificate, for
 * organisations running their own Sigstore. The proof of possession is a signature over the
 * token's subject (its `email` if present, else `sub`, as cosign's `oauthflow` chooses it); the
 * token itself is decoded without verification, Fulcio verifies it.
 */
import { createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { SignError } from '../sign-error.ts';
import { callService, malformedAnswer, parseAnswer, serviceRefused } from './sigstore-http.ts';

export interface SigningCertificateRequest {
  /** Fulcio's base URL (`https://fulcio.example`); `/api/v2/signingCert` is appended. */
  readonly fulcioUrl: string;
  /** The raw OIDC identity token (a compact JWS). */
  readonly identityToken: string;
  /** The key to certify (its private half is accepted too; only the public key is sent). */
  readonly publicKey: KeyObject;
  /** Signs with the private key (ECDSA: DER over SHA-256 of `data`); used for the proof of possession. */
  readonly sign: (data: Uint8Array) => Buffer | Promise<Buffer>;
  readonly signal?: AbortSignal;
}

export interface SigningCertificate {
  /** The leaf certificate, DER. */
  readonly certificate: Buffer;
  /** The rest of the chain, DER, intermediates first, root last. */
  readonly chain: readonly Buffer[];
  /** The SCT, when Fulcio returned it detached (`signedCertificateDetachedSct`) instead of embedded. */
  readonly detachedSct?: Buffer;
}

/** Fulcio's `PublicKeyAlgorithm` enum, by Node key type. */
const KEY_ALGORITHMS: Readonly<Record<string, string>> = { ec: 'ECDSA', ed25519: 'ED25519', rsa: 'RSA_PSS', 'rsa-pss': 'RSA_PSS' };

/** Requests a signing certificate for `publicKey`, bound to the identity of `identityToken`. */
export async function requestSigningCertificate(request: SigningCertificateRequest): Promise<SigningCertificate> {
  const subject = identityTokenSubject(request.identityToken);
  const publicKey = request.publicKey.type === 'private' ? createPublicKey(request.publicKey) : request.publicKey;
  const proof = await request.sign(Buffer.from(subject, 'utf8'));
  const url = `${request.fulcioUrl.replace(/\/+$/, '')}/api/v2/signingCert`;
  const answer = await callService('Fulcio', {
    method: 'POST',
    url,
    body: JSON.stringify(certificateRequestBody(request.identityToken, publicKey, proof)),
    ...(request.signal === undefined ? {} : { signal: request.signal }),
  });
  if (answer.status !== 200 && answer.status !== 201) throw serviceRefused('Fulcio', 'the signing certificate', answer);
  const certificate = readSigningCertificate(parseAnswer('Fulcio', 'the signing certificate request', answer.body));
  if (!new X509Certificate(certificate.certificate).publicKey.equals(publicKey)) {
    throw malformedAnswer('Fulcio', 'the signing certificate request', 'the certificate is for another public key');
  }
  return certificate;
}

/**
 * The identity the proof of possession signs: the token's `email` claim if present, else `sub`.
 * `IDENTITY_TOKEN_INVALID` when the token is not a readable JWT or has neither claim.
 */
export function identityTokenSubject(identityToken: string): string {
  const claims = tokenClaims(identityToken);
  for (const name of ['email', 'sub'] as const) {
    const value = claims[name];
    if (typeof value === 'string' && value !== '') return value;
  }
  throw new SignError('IDENTITY_TOKEN_INVALID', 'the identity token has neither an email nor a sub claim');
}

/** The unverified payload of a compact JWS. */
function tokenClaims(identityToken: string): Record<string, unknown> {
  const parts = identityToken.trim().split('.');
  if (parts.length !== 3 || parts[1] === undefined || parts[1] === '') {
    throw new SignError('IDENTITY_TOKEN_INVALID', 'the identity token is not a JWT (header.payload.signature)');
  }
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
  } catch (cause) {
    throw new SignError('IDENTITY_TOKEN_INVALID', 'the identity token payload is not base64url JSON', { cause });
  }
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) {
    throw new SignError('IDENTITY_TOKEN_INVALID', 'the identity token payload is not a JSON object');
  }
  return claims as Record<string, unknown>;
}

/** `CreateSigningCertificateRequest` in protobuf JSON. */
function certificateRequestBody(identityToken: string, publicKey: KeyObject, proof: Buffer): unknown {
  const algorithm = KEY_ALGORITHMS[publicKey.asymmetricKeyType ?? ''] ?? 'PUBLIC_KEY_ALGORITHM_UNSPECIFIED';
  const content = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  return {
    credentials: { oidcIdentityToken: identityToken },
    publicKeyRequest: { publicKey: { algorithm, content }, proofOfPossession: proof.toString('base64') },
  };
}

interface CertificateChainJson {
  readonly chain?: { readonly certificates?: unknown };
  readonly signedCertificateTimestamp?: unknown;
}

/** `SigningCertificate`: one of the two chains, PEM strings leaf first. */
function readSigningCertificate(answer: unknown): SigningCertificate {
  const body = (answer ?? {}) as { signedCertificateEmbeddedSct?: CertificateChainJson; signedCertificateDetachedSct?: CertificateChainJson };
  const signed = body.signedCertificateEmbeddedSct ?? body.signedCertificateDetachedSct;
  const pems = signed?.chain?.certificates;
  if (!Array.isArray(pems) || !pems.every((pem) => typeof pem === 'string')) {
    throw malformedAnswer('Fulcio', 'the signing certificate request', 'no certificate chain');
  }
  const [certificate, ...chain] = pemCertificates(pems.join('\n'));
  if (certificate === undefined) throw malformedAnswer('Fulcio', 'the signing certificate request', 'an empty certificate chain');
  const sct = body.signedCertificateEmbeddedSct === undefined ? signed?.signedCertificateTimestamp : undefined;
  return { certificate, chain, ...(typeof sct === 'string' && sct !== '' ? { detachedSct: Buffer.from(sct, 'base64') } : {}) };
}

/** Every `CERTIFICATE` block, DER, in order; each must parse as X.509. */
function pemCertificates(text: string): Buffer[] {
  const blocks = [...text.matchAll(/-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]*?)-----END CERTIFICATE-----/g)];
  return blocks.map((match) => parsedCertificate(Buffer.from((match[1] ?? '').replace(/\s+/g, ''), 'base64')).raw);
}

function parsedCertificate(der: Buffer): X509Certificate {
  try {
    return new X509Certificate(der);
  } catch (cause) {
    throw new SignError('SIGSTORE_UNAVAILABLE', 'Fulcio returned a certificate that does not parse', { cause });
  }
}
