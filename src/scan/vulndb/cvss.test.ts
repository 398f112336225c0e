import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cvss3Score, cvssRating, cvssScore, roundup } from './cvss.ts';
import { cvss4Score } from './cvss4.ts';
import { VulnDbError } from './vulndb-error.ts';

/**
 * Known answers. v3: the specification's formula; every v3.0/v3.1 base vector (2 × 2,592) was
 * also compared with ae-cvss-calculator 1.0.13 while this was written (no difference). v4: the
 * implementation was compared with the FIRST/Red Hat reference `cvss40.js` (after its rounding
 * fix, PR #67) on all 104,976 base vectors and 200,000 random vectors with threat and
 * environmental metrics (no difference); the values below are the reference's.
 */
describe('CVSS v3', () => {
  const known: readonly (readonly [string, number])[] = [
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 9.8],
    ['CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:L', 3.7],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L', 5.3],
    ['CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H', 7.2],
    ['CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:H/A:H', 7.4],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:H', 9.1],
    ['CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H', 7.8],
    ['CVSS:3.0/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H', 8.8],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N', 0],
  ];
  const scopeChanged: readonly (readonly [string, number])[] = [
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H', 10],
    ['CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H', 9.9],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N', 6.1],
    ['CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N', 6.4],
    ['CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H', 8.8],
    ['CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:C/C:L/I:L/A:N', 5.5],
  ];

  for (const [vector, score] of [...known, ...scopeChanged]) {
    it(`${vector} = ${score}`, () => assert.equal(cvss3Score(vector), score));
  }

  it('takes temporal and environmental metrics in any order but scores the base', () => {
    assert.equal(cvss3Score('CVSS:3.1/S:U/AV:N/AC:L/PR:N/UI:N/C:H/I:H/A:H/E:U/RL:O/RC:C/CR:L/MAV:L'), 9.8);
  });

  it('rounds up to one decimal on integers (v3.1 Appendix A)', () => {
    assert.equal(roundup(4.02), 4.1);
    assert.equal(roundup(4.0), 4.0);
    assert.equal(roundup(4.000000000000001), 4.0, 'float noise does not round up');
  });

  it('refuses incomplete, repeated or unknown metrics', () => {
    for (const vector of [
      'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H',
      'CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
      'CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
      'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/ZZ:1',
      'CVSS:3.2/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
      'AV:N/AC:L/Au:N/C:P/I:P/A:P',
    ]) {
      assert.throws(() => cvssScore(vector), (error: unknown) => error instanceof VulnDbError && error.code === 'CVSS_INVALID', vector);
    }
  });
});

describe('CVSS v4.0', () => {
  const known: readonly (readonly [string, number])[] = [
    ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', 9.3],
    ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H', 10],
    ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N', 0],
    ['CVSS:4.0/AV:N/AC:L/AT:N/PR:H/UI:N/VC:L/VI:L/VA:N/SC:N/SI:N/SA:N', 5.1],
    ['CVSS:4.0/AV:N/AC:L/AT:N/PR:H/UI:N/VC:L/VI:L/VA:N/SC:N/SI:N/SA:N/E:U', 1.2],
    ['CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', 8.5],
    ['CVSS:4.0/AV:A/AC:L/AT:P/PR:N/UI:N/VC:H/VI:L/VA:L/SC:N/SI:N/SA:N', 6.1],
    ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:L/SC:N/SI:N/SA:N/E:A/MAV:A', 8.7],
    ['CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N/MSI:S', 4.1],
  ];
  // Unrounded x.x5 that floating point puts one ULP below the tie (reference issues #48, #66).
  const ties: readonly (readonly [string, number])[] = [
    ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:P/VC:H/VI:L/VA:N/SC:H/SI:H/SA:H', 8.6],
    ['CVSS:4.0/AV:N/AC:L/AT:P/PR:L/UI:A/VC:L/VI:L/VA:N/SC:N/SI:N/SA:N/E:U', 0.4],
    ['CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:H/VI:H/VA:N/SC:H/SI:H/SA:H/E:P', 9],
  ];

  for (const [vector, score] of [...known, ...ties]) {
    it(`${vector} = ${score}`, () => assert.equal(cvss4Score(vector), score));
  }

  it('refuses vectors out of order, incomplete or with bad values', () => {
    for (const vector of [
      'CVSS:4.0/AC:L/AV:N/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N',
      'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N',
      'CVSS:4.0/AV:F/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N',
      'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:A/E:X',
      'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:S/SA:N',
    ]) {
      assert.throws(() => cvssScore(vector), (error: unknown) => error instanceof VulnDbError && error.code === 'CVSS_INVALID', vector);
    }
  });
});

describe('CVSS bands', () => {
  it('maps scores to None, Low, Medium, High, Critical', () => {
    assert.deepEqual(
      [0, 0.1, 3.9, 4, 6.9, 7, 8.9, 9, 10].map(cvssRating),
      ['None', 'Low', 'Low', 'Medium', 'Medium', 'High', 'High', 'Critical', 'Critical'],
    );
  });

  it('reports the version it scored', () => {
    assert.deepEqual(cvssScore('CVSS:3.0/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H'), { version: '3.0', vector: 'CVSS:3.0/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H', score: 8.8 });
  });
});
