import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareApk, compareValidApk, isAcceptedApk, isValidApk, matchApk } from './apk.ts';
import { assertComparisons, assertEvery, booleanField, loadComparisons, loadVectors, stringField } from './test-vectors.ts';
import { VersionError } from './version-error.ts';

describe('compareApk vectors', () => {
  for (const file of ['apk.jsonl', 'apk-osv-scalibr.jsonl', 'apk-osv-scalibr-generated.jsonl']) {
    it(file, () => assertComparisons(loadComparisons(file), compareApk));
  }

  it('apk-validity.jsonl', () => {
    assertEvery(loadVectors('apk-validity.jsonl'), (v) => {
      const got = isValidApk(stringField(v, 'version'));
      return got === booleanField(v, 'valid') ? undefined : `isValidApk = ${got}`;
    });
  });

  it('apk-fuzzy.jsonl', () => {
    assertEvery(loadVectors('apk-fuzzy.jsonl'), (v) => {
      const got = matchApk(stringField(v, 'a'), stringField(v, 'op'), stringField(v, 'b'));
      return got === booleanField(v, 'expected') ? undefined : `matchApk = ${got}`;
    });
  });
});

describe('compareApk', () => {
  it('follows the §5 examples', () => {
    const ordered = ['1.0_rc1', '1.0', '1.0a', '1.0.1', '1.0.1-r1', '1.0.1_p1'];
    for (let i = 1; i < ordered.length; i++) assert.equal(compareApk(ordered[i - 1] ?? '', ordered[i] ?? ''), -1, ordered[i]);
    assert.equal(compareApk('1.01', '1.1'), -1);
    assert.equal(compareApk('1.0', '1.0-r1'), -1);
    assert.equal(compareApk('1.2_alpha', '1.2_beta'), -1);
    assert.equal(compareApk('3.1.4-r10', '3.1.4-r9'), 1);
    assert.equal(compareApk('99999999999999999999.1', '99999999999999999999.0'), 1);
  });

  it('orders 2.x-era versions that 3.x rejects, revision numbers numerically', () => {
    assert.equal(isValidApk('1.9.5p1-r1'), false);
    assert.equal(compareApk('1.9.5p1-r9', '1.9.5p1-r10'), -1);
    assert.equal(compareApk('1.9.5p1-r1', '1.9.5p2-r0'), -1);
    assert.equal(compareApk('1.9.5p1-r1', '1.9.5-r3'), 1);
  });
});

describe('isAcceptedApk / compareValidApk', () => {
  it('accepts what apk-tools 3.x or 2.14 accepts', () => {
    for (const ok of ['1.2.3-r0', '0.1_pre2~1234abcd', '1.9.5p1-r1', '1..2', '1-r', '.1']) assert.equal(isAcceptedApk(ok), true, ok);
    for (const bad of ['', '1.0bc', '1-ruff', '1.2.0A', '1-r0-1', '0.1_foobar', '1.0 ']) assert.equal(isAcceptedApk(bad), false, bad);
  });

  it('throws a VersionError rather than guess', () => {
    assert.equal(compareValidApk('1.9.5p1-r1', '1.9.5p1-r2'), -1);
    assert.throws(() => compareValidApk('1-ruff', '1'), (err: unknown) => err instanceof VersionError && err.code === 'VERSION_INVALID');
  });
});

describe('matchApk', () => {
  it('supports the operators and negation', () => {
    assert.equal(matchApk('1.2', '>=', '1.2'), true);
    assert.equal(matchApk('1.2', '<', '1.2'), false);
    assert.equal(matchApk('1.2', '!<', '1.2'), true);
    assert.equal(matchApk('3.6.9', '~', '3.6'), true);
    assert.equal(matchApk('3.6', '~', '3.6.9'), false);
    assert.equal(matchApk('3.6.9', '>~', '3.6'), true);
    assert.throws(() => matchApk('1', '=>=x', '1'), VersionError);
  });
});
