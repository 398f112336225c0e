/**
 * RFC 6962 / RFC 9162 Merkle tree hashing and inclusion proofs, as Rekor (and every CT-style log) computes them.
 * Indices and sizes are bigints: logs outgrow 2^31 and JavaScript's bit operators are 32-bit.
 */
import { sha256 } from './crypto-util.ts';

const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = Buffer.from([0x01]);

/** The hash of a leaf: SHA-256(0x00 ‖ entry). */
export function leafHash(entry: Buffer): Buffer {
  return sha256(LEAF_PREFIX, entry);
}

/** The hash of an interior node: SHA-256(0x01 ‖ left ‖ right). */
export function nodeHash(left: Buffer, right: Buffer): Buffer {
  return sha256(NODE_PREFIX, left, right);
}

/** The root an inclusion proof leads to, or why the proof cannot be one. */
export type InclusionResult = { readonly ok: true; readonly root: Buffer } | { readonly ok: false; readonly reason: string };

/**
 * Recomputes the tree root from a leaf hash and its audit path (leaf to root), by the algorithm of RFC 9162 §2.1.3.2
 * (which also covers trees whose size is not a power of two). The caller compares the result with the signed root.
 */
export function rootFromInclusionProof(
  index: bigint,
  treeSize: bigint,
  leaf: Buffer,
  path: readonly Buffer[],
): InclusionResult {
  if (index < 0n || index >= treeSize) return { ok: false, reason: `leaf index ${index} is outside a tree of size ${treeSize}` };
  let fn = index;
  let sn = treeSize - 1n;
  let r = leaf;
  for (const [i, p] of path.entries()) {
    if (p.length !== 32) return { ok: false, reason: `hash ${i} is ${p.length} bytes, not 32` };
    if (sn === 0n) return { ok: false, reason: `the path has ${path.length} hashes, more than the tree's height` };
    if ((fn & 1n) === 1n || fn === sn) {
      r = nodeHash(p, r);
      while ((fn & 1n) === 0n && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      r = nodeHash(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n) return { ok: false, reason: `the path has ${path.length} hashes, fewer than the tree needs` };
  return { ok: true, root: r };
}
