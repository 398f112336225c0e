import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluateAffected, type Comparator } from './osv-evaluate.ts';
import { parseOsvAffected } from './osv-record.ts';

/** A test double, not a version scheme: versions here are plain integers; anything else is incomparable. */
const integers: Comparator = (a, b) => {
  const [x, y] = [Number(a), Number(b)];
  if (!Number.isInteger(x) || !Number.isInteger(y)) throw new Error(`not an integer: ${Number.isInteger(x) ? b : a}`);
  return x < y ? -1 : x > y ? 1 : 0;
};
const entry = (ranges: unknown[], versions: string[] = []) => parseOsvAffected({ package: { ecosystem: 'Test', name: 'p' }, ranges, versions });
const range = (...events: object[]) => ({ type: 'ECOSYSTEM', events });
const evaluate = (entries: ReturnType<typeof entry>[], version: string) => evaluateAffected(entries, version, () => integers);
const affected = (entries: ReturnType<typeof entry>[], version: string) => evaluate(entries, version).kind === 'affected';

describe('OSV evaluation', () => {
  it('treats fixed as exclusive and last_affected as inclusive', () => {
    const fixed = [entry([range({ introduced: '0' }, { fixed: '10' })])];
    assert.deepEqual(['1', '9', '10', '11'].map((v) => affected(fixed, v)), [true, true, false, false]);
    const last = [entry([range({ introduced: '3' }, { last_affected: '10' })])];
    assert.deepEqual(['2', '3', '10', '11'].map((v) => affected(last, v)), [false, true, true, false]);
  });

  it('unites intervals, whatever order the events are listed in', () => {
    const ranges = [entry([range({ introduced: '30' }, { fixed: '35' }, { introduced: '10' }, { fixed: '12' })])];
    assert.deepEqual(['5', '10', '11', '12', '20', '30', '34', '35'].map((v) => affected(ranges, v)), [false, true, true, false, false, true, true, false]);
  });

  it('reports only the fixes above the version', () => {
    assert.deepEqual(evaluate([entry([range({ introduced: '0' }, { fixed: '12' }, { introduced: '20' }, { fixed: '25' })])], '21'), { kind: 'affected', fixed: ['25'] });
  });

  it('requires the version to be below a limit when there is one', () => {
    const limited = [entry([range({ introduced: '0' }, { limit: '5' })])];
    assert.deepEqual(['4', '5', '6'].map((v) => affected(limited, v)), [true, false, false]);
    assert.equal(affected([entry([range({ introduced: '0' }, { limit: '*' })])], '1000'), true);
  });

  it('matches versions[] exactly and leaves GIT ranges to it', () => {
    const git = { type: 'GIT', repo: 'https://example.com/r', events: [{ introduced: '0' }, { fixed: 'a'.repeat(40) }] };
    assert.equal(affected([entry([git], ['7'])], '7'), true);
    assert.equal(evaluate([entry([git], ['7'])], '8').kind, 'unaffected');
  });

  it('makes an incomparable range a finding of its own, unless another range matches', () => {
    const odd = entry([range({ introduced: '0' }, { fixed: 'x1' })]);
    assert.deepEqual(evaluate([odd], '5'), { kind: 'incomparable', reason: 'not an integer: x1', fixed: ['x1'] });
    assert.deepEqual(evaluate([odd, entry([range({ introduced: '0' }, { fixed: '9' })])], '5'), { kind: 'affected', fixed: ['9'] });
    assert.equal(evaluate([entry([range({ introduced: '0' })])], 'anything').kind, 'affected', 'introduced "0" needs no comparison');
  });

  it('says so when no comparator is known', () => {
    const result = evaluateAffected([entry([range({ introduced: '0' }, { fixed: '2' })])], '1', () => undefined);
    assert.deepEqual(result, { kind: 'incomparable', reason: 'no version scheme for ecosystem "Test"', fixed: ['2'] });
  });
});
