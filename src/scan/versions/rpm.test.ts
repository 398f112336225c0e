import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Order } from './order.ts';
import { compareRpm, parseRpm, rpmvercmp } from './rpm.ts';
import { VersionError } from './version-error.ts';

/** rpm's own vectors: tests/rpmvercmp.at (rpm a8f0192a), the enabled RPMVERCMP(a, b, expected) rows. */
const RPMVERCMP_AT: readonly (readonly [string, string, Order])[] = [
  ['1.0', '1.0', 0], ['1.0', '2.0', -1], ['2.0', '1.0', 1], ['2.0.1', '2.0.1', 0],
  ['2.0', '2.0.1', -1], ['2.0.1', '2.0', 1], ['2.0.1a', '2.0.1a', 0], ['2.0.1a', '2.0.1', 1],
  ['2.0.1', '2.0.1a', -1], ['5.5p1', '5.5p1', 0], ['5.5p1', '5.5p2', -1], ['5.5p2', '5.5p1', 1],
  ['5.5p10', '5.5p10', 0], ['5.5p1', '5.5p10', -1], ['5.5p10', '5.5p1', 1], ['10xyz', '10.1xyz', -1],
  ['10.1xyz', '10xyz', 1], ['xyz10', 'xyz10', 0], ['xyz10', 'xyz10.1', -1], ['xyz10.1', 'xyz10', 1],
  ['xyz.4', 'xyz.4', 0], ['xyz.4', '8', -1], ['8', 'xyz.4', 1], ['xyz.4', '2', -1],
  ['2', 'xyz.4', 1], ['5.5p2', '5.6p1', -1], ['5.6p1', '5.5p2', 1], ['5.6p1', '6.5p1', -1],
  ['6.5p1', '5.6p1', 1], ['6.0.rc1', '6.0', 1], ['6.0', '6.0.rc1', -1], ['10b2', '10a1', 1],
  ['10a2', '10b2', -1], ['1.0aa', '1.0aa', 0], ['1.0a', '1.0aa', -1], ['1.0aa', '1.0a', 1],
  ['10.0001', '10.0001', 0], ['10.0001', '10.1', 0], ['10.1', '10.0001', 0], ['10.0001', '10.0039', -1],
  ['10.0039', '10.0001', 1], ['4.999.9', '5.0', -1], ['5.0', '4.999.9', 1], ['20101121', '20101121', 0],
  ['20101121', '20101122', -1], ['20101122', '20101121', 1], ['2_0', '2_0', 0], ['2.0', '2_0', 0],
  ['2_0', '2.0', 0], ['a', 'a', 0], ['a+', 'a+', 0], ['a+', 'a_', 0],
  ['a_', 'a+', 0], ['+a', '+a', 0], ['+a', '_a', 0], ['_a', '+a', 0],
  ['+_', '+_', 0], ['_+', '+_', 0], ['_+', '_+', 0], ['+', '_', 0],
  ['_', '+', 0], ['1.0~rc1', '1.0~rc1', 0], ['1.0~rc1', '1.0', -1], ['1.0', '1.0~rc1', 1],
  ['1.0~rc1', '1.0~rc2', -1], ['1.0~rc2', '1.0~rc1', 1], ['1.0~rc1~git123', '1.0~rc1~git123', 0], ['1.0~rc1~git123', '1.0~rc1', -1],
  ['1.0~rc1', '1.0~rc1~git123', 1], ['1.0^', '1.0^', 0], ['1.0^', '1.0', 1], ['1.0', '1.0^', -1],
  ['1.0^git1', '1.0^git1', 0], ['1.0^git1', '1.0', 1], ['1.0', '1.0^git1', -1], ['1.0^git1', '1.0^git2', -1],
  ['1.0^git2', '1.0^git1', 1], ['1.0^git1', '1.01', -1], ['1.01', '1.0^git1', 1], ['1.0^20160101', '1.0^20160101', 0],
  ['1.0^20160101', '1.0.1', -1], ['1.0.1', '1.0^20160101', 1], ['1.0^20160101^git1', '1.0^20160101^git1', 0], ['1.0^20160102', '1.0^20160101^git1', 1],
  ['1.0^20160101^git1', '1.0^20160102', -1], ['1.0~rc1^git1', '1.0~rc1^git1', 0], ['1.0~rc1^git1', '1.0~rc1', 1], ['1.0~rc1', '1.0~rc1^git1', -1],
  ['1.0^git1~pre', '1.0^git1~pre', 0], ['1.0^git1', '1.0^git1~pre', 1], ['1.0^git1~pre', '1.0^git1', -1],
];

function failures(rows: readonly (readonly [string, string, Order])[], compare: (a: string, b: string) => Order): string[] {
  return rows.flatMap(([a, b, expected]) => {
    const got = compare(a, b);
    return got === expected ? [] : [`${a} vs ${b}: expected ${expected}, got ${got}`];
  });
}

describe('rpmvercmp', () => {
  it(`passes rpm's tests/rpmvercmp.at (${RPMVERCMP_AT.length} rows)`, () => {
    assert.deepEqual(failures(RPMVERCMP_AT, rpmvercmp), []);
    assert.deepEqual(failures(RPMVERCMP_AT, compareRpm), []);
  });

  it('follows the sbom-vuln.md §5 rules', () => {
    const rows: readonly (readonly [string, string, Order])[] = [
      ['1.0~rc1', '1.0', -1], ['1.0', '1.0^git1', -1], ['1.0^git1', '1.0.1', -1], ['1.0a', '1.0.1', -1],
      ['2.1', '2.10', -1], ['1.0', '1_0', 0], ['1.0~rc1', '1.0~rc1~git', 1], ['1.0~', '1.0', -1],
      ['1.010', '1.10', 0], ['a', '1', -1], ['1.0', '1.0.0', -1], ['99999999999999999999', '99999999999999999998', 1],
    ];
    assert.deepEqual(failures(rows, rpmvercmp), []);
  });
});

describe('compareRpm (EVR)', () => {
  it('compares epoch, then version, then release', () => {
    const rows: readonly (readonly [string, string, Order])[] = [
      ['1:1.0-1', '2.0-1', 1], ['0:1.0-1', '1.0-1', 0], [':1.0-1', '1.0-1', 0], ['2:1.0', '10:0.1', -1],
      ['1.0-1.el9', '1.0-2.el9', -1], ['1.0-1.el9_2', '1.0-1.el9', 1], ['3.0.7-24.el9', '3.0.7-6.el9_2', 1],
      ['1.0', '1.0-1', -1], ['1.0-1', '1.0', 1], ['1.2.3-4-5', '1.2.3-4-10', -1],
    ];
    assert.deepEqual(failures(rows, compareRpm), []);
  });

  it('parses like parseEVR', () => {
    assert.deepEqual(parseRpm('1:2.3-4.el9'), { epoch: '1', version: '2.3', release: '4.el9' });
    assert.deepEqual(parseRpm('2.3'), { epoch: undefined, version: '2.3', release: undefined });
    assert.deepEqual(parseRpm('a:2.3-1-2'), { epoch: undefined, version: 'a:2.3-1', release: '2' });
    assert.throws(() => compareRpm('', '1'), (err: unknown) => err instanceof VersionError && err.code === 'VERSION_INVALID');
  });
});
