import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PolicyError } from './policy-error.ts';
import { compileArtifactSelector, compileScope, parseUntagged, validateSelector, type Selector } from './selector.ts';

function tag(decoration: string, pattern: string, extras?: string): Selector {
  return { kind: 'doublestar', decoration, pattern, ...(extras === undefined ? {} : { extras }) };
}

function assertRuleInvalid(fn: () => unknown, fragment: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof PolicyError, `not a PolicyError: ${String(err)}`);
    assert.equal(err.code, 'RULE_INVALID');
    assert.ok(err.message.includes(fragment), `message ${JSON.stringify(err.message)} lacks ${JSON.stringify(fragment)}`);
    return true;
  });
}

describe('compileArtifactSelector', () => {
  const cases: readonly [Selector, readonly string[], boolean][] = [
    [tag('matches', 'v*'), ['v1'], true],
    [tag('matches', 'v*'), ['latest', 'v1'], true],
    [tag('matches', 'v*'), ['latest'], false],
    [tag('matches', 'v*'), [], true],
    [tag('matches', 'v*', '{"untagged":true}'), [], true],
    [tag('matches', 'v*', '{"untagged":false}'), [], false],
    [tag('matches', 'v*', ''), [], true],
    [tag('excludes', 'tmp-*'), ['tmp-1'], false],
    [tag('excludes', 'tmp-*'), ['tmp-1', 'v1'], true],
    [tag('excludes', 'tmp-*'), ['v1'], true],
    [tag('excludes', 'tmp-*'), [], true],
    [tag('excludes', 'tmp-*', '{"untagged":false}'), [], true],
    [tag('excludes', 'tmp-*', '{"untagged":true}'), [], false],
    [tag('excludes', 'tmp-*', '{"untagged":true}'), ['v1'], true],
  ];
  for (const [selector, tags, expected] of cases) {
    it(`${selector.decoration} ${selector.pattern} ${selector.extras ?? '(no extras)'} on [${tags.join(',')}] → ${expected}`, () => {
      assert.equal(compileArtifactSelector(selector)(tags), expected);
    });
  }

  it('refuses an unknown decoration instead of guessing', () => {
    assertRuleInvalid(() => compileArtifactSelector(tag('repoMatches', 'v*')), 'unknown decoration "repoMatches"');
  });
});

describe('compileScope', () => {
  it('matches every repository without selectors', () => {
    assert.equal(compileScope([])('any/thing'), true);
  });

  it('applies repoMatches and repoExcludes, all selectors together', () => {
    const scope = compileScope([tag('repoMatches', 'team/**'), tag('repoExcludes', '**/tmp')]);
    assert.equal(scope('team/app'), true);
    assert.equal(scope('team/a/b'), true);
    assert.equal(scope('team/tmp'), false);
    assert.equal(scope('other/app'), false);
  });
});

describe('parseUntagged', () => {
  it('reads the flag, treating absent and empty as unset', () => {
    assert.equal(parseUntagged(undefined, 'x'), undefined);
    assert.equal(parseUntagged('', 'x'), undefined);
    assert.equal(parseUntagged('{}', 'x'), undefined);
    assert.equal(parseUntagged('{"untagged":false}', 'x'), false);
    assert.equal(parseUntagged(' { "untagged" : true } ', 'x'), true);
  });

  it('rejects anything else', () => {
    assertRuleInvalid(() => parseUntagged('untagged', 'sel'), 'sel: extras must be a JSON string');
    assertRuleInvalid(() => parseUntagged('[true]', 'sel'), 'extras must encode a JSON object');
    assertRuleInvalid(() => parseUntagged('{"untagged":"yes"}', 'sel'), 'extras.untagged must be a boolean, got "yes"');
    assertRuleInvalid(() => parseUntagged('{"untaged":true}', 'sel'), 'extras has unknown key "untaged"');
  });
});

describe('validateSelector', () => {
  it('returns a copy with only the known fields', () => {
    const input = { kind: 'doublestar', decoration: 'matches', pattern: 'v*', extras: '{"untagged":false}', other: 1 };
    assert.deepEqual(validateSelector(input, 's', 'tag'), {
      kind: 'doublestar',
      decoration: 'matches',
      pattern: 'v*',
      extras: '{"untagged":false}',
    });
    assert.deepEqual(validateSelector({ kind: 'semver', decoration: 'repoExcludes', pattern: '' }, 's', 'repository'), {
      kind: 'semver',
      decoration: 'repoExcludes',
      pattern: '',
    });
  });

  it('names the field that is wrong', () => {
    const base = { kind: 'doublestar', decoration: 'matches', pattern: 'v*' };
    assertRuleInvalid(() => validateSelector(null, 'sel', 'tag'), 'sel: selector must be an object');
    assertRuleInvalid(() => validateSelector({ ...base, kind: 'glob' }, 'sel', 'tag'), 'kind must be one of doublestar, regexp, semver, got "glob"');
    assertRuleInvalid(() => validateSelector({ ...base, decoration: 'repoMatches' }, 'sel', 'tag'), 'must be "matches" or "excludes"');
    assertRuleInvalid(() => validateSelector(base, 'sel', 'repository'), 'must be "repoMatches" or "repoExcludes", got "matches"');
    assertRuleInvalid(() => validateSelector({ ...base, pattern: 3 }, 'sel', 'tag'), 'pattern must be a string');
    assertRuleInvalid(() => validateSelector({ ...base, extras: { untagged: true } }, 'sel', 'tag'), 'extras must be a JSON string');
  });

  it('reports a pattern that does not compile as RULE_INVALID caused by PATTERN_INVALID', () => {
    assert.throws(
      () => validateSelector({ kind: 'regexp', decoration: 'matches', pattern: 'v(' }, 'sel', 'tag'),
      (err: unknown) =>
        err instanceof PolicyError &&
        err.code === 'RULE_INVALID' &&
        err.message.startsWith('sel: invalid regexp pattern "v("') &&
        err.cause instanceof PolicyError &&
        err.cause.code === 'PATTERN_INVALID',
    );
  });
});
