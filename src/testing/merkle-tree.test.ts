import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { it } from 'node:test';
import { auditPath, leafHash, nodeHash, rootFromAuditPath, treeHash } from './merkle-tree.ts';

const leaves = (n: number): Buffer[] => Array.from({ length: n }, (_, i) => leafHash(Buffer.from(`entry ${i}`)));

it('hashes small trees as RFC 6962 defines them', () => {
  const [a, b, c] = leaves(3) as [Buffer, Buffer, Buffer];
  assert.deepEqual(treeHash([]), createHash('sha256').digest());
  assert.deepEqual(treeHash([a]), a);
  assert.deepEqual(treeHash([a, b, c]), nodeHash(nodeHash(a, b), c));
  assert.deepEqual(auditPath(2, [a, b, c]), [nodeHash(a, b)]);
  assert.deepEqual(auditPath(0, [a, b, c]), [b, c]);
});

it('every audit path of trees up to 33 leaves leads back to the root, and only from its own leaf and index', () => {
  for (let size = 1; size <= 33; size++) {
    const tree = leaves(size);
    const root = treeHash(tree);
    tree.forEach((leaf, index) => {
      const path = auditPath(index, tree);
      assert.deepEqual(rootFromAuditPath(index, size, leaf, path), root, `leaf ${index} of ${size}`);
      if (size > 1) {
        const wrongIndex = (index + 1) % size;
        assert.notDeepEqual(rootFromAuditPath(wrongIndex, size, leaf, path), root, `leaf ${index} of ${size} at ${wrongIndex}`);
      }
    });
  }
});
