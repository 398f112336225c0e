import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalMaven, compareMaven } from './maven.ts';
import { compareMavenOsv } from './maven-osv.ts';
import { assertComparisons, loadComparisons } from './test-vectors.ts';
import { VersionError } from './version-error.ts';

describe('compareMaven vectors (Maven 4 ComparableVersion)', () => {
  it('maven.jsonl', () => assertComparisons(loadComparisons('maven.jsonl'), compareMaven));
});

// osv-scalibr's vectors were generated with Maven 3.x's ComparableVersion, which orders some versions
// differently from Maven 4's; they hold for compareMavenOsv (the order osv.dev evaluates OSV ranges with).
describe('compareMavenOsv vectors (osv.dev / Maven 3.x order)', () => {
  for (const file of ['maven-osv-scalibr.jsonl', 'maven-osv-scalibr-generated.jsonl']) {
    it(file, () => assertComparisons(loadComparisons(file), compareMavenOsv));
  }
});

describe('compareMaven', () => {
  const chain = ['1.0-alpha1', '1.0-beta', '1.0-rc1', '1.0-SNAPSHOT', '1.0', '1.0-sp1', '1.0.1'];

  it('orders the §5 chain, in both flavours', () => {
    for (const compare of [compareMaven, compareMavenOsv]) {
      for (let i = 1; i < chain.length; i++) assert.equal(compare(chain[i - 1] ?? '', chain[i] ?? ''), -1, `${compare.name} ${chain[i]}`);
    }
  });

  it('drops trailing nulls and knows the qualifier aliases', () => {
    for (const [a, b, expected] of [
      ['1', '1.0', 0], ['1', '1-ga', 0], ['1', '1.0.0-final', 0], ['1-release', '1', 0], ['1-cr1', '1-rc1', 0],
      ['1.1', '1-sp', 1], ['1.1', '1-1', 1], ['1-rc', '1', -1], ['1', '1-sp', -1], ['2.1', '2.10', -1],
      ['1-a1', '1-alpha-1', 0], ['1-foo', '1-sp', 1], ['99999999999999999999', '99999999999999999998', 1],
    ] as const) {
      assert.equal(compareMaven(a, b), expected, `${a} vs ${b}`);
    }
  });

  it('canonicalises like ComparableVersion.getCanonical', () => {
    // Maven 4 keeps `ga` as an item (it only compares equal to the release): [1, [ga]].
    assert.equal(canonicalMaven('1.0-GA'), '1-ga');
    assert.equal(canonicalMaven('1-alpha-1'), '1-alpha1');
    assert.equal(canonicalMaven('1.0.0-SNAPSHOT'), '1-snapshot');
    assert.equal(canonicalMaven('2.17.1'), '2.17.1');
  });

  it('refuses versions longer than Maven does', () => {
    assert.throws(() => compareMaven('1.'.repeat(200), '1'), (err: unknown) => err instanceof VersionError && err.code === 'VERSION_INVALID');
  });

  it('differs from the osv.dev order where Maven 4 changed ComparableVersion', () => {
    assert.equal(compareMaven('3.2.0rc2', '3.2.0-rc.1'), 1);
    assert.equal(compareMavenOsv('3.2.0rc2', '3.2.0-rc.1'), -1);
  });
});
