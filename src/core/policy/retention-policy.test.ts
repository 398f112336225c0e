import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PolicyError } from './policy-error.ts';
import { validateRetentionPolicy } from './retention.ts';

/** The example of harbor-trivy.md §4.1, as Harbor's API accepts it. */
function harborExample(): Record<string, unknown> {
  return {
    algorithm: 'or',
    scope: { level: 'project', ref: 7 },
    trigger: { kind: 'Schedule', settings: { cron: '0 0 0 * * *' }, references: {} },
    rules: [
      {
        disabled: false,
        action: 'retain',
        template: 'latestPushedK',
        params: { latestPushedK: 10 },
        tag_selectors: [{ kind: 'doublestar', decoration: 'matches', pattern: 'v*', extras: '{"untagged":false}' }],
        scope_selectors: { repository: [{ kind: 'doublestar', decoration: 'repoMatches', pattern: '**' }] },
      },
      {
        disabled: false,
        action: 'retain',
        template: 'nDaysSinceLastPull',
        params: { nDaysSinceLastPull: 30 },
        tag_selectors: [{ kind: 'doublestar', decoration: 'excludes', pattern: 'tmp-*' }],
        scope_selectors: { repository: [{ kind: 'doublestar', decoration: 'repoExcludes', pattern: 'sandbox/**' }] },
      },
    ],
  };
}

function ruleWith(overrides: Record<string, unknown>): Record<string, unknown> {
  return {
    action: 'retain',
    template: 'always',
    params: {},
    tag_selectors: [{ kind: 'doublestar', decoration: 'matches', pattern: '**' }],
    scope_selectors: { repository: [{ kind: 'doublestar', decoration: 'repoMatches', pattern: '**' }] },
    ...overrides,
  };
}

function withRules(...rules: readonly unknown[]): Record<string, unknown> {
  return { algorithm: 'or', rules };
}

function assertRuleInvalid(value: unknown, fragment: string): void {
  assert.throws(
    () => validateRetentionPolicy(value),
    (err: unknown) => {
      assert.ok(err instanceof PolicyError, `not a PolicyError: ${String(err)}`);
      assert.equal(err.code, 'RULE_INVALID');
      assert.ok(err.message.includes(fragment), `message ${JSON.stringify(err.message)} lacks ${JSON.stringify(fragment)}`);
      return true;
    },
  );
}

describe('validateRetentionPolicy accepts', () => {
  it('the Harbor example, keeping only the known fields', () => {
    const example = harborExample();
    const policy = validateRetentionPolicy(example);
    assert.deepEqual(policy, {
      algorithm: 'or',
      trigger: { kind: 'Schedule', settings: { cron: '0 0 0 * * *' } },
      rules: (example['rules'] as Record<string, unknown>[]).map((rule) => ({ ...rule })),
    });
  });

  it('every template with its boundary parameters', () => {
    const cases: readonly [string, Record<string, number>][] = [
      ['latestPushedK', { latestPushedK: 0 }],
      ['latestPushedK', { latestPushedK: 32766 }],
      ['latestPulledN', { latestPulledN: 32766 }],
      ['latestActiveK', { latestActiveK: 5 }],
      ['nDaysSinceLastPush', { nDaysSinceLastPush: 20190904 }],
      ['nDaysSinceLastPull', { nDaysSinceLastPull: 0 }],
      ['always', {}],
      ['nothing', {}],
    ];
    for (const [template, params] of cases) {
      const policy = validateRetentionPolicy(withRules(ruleWith({ template, params, id: 3 })));
      assert.deepEqual(policy.rules[0]?.params, params);
      assert.equal(policy.rules[0]?.id, 3);
    }
  });

  it('missing params for always, no trigger, an empty cron, no rules, empty selector lists', () => {
    const { params: _params, ...noParams } = ruleWith({});
    assert.deepEqual(validateRetentionPolicy(withRules(noParams)).rules[0]?.params, {});
    assert.equal('trigger' in validateRetentionPolicy(withRules()), false);
    const manual = { ...withRules(), trigger: { kind: 'Schedule', settings: { cron: '' } } };
    assert.deepEqual(validateRetentionPolicy(manual).trigger, { kind: 'Schedule', settings: { cron: '' } });
    const open = ruleWith({ tag_selectors: [], scope_selectors: { repository: [] } });
    assert.deepEqual(validateRetentionPolicy(withRules(open)).rules[0]?.tag_selectors, []);
  });

  it('exactly 15 rules, and rules that differ only in disabled', () => {
    const rules = Array.from({ length: 15 }, (_, i) => ruleWith({ template: 'latestPushedK', params: { latestPushedK: i } }));
    assert.equal(validateRetentionPolicy(withRules(...rules)).rules.length, 15);
    assert.equal(validateRetentionPolicy(withRules(ruleWith({}), ruleWith({ disabled: true }))).rules.length, 2);
  });

  it('regexp and semver selectors', () => {
    const tags = [
      { kind: 'regexp', decoration: 'matches', pattern: String.raw`v\d+` },
      { kind: 'semver', decoration: 'excludes', pattern: '>=1.2.0 <2', extras: '{"untagged":true}' },
    ];
    assert.deepEqual(validateRetentionPolicy(withRules(ruleWith({ tag_selectors: tags }))).rules[0]?.tag_selectors, tags);
  });
});

describe('validateRetentionPolicy rejects', () => {
  it('a policy that is not an object or has the wrong algorithm or rules', () => {
    assertRuleInvalid(null, 'policy: must be an object');
    assertRuleInvalid({ ...harborExample(), algorithm: 'and' }, 'algorithm: must be "or", got "and"');
    assertRuleInvalid({ algorithm: 'or' }, 'rules: must be an array, got nothing');
    assertRuleInvalid(withRules('rule'), 'rules[0]: rule must be an object');
  });

  it('more than 15 rules', () => {
    const rules = Array.from({ length: 16 }, (_, i) => ruleWith({ template: 'latestPushedK', params: { latestPushedK: i } }));
    assertRuleInvalid(withRules(...rules), 'rules: at most 15 rules are allowed, got 16');
  });

  it('identical rules, even with different ids or extras spacing', () => {
    assertRuleInvalid(withRules(ruleWith({}), ruleWith({})), 'rules[1]: duplicate rule: identical to rules[0]');
    assertRuleInvalid(withRules(ruleWith({ id: 1 }), ruleWith({ id: 2 })), 'duplicate rule');
    const a = ruleWith({ tag_selectors: [{ kind: 'doublestar', decoration: 'matches', pattern: 'v*', extras: '{"untagged":true}' }] });
    const b = ruleWith({ tag_selectors: [{ kind: 'doublestar', decoration: 'matches', pattern: 'v*', extras: '{ "untagged": true }' }] });
    assertRuleInvalid(withRules(ruleWith({ disabled: false }), a, b), 'rules[2]: duplicate rule: identical to rules[1]');
  });

  it('an action other than retain and an unknown template', () => {
    assertRuleInvalid(withRules(ruleWith({ action: 'delete' })), 'rules[0].action: must be "retain", got "delete"');
    assertRuleInvalid(withRules(ruleWith({ template: 'lastXDays' })), 'rules[0].template: must be one of latestPushedK,');
  });

  it('parameters with the wrong key, type or range', () => {
    const cases: readonly [string, unknown, string][] = [
      ['latestPushedK', { latestPushedK: 32767 }, 'rules[0].params.latestPushedK: must be an integer in 0..32766, got 32767'],
      ['latestPulledN', { latestPulledN: -1 }, 'must be an integer in 0..32766, got -1'],
      ['latestActiveK', { latestActiveK: 1.5 }, 'got 1.5'],
      ['nDaysSinceLastPush', { nDaysSinceLastPush: 20190905 }, 'must be an integer in 0..20190904, got 20190905'],
      ['nDaysSinceLastPull', { nDaysSinceLastPull: '30' }, 'got "30"'],
      ['latestPushedK', {}, 'rules[0].params.latestPushedK: must be an integer in 0..32766, got nothing'],
      ['latestPushedK', { latestPulledN: 3 }, 'rules[0].params: unexpected key "latestPulledN": the only key is "latestPushedK"'],
      ['latestPushedK', { latestPushedK: 3, extra: 1 }, 'unexpected key "extra"'],
      ['always', { always: 1 }, 'rules[0].params: unexpected key "always": always takes no parameters'],
      ['nothing', [], 'rules[0].params: must be an object'],
    ];
    for (const [template, params, fragment] of cases) assertRuleInvalid(withRules(ruleWith({ template, params })), fragment);
  });

  it('malformed selectors, naming the selector', () => {
    const tag = (s: Record<string, unknown>): unknown => withRules(ruleWith({ tag_selectors: [{ kind: 'doublestar', decoration: 'matches', pattern: '', ...s }] }));
    const repo = (s: Record<string, unknown>): unknown =>
      withRules(ruleWith({ scope_selectors: { repository: [{ kind: 'doublestar', decoration: 'repoMatches', pattern: '', ...s }] } }));
    assertRuleInvalid(tag({ kind: 'glob' }), 'rules[0].tag_selectors[0]: kind must be one of doublestar, regexp, semver');
    assertRuleInvalid(tag({ decoration: 'repoMatches' }), 'rules[0].tag_selectors[0]: decoration of a tag selector must be "matches" or "excludes"');
    assertRuleInvalid(repo({ decoration: 'excludes' }), 'rules[0].scope_selectors.repository[0]: decoration of a repository selector must be "repoMatches" or "repoExcludes"');
    assertRuleInvalid(tag({ extras: '{untagged:true}' }), 'rules[0].tag_selectors[0]: extras must be a JSON string');
    assertRuleInvalid(tag({ extras: '{"untagged":1}' }), 'extras.untagged must be a boolean, got 1');
    assertRuleInvalid(tag({ pattern: '[abc' }), 'rules[0].tag_selectors[0]: invalid doublestar pattern "[abc"');
    assertRuleInvalid(tag({ kind: 'regexp', pattern: '(' }), 'invalid regexp pattern "("');
    assertRuleInvalid(repo({ kind: 'semver', pattern: 'not a range' }), 'invalid semver pattern "not a range"');
    assertRuleInvalid(withRules(ruleWith({ tag_selectors: {} })), 'rules[0].tag_selectors: must be an array of selectors');
    assertRuleInvalid(withRules(ruleWith({ scope_selectors: undefined })), 'rules[0].scope_selectors: must be an object');
    assertRuleInvalid(withRules(ruleWith({ scope_selectors: { repository: [], tag: [] } })), 'only "repository" is supported, got "tag"');
  });

  it('a bad id, disabled flag or trigger', () => {
    assertRuleInvalid(withRules(ruleWith({ id: -1 })), 'rules[0].id: must be a non-negative integer');
    assertRuleInvalid(withRules(ruleWith({ disabled: 'no' })), 'rules[0].disabled: must be a boolean');
    assertRuleInvalid({ ...withRules(), trigger: { kind: 'Event' } }, 'trigger.kind: must be "Schedule", got "Event"');
    assertRuleInvalid({ ...withRules(), trigger: { kind: 'Schedule', settings: { cron: '0 0 * * *' } } }, 'trigger.settings.cron: must be empty or a 6-field cron');
    assertRuleInvalid({ ...withRules(), trigger: 'nightly' }, 'trigger: must be an object');
  });
});
