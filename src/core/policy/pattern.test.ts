import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compilePattern, type PatternKind } from './pattern.ts';
import { PolicyError } from './policy-error.ts';

type Case = readonly [pattern: string, value: string, expected: boolean];

function check(kind: PatternKind, cases: readonly Case[]): void {
  for (const [pattern, value, expected] of cases) {
    it(`${JSON.stringify(pattern)} ${expected ? 'matches' : 'does not match'} ${JSON.stringify(value)}`, () => {
      assert.equal(compilePattern(kind, pattern)(value), expected);
    });
  }
}

function assertInvalid(kind: PatternKind, pattern: string): void {
  assert.throws(
    () => compilePattern(kind, pattern),
    (err: unknown) => err instanceof PolicyError && err.code === 'PATTERN_INVALID' && err.message.includes(JSON.stringify(pattern)),
  );
}

describe('compilePattern doublestar', () => {
  check('doublestar', [
    ['', 'anything/at/all', true],
    ['', '', true],
    ['v1.0', 'v1.0', true],
    ['v1.0', 'v1x0', false],
    ['v1.0', 'v1.0.1', false],
    ['v*', 'v1.2.3', true],
    ['v*', 'v', true],
    ['v*', 'xv1', false],
    ['v*', 'v1/2', false],
    ['*', 'library', true],
    ['*', 'library/nginx', false],
    ['*', '', true],
    ['library/*', 'library/nginx', true],
    ['library/*', 'library/nginx/extra', false],
    ['**', '', true],
    ['**', 'a/b/c', true],
    ['sandbox/**', 'sandbox', true],
    ['sandbox/**', 'sandbox/a', true],
    ['sandbox/**', 'sandbox/a/b', true],
    ['sandbox/**', 'sandboxes/a', false],
    ['sandbox/**', 'other/sandbox/a', false],
    ['**/nginx', 'nginx', true],
    ['**/nginx', 'a/b/nginx', true],
    ['**/nginx', 'a/b/nginx-x', false],
    ['a/**/b', 'a/b', true],
    ['a/**/b', 'a/x/b', true],
    ['a/**/b', 'a/x/y/b', true],
    ['a/**/b', 'a/x/y/c', false],
    ['a/**/b', 'ab', false],
    ['a**b', 'axxb', true],
    ['a**b', 'ax/xb', false],
    ['a/**/*.go', 'a/d.go', true],
    ['a/**/*.go', 'a/b/c/d.go', true],
    ['?', 'a', true],
    ['?', '', false],
    ['?', '/', false],
    ['v?.?', 'v1.2', true],
    ['v?.?', 'v1.22', false],
    ['{latest,stable}', 'latest', true],
    ['{latest,stable}', 'stable', true],
    ['{latest,stable}', 'edge', false],
    ['{latest,stable}', 'latest,stable', false],
    ['{v1.*,release-{a,b}}', 'v1.9', true],
    ['{v1.*,release-{a,b}}', 'release-b', true],
    ['{v1.*,release-{a,b}}', 'release-c', false],
    ['{,x}y', 'y', true],
    ['a,b', 'a,b', true],
    ['a}', 'a}', true],
    ['[abc]', 'b', true],
    ['[abc]', 'd', false],
    ['[a-c]x', 'bx', true],
    ['[a-c]x', 'dx', false],
    ['[!abc]', 'd', true],
    ['[!abc]', 'a', false],
    ['[^abc]', 'a', false],
    ['[!abc]', '/', false],
    ['[a/]', '/', false],
    ['[-a]', '-', true],
    ['[a-]', '-', true],
    ['[\\]]', ']', true],
    ['[*?]', '*', true],
    ['[*?]', 'x', false],
    ['\\*', '*', true],
    ['\\*', 'x', false],
    ['\\{a,b\\}', '{a,b}', true],
    ['a.b+c(d)|e$^', 'a.b+c(d)|e$^', true],
    ['a.b', 'axb', false],
    ['ü*', 'ünïcode', true],
  ]);

  it('rejects malformed patterns with PATTERN_INVALID', () => {
    for (const pattern of ['[abc', '[]', '[!]', '{a,b', 'a{b{c}', 'abc\\', '[z-a]']) assertInvalid('doublestar', pattern);
  });
});

describe('compilePattern regexp', () => {
  check('regexp', [
    ['', 'anything', true],
    ['v\\d+\\.\\d+', 'v1.22', true],
    ['v\\d+\\.\\d+', 'v1.22-rc', false],
    ['v\\d+\\.\\d+', 'xv1.22', false],
    ['latest|stable', 'stable', true],
    ['latest|stable', 'latest-stable', false],
    ['latest|stable', 'stablex', false],
    ['release-(a|b)', 'release-b', true],
    ['.*', 'a/b/c', true],
    ['[a-z]+/[a-z]+', 'library/nginx', true],
  ]);

  it('rejects invalid expressions and anchor-escaping ones', () => {
    for (const pattern of ['(', 'a)|(b', '[', '*', 'a{2,1}', '\\-']) assertInvalid('regexp', pattern);
  });
});

describe('compilePattern semver', () => {
  check('semver', [
    ['>=1.2.0 <2', '1.2.0', true],
    ['>=1.2.0 <2', 'v1.2.0', true],
    ['>=1.2.0 <2', '1.9.9', true],
    ['>=1.2.0 <2', '1.1.9', false],
    ['>=1.2.0 <2', '2.0.0', false],
    ['>=1.2.0 <2', '1.5.0-rc.1', false],
    ['>=1.2.0 <2', '1.5', false],
    ['>=1.2.0 <2', 'latest', false],
    ['>=1.2.0 <2', '', false],
    ['^1.4', '1.4.7', true],
    ['^1.4', '1.3.0', false],
    ['~2.1.0', '2.1.9', true],
    ['1.x || >=3.0.0-rc.1 <3.1', '3.0.0-rc.2', true],
    ['1.x || >=3.0.0-rc.1 <3.1', '1.0.5', true],
    ['1.x || >=3.0.0-rc.1 <3.1', '2.0.0', false],
    ['>=1.0.0', '1.4.2-a1b2c3d', false],
    ['>=1.0.0-0', '1.4.2-a1b2c3d', true],
    ['>=1.0.0-0', '0.9.0-rc.1', false],
    ['1.0.0 - 2.0.0', '1.5.0-rc.1', false],
    ['', 'not-a-version', true],
  ]);

  it('rejects a range that does not parse', () => {
    for (const pattern of ['>=x.y', 'not a range', '1.2.3.4', 'latest']) assertInvalid('semver', pattern);
  });
});
