import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { comparePep440, isValidPep440, normalizePep440, parsePep440 } from './pep440.ts';
import { satisfiesSpecifier } from './pep440-specifier.ts';
import { assertComparisons, assertEvery, booleanField, loadComparisons, loadVectors, recordField, stringField } from './test-vectors.ts';
import { VersionError } from './version-error.ts';

describe('comparePep440 vectors', () => {
  it('pep440.jsonl', () => assertComparisons(loadComparisons('pep440.jsonl'), (a, b) => comparePep440(a, b)));

  // These files mix in legacy, non-PEP 440 versions (`non_pep440: true`), which order like packaging < 22's LegacyVersion.
  for (const file of ['pep440-osv-scalibr.jsonl', 'pep440-osv-scalibr-generated.jsonl']) {
    it(file, () => assertComparisons(loadComparisons(file), (a, b) => comparePep440(a, b, { legacy: true })));
  }

  it('pep440-validity.jsonl', () => {
    assertEvery(loadVectors('pep440-validity.jsonl'), (v) => {
      const version = stringField(v, 'version');
      const valid = isValidPep440(version);
      if (valid !== booleanField(v, 'valid')) return `isValidPep440 = ${valid}`;
      if (v.fields['normalized'] === undefined) return undefined;
      const normalized = normalizePep440(version);
      return normalized === stringField(v, 'normalized') ? undefined : `normalizePep440 = ${normalized}`;
    });
  });
});

describe('satisfiesSpecifier vectors', () => {
  it('pep440-specifiers.jsonl', () => {
    assertEvery(loadVectors('pep440-specifiers.jsonl'), (v) => {
      const prereleases = recordField(v, 'options')['prereleases'];
      const options = typeof prereleases === 'boolean' ? { prereleases } : {};
      const got = satisfiesSpecifier(stringField(v, 'version'), stringField(v, 'range'), options);
      return got === booleanField(v, 'expected') ? undefined : `satisfiesSpecifier = ${got}`;
    });
  });
});

describe('comparePep440', () => {
  it('orders the §5 chain', () => {
    const chain = ['1.0.dev1', '1.0a1.dev1', '1.0a1', '1.0a1.post1', '1.0b1', '1.0rc1', '1.0', '1.0+local', '1.0.post1.dev1', '1.0.post1', '1!0.1'];
    for (let i = 1; i < chain.length; i++) assert.equal(comparePep440(chain[i - 1] ?? '', chain[i] ?? ''), -1, chain[i]);
  });

  it('normalises spellings', () => {
    assert.equal(comparePep440('1.0', '1.0.0'), 0);
    assert.equal(comparePep440('v1.0-ALPHA.1', '1.0a1'), 0);
    assert.equal(comparePep440('1.0-1', '1.0.post1'), 0);
    assert.equal(comparePep440('1.0+ubuntu.2', '1.0+ubuntu.10'), -1);
    assert.equal(comparePep440('1.0+abc', '1.0+1'), -1);
    assert.equal(normalizePep440('1.0.PREVIEW2-r3.DEV4+Foo_Bar'), '1.0rc2.post3.dev4+foo.bar');
    assert.deepEqual(parsePep440('2!1.2.3a4').release, [1n, 2n, 3n]);
  });

  it('throws for legacy versions unless asked to order them', () => {
    assert.throws(() => comparePep440('0.9-doduo', '1.0'), (err: unknown) => err instanceof VersionError && err.code === 'VERSION_INVALID');
    assert.equal(comparePep440('0.9-doduo', '0.0.1', { legacy: true }), -1);
    assert.equal(comparePep440('0.9-doduo', '0.9-eevee', { legacy: true }), -1);
    assert.equal(comparePep440('1.0', '1.0.0', { legacy: true }), 0);
  });
});

describe('satisfiesSpecifier', () => {
  it('intersects comma-separated specifiers', () => {
    assert.equal(satisfiesSpecifier('1.5', '>=1.0, <2.0, !=1.3.*'), true);
    assert.equal(satisfiesSpecifier('1.3.2', '>=1.0, <2.0, !=1.3.*'), false);
    assert.equal(satisfiesSpecifier('2.0', '>=1.0,<2.0'), false);
    assert.equal(satisfiesSpecifier('1.0', ''), true);
  });

  it('applies the pre-release rules of packaging', () => {
    assert.equal(satisfiesSpecifier('2.0rc1', '>=1.0'), true);
    assert.equal(satisfiesSpecifier('2.0rc1', '>=1.0', { prereleases: false }), false);
    assert.equal(satisfiesSpecifier('2.0rc1', '<2.0'), false);
    assert.equal(satisfiesSpecifier('2.0rc1', '<2.0rc2'), true);
    assert.equal(satisfiesSpecifier('2.0.post1', '>2.0'), false);
    assert.equal(satisfiesSpecifier('2.0.post2', '>2.0.post1'), true);
  });

  it('supports ~=, ===, wildcards and local versions', () => {
    assert.equal(satisfiesSpecifier('1.4.5', '~=1.4.2'), true);
    assert.equal(satisfiesSpecifier('1.5.0', '~=1.4.2'), false);
    assert.equal(satisfiesSpecifier('1.0+local', '==1.0'), true);
    assert.equal(satisfiesSpecifier('1.0+local', '==1.0+other'), false);
    assert.equal(satisfiesSpecifier('1.0.dev3', '==1.*'), true);
    assert.equal(satisfiesSpecifier('foo-bar', '===foo-bar'), true);
    assert.equal(satisfiesSpecifier('foo-bar', '>=1.0'), false);
  });

  it('throws a VersionError for malformed specifiers', () => {
    for (const bad of ['>=1.0.*', '~=1', '=>1.0', 'lolwat', '==1.0a1.*', '<1.0+local']) {
      assert.throws(() => satisfiesSpecifier('1.0', bad), (err: unknown) => err instanceof VersionError && err.code === 'VERSION_INVALID', bad);
    }
  });
});
