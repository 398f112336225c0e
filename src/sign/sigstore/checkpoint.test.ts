import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCheckpoint, parseSignedNote, type Parsed } from './checkpoint.ts';
import { firstEntry } from '../../testing/sigstore-fixtures.ts';

function value<T>(parsed: Parsed<T>): T {
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.reason);
  return parsed.value;
}

function reason<T>(parsed: Parsed<T>): string {
  assert.ok(!parsed.ok);
  return parsed.reason;
}

function checkpointOf(fixture: string): string {
  const checkpoint = firstEntry(fixture).inclusionProof?.checkpoint;
  assert.ok(checkpoint !== undefined);
  return checkpoint;
}

describe('parseSignedNote', () => {
  it('splits a real Rekor checkpoint into the signed text and its signature', () => {
    const note = value(parseSignedNote(checkpointOf('cosign-oci-attestation.sigstore.json')));
    assert.equal(note.text, 'rekor.sigstore.dev - 1193050959916656506\n53604735\nnd/V1IEweXlu0reIQGaGK1d51xW4Rj8fUyTrmcUkrMY=\n');
    assert.equal(note.signatures.length, 1);
    assert.equal(note.signatures[0]?.name, 'rekor.sigstore.dev');
    // The key hint is the first 4 bytes of the public Rekor's log ID c0d23d6a….
    assert.equal(note.signatures[0]?.keyHint.toString('hex'), 'c0d23d6a');
    assert.equal(note.signatures[0]?.signature[0], 0x30, 'an ECDSA DER signature follows the hint');
  });

  it('refuses notes without a blank line, a final newline, signatures, or with malformed signature lines', () => {
    const text = 'log\n1\nnd/V1IEweXlu0reIQGaGK1d51xW4Rj8fUyTrmcUkrMY=\n';
    assert.match(reason(parseSignedNote(`${text}— log wNI9ajBFAiEA\n`)), /no blank line/);
    assert.match(reason(parseSignedNote(`${text}\n— log wNI9ajBFAiEA`)), /does not end with a newline/);
    assert.match(reason(parseSignedNote(`${text}\n`)), /no signatures/);
    assert.match(reason(parseSignedNote(`${text}\n- log wNI9ajBFAiEA\n`)), /malformed signature line/);
    assert.match(reason(parseSignedNote(`${text}\n— log wNI9\n`)), /malformed signature line/, 'a hint and no signature');
  });
});

describe('parseCheckpoint', () => {
  it('reads origin, tree size and root hash of a real checkpoint', () => {
    const note = value(parseSignedNote(checkpointOf('cosign-oci-attestation.sigstore.json')));
    const checkpoint = value(parseCheckpoint(note.text));
    assert.equal(checkpoint.origin, 'rekor.sigstore.dev - 1193050959916656506');
    assert.equal(checkpoint.treeSize, 53604735n);
    assert.equal(checkpoint.rootHash.toString('base64'), 'nd/V1IEweXlu0reIQGaGK1d51xW4Rj8fUyTrmcUkrMY=');
    assert.deepEqual(checkpoint.otherLines, []);
  });

  it('keeps the extra lines older Rekor checkpoints carry (Timestamp: …)', () => {
    const note = value(parseSignedNote(checkpointOf('sigstore-js-v2-message-signature.sigstore.json')));
    const checkpoint = value(parseCheckpoint(note.text));
    assert.equal(checkpoint.origin, 'rekor.sigstore.dev - 2605736670972794746');
    assert.equal(checkpoint.treeSize, 22954907n);
    assert.deepEqual(checkpoint.otherLines, ['Timestamp: 1689107716054191855']);
  });

  it('refuses a missing line, a size that is not decimal and a root that is not a base64 SHA-256', () => {
    const root = 'nd/V1IEweXlu0reIQGaGK1d51xW4Rj8fUyTrmcUkrMY=';
    assert.match(reason(parseCheckpoint('log\n12\n')), /needs an origin, a tree size and a root hash/);
    assert.match(reason(parseCheckpoint(`log\n0x12\n${root}\n`)), /tree size "0x12" is not a decimal number/);
    assert.match(reason(parseCheckpoint(`log\n012\n${root}\n`)), /not a decimal number/);
    assert.match(reason(parseCheckpoint('log\n12\nAAAA\n')), /root hash "AAAA" is not a base64 SHA-256 hash/);
  });
});
