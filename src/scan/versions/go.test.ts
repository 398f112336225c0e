import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalGo, compareGo, compareValidGo, isValidGo } from './go.ts';
import { isPseudoVersion, pseudoVersion, pseudoVersionBase, pseudoVersionRev, pseudoVersionTime } from './go-pseudo.ts';
import { assertComparisons, assertEvery, booleanField, loadComparisons, loadVectors, stringField } from './test-vectors.ts';
import { VersionError } from './version-error.ts';

/** The commit time golang/mod's pseudo_test.go uses. */
const PSEUDO_TIME = new Date('2006-01-02T15:04:05Z');

function optionalString(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

describe('Go vectors', () => {
  it('go-semver.jsonl', () => assertComparisons(loadComparisons('go-semver.jsonl'), compareGo));

  it('go-semver-validity.jsonl', () => {
    assertEvery(loadVectors('go-semver-validity.jsonl'), (v) => {
      const version = stringField(v, 'version');
      const valid = isValidGo(version);
      if (valid !== booleanField(v, 'valid')) return `isValidGo = ${valid}`;
      const canonical = canonicalGo(version) ?? null;
      return canonical === v.fields['canonical'] ? undefined : `canonicalGo = ${canonical}`;
    });
  });

  it('go-pseudo.jsonl', () => {
    assertEvery(loadVectors('go-pseudo.jsonl'), (v) => {
      const pseudo = stringField(v, 'pseudo_version');
      const older = optionalString(v.fields['older']);
      const built = pseudoVersion(optionalString(v.fields['major']), older, PSEUDO_TIME, 'hash');
      if (built !== pseudo) return `pseudoVersion = ${built}`;
      if (isPseudoVersion(pseudo) !== booleanField(v, 'is_pseudo')) return `isPseudoVersion = ${!booleanField(v, 'is_pseudo')}`;
      if (older !== '' && isPseudoVersion(older)) return `isPseudoVersion(older) = true`;
      if (pseudoVersionTime(pseudo).getTime() !== PSEUDO_TIME.getTime()) return `pseudoVersionTime = ${pseudoVersionTime(pseudo).toISOString()}`;
      if (pseudoVersionRev(pseudo) !== 'hash') return `pseudoVersionRev = ${pseudoVersionRev(pseudo)}`;
      const base = pseudoVersionBase(pseudo);
      return base === older ? undefined : `pseudoVersionBase = ${base}`;
    });
  });
});

describe('Go pseudo-versions', () => {
  it('sort between their base and the next release', () => {
    const ordered = ['v0.0.0-20190101000000-abcdefabcdef', 'v1.2.3', 'v1.2.4-0.20200101000000-abcdefabcdef', 'v1.2.4', 'v1.3.0-pre', 'v1.3.0-pre.0.20200101000000-abcdefabcdef', 'v1.3.0'];
    for (let i = 1; i < ordered.length; i++) assert.equal(compareGo(ordered[i - 1] ?? '', ordered[i] ?? ''), -1, ordered[i]);
  });

  it('rejects what golang/mod rejects', () => {
    for (const bad of ['v0.0.0', 'v0.0.0-', 'v0.0.0-0.20060102150405-hash', 'v1.0.0-0.20060102150405-hash', 'v0.0.0-20060102150405-hash+incompatible']) {
      assert.throws(() => pseudoVersionBase(bad), VersionError, bad);
    }
    assert.throws(() => pseudoVersionTime('---'), VersionError);
    assert.throws(() => pseudoVersionTime('v0.0.0-20061302150405-hash'), VersionError);
    assert.equal(isPseudoVersion('v1.2.3'), false);
  });
});

describe('compareValidGo', () => {
  it('accepts OSV spellings, ignores +incompatible and fails closed', () => {
    assert.equal(compareValidGo('1.2.3', 'v1.2.3'), 0);
    assert.equal(compareValidGo('v2.0.0+incompatible', '2.0.0'), 0);
    assert.equal(compareValidGo('1.22.3', '1.22.10'), -1);
    for (const bad of ['(devel)', 'v1.02.3', '', 'go1.22.3']) {
      assert.throws(() => compareValidGo(bad, 'v1.0.0'), (err: unknown) => err instanceof VersionError && err.code === 'VERSION_INVALID', bad);
    }
  });
});
