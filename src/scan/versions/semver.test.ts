import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import { describe, it } from 'node:test';
import { compareSemver, isValidSemver, parseSemver, satisfiesRange, type SemverOptions } from './semver.ts';
import { assertComparisons, assertEvery, booleanField, loadComparisons, loadVectors, recordField, stringField, type Vector } from './test-vectors.ts';
import { VersionError } from './version-error.ts';

function optionsOf(v: Vector): SemverOptions {
  const raw = recordField(v, 'options');
  return {
    ...(raw['loose'] === true ? { loose: true } : {}),
    ...(raw['includePrerelease'] === true ? { includePrerelease: true } : {}),
  };
}

describe('semver vectors', () => {
  it('semver.jsonl', () => {
    const vectors = loadComparisons('semver.jsonl');
    assertEvery(vectors, (v) => {
      const got = compareSemver(v.a, v.b, optionsOf(v));
      return got === v.expected ? undefined : `compareSemver = ${got}`;
    });
  });

  it('semver-osv-scalibr.jsonl', () => assertComparisons(loadComparisons('semver-osv-scalibr.jsonl'), (a, b) => compareSemver(a, b)));

  it('semver-ranges.jsonl', () => {
    assertEvery(loadVectors('semver-ranges.jsonl'), (v) => {
      // One range-exclude row passes `false` as the version (node-semver's loose typing); our API takes
      // strings, and the property it checks — a non-version satisfies nothing — holds for "false" too.
      const version = v.fields['version'];
      const got = satisfiesRange(typeof version === 'string' ? version : String(version), stringField(v, 'range'), optionsOf(v));
      return got === booleanField(v, 'expected') ? undefined : `satisfiesRange = ${got}`;
    });
  });

  it('semver-validity.jsonl', () => {
    assertEvery(loadVectors('semver-validity.jsonl'), (v) => {
      const version = stringField(v, 'version');
      const valid = isValidSemver(version, optionsOf(v));
      if (valid !== booleanField(v, 'valid')) return `isValidSemver = ${valid}`;
      if (!valid) return undefined;
      const { major, minor, patch, prerelease, build } = v.fields;
      const parsed = parseSemver(version, optionsOf(v));
      return isDeepStrictEqual(parsed, { major, minor, patch, prerelease, build }) ? undefined : `parseSemver = ${JSON.stringify(parsed)}`;
    });
  });
});

describe('compareSemver', () => {
  it('orders the SemVer 2.0 §11 example chain', () => {
    const chain = ['1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta', '1.0.0-beta.2', '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0'];
    for (let i = 1; i < chain.length; i++) assert.equal(compareSemver(chain[i - 1] ?? '', chain[i] ?? ''), -1, chain[i]);
  });

  it('extends precedence to SemVer-like versions npm rejects', () => {
    assert.equal(compareSemver('1.2.3.4', '1.2.3.5'), -1);
    assert.equal(compareSemver('1.2.3.4', '1.2.3'), 1);
    assert.equal(compareSemver('1.2', '1.2.0'), 0);
    assert.equal(compareSemver('90071992547409910.0.0', '90071992547409909.0.0'), 1);
    assert.equal(compareSemver('1.2.3.4-rc.1', '1.2.3.4'), -1);
    assert.equal(compareSemver('1.2.3.4+build', '1.2.3.4+other'), 0);
    assert.equal(compareSemver('1.2.3.1', '=1.2.3', { loose: true }), 1);
  });

  it('throws a VersionError for what is not a version', () => {
    for (const bad of ['', 'hello, world', '1.2.x', 'latest', '1..2']) {
      assert.throws(() => compareSemver(bad, '1.0.0'), (err: unknown) => err instanceof VersionError && err.code === 'VERSION_INVALID', bad);
    }
    assert.throws(() => satisfiesRange('1.0.0', '>=1.0.0 <x.y.z !'), VersionError);
  });
});
