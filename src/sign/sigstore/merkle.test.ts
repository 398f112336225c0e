import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { leafHash, nodeHash, rootFromInclusionProof } from './merkle.ts';

// An independent reference: RFC 6962 §2.1 defines the tree hash MTH and the audit path PATH recursively, splitting
// n leaves at k, the largest power of two smaller than n. The iterative RFC 9162 verifier must agree with it.

function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function mth(leaves: readonly Buffer[]): Buffer {
  if (leaves.length === 1) return leafHash(leaves[0] ?? Buffer.alloc(0));
  const k = split(leaves.length);
  return nodeHash(mth(leaves.slice(0, k)), mth(leaves.slice(k)));
}

function path(m: number, leaves: readonly Buffer[]): Buffer[] {
  if (leaves.length === 1) return [];
  const k = split(leaves.length);
  return m < k ? [...path(m, leaves.slice(0, k)), mth(leaves.slice(k))] : [...path(m - k, leaves.slice(k)), mth(leaves.slice(0, k))];
}

const LEAVES = Array.from({ length: 40 }, (_, i) => Buffer.from(`entry ${i}`));

describe('leafHash and nodeHash', () => {
  it('hash with the RFC 6962 domain-separation prefixes', () => {
    const sha = (...parts: Buffer[]) => createHash('sha256').update(Buffer.concat(parts)).digest();
    // The RFC 6962 empty-leaf vector: SHA-256(0x00) = 6e340b9c…
    assert.equal(leafHash(Buffer.alloc(0)).toString('hex'), '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d');
    const a = leafHash(Buffer.from('a'));
    const b = leafHash(Buffer.from('b'));
    assert.deepEqual(nodeHash(a, b), sha(Buffer.from([1]), a, b));
  });
});

describe('rootFromInclusionProof', () => {
  it('recomputes the root of every leaf of every tree size from 1 to 40 (powers of two and not)', () => {
    for (let n = 1; n <= LEAVES.length; n++) {
      const leaves = LEAVES.slice(0, n);
      const root = mth(leaves);
      for (let m = 0; m < n; m++) {
        const result = rootFromInclusionProof(BigInt(m), BigInt(n), leafHash(leaves[m] ?? Buffer.alloc(0)), path(m, leaves));
        assert.ok(result.ok, `leaf ${m} of ${n}`);
        assert.deepEqual(result.root, root, `leaf ${m} of ${n}`);
      }
    }
  });

  it('leads elsewhere for another leaf, another index or a changed path hash', () => {
    const leaves = LEAVES.slice(0, 13);
    const root = mth(leaves);
    const proof = path(5, leaves);
    const other = (result: ReturnType<typeof rootFromInclusionProof>) => !result.ok || !result.root.equals(root);
    assert.ok(other(rootFromInclusionProof(5n, 13n, leafHash(Buffer.from('forged')), proof)));
    assert.ok(other(rootFromInclusionProof(4n, 13n, leafHash(leaves[5] ?? Buffer.alloc(0)), proof)));
    const changed = proof.map((h, i) => (i === 1 ? Buffer.from(h).fill(0, 0, 1) : h));
    assert.ok(other(rootFromInclusionProof(5n, 13n, leafHash(leaves[5] ?? Buffer.alloc(0)), changed)));
  });

  it('refuses paths of the wrong length, hashes of the wrong size and indices outside the tree', () => {
    const leaves = LEAVES.slice(0, 13);
    const leaf = leafHash(leaves[5] ?? Buffer.alloc(0));
    const proof = path(5, leaves);
    const reason = (result: ReturnType<typeof rootFromInclusionProof>) => (result.ok ? 'ok' : result.reason);
    assert.match(reason(rootFromInclusionProof(5n, 13n, leaf, [...proof, proof[0] ?? Buffer.alloc(32)])), /more than the tree's height/);
    assert.match(reason(rootFromInclusionProof(5n, 13n, leaf, proof.slice(0, -1))), /fewer than the tree needs/);
    assert.match(reason(rootFromInclusionProof(5n, 13n, leaf, [Buffer.alloc(31), ...proof.slice(1)])), /31 bytes, not 32/);
    assert.match(reason(rootFromInclusionProof(13n, 13n, leaf, proof)), /outside a tree of size 13/);
    assert.match(reason(rootFromInclusionProof(0n, 0n, leaf, [])), /outside a tree of size 0/);
  });

  it('handles indices beyond 2^32 (bigint arithmetic)', () => {
    // A tree of 2^33 + 1 leaves: the last leaf's path is a single hash, the root of the first 2^33 leaves.
    const left = Buffer.alloc(32, 7);
    const leaf = leafHash(Buffer.from('last'));
    const result = rootFromInclusionProof(2n ** 33n, 2n ** 33n + 1n, leaf, [left]);
    assert.ok(result.ok);
    assert.deepEqual(result.root, nodeHash(left, leaf));
  });
});
