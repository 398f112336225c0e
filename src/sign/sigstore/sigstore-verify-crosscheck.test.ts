/**
 * An independent cross-check: the same bundles verified by Slipway's code and by @sigstore/verify (a dev dependency,
 * used here only), Rekor v1 and v2 entries and RFC 3161 timestamps. Both must accept the real bundles with the same signer, and both must refuse the tampered ones.
 */
import assert from 'node:assert/strict';
import { createHash, X509Certificate, type KeyObject } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import { bundleFromJSON } from '@sigstore/bundle';
import { TrustedRoot as ProtoTrustedRoot } from '@sigstore/protobuf-specs';
import { toSignedEntity, toTrustMaterial, Verifier } from '@sigstore/verify';
import { SignError } from '../sign-error.ts';
import { parseBundle } from './bundle.ts';
import { certificateIdentity, verifyCertificateChain } from './certificate.ts';
import { conformanceCase, FIXTURES, fixtureJson, fixtureRecord } from '../../testing/sigstore-fixtures.ts';
import { verifySignature, verifySignedMaterial } from '../verify/verify-signature.ts';
import { verifyEmbeddedScts } from './sct.ts';
import { checkTlogBody, verifyTlogEntry, type TlogBodyExpectation } from './tlog.ts';
import { parseTrustedRoot } from './trusted-root.ts';

const ROOT = 'cosign-trusted-root-pgi.json';

/** The trusted root JSON both verifiers read; `withoutCtlogs` strips its CT logs. */
function rootJson(options: { withoutCtlogs?: boolean } = {}): unknown {
  const json = fixtureRecord(ROOT);
  return options.withoutCtlogs === true ? { ...json, ctlogs: [] } : json;
}

type Outcome = { readonly ok: true; readonly subject: string; readonly issuer: string | undefined } | { readonly ok: false };

/** Slipway: log entry, entry body, certificate chain at the integrated time, its SCTs, identity. */
function slipway(json: unknown, artifact?: Buffer, rootDocument: unknown = rootJson()): Outcome {
  try {
    const root = parseTrustedRoot(rootDocument);
    const bundle = parseBundle(json);
    assert.ok(bundle.material.kind === 'certificate');
    const verifier = Buffer.from(new X509Certificate(bundle.material.certificate).toString());
    const expected: TlogBodyExpectation =
      bundle.content.kind === 'dsse'
        ? { kind: 'dsse', payloadType: bundle.content.envelope.payloadType, payload: bundle.content.envelope.payload, signatures: bundle.content.envelope.signatures.map((s) => ({ sig: s.sig, verifier })) }
        : { kind: 'message', digest: createHash('sha256').update(artifact ?? Buffer.alloc(0)).digest(), signature: bundle.content.signature, verifier };
    let time: Date | undefined;
    for (const entry of bundle.tlogEntries) {
      time = verifyTlogEntry(entry, root).integratedTime;
      checkTlogBody(entry, expected);
    }
    assert.ok(time !== undefined);
    const chain = verifyCertificateChain(bundle.material.certificate, root, time);
    verifyEmbeddedScts(chain.leaf, chain.issuer, root.ctlogs);
    return { ok: true, ...certificateIdentity(bundle.material.certificate) };
  } catch (error) {
    if (error instanceof SignError) return { ok: false };
    throw error;
  }
}

/** @sigstore/verify, with the same trusted root (it also checks the signature itself). */
function sigstoreJs(json: unknown, artifact?: Buffer, rootDocument: unknown = rootJson()): Outcome {
  const trust = toTrustMaterial(ProtoTrustedRoot.fromJSON(rootDocument));
  try {
    const signer = new Verifier(trust).verify(toSignedEntity(bundleFromJSON(json), artifact));
    return { ok: true, subject: signer.identity?.subjectAlternativeName ?? '', issuer: signer.identity?.extensions?.issuer };
  } catch {
    return { ok: false };
  }
}

function agree(json: unknown, artifact?: Buffer, rootDocument: unknown = rootJson()): Outcome {
  const ours = slipway(json, artifact, rootDocument);
  assert.deepEqual(ours, sigstoreJs(json, artifact, rootDocument));
  return ours;
}

/** The JSON fields of a bundle's log entry the tampering touches. */
interface JsonEntry {
  inclusionPromise: { signedEntryTimestamp: string };
  inclusionProof: { hashes: string[]; checkpoint: { envelope: string } };
  canonicalizedBody: string;
}

function firstTlogEntry(json: Record<string, unknown>): JsonEntry {
  const entries = (json['verificationMaterial'] as { tlogEntries: JsonEntry[] }).tlogEntries;
  const [entry] = entries;
  assert.ok(entry !== undefined);
  return entry;
}

function flipBase64(text: string, index: number): string {
  const bytes = Buffer.from(text, 'base64');
  bytes[index] = (bytes[index] ?? 0) ^ 0x01;
  return bytes.toString('base64');
}

describe('Slipway and @sigstore/verify agree', () => {
  it('on the cosign v3 DSSE bundle', () => {
    assert.deepEqual(agree(fixtureJson('cosign-oci-attestation.sigstore.json')), { ok: true, subject: 'cody@soyland.com', issuer: 'https://github.com/login/oauth' });
  });

  it('on sigstore-js bundles (DSSE, and a message signature over "hello, world!")', () => {
    assert.equal(agree(fixtureJson('sigstore-js-v3-dsse.sigstore.json')).ok, true);
    assert.equal(agree(fixtureJson('sigstore-js-v3-message-signature.sigstore.json'), Buffer.from('hello, world!')).ok, true);
    assert.equal(agree(fixtureJson('sigstore-js-v3-message-signature.sigstore.json'), Buffer.from('hello, world?')).ok, false);
  });

  it('on SCTs: a root without CT logs refuses the same bundles', () => {
    const noCtlogs = rootJson({ withoutCtlogs: true });
    assert.deepEqual(agree(fixtureJson('cosign-oci-attestation.sigstore.json'), undefined, noCtlogs), { ok: false });
    assert.deepEqual(agree(fixtureJson('sigstore-js-v3-dsse.sigstore.json'), undefined, noCtlogs), { ok: false });
  });

  it('on tampered bundles: SET, proof hash, checkpoint signature, body', () => {
    const tampers: readonly ((entry: JsonEntry) => void)[] = [
      (e) => (e.inclusionPromise.signedEntryTimestamp = flipBase64(e.inclusionPromise.signedEntryTimestamp, 30)),
      (e) => (e.inclusionProof.hashes = e.inclusionProof.hashes.map((h, i) => (i === 2 ? flipBase64(h, 0) : h))),
      (e) => (e.inclusionProof.checkpoint.envelope = e.inclusionProof.checkpoint.envelope.replace(/(— \S+ )(\S+)\n$/, (_, p: string, b: string) => `${p}${flipBase64(b, 30)}\n`)),
      (e) => (e.canonicalizedBody = flipBase64(e.canonicalizedBody, 60)),
    ];
    for (const tamper of tampers) {
      const json = fixtureRecord('cosign-oci-attestation.sigstore.json');
      tamper(firstTlogEntry(json));
      assert.deepEqual(agree(json), { ok: false });
    }
  });
});

/** The sigstore-conformance cases under `testdata/sigstore/conformance/` (Rekor v2 entries, RFC 3161 timestamps). */
const CONFORMANCE: readonly string[] = readdirSync(new URL('conformance/', FIXTURES)).filter((name) => !name.includes('.'));

/** @sigstore/verify on a conformance case, with its trusted root and (for a key-signed case) its key. */
function sigstoreJsConformance(name: string): boolean {
  const root = existsSync(new URL(`conformance/${name}/trusted_root.json`, FIXTURES)) ? `conformance/${name}/trusted_root.json` : 'sigstore-python-trusted-root-public-good.json';
  try {
    // @sigstore/bundle validates first: the bundle is refused by sigstore-js itself before Slipway's parser reads it.
    const bundle = bundleFromJSON(fixtureJson(`conformance/${name}/bundle.sigstore.json`));
    const c = conformanceCase(name);
    const [key] = c.policy.keys;
    const keyFinder = (): { publicKey: KeyObject; validFor: () => boolean } => {
      if (key === undefined) throw new Error('no key');
      return { publicKey: key.publicKey, validFor: () => true };
    };
    const entity = toSignedEntity(bundle, bundle.content.$case === 'messageSignature' ? c.artifact : undefined);
    new Verifier(toTrustMaterial(ProtoTrustedRoot.fromJSON(fixtureJson(root)), keyFinder)).verify(entity);
    return true;
  } catch {
    return false;
  }
}

/** Slipway on a conformance case: the whole pipeline for DSSE (the statement names the artifact), up to the claims for a message signature. */
function slipwayConformance(name: string): boolean {
  try {
    const c = conformanceCase(name);
    if (c.found.content.kind === 'message') return verifySignedMaterial(c.found, c.policy) !== undefined;
    return verifySignature(c.found, c.digest, c.policy).verified;
  } catch (error) {
    if (error instanceof SignError) return false;
    throw error;
  }
}

describe('Slipway and @sigstore/verify agree on the sigstore-conformance cases', () => {
  it('accept the same Rekor v2 / RFC 3161 bundles and refuse the same ones (the _fail cases)', () => {
    assert.ok(CONFORMANCE.length >= 20);
    for (const name of CONFORMANCE) {
      const ours = slipwayConformance(name);
      assert.equal(ours, !name.endsWith('_fail'), `${name}: Slipway`);
      assert.equal(sigstoreJsConformance(name), ours, `${name}: @sigstore/verify`);
    }
  });
});
