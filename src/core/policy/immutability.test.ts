import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isImmutable, validateImmutableRule, type ImmutableRule } from './immutability.ts';
import { PolicyError } from './policy-error.ts';
import type { Selector } from './selector.ts';

function sel(decoration: string, pattern: string, kind: Selector['kind'] = 'doublestar'): Selector {
  return { kind, decoration, pattern };
}

function rule(tags: readonly Selector[], repository: readonly Selector[] = [sel('repoMatches', '**')], disabled?: boolean): ImmutableRule {
  return { ...(disabled === undefined ? {} : { disabled }), tag_selectors: tags, scope_selectors: { repository } };
}

/** The example of harbor-trivy.md §4.2. */
function harborExample(): Record<string, unknown> {
  return {
    disabled: false,
    action: 'immutable',
    template: 'immutable_template',
    priority: 0,
    tag_selectors: [{ kind: 'doublestar', decoration: 'matches', pattern: 'v*' }],
    scope_selectors: { repository: [{ kind: 'doublestar', decoration: 'repoMatches', pattern: '**' }] },
  };
}

function assertRuleInvalid(value: unknown, fragment: string): void {
  assert.throws(
    () => validateImmutableRule(value),
    (err: unknown) => {
      assert.ok(err instanceof PolicyError, `not a PolicyError: ${String(err)}`);
      assert.equal(err.code, 'RULE_INVALID');
      assert.ok(err.message.includes(fragment), `message ${JSON.stringify(err.message)} lacks ${JSON.stringify(fragment)}`);
      return true;
    },
  );
}

describe('validateImmutableRule', () => {
  it('accepts the Harbor example and keeps only the known fields', () => {
    assert.deepEqual(validateImmutableRule({ ...harborExample(), id: 4 }), {
      id: 4,
      disabled: false,
      tag_selectors: [{ kind: 'doublestar', decoration: 'matches', pattern: 'v*' }],
      scope_selectors: { repository: [{ kind: 'doublestar', decoration: 'repoMatches', pattern: '**' }] },
    });
  });

  it('accepts a rule without template', () => {
    const { template: _template, ...rest } = harborExample();
    assert.equal(validateImmutableRule(rest).tag_selectors.length, 1);
  });

  it('rejects a wrong action or template', () => {
    assertRuleInvalid(null, 'rule: must be an object');
    assertRuleInvalid({ ...harborExample(), action: 'retain' }, 'rule.action: must be "immutable", got "retain"');
    const { action: _action, ...noAction } = harborExample();
    assertRuleInvalid(noAction, 'rule.action: must be "immutable", got nothing');
    assertRuleInvalid({ ...harborExample(), template: 'latestPushedK' }, 'rule.template: must be "immutable_template"');
  });

  it('rejects missing or malformed selectors', () => {
    assertRuleInvalid({ ...harborExample(), tag_selectors: [] }, 'rule.tag_selectors: needs at least 1 selector(s)');
    assertRuleInvalid({ ...harborExample(), scope_selectors: { repository: [] } }, 'rule.scope_selectors.repository: needs at least 1');
    assertRuleInvalid({ ...harborExample(), tag_selectors: [sel('repoMatches', 'v*')] }, 'rule.tag_selectors[0]: decoration of a tag selector');
    assertRuleInvalid(
      { ...harborExample(), scope_selectors: { repository: [sel('matches', '**')] } },
      'rule.scope_selectors.repository[0]: decoration of a repository selector',
    );
    assertRuleInvalid({ ...harborExample(), tag_selectors: [sel('matches', '(', 'regexp')] }, 'invalid regexp pattern "("');
    assertRuleInvalid({ ...harborExample(), disabled: 1 }, 'rule.disabled: must be a boolean');
  });

  it('refuses a second tag or repository selector, which Harbor would silently ignore', () => {
    assertRuleInvalid({ ...harborExample(), tag_selectors: [sel('matches', 'x*'), sel('matches', 'v*')] }, 'rule.tag_selectors: holds 2 selectors; a rule takes one (add a rule for each tag pattern)');
    assertRuleInvalid({ ...harborExample(), scope_selectors: { repository: [sel('repoMatches', 'a'), sel('repoMatches', 'b')] } }, 'rule.scope_selectors.repository: holds 2 selectors; a rule takes one');
  });
});

describe('isImmutable', () => {
  const releases = rule([sel('matches', 'v*')]);

  it('protects matching tags in every repository', () => {
    assert.equal(isImmutable([releases], 'app', 'v1.2.3'), true);
    assert.equal(isImmutable([releases], 'team/api', 'v2'), true);
    assert.equal(isImmutable([releases], 'app', 'latest'), false);
    assert.equal(isImmutable([releases], 'app', 'xv1'), false);
  });

  it('never protects an untagged artifact', () => {
    assert.equal(isImmutable([rule([sel('matches', '**')])], 'app', ''), false);
    assert.equal(isImmutable([rule([sel('matches', '')])], 'app', ''), false);
    assert.equal(isImmutable([rule([sel('excludes', 'v*')])], 'app', ''), false);
  });

  it('protects tags that do not match an excludes selector', () => {
    const notDev = rule([sel('excludes', 'dev-*')]);
    assert.equal(isImmutable([notDev], 'app', 'v1'), true);
    assert.equal(isImmutable([notDev], 'app', 'dev-42'), false);
  });

  it('honours repoMatches and repoExcludes on the repository without project', () => {
    const teamOnly = rule([sel('matches', '**')], [sel('repoMatches', 'team/*')]);
    assert.equal(isImmutable([teamOnly], 'team/api', 'v1'), true);
    assert.equal(isImmutable([teamOnly], 'team/api/sub', 'v1'), false);
    assert.equal(isImmutable([teamOnly], 'app', 'v1'), false);
    const notSandbox = rule([sel('matches', '**')], [sel('repoExcludes', 'sandbox/**')]);
    assert.equal(isImmutable([notSandbox], 'sandbox', 'v1'), false);
    assert.equal(isImmutable([notSandbox], 'sandbox/x/y', 'v1'), false);
    assert.equal(isImmutable([notSandbox], 'app', 'v1'), true);
  });

  it('ignores disabled rules and protects when any enabled rule matches', () => {
    assert.equal(isImmutable([rule([sel('matches', 'v*')], undefined, true)], 'app', 'v1'), false);
    assert.equal(isImmutable([], 'app', 'v1'), false);
    const rules = [rule([sel('matches', 'v*')], undefined, true), rule([sel('matches', 'latest')]), rule([sel('matches', 'v*')])];
    assert.equal(isImmutable(rules, 'app', 'v1'), true);
    assert.equal(isImmutable(rules, 'app', 'latest'), true);
    assert.equal(isImmutable(rules, 'app', 'edge'), false);
  });

  it('supports semver and regexp selectors', () => {
    const stable = rule([sel('matches', '>=1.2.0 <2', 'semver')]);
    assert.equal(isImmutable([stable], 'app', 'v1.4.0'), true);
    assert.equal(isImmutable([stable], 'app', '2.0.0'), false);
    assert.equal(isImmutable([stable], 'app', 'v1.4.0-rc.1'), false);
    const dated = rule([sel('matches', String.raw`\d{8}`, 'regexp')]);
    assert.equal(isImmutable([dated], 'app', '20250601'), true);
    assert.equal(isImmutable([dated], 'app', '20250601-1'), false);
  });
});
