import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createFakeRekorV2Log } from '../../testing/fake-rekor-v2-log.ts';
import { expectSignError } from '../../testing/sign-error-assert.ts';
import { conformanceCase, flipByte, without } from '../../testing/sigstore-fixtures.ts';
import type { InclusionProof, TlogEntry } from '../model.ts';
import { isRekorV2Entry, verifyRekorV2Entry } from './rekor-v2-entry.ts';
import type { TrustedRoot } from './trusted-root.ts';

/** The rekor2-happy-path entry (staging log2025-alpha1), its staging root, and its timestamp's genTime. */
function staging(name = 'rekor2-happy-path'): { entry: TlogEntry; proof: InclusionProof; root: TrustedRoot; time: Date } {
  const { found, policy } = conformanceCase(name);
  const [entry] = found.tlogEntries;
  assert.ok(entry?.inclusionProof !== undefined && policy.trustedRoot !== undefined);
  return { entry, proof: entry.inclusionProof, root: policy.trustedRoot, time: new Date('2025-06-12T12:02:20Z') };
}

function withProof(entry: TlogEntry, change: Partial<InclusionProof>): TlogEntry {
  assert.ok(entry.inclusionProof !== undefined);
  return { ...entry, inclusionProof: { ...entry.inclusionProof, ...change } };
}

describe('isRekorV2Entry', () => {
  it('is hashedrekord and dsse 0.0.2 only (intoto 0.0.2 is a Rekor v1 kind)', () => {
    const { entry } = staging();
    assert.equal(isRekorV2Entry(entry), true);
    assert.equal(isRekorV2Entry({ ...entry, kind: 'dsse' }), true);
    assert.equal(isRekorV2Entry({ ...entry, kind: 'intoto' }), false);
    assert.equal(isRekorV2Entry({ ...entry, version: '0.0.1' }), false);
  });
});

describe('verifyRekorV2Entry with a real staging entry', () => {
  it('verifies its inclusion proof and Ed25519 checkpoint, at the timestamp\'s time', () => {
    const { entry, root, time } = staging();
    assert.equal(entry.integratedTime, 0);
    verifyRekorV2Entry(entry, root, [time]);
  });

  it('ignores witness cosignatures on the checkpoint, whatever their order', () => {
    const { entry, root, time } = staging('rekor2-checkpoint-origin-not-first');
    assert.match(entry.inclusionProof?.checkpoint ?? '', /\n\n— (?!log2025-alpha1)\S+ .*\n— log2025-alpha1/);
    verifyRekorV2Entry(entry, root, [time]);
  });

  it('refuses it without a verified timestamp, without inclusion proof, or with a SET', () => {
    const { entry, root, time } = staging();
    expectSignError(() => verifyRekorV2Entry(entry, root, []), 'TIMESTAMP_MISSING', /log entry 735 is a Rekor v2 entry \(hashedrekord 0\.0\.2\) without integrated time/);
    expectSignError(() => verifyRekorV2Entry(without(entry, 'inclusionProof'), root, [time]), 'TLOG_PROOF_MISSING', /is a Rekor v2 entry without inclusion proof/);
    expectSignError(() => verifyRekorV2Entry({ ...entry, signedEntryTimestamp: Buffer.from('set') }, root, [time]), 'TLOG_PROOF_INVALID', /with a signed entry timestamp, which Rekor v2 does not issue/);
  });

  it('refuses a log the root does not trust at the timestamp\'s time, or does not have', () => {
    const { entry, root, time } = staging();
    expectSignError(() => verifyRekorV2Entry(entry, root, [new Date('2025-04-15T23:59:59Z')]), 'TLOG_PROOF_INVALID', /was not trusted at the timestamp authority's time 2025-04-15T23:59:59\.000Z \(trusted \[2025-04-16T00:00:00\.000Z, open\]\)/);
    expectSignError(() => verifyRekorV2Entry(entry, root, [time, new Date('2025-01-01T00:00:00Z')]), 'TLOG_PROOF_INVALID', /not trusted at the timestamp authority's time 2025-01-01/);
    expectSignError(() => verifyRekorV2Entry({ ...entry, logId: flipByte(entry.logId, 0) }, root, [time]), 'TLOG_PROOF_INVALID', /is not a transparency log of the trusted root/);
  });

  it('refuses a tampered body, proof or index', () => {
    const { entry, proof, root, time } = staging();
    expectSignError(() => verifyRekorV2Entry({ ...entry, canonicalizedBody: flipByte(entry.canonicalizedBody, 40) }, root, [time]), 'TLOG_PROOF_INVALID', /the path leads to root/);
    expectSignError(() => verifyRekorV2Entry(withProof(entry, { hashes: proof.hashes.map((h, i) => (i === 1 ? flipByte(h, 3) : h)) }), root, [time]), 'TLOG_PROOF_INVALID', /the path leads to root/);
    expectSignError(() => verifyRekorV2Entry(withProof(entry, { logIndex: proof.logIndex - 1 }), root, [time]), 'TLOG_PROOF_INVALID', /inclusion proof of Rekor v2 entry 735 is for index 734/);
  });

  it('refuses a checkpoint of another origin, signed under another name, or by a log of another host', () => {
    const { entry, proof, root, time } = staging();
    const otherOrigin = proof.checkpoint.replace(/^log2025-alpha1\.rekor\.sigstage\.dev\n/, 'log2025-alpha1.rekor.sigstage.dev.evil\n');
    expectSignError(() => verifyRekorV2Entry(withProof(entry, { checkpoint: otherOrigin }), root, [time]), 'TLOG_PROOF_INVALID', /checkpoint: the signature by log2025-alpha1\.rekor\.sigstage\.dev does not verify/);
    const renamed = proof.checkpoint.replace('— log2025-alpha1.rekor.sigstage.dev ', '— rekor.sigstage.dev ');
    expectSignError(() => verifyRekorV2Entry(withProof(entry, { checkpoint: renamed }), root, [time]), 'TLOG_PROOF_INVALID', /no signature carries the key hint f30d5a99 and the name log2025-alpha1\.rekor\.sigstage\.dev/);
    const moved: TrustedRoot = { ...root, tlogs: root.tlogs.map((log) => (log.logId.equals(entry.logId) ? { ...log, baseUrl: 'https://log.example' } : log)) };
    expectSignError(() => verifyRekorV2Entry(entry, moved, [time]), 'TLOG_PROOF_INVALID', /no signature carries the key hint f30d5a99 and the name log\.example/);
  });
});

describe('verifyRekorV2Entry with an in-process Rekor v2 log', () => {
  const signed = { signature: Buffer.from('sig'), verifier: { publicKey: Buffer.from('key') } };

  it('verifies entries of a grown tree, with an Ed25519 or an ECDSA log key', () => {
    for (const key of ['ed25519', 'ecdsa'] as const) {
      const fake = createFakeRekorV2Log({ key });
      const root: TrustedRoot = { mediaType: 'test', tlogs: [fake.log], certificateAuthorities: [], ctlogs: [], timestampAuthorities: [] };
      fake.appendOther('first');
      fake.appendOther('second');
      const entry = fake.appendHashedRekord(Buffer.alloc(32, 7), signed);
      assert.deepEqual([entry.logIndex, entry.inclusionProof?.treeSize], [2, 3]);
      verifyRekorV2Entry(entry, root, [new Date()]);
      verifyRekorV2Entry(fake.appendDsse(Buffer.from('payload'), [signed]), root, [new Date()]);
    }
  });
});
