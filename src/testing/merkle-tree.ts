/**
 * RFC 6962 §2.1 Merkle tree hashes and audit paths over SHA-256, for the fake Rekor log (and for
 * tests that recompute a root). Plain recursion: fine for the handful of leaves a test writes.
 */
import { createHash } from 'node:crypto';
import { leafHash, nodeHash } from '../sign/sigstore/merkle.ts';

export { leafHash, nodeHash };

/** MTH(D[n]) over leaf hashes; the empty tree hashes to SHA-256 of nothing. */
export function treeHash(leaves: readonly Buffer[]): Buffer {
  if (leaves.length === 0) return createHash('sha256').digest();
  if (leaves.length === 1) return leaves[0] as Buffer;
  const k = splitPoint(leaves.length);
  return nodeHash(treeHash(leaves.slice(0, k)), treeHash(leaves.slice(k)));
}

/** PATH(m, D[n]): the audit path of leaf `index`, leaf to root. */
export function auditPath(index: number, leaves: readonly Buffer[]): Buffer[] {
  if (index < 0 || index >= leaves.length) throw new RangeError(`leaf ${index} is not in a tree of ${leaves.length}`);
  if (leaves.length === 1) return [];
  const k = splitPoint(leaves.length);
  return index < k
    ? [...auditPath(index, leaves.slice(0, k)), treeHash(leaves.slice(k))]
    : [...auditPath(index - k, leaves.slice(k)), treeHash(leaves.slice(0, k))];
}

/**
 * The root an audit path leads to (RFC 9162 §2.1.3.2), or undefined when the path has the wrong
 * length for `index` in a tree of `treeSize`.
 */
export function rootFromAuditPath(index: number, treeSize: number, leaf: Buffer, path: readonly Buffer[]): Buffer | undefined {
  if (index < 0 || index >= treeSize) return undefined;
  let fn = index;
  let sn = treeSize - 1;
  let hash = leaf;
  for (const sibling of path) {
    if (sn === 0) return undefined;
    if (fn % 2 === 1 || fn === sn) {
      hash = nodeHash(sibling, hash);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      hash = nodeHash(hash, sibling);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? hash : undefined;
}

/** The largest power of two smaller than `n` (n ≥ 2). */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}
