import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareDpkg, isValidDpkg, parseDpkg } from './dpkg.ts';
import { assertComparisons, loadComparisons } from './test-vectors.ts';
import { VersionError } from './version-error.ts';

describe('compareDpkg vectors', () => {
  for (const file of ['dpkg.jsonl', 'dpkg-osv-scalibr.jsonl', 'dpkg-osv-scalibr-generated.jsonl']) {
    it(file, () => assertComparisons(loadComparisons(file), compareDpkg));
  }
});

describe('compareDpkg', () => {
  it('orders ~ before the end, the end before letters and letters before punctuation', () => {
    const ordered = ['1.0~rc1', '1.0', '1.0a', '1.0+b1', '1.0.1'];
    for (let i = 1; i < ordered.length; i++) assert.equal(compareDpkg(ordered[i - 1] ?? '', ordered[i] ?? ''), -1);
  });

  it('handles epochs, revisions and the Debian security suffixes', () => {
    assert.equal(compareDpkg('1:0.1', '2.0'), 1);
    assert.equal(compareDpkg('1.0', '1.0-0'), 0);
    assert.equal(compareDpkg('3.0.11-1~deb12u2', '3.0.11-1'), -1);
    assert.equal(compareDpkg('3.0.14-1~deb12u2', '3.0.11-1~deb12u1'), 1);
    assert.equal(compareDpkg('0:1.0', '1.0'), 0);
    assert.equal(compareDpkg('1.0-1-2', '1.0-1-10'), -1);
  });

  it('throws a VersionError for what dpkg cannot parse', () => {
    for (const bad of ['', '   ', '1.0 2', ':1.0', 'a:1.0', '-1:1.0', '1:', '1.0-', '-1', '99999999999:1']) {
      assert.throws(() => compareDpkg(bad, '1.0'), (err: unknown) => err instanceof VersionError && err.code === 'VERSION_INVALID', bad);
    }
  });
});

describe('parseDpkg / isValidDpkg', () => {
  it('splits on the first colon and the last hyphen', () => {
    assert.deepEqual(parseDpkg(' 2:1.2-3-4 '), { epoch: 2, upstream: '1.2-3', revision: '4', warnings: [] });
    assert.deepEqual(parseDpkg('1.0'), { epoch: 0, upstream: '1.0', revision: '', warnings: [] });
  });

  it('keeps warnings apart from errors', () => {
    assert.deepEqual(parseDpkg('a-0').warnings, ['version number does not start with digit']);
    assert.equal(isValidDpkg('a-0'), false);
    assert.equal(isValidDpkg('1.0_1'), false);
    assert.equal(isValidDpkg('1:2.3~rc1+dfsg-4~deb12u1'), true);
    assert.equal(isValidDpkg('1.0-'), false);
  });
});
