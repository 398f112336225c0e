import assert from 'node:assert/strict';
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { describe, it } from 'node:test';
import type { InclusionProof, TlogEntry } from '../model.ts';
import { legacyRekorBundle } from './bundle.ts';
import { sha256, spkiDer } from './crypto-util.ts';
import { leafHash, nodeHash } from './merkle.ts';
import { firstEntry, fixtureJson, fixtureText, flipByte, publicGoodRoot, without } from '../../testing/sigstore-fixtures.ts';
import { parseTrustedRoot, type TrustedRoot } from './trusted-root.ts';
import { setMessage, verifyTlogEntry } from './tlog.ts';
import { expectSignError } from '../../testing/sign-error-assert.ts';

const COSIGN = 'cosign-oci-attestation.sigstore.json';


function withProof(entry: TlogEntry, patch: Partial<InclusionProof>): TlogEntry {
  assert.ok(entry.inclusionProof !== undefined);
  return { ...entry, inclusionProof: { ...entry.inclusionProof, ...patch } };
}

/** The checkpoint with its (first) signature line's decoded bytes changed by `tamper`. */
function tamperSignatureLine(checkpoint: string, tamper: (bytes: Buffer) => Buffer): string {
  return checkpoint.replace(/^(— \S+ )(\S+)$/m, (_, prefix: string, b64: string) => prefix + tamper(Buffer.from(b64, 'base64')).toString('base64'));
}

describe('verifyTlogEntry on real public-good entries', () => {
  const root = publicGoodRoot();
  const cases: readonly [string, string][] = [
    // cosign v3 DSSE bundle: SET + inclusion proof + checkpoint (dsse 0.0.1).
    [COSIGN, '2025-02-28T19:18:11.000Z'],
    // sigstore-js message signature, v0.3 (legacy media type spelling) and v0.2: checkpoint with an extra line.
    ['sigstore-js-v3-message-signature.sigstore.json', '2022-11-09T01:33:10.000Z'],
    ['sigstore-js-v2-message-signature.sigstore.json', '2022-11-09T01:33:10.000Z'],
    ['sigstore-js-v3-dsse.sigstore.json', '2024-04-04T17:34:53.000Z'],
    // sigstore-js 2.0.0 npm provenance (intoto 0.0.2, v0.1 bundle with a proof).
    ['sigstore-go-sigstore-js-2.0.0-provenance.sigstore.json', '2023-08-18T16:05:35.000Z'],
    // v0.1 bundles with a SET only.
    ['sigstore-go-dsse-intoto.sigstore.json', '2022-11-09T23:00:36.000Z'],
    ['sigstore-go-bundle-publish.sigstore.json', '2023-04-18T17:45:16.000Z'],
  ];
  for (const [fixture, time] of cases) {
    it(`verifies ${fixture}`, () => {
      assert.equal(verifyTlogEntry(firstEntry(fixture), root).integratedTime.toISOString(), time);
    });
  }

  it('verifies a legacy cosign bundle annotation (SET only)', () => {
    const entry = legacyRekorBundle(fixtureText('talos-installer-v1.4.0.cosign-bundle.json'));
    assert.equal(verifyTlogEntry(entry, root).integratedTime.toISOString(), '2023-04-18T18:37:02.000Z');
  });

  it('verifies an entry of another log against its own root (sigstore-go scaffolding)', () => {
    const scaffolding = parseTrustedRoot(fixtureJson('sigstore-go-trusted-root-scaffolding.json'));
    const entry = firstEntry('sigstore-go-othername.sigstore.json');
    assert.equal(verifyTlogEntry(entry, scaffolding).integratedTime.toISOString(), '2024-07-12T19:06:29.000Z');
    expectSignError(() => verifyTlogEntry(entry, root), 'TLOG_PROOF_INVALID', /log f6fb357e.* is not a transparency log of the trusted root/);
  });

  it('verifies the SET alone and the inclusion proof alone', () => {
    const entry = firstEntry(COSIGN);
    verifyTlogEntry(without(entry, 'inclusionProof'), root);
    verifyTlogEntry(without(entry, 'signedEntryTimestamp'), root);
  });

  it('signs the JCS of body, integratedTime, logID (hex) and the global logIndex', () => {
    const entry = firstEntry(COSIGN);
    const message = JSON.parse(setMessage(entry).toString('utf8')) as Record<string, unknown>;
    assert.deepEqual(Object.keys(message), ['body', 'integratedTime', 'logID', 'logIndex']);
    assert.deepEqual(message, {
      body: entry.canonicalizedBody.toString('base64'),
      integratedTime: 1740770291,
      logID: 'c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d',
      logIndex: 175508996,
    });
  });
});

describe('verifyTlogEntry refuses', () => {
  const root = publicGoodRoot();
  const entry = firstEntry(COSIGN);
  const proof = entry.inclusionProof;
  assert.ok(proof !== undefined);

  it('an entry with neither SET nor inclusion proof (TLOG_PROOF_MISSING)', () => {
    expectSignError(() => verifyTlogEntry(without(entry, 'signedEntryTimestamp', 'inclusionProof'), root), 'TLOG_PROOF_MISSING', /neither a signed entry timestamp nor an inclusion proof/);
  });

  it('a SET with one byte flipped', () => {
    expectSignError(() => verifyTlogEntry(without({ ...entry, signedEntryTimestamp: flipByte(entry.signedEntryTimestamp ?? Buffer.alloc(0), 40) }, 'inclusionProof'), root), 'TLOG_PROOF_INVALID', /signed entry timestamp of entry 175508996 does not verify/);
    expectSignError(() => verifyTlogEntry({ ...entry, signedEntryTimestamp: flipByte(entry.signedEntryTimestamp ?? Buffer.alloc(0), -1) }, root), 'TLOG_PROOF_INVALID', /signed entry timestamp/);
  });

  it('a SET over other entry fields (integrated time, global index)', () => {
    const set = without(entry, 'inclusionProof');
    expectSignError(() => verifyTlogEntry({ ...set, integratedTime: entry.integratedTime + 1 }, root), 'TLOG_PROOF_INVALID', /signed entry timestamp/);
    expectSignError(() => verifyTlogEntry({ ...set, logIndex: entry.logIndex + 1 }, root), 'TLOG_PROOF_INVALID', /signed entry timestamp/);
  });

  it('a body with one byte flipped (by the SET, and by the inclusion proof)', () => {
    const tampered = { ...entry, canonicalizedBody: flipByte(entry.canonicalizedBody, 100) };
    expectSignError(() => verifyTlogEntry(tampered, root), 'TLOG_PROOF_INVALID', /signed entry timestamp/);
    expectSignError(() => verifyTlogEntry(without(tampered, 'signedEntryTimestamp'), root), 'TLOG_PROOF_INVALID', /inclusion proof of entry 175508996: the path leads to root .*, not to the proof's root hash/);
  });

  it('a proof hash with one byte flipped, another root hash, tree size or leaf index', () => {
    const alone = without(entry, 'signedEntryTimestamp');
    const hashes = proof.hashes.map((h, i) => (i === 3 ? flipByte(h, 0) : h));
    expectSignError(() => verifyTlogEntry(withProof(alone, { hashes }), root), 'TLOG_PROOF_INVALID', /the path leads to root/);
    expectSignError(() => verifyTlogEntry(withProof(alone, { rootHash: flipByte(proof.rootHash, 5) }), root), 'TLOG_PROOF_INVALID', /the path leads to root/);
    expectSignError(() => verifyTlogEntry(withProof(alone, { treeSize: proof.treeSize + 1 }), root), 'TLOG_PROOF_INVALID', /inclusion proof/);
    expectSignError(() => verifyTlogEntry(withProof(alone, { logIndex: proof.logIndex - 1 }), root), 'TLOG_PROOF_INVALID', /inclusion proof/);
    expectSignError(() => verifyTlogEntry(withProof(alone, { hashes: proof.hashes.slice(0, -1) }), root), 'TLOG_PROOF_INVALID', /fewer than the tree needs/);
  });

  it('a checkpoint whose signature has one byte flipped, or whose text was changed', () => {
    const flipped = tamperSignatureLine(proof.checkpoint, (bytes) => flipByte(bytes, 20));
    expectSignError(() => verifyTlogEntry(withProof(entry, { checkpoint: flipped }), root), 'TLOG_PROOF_INVALID', /checkpoint: the signature by rekor\.sigstore\.dev does not verify/);
    const otherOrigin = proof.checkpoint.replace('1193050959916656506', '1193050959916656507');
    expectSignError(() => verifyTlogEntry(withProof(entry, { checkpoint: otherOrigin }), root), 'TLOG_PROOF_INVALID', /checkpoint: the signature .* does not verify/);
  });

  it('a checkpoint signed under another key hint, or malformed', () => {
    const otherHint = tamperSignatureLine(proof.checkpoint, (bytes) => Buffer.concat([Buffer.from('00000000', 'hex'), bytes.subarray(4)]));
    expectSignError(() => verifyTlogEntry(withProof(entry, { checkpoint: otherHint }), root), 'TLOG_PROOF_INVALID', /no signature carries the key hint c0d23d6a/);
    expectSignError(() => verifyTlogEntry(withProof(entry, { checkpoint: proof.checkpoint.replace('\n\n', '\n') }), root), 'TLOG_PROOF_INVALID', /checkpoint: the note has no blank line/);
  });

  it('an entry of a log the root does not have', () => {
    expectSignError(() => verifyTlogEntry({ ...entry, logId: flipByte(entry.logId, 31) }, root), 'TLOG_PROOF_INVALID', /log c0d23d6a.*1c is not a transparency log of the trusted root/);
  });

  it('an entry integrated outside the period the root trusts the log for', () => {
    const log = root.tlogs[0];
    assert.ok(log !== undefined);
    const expired: TrustedRoot = { ...root, tlogs: [{ ...log, validFor: { start: log.validFor.start, end: new Date('2024-12-31T23:59:59Z') } }] };
    expectSignError(() => verifyTlogEntry(entry, expired), 'TLOG_PROOF_INVALID', /was not trusted at the integrated time 2025-02-28T19:18:11\.000Z \(trusted \[2021-01-12T11:53:27\.000Z, 2024-12-31T23:59:59\.000Z\]\)/);
    const later: TrustedRoot = { ...root, tlogs: [{ ...log, validFor: { start: new Date('2025-03-01T00:00:00Z') } }] };
    expectSignError(() => verifyTlogEntry(entry, later), 'TLOG_PROOF_INVALID', /was not trusted at the integrated time/);
  });

  it('an entry without integrated time (Rekor v2 needs a timestamp authority)', () => {
    expectSignError(() => verifyTlogEntry(without({ ...entry, integratedTime: 0 }, 'signedEntryTimestamp'), root), 'TLOG_PROOF_INVALID', /has no integrated time/);
  });
});

/** A log of our own, to sign checkpoints that disagree with the proof. */
function testLog(type: 'ec' | 'ed25519'): { root: TrustedRoot; privateKey: KeyObject; logId: Buffer } {
  const { publicKey, privateKey } = type === 'ec' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('ed25519');
  const logId = sha256(spkiDer(publicKey));
  const log = { baseUrl: 'https://log.test', logId, publicKey, keyDetails: '', hashAlgorithm: 'SHA2_256', validFor: { start: new Date(0) } };
  return { root: { mediaType: 'test', tlogs: [log], certificateAuthorities: [], ctlogs: [], timestampAuthorities: [] }, privateKey, logId };
}

/** An entry at index 1 of a 2-leaf tree, with a checkpoint naming `size` and `rootHash` signed by the log. */
function testEntry(log: ReturnType<typeof testLog>, checkpoint: { size?: number; root?: Buffer } = {}): TlogEntry {
  const body = Buffer.from('{"apiVersion":"0.0.1","kind":"hashedrekord","spec":{}}');
  const sibling = leafHash(Buffer.from('first entry'));
  const rootHash = nodeHash(sibling, leafHash(body));
  const text = `log.test - 1\n${checkpoint.size ?? 2}\n${(checkpoint.root ?? rootHash).toString('base64')}\n`;
  const signature = sign(log.privateKey.asymmetricKeyType === 'ec' ? 'sha256' : null, Buffer.from(text), log.privateKey);
  const note = `${text}\n— log.test ${Buffer.concat([log.logId.subarray(0, 4), signature]).toString('base64')}\n`;
  return {
    logIndex: 7,
    logId: log.logId,
    kind: 'hashedrekord',
    version: '0.0.1',
    integratedTime: 1_700_000_000,
    canonicalizedBody: body,
    inclusionProof: { logIndex: 1, treeSize: 2, rootHash, hashes: [sibling], checkpoint: note },
  };
}

describe('verifyTlogEntry checks the checkpoint against the proof', () => {
  it('accepts a consistent checkpoint, signed with ECDSA P-256 or Ed25519', () => {
    for (const type of ['ec', 'ed25519'] as const) {
      const log = testLog(type);
      assert.equal(verifyTlogEntry(testEntry(log), log.root).integratedTime.getTime(), 1_700_000_000_000);
    }
  });

  it('refuses a validly signed checkpoint of another tree size or root hash', () => {
    const log = testLog('ec');
    expectSignError(() => verifyTlogEntry(testEntry(log, { size: 3 }), log.root), 'TLOG_PROOF_INVALID', /checkpoint: tree size 3 is not the proof's tree size 2/);
    expectSignError(() => verifyTlogEntry(testEntry(log, { root: Buffer.alloc(32, 1) }), log.root), 'TLOG_PROOF_INVALID', /checkpoint: root hash 0101.* is not the proof's root hash/);
  });

  it('refuses a checkpoint signed by another key under the right hint', () => {
    const log = testLog('ec');
    const impostor = { ...testLog('ec'), logId: log.logId };
    expectSignError(() => verifyTlogEntry(testEntry(impostor), log.root), 'TLOG_PROOF_INVALID', /checkpoint: the signature by log\.test does not verify/);
  });
});
