/**
 * Rekor v2 entries and RFC 3161 timestamps through the whole verification, in process with real crypto: a key-signed
 * signature logged in a fake Rekor v2 log (`fake-rekor-v2-log.ts`) and timestamped by @sigstore/mock's TSA
 * (`fake-tsa.ts`); then the ways each part can be missing, of another signature, or tampered with.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { digestOf } from '../../core/oci/digest.ts';
import { createFakeRekorV2Log, type FakeRekorV2Log, type LoggedSignature } from '../../testing/fake-rekor-v2-log.ts';
import { createFakeTsa, type FakeTsa } from '../../testing/fake-tsa.ts';
import { flipByte } from '../../testing/sigstore-fixtures.ts';
import { generateKeyPair, signingKeyOf, verificationKeyOf, type SigningKey } from '../keys.ts';
import type { FoundSignature, TlogEntry } from '../model.ts';
import { IN_TOTO_PAYLOAD_TYPE, preAuthEncoding, serializeEnvelope } from '../payload/dsse.ts';
import { signStatement } from '../payload/in-toto.ts';
import { simpleSigningPayload } from '../payload/simple-signing.ts';
import { sha256, spkiDer } from '../sigstore/crypto-util.ts';
import type { TrustedRoot } from '../sigstore/trusted-root.ts';
import { verifySignature, type SignatureOutcome, type VerificationPolicy } from './verify-signature.ts';

const DIGEST = digestOf('an image manifest');

function code(outcome: SignatureOutcome): string {
  return outcome.verified ? 'verified' : outcome.code;
}

describe('Rekor v2 entries and RFC 3161 timestamps, in process', () => {
  let key: SigningKey;
  let tsa: FakeTsa;
  let log: FakeRekorV2Log;
  let root: TrustedRoot;
  let policy: VerificationPolicy;

  before(async () => {
    key = signingKeyOf(generateKeyPair().privateKey);
    tsa = await createFakeTsa();
    log = createFakeRekorV2Log();
    log.appendOther('an earlier entry');
    root = { mediaType: 'test', tlogs: [log.log], certificateAuthorities: [], ctlogs: [], timestampAuthorities: [tsa.authority] };
    policy = { keys: [verificationKeyOf(key.publicKey)], identities: [], trustedRoot: root, requireTlog: true, dockerReference: null };
  });

  const logged = (signature: Buffer): LoggedSignature => ({ signature, verifier: { publicKey: spkiDer(key.publicKey) } });

  /** A key-signed DSSE bundle signature of DIGEST: the cosign v3 shape, without log entry or timestamp yet. */
  function dsseSignature(): FoundSignature {
    const payload = signStatement(DIGEST);
    const sig = key.sign(preAuthEncoding(IN_TOTO_PAYLOAD_TYPE, payload));
    return { scheme: 'bundle', location: 'referrer', content: { kind: 'dsse', envelope: { payloadType: IN_TOTO_PAYLOAD_TYPE, payload, signatures: [{ keyid: '', sig }] } }, material: { kind: 'key' }, tlogEntries: [], timestamps: [] };
  }

  function signatureOf(found: FoundSignature): Buffer {
    const sig = found.content.kind === 'dsse' ? found.content.envelope.signatures[0]?.sig : found.content.signature;
    assert.ok(sig !== undefined);
    return sig;
  }

  /** The signature logged as Rekor v2 does it (hashedrekord over the PAE), and timestamped over its signature bytes. */
  async function loggedAndStamped(found: FoundSignature): Promise<FoundSignature> {
    assert.ok(found.content.kind === 'dsse');
    const { payloadType, payload } = found.content.envelope;
    const entry = log.appendHashedRekord(sha256(preAuthEncoding(payloadType, payload)), logged(signatureOf(found)));
    return { ...found, tlogEntries: [entry], timestamps: [await tsa.timestamp(signatureOf(found))] };
  }

  it('verifies a DSSE signature logged as hashedrekord 0.0.2: the timestamp is its signing time', async () => {
    const outcome = verifySignature(await loggedAndStamped(dsseSignature()), DIGEST, policy);
    assert.ok(outcome.verified, outcome.verified ? '' : outcome.message);
    assert.equal(outcome.integratedTime, undefined);
    assert.deepEqual(outcome.signingTimes.map((t) => [t.source, t.authority]), [['timestamp-authority', tsa.uri]]);
  });

  it('verifies one logged as dsse 0.0.2, and a simple-signing message signature logged as hashedrekord 0.0.2', async () => {
    const found = dsseSignature();
    assert.ok(found.content.kind === 'dsse');
    const dsse = log.appendDsse(found.content.envelope.payload, [logged(signatureOf(found))]);
    assert.equal(code(verifySignature({ ...found, tlogEntries: [dsse], timestamps: [await tsa.timestamp(signatureOf(found))] }, DIGEST, policy)), 'verified');
    const payload = simpleSigningPayload('registry.example/app', DIGEST);
    const signature = key.sign(payload);
    const message: FoundSignature = {
      ...found,
      content: { kind: 'message', payload, signature },
      tlogEntries: [log.appendHashedRekord(sha256(payload), logged(signature))],
      timestamps: [await tsa.timestamp(signature)],
    };
    assert.equal(code(verifySignature(message, DIGEST, policy)), 'verified');
  });

  it('refuses a Rekor v2 entry without a timestamp (TIMESTAMP_MISSING), or with one that does not verify (TIMESTAMP_INVALID)', async () => {
    const found = await loggedAndStamped(dsseSignature());
    assert.equal(code(verifySignature({ ...found, timestamps: [] }, DIGEST, policy)), 'TIMESTAMP_MISSING');
    const otherSignature = await tsa.timestamp(signatureOf(dsseSignature()));
    const imprint = verifySignature({ ...found, timestamps: [otherSignature] }, DIGEST, policy);
    assert.ok(!imprint.verified && imprint.code === 'TIMESTAMP_INVALID');
    assert.match(imprint.message, /its message imprint is not the sha256 of the envelope signature/);
    const untrusted = verifySignature(found, DIGEST, { ...policy, trustedRoot: { ...root, timestampAuthorities: [] } });
    assert.ok(!untrusted.verified && /not one of the trusted root's/.test(untrusted.message));
    const valid = found.timestamps[0];
    assert.ok(valid !== undefined);
    assert.equal(code(verifySignature({ ...found, timestamps: [valid, otherSignature] }, DIGEST, policy)), 'TIMESTAMP_INVALID', 'every timestamp must verify');
  });

  it('refuses a log not trusted at the timestamp\'s time, and an entry about another signature', async () => {
    const found = await loggedAndStamped(dsseSignature());
    const later = { ...root, tlogs: [{ ...log.log, validFor: { start: new Date(Date.now() + 3_600_000) } }] };
    assert.equal(code(verifySignature(found, DIGEST, { ...policy, trustedRoot: later })), 'TLOG_PROOF_INVALID');
    const other = await loggedAndStamped(dsseSignature());
    assert.equal(code(verifySignature({ ...found, tlogEntries: other.tlogEntries }, DIGEST, policy)), 'TLOG_BODY_MISMATCH');
  });

  it('refuses every flipped byte of the entry body or of the checkpoint with TLOG_PROOF_INVALID', async () => {
    const found = await loggedAndStamped(dsseSignature());
    const [entry] = found.tlogEntries;
    assert.ok(entry?.inclusionProof !== undefined);
    const proof = entry.inclusionProof;
    const variants: ((i: number) => TlogEntry)[] = [
      (i) => ({ ...entry, canonicalizedBody: flipByte(entry.canonicalizedBody, i) }),
      (i) => ({ ...entry, inclusionProof: { ...proof, checkpoint: flipByte(Buffer.from(proof.checkpoint, 'latin1'), i).toString('latin1') } }),
    ];
    const lengths = [entry.canonicalizedBody.length, Buffer.byteLength(proof.checkpoint, 'latin1')];
    for (const [v, change] of variants.entries()) {
      for (let i = 0; i < (lengths[v] ?? 0); i++) assert.equal(code(verifySignature({ ...found, tlogEntries: [change(i)] }, DIGEST, policy)), 'TLOG_PROOF_INVALID', `variant ${v} byte ${i}`);
    }
  });

  it('keeps timestamps untrusted without a trusted root (no log required): nothing to verify them with', async () => {
    const found = await loggedAndStamped(dsseSignature());
    const bare: VerificationPolicy = { keys: policy.keys, identities: [], requireTlog: false, dockerReference: null };
    const outcome = verifySignature(found, DIGEST, bare);
    assert.ok(outcome.verified);
    assert.deepEqual(outcome.signingTimes, []);
  });
});

describe('RFC 3161 timestamps of legacy (.sig/.att) signatures, as cosign timestamps them', () => {
  it('covers the raw signature of a .sig layer, and the stored envelope of an .att layer', async () => {
    const key = signingKeyOf(generateKeyPair().privateKey);
    const tsa = await createFakeTsa();
    const root: TrustedRoot = { mediaType: 'test', tlogs: [], certificateAuthorities: [], ctlogs: [], timestampAuthorities: [tsa.authority] };
    const policy: VerificationPolicy = { keys: [verificationKeyOf(key.publicKey)], identities: [], trustedRoot: root, requireTlog: false, dockerReference: null };
    const payload = simpleSigningPayload('registry.example/app', DIGEST);
    const signature = key.sign(payload);
    const sig: FoundSignature = { scheme: 'legacy', location: 'sha256-….sig layer 0', content: { kind: 'message', payload, signature }, material: { kind: 'key' }, tlogEntries: [], timestamps: [await tsa.timestamp(signature)] };
    const outcome = verifySignature(sig, DIGEST, policy);
    assert.ok(outcome.verified);
    assert.deepEqual(outcome.signingTimes.map((t) => t.source), ['timestamp-authority']);

    const statement = signStatement(DIGEST);
    const envelope = { payloadType: IN_TOTO_PAYLOAD_TYPE, payload: statement, signatures: [{ keyid: '', sig: key.sign(preAuthEncoding(IN_TOTO_PAYLOAD_TYPE, statement)) }] };
    const stored = serializeEnvelope(envelope);
    const att: FoundSignature = { ...sig, location: 'sha256-….att layer 0', content: { kind: 'dsse', envelope, envelopeBytes: stored }, timestamps: [await tsa.timestamp(stored)] };
    assert.equal(code(verifySignature(att, DIGEST, policy)), 'verified');
    const overSignature = verifySignature({ ...att, timestamps: [await tsa.timestamp(envelope.signatures[0]?.sig ?? Buffer.alloc(0))] }, DIGEST, policy);
    assert.ok(!overSignature.verified && /not the sha256 of the stored DSSE envelope/.test(overSignature.message));
  });
});
