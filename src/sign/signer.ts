import { X509Certificate } from 'node:crypto';
import { requestSigningCertificate } from './keyless/fulcio-client.ts';
import { generateKeyPair, publicKeyPem, signingKeyOf, verificationKeyOf, type SigningKey } from './keys.ts';
import type { SignerMaterial } from './model.ts';
import { certificatePem } from './pem.ts';

/**
 * Who signs: a key pair, or a short-lived Fulcio certificate for an ephemeral key (keyless).
 * Both schemes and the transparency log take what they need from here.
 */
export interface Signer {
  readonly material: SignerMaterial;
  /** The PEM a log entry names as verifier: the certificate, or the public key. */
  readonly verifierPem: Buffer;
  /** A short description for messages and results. */
  readonly description: string;
  sign(data: Uint8Array): Buffer;
}

export function keySigner(key: SigningKey): Signer {
  const verification = verificationKeyOf(key.publicKey);
  return {
    material: { kind: 'key', hint: verification.keyId },
    verifierPem: Buffer.from(publicKeyPem(key.publicKey)),
    description: `key ${verification.keyId}`,
    sign: (data) => key.sign(data),
  };
}

/**
 * Keyless: an ephemeral P-256 key, certified by Fulcio for the identity of the OIDC token. The
 * private key never leaves this process and is dropped with the signer.
 */
export async function keylessSigner(options: { fulcioUrl: string; identityToken: string; signal?: AbortSignal }): Promise<Signer> {
  const ephemeral = signingKeyOf(generateKeyPair().privateKey);
  const signData = (data: Uint8Array) => ephemeral.sign(data);
  const { certificate, chain } = await requestSigningCertificate({
    fulcioUrl: options.fulcioUrl,
    identityToken: options.identityToken,
    publicKey: ephemeral.publicKey,
    sign: signData,
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  const subject = new X509Certificate(certificate).subjectAltName ?? 'certificate';
  return {
    material: { kind: 'certificate', certificate, chain },
    verifierPem: Buffer.from(certificatePem(certificate)),
    description: subject,
    sign: signData,
  };
}
