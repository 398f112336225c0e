/**
 * An in-memory Rekor v2 (rekor-tiles) log with real crypto, for tests: entry bodies are the protobuf JSON of
 * rekor-tiles' `Entry` (hashedrekord 0.0.2; the deprecated dsse 0.0.2), JCS-canonicalised; leaves go into an RFC 6962
 * tree; an entry comes back as a bundle log entry with an inclusion proof against a C2SP checkpoint whose origin is
 * the log's host name, signed under that name. No SET, no integrated time. The key hint and log ID are rekor-tiles':
 * for Ed25519 SHA-256(origin ‖ "\n" ‖ 0x01 ‖ key), for ECDSA SHA-256 of the SPKI.
 */
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { json } from '@sigstore/core';
import type { TlogEntry } from '../sign/model.ts';
import type { TransparencyLog } from '../sign/sigstore/trusted-root.ts';
import { auditPath, leafHash, treeHash } from './merkle-tree.ts';

/** A signature and its verifier (DER), as a Rekor v2 entry logs it. */
export interface LoggedSignature {
  readonly signature: Buffer;
  readonly verifier: { readonly publicKey: Buffer } | { readonly certificate: Buffer };
  /** Default `PKIX_ECDSA_P256_SHA_256`. */
  readonly keyDetails?: string;
}

export interface FakeRekorV2Log {
  /** The log as a parsed trusted root holds it (trusted since the epoch). */
  readonly log: TransparencyLog;
  /** Appends a `hashedrekord` 0.0.2 entry over `digest` (SHA-256 unless `algorithm` says otherwise). */
  appendHashedRekord(digest: Buffer, signed: LoggedSignature, algorithm?: string): TlogEntry;
  /** Appends a `dsse` 0.0.2 entry: the payload's SHA-256 and the envelope's signatures. */
  appendDsse(payload: Buffer, signatures: readonly LoggedSignature[]): TlogEntry;
  /** Appends an entry of unrelated bytes, to grow the tree. */
  appendOther(text: string): void;
}

function verifierJson(signed: LoggedSignature): unknown {
  const keyDetails = signed.keyDetails ?? 'PKIX_ECDSA_P256_SHA_256';
  const v = signed.verifier;
  return 'publicKey' in v ? { keyDetails, publicKey: { rawBytes: v.publicKey.toString('base64') } } : { keyDetails, x509Certificate: { rawBytes: v.certificate.toString('base64') } };
}

function signatureJson(signed: LoggedSignature): unknown {
  return { content: signed.signature.toString('base64'), verifier: verifierJson(signed) };
}

interface LogKey {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly logId: Buffer;
}

function logKey(type: 'ed25519' | 'ecdsa', origin: string): LogKey {
  if (type === 'ecdsa') {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    return { privateKey, publicKey, logId: createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest() };
  }
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x ?? '', 'base64url');
  return { privateKey, publicKey, logId: createHash('sha256').update(`${origin}\n`).update(Buffer.from([0x01])).update(raw).digest() };
}

/** Creates an empty log at `https://<origin>` with a fresh key. */
export function createFakeRekorV2Log(options: { readonly origin?: string; readonly key?: 'ed25519' | 'ecdsa' } = {}): FakeRekorV2Log {
  const origin = options.origin ?? 'log2026.rekor.test';
  const key = logKey(options.key ?? 'ed25519', origin);
  const leaves: Buffer[] = [];

  const checkpoint = (rootHash: Buffer): string => {
    const text = `${origin}\n${leaves.length}\n${rootHash.toString('base64')}\n`;
    const signature = sign(key.publicKey.asymmetricKeyType === 'ed25519' ? null : 'sha256', Buffer.from(text), key.privateKey);
    return `${text}\n\u2014 ${origin} ${Buffer.concat([key.logId.subarray(0, 4), signature]).toString('base64')}\n`;
  };

  const append = (kind: string, spec: unknown): TlogEntry => {
    const body = Buffer.from(json.canonicalize({ apiVersion: '0.0.2', kind, spec }), 'utf8');
    const logIndex = leaves.push(leafHash(body)) - 1;
    const rootHash = treeHash(leaves);
    return {
      logIndex,
      logId: key.logId,
      kind,
      version: '0.0.2',
      integratedTime: 0,
      canonicalizedBody: body,
      inclusionProof: { logIndex, rootHash, treeSize: leaves.length, hashes: auditPath(logIndex, leaves), checkpoint: checkpoint(rootHash) },
    };
  };

  return {
    log: {
      baseUrl: `https://${origin}`,
      logId: key.logId,
      publicKey: key.publicKey,
      keyDetails: key.publicKey.asymmetricKeyType === 'ed25519' ? 'PKIX_ED25519' : 'PKIX_ECDSA_P256_SHA_256',
      hashAlgorithm: 'SHA2_256',
      validFor: { start: new Date(0) },
    },
    appendHashedRekord: (digest, signed, algorithm = 'SHA2_256') =>
      append('hashedrekord', { hashedRekordV002: { data: { algorithm, digest: digest.toString('base64') }, signature: signatureJson(signed) } }),
    appendDsse: (payload, signatures) =>
      append('dsse', {
        dsseV002: { payloadHash: { algorithm: 'SHA2_256', digest: createHash('sha256').update(payload).digest('base64') }, signatures: signatures.map(signatureJson) },
      }),
    appendOther: (text) => {
      leaves.push(leafHash(Buffer.from(text)));
    },
  };
}
