/**
 * What Rekor v1 stores for a proposed entry: the canonical body (`Canonicalize` of rekor
 * `pkg/types/{hashedrekord,dsse}/v0.0.1/entry.go`), JCS-encoded. Verifiers and keys are
 * re-encoded as Rekor's `CanonicalValue` does (PEM of the certificate or the SPKI); dsse
 * envelopes are verified and replaced by `envelopeHash`, `payloadHash` and the sorted signatures.
 * Rejections throw {@link RekorRejection} (HTTP 400 with Rekor's message).
 */
import { createHash, createPublicKey, verify, X509Certificate, type KeyObject } from 'node:crypto';
import { dsse, json } from '@sigstore/core';

/** A proposed entry Rekor refuses; `message` is what it answers. */
export class RekorRejection extends Error {
  readonly status: number;

  constructor(message: string, status = 400) {
    super(message);
    this.name = 'RekorRejection';
    this.status = status;
  }
}

type Json = Record<string, unknown>;

/** The canonical body of a proposed `hashedrekord` or `dsse` 0.0.1 entry, JCS bytes. */
export function canonicalBody(proposed: unknown): Buffer {
  const entry = object(proposed, 'proposed entry');
  if (entry['apiVersion'] !== '0.0.1') throw new RekorRejection(`unsupported apiVersion ${String(entry['apiVersion'])}`);
  switch (entry['kind']) {
    case 'hashedrekord':
      return Buffer.from(json.canonicalize(hashedRekordBody(object(entry['spec'], 'spec'))), 'utf8');
    case 'dsse':
      return Buffer.from(json.canonicalize(dsseBody(object(entry['spec'], 'spec'))), 'utf8');
    default:
      throw new RekorRejection(`unsupported kind ${String(entry['kind'])}`);
  }
}

function hashedRekordBody(spec: Json): unknown {
  const hash = object(object(spec['data'], 'data')['hash'], 'data.hash');
  const signature = object(spec['signature'], 'signature');
  const algorithm = hash['algorithm'];
  const value = hash['value'];
  const lengths: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };
  if (typeof algorithm !== 'string' || lengths[algorithm] === undefined) throw new RekorRejection('unsupported hash algorithm');
  if (typeof value !== 'string' || !new RegExp(`^[0-9a-f]{${lengths[algorithm]}}$`).test(value)) throw new RekorRejection('invalid hash value');
  const content = base64(signature['content'], 'signature.content');
  const verifier = canonicalVerifier(base64(object(signature['publicKey'], 'signature.publicKey')['content'], 'publicKey.content'));
  // Rekor also verifies the signature over the digest; node:crypto cannot verify a prehashed ECDSA signature, so the fake does not.
  return {
    apiVersion: '0.0.1',
    kind: 'hashedrekord',
    spec: {
      data: { hash: { algorithm, value } },
      signature: { content: content.toString('base64'), publicKey: { content: verifier.pem.toString('base64') } },
    },
  };
}

function dsseBody(spec: Json): unknown {
  const proposed = object(spec['proposedContent'], 'proposedContent');
  const envelopeText = proposed['envelope'];
  if (typeof envelopeText !== 'string') throw new RekorRejection('proposedContent.envelope must be a string');
  const verifiers = proposed['verifiers'];
  if (!Array.isArray(verifiers) || verifiers.length === 0) throw new RekorRejection('proposedContent.verifiers must not be empty');
  const keys = verifiers.map((verifier) => canonicalVerifier(base64(verifier, 'verifier')));
  const envelope = parseEnvelope(envelopeText);
  const pae = dsse.preAuthEncoding(envelope.payloadType, envelope.payload);
  const signatures = envelope.signatures.map((sig) => {
    const key = keys.find((candidate) => verifySignature(candidate.key, pae, Buffer.from(sig, 'base64')));
    if (key === undefined) throw new RekorRejection('could not verify envelope: all signatures must have a key that verifies it');
    return { signature: sig, verifier: key.pem.toString('base64') };
  });
  signatures.sort((a, b) => (a.signature < b.signature ? -1 : a.signature > b.signature ? 1 : 0));
  return {
    apiVersion: '0.0.1',
    kind: 'dsse',
    spec: {
      envelopeHash: { algorithm: 'sha256', value: sha256Hex(Buffer.from(envelopeText, 'utf8')) },
      payloadHash: { algorithm: 'sha256', value: sha256Hex(envelope.payload) },
      signatures,
    },
  };
}

interface ParsedEnvelope {
  readonly payloadType: string;
  readonly payload: Buffer;
  readonly signatures: readonly string[];
}

function parseEnvelope(text: string): ParsedEnvelope {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new RekorRejection('proposedContent.envelope is not JSON');
  }
  const envelope = object(parsed, 'envelope');
  const signatures = envelope['signatures'];
  if (typeof envelope['payloadType'] !== 'string' || !Array.isArray(signatures) || signatures.length === 0) {
    throw new RekorRejection('the envelope needs a payloadType and signatures');
  }
  return {
    payloadType: envelope['payloadType'],
    payload: base64(envelope['payload'], 'envelope.payload'),
    signatures: signatures.map((signature) => {
      const sig = object(signature, 'envelope signature')['sig'];
      if (typeof sig !== 'string' || sig === '') throw new RekorRejection('an envelope signature has no sig');
      return sig;
    }),
  };
}

interface Verifier {
  /** Rekor's `CanonicalValue`: the certificate or SPKI as PEM. */
  readonly pem: Buffer;
  readonly key: KeyObject;
}

/** A PEM certificate or public key, re-encoded the way Rekor stores it. */
function canonicalVerifier(pem: Buffer): Verifier {
  const text = pem.toString('utf8');
  try {
    if (text.includes('-----BEGIN CERTIFICATE-----')) {
      const certificate = new X509Certificate(pem);
      return { pem: Buffer.from(certificate.toString(), 'utf8'), key: certificate.publicKey };
    }
    const key = createPublicKey(pem);
    return { pem: Buffer.from(key.export({ type: 'spki', format: 'pem' }).toString(), 'utf8'), key };
  } catch {
    throw new RekorRejection('could not parse public key as x509');
  }
}

function verifySignature(key: KeyObject, data: Buffer, signature: Buffer): boolean {
  const algorithm = key.asymmetricKeyType === 'ed25519' || key.asymmetricKeyType === 'ed448' ? null : 'sha256';
  try {
    return verify(algorithm, data, key, signature);
  } catch {
    return false;
  }
}

function sha256Hex(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function object(value: unknown, name: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new RekorRejection(`${name} must be an object`);
  return value as Json;
}

function base64(value: unknown, name: string): Buffer {
  if (typeof value !== 'string' || value === '' || !/^[A-Za-z0-9+/_-]+=*$/.test(value)) throw new RekorRejection(`${name} must be base64`);
  return Buffer.from(value, 'base64');
}
