/**
 * Independent checks of what a (fake or real) Sigstore returned, for tests: the SET and the
 * inclusion proof of a {@link TlogEntry} against a trusted root, written from the specs
 * (cosign-sigstore.md §5.2–5.4), and a cross-check through sigstore-js's own verifier
 * (@sigstore/verify over a v0.3 bundle built from the outputs).
 */
import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { bundleFromJSON } from '@sigstore/bundle';
import { json } from '@sigstore/core';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { toSignedEntity, toTrustMaterial, Verifier, type Signer } from '@sigstore/verify';
import type { TlogEntry } from '../sign/model.ts';
import type { TrustedRootDocument } from './fake-sigstore.ts';
import { leafHash, rootFromAuditPath } from './merkle-tree.ts';
import { tlogEntryJson } from '../sign/scheme/bundle-json.ts';

/** The trusted root's log key whose `logId` is the entry's. */
export function tlogKey(trustedRoot: TrustedRootDocument, logId: Buffer): KeyObject {
  const tlog = trustedRoot.tlogs.find((candidate) => Buffer.from(candidate.logId.keyId, 'base64').equals(logId));
  if (tlog === undefined) throw new Error(`no trusted log has the log ID ${logId.toString('hex')}`);
  const key = Buffer.from(tlog.publicKey.rawBytes, 'base64');
  if (!createHash('sha256').update(key).digest().equals(logId)) throw new Error('the trusted log ID is not the SHA-256 of its key');
  return createPublicKey({ key, format: 'der', type: 'spki' });
}

/** The SET verifies over JCS `{body, integratedTime, logID (hex), logIndex}`. */
export function setVerifies(entry: TlogEntry, trustedRoot: TrustedRootDocument): boolean {
  if (entry.signedEntryTimestamp === undefined) return false;
  const payload = json.canonicalize({
    body: entry.canonicalizedBody.toString('base64'),
    integratedTime: entry.integratedTime,
    logID: entry.logId.toString('hex'),
    logIndex: entry.logIndex,
  });
  return verify('sha256', Buffer.from(payload, 'utf8'), tlogKey(trustedRoot, entry.logId), entry.signedEntryTimestamp);
}

/** Problems with the inclusion proof (empty when the root recomputes and the checkpoint verifies). */
export function inclusionProblems(entry: TlogEntry, trustedRoot: TrustedRootDocument): string[] {
  const proof = entry.inclusionProof;
  if (proof === undefined) return ['no inclusion proof'];
  const problems: string[] = [];
  const root = rootFromAuditPath(proof.logIndex, proof.treeSize, leafHash(entry.canonicalizedBody), proof.hashes);
  if (root === undefined || !root.equals(proof.rootHash)) problems.push('the audit path does not lead to the root hash');
  const separator = proof.checkpoint.indexOf('\n\n');
  const note = proof.checkpoint.slice(0, separator + 1);
  const [, size, rootBase64] = note.split('\n');
  if (size !== String(proof.treeSize) || rootBase64 !== proof.rootHash.toString('base64')) problems.push('the checkpoint names another tree');
  const signature = /^\u2014 (\S+) (\S+)$/m.exec(proof.checkpoint.slice(separator + 2))?.[2];
  const signed = signature === undefined ? undefined : Buffer.from(signature, 'base64');
  if (signed === undefined || !signed.subarray(0, 4).equals(entry.logId.subarray(0, 4))) {
    problems.push('the checkpoint has no signature by the log');
  } else if (!verify('sha256', Buffer.from(note, 'utf8'), tlogKey(trustedRoot, entry.logId), signed.subarray(4))) {
    problems.push('the checkpoint signature does not verify');
  }
  return problems;
}

/** What was signed, as a bundle carries it. */
export type BundleContent =
  | { readonly kind: 'message'; readonly artifact: Buffer; readonly signature: Buffer }
  | { readonly kind: 'dsse'; readonly envelope: string };

/** Builds a v0.3 bundle from a certificate and a log entry and verifies it with @sigstore/verify. */
export function verifyWithSigstoreJs(input: {
  readonly trustedRoot: TrustedRootDocument;
  readonly certificate: Buffer;
  readonly entry: TlogEntry;
  readonly content: BundleContent;
  readonly policy?: { readonly subjectAlternativeName?: string; readonly issuer?: string };
}): Signer {
  const bundle = bundleFromJSON({
    mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    verificationMaterial: { certificate: { rawBytes: input.certificate.toString('base64') }, tlogEntries: [tlogEntryJson(input.entry)] },
    ...contentJson(input.content),
  });
  const verifier = new Verifier(toTrustMaterial(TrustedRoot.fromJSON(input.trustedRoot)));
  const artifact = input.content.kind === 'message' ? input.content.artifact : undefined;
  const policy = input.policy ?? {};
  return verifier.verify(toSignedEntity(bundle, artifact), {
    ...(policy.subjectAlternativeName === undefined ? {} : { subjectAlternativeName: policy.subjectAlternativeName }),
    ...(policy.issuer === undefined ? {} : { extensions: { issuer: policy.issuer } }),
  });
}

function contentJson(content: BundleContent): Record<string, unknown> {
  if (content.kind === 'dsse') return { dsseEnvelope: JSON.parse(content.envelope) as unknown };
  return {
    messageSignature: {
      messageDigest: { algorithm: 'SHA2_256', digest: createHash('sha256').update(content.artifact).digest('base64') },
      signature: content.signature.toString('base64'),
    },
  };
}

