import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PolicyError } from './policy-error.ts';
import {
  KEPT_IMMUTABLE,
  NO_RULE_APPLIES,
  NO_RULE_RETAINS,
  evaluateRetention,
  type Candidate,
  type Decision,
  type RetentionPolicy,
  type RetentionRule,
  type RetentionTemplate,
  type Selector,
} from './retention.ts';

const DAY = 86_400_000;
const NOW = Date.UTC(2025, 5, 1, 12);
const daysAgo = (n: number): number => NOW - n * DAY;

function artifact(id: string, tags: readonly string[], pushed: number, pulled: number | null, repository = 'app'): Candidate {
  return { repository, digest: `sha256:${id}`, tags, pushedAt: daysAgo(pushed), pulledAt: pulled === null ? null : daysAgo(pulled) };
}

/** Repository `app`: five tagged artifacts and two untagged ones, pushed and pulled at known times. */
const APP: readonly Candidate[] = [
  artifact('a1', ['v1.0.0'], 50, 1),
  artifact('a2', ['v1.1.0'], 40, null),
  artifact('a3', ['stable', 'v1.2.0'], 30, 20),
  artifact('a4', ['v1.3.0'], 10, 5),
  artifact('a5', ['dev-123'], 2, null),
  artifact('u1', [], 3, null),
  artifact('u2', [], 60, 2),
];

function sel(decoration: string, pattern: string, extras?: string, kind: Selector['kind'] = 'doublestar'): Selector {
  return { kind, decoration, pattern, ...(extras === undefined ? {} : { extras }) };
}

const TAGGED_ONLY = '{"untagged":false}';

function rule(
  template: RetentionTemplate,
  n: number | null,
  tagSelectors: readonly Selector[] = [sel('matches', '**')],
  repository: readonly Selector[] = [sel('repoMatches', '**')],
): RetentionRule {
  const params = n === null ? {} : { [template]: n };
  return { action: 'retain', template, params, tag_selectors: tagSelectors, scope_selectors: { repository } };
}

function policy(...rules: readonly RetentionRule[]): RetentionPolicy {
  return { algorithm: 'or', rules };
}

function run(p: RetentionPolicy, candidates: readonly Candidate[] = APP): Decision[] {
  return evaluateRetention(p, candidates, NOW);
}

/** Short ids (`a4`) of the artifacts with the given action, in output order. */
function ids(decisions: readonly Decision[], action: Decision['action'] = 'retain'): string[] {
  return decisions.filter((d) => d.action === action).map((d) => d.digest.slice('sha256:'.length));
}

describe('evaluateRetention templates', () => {
  it('latestPushedK=2 on v* (tagged only) keeps exactly the two newest v* artifacts', () => {
    const decisions = run(policy(rule('latestPushedK', 2, [sel('matches', 'v*', TAGGED_ONLY)])));
    const retain = 'rule 1 latestPushedK=2';
    assert.deepEqual(decisions, [
      { repository: 'app', digest: 'sha256:a5', tags: ['dev-123'], action: 'delete', reason: NO_RULE_RETAINS },
      { repository: 'app', digest: 'sha256:u1', tags: [], action: 'delete', reason: NO_RULE_RETAINS },
      { repository: 'app', digest: 'sha256:a4', tags: ['v1.3.0'], action: 'retain', reason: retain },
      { repository: 'app', digest: 'sha256:a3', tags: ['stable', 'v1.2.0'], action: 'retain', reason: retain },
      { repository: 'app', digest: 'sha256:a2', tags: ['v1.1.0'], action: 'delete', reason: NO_RULE_RETAINS },
      { repository: 'app', digest: 'sha256:a1', tags: ['v1.0.0'], action: 'delete', reason: NO_RULE_RETAINS },
      { repository: 'app', digest: 'sha256:u2', tags: [], action: 'delete', reason: NO_RULE_RETAINS },
    ]);
  });

  it('matches selects untagged artifacts by default, so they compete for the k slots', () => {
    assert.deepEqual(ids(run(policy(rule('latestPushedK', 2, [sel('matches', 'v*')])))), ['u1', 'a4']);
  });

  it('latestPushedK=0 keeps nothing', () => {
    assert.deepEqual(ids(run(policy(rule('latestPushedK', 0)))), []);
  });

  it('latestPulledN keeps the most recently pulled, never-pulled last and ordered by digest', () => {
    assert.deepEqual(ids(run(policy(rule('latestPulledN', 3)))), ['a4', 'a1', 'u2']);
    assert.deepEqual(ids(run(policy(rule('latestPulledN', 6)))), ['a5', 'a4', 'a3', 'a2', 'a1', 'u2']);
    assert.deepEqual(ids(run(policy(rule('latestPulledN', 6))), 'delete'), ['u1']);
  });

  it('nDaysSinceLastPush keeps artifacts pushed within n days, boundary included', () => {
    assert.deepEqual(ids(run(policy(rule('nDaysSinceLastPush', 10)))), ['a5', 'u1', 'a4']);
    assert.deepEqual(ids(run(policy(rule('nDaysSinceLastPush', 0)))), []);
  });

  it('nDaysSinceLastPull keeps artifacts pulled within n days and never the unpulled', () => {
    assert.deepEqual(ids(run(policy(rule('nDaysSinceLastPull', 5)))), ['a4', 'a1', 'u2']);
    assert.deepEqual(ids(run(policy(rule('nDaysSinceLastPull', 20190904)))), ['a4', 'a3', 'a1', 'u2']);
  });

  it('latestActiveK ranks by the later of push and pull, ties by digest', () => {
    // Activity: a1 1 day ago, a5 and u2 2 days ago (tie, a5 < u2), u1 3 days ago.
    assert.deepEqual(ids(run(policy(rule('latestActiveK', 3)))), ['a5', 'a1', 'u2']);
  });

  it('always keeps every selected artifact and nothing keeps none', () => {
    const always = run(policy(rule('always', null)));
    assert.deepEqual(ids(always), ['a5', 'u1', 'a4', 'a3', 'a2', 'a1', 'u2']);
    assert.ok(always.every((d) => d.reason === 'rule 1 always'));
    assert.deepEqual(ids(run(policy(rule('nothing', null))), 'delete'), ['a5', 'u1', 'a4', 'a3', 'a2', 'a1', 'u2']);
  });

  it('breaks ties deterministically by digest whatever the input order', () => {
    const twins = [artifact('ff', ['v2'], 1, null), artifact('0a', ['v1'], 1, null), artifact('77', ['v3'], 1, null)];
    for (const input of [twins, [...twins].reverse()]) {
      const decisions = run(policy(rule('latestPushedK', 2)), input);
      assert.deepEqual(ids(decisions), ['0a', '77']);
      assert.deepEqual(decisions.map((d) => d.digest), ['sha256:0a', 'sha256:77', 'sha256:ff']);
    }
  });
});

describe('evaluateRetention selectors and rules', () => {
  it('retains the union of several rules and names every rule that retains an artifact', () => {
    const decisions = run(
      policy(rule('latestPushedK', 1, [sel('matches', 'v*', TAGGED_ONLY)]), rule('nDaysSinceLastPull', 7)),
    );
    assert.deepEqual(ids(decisions), ['a4', 'a1', 'u2']);
    const reasons = Object.fromEntries(decisions.map((d) => [d.digest, d.reason]));
    assert.equal(reasons['sha256:a4'], 'rule 1 latestPushedK=1, rule 2 nDaysSinceLastPull=7');
    assert.equal(reasons['sha256:a1'], 'rule 2 nDaysSinceLastPull=7');
    assert.equal(reasons['sha256:a2'], NO_RULE_RETAINS);
  });

  it('applies tag selectors in sequence', () => {
    const chain = [sel('matches', 'v*', TAGGED_ONLY), sel('excludes', 'v1.{0,3}.0')];
    assert.deepEqual(ids(run(policy(rule('always', null, chain)))), ['a3', 'a2']);
  });

  it('excludes selects artifacts with any non-matching tag, and untagged ones unless untagged=true', () => {
    assert.deepEqual(ids(run(policy(rule('always', null, [sel('excludes', 'v*')])))), ['a5', 'u1', 'a3', 'u2']);
    const tagged = [sel('excludes', 'v*', '{"untagged":true}')];
    assert.deepEqual(ids(run(policy(rule('always', null, tagged)))), ['a5', 'a3']);
  });

  it('selects by semver range, a leading v allowed', () => {
    const semver = [sel('matches', '>=1.2.0 <2', TAGGED_ONLY, 'semver')];
    assert.deepEqual(ids(run(policy(rule('always', null, semver)))), ['a4', 'a3']);
  });

  it('selects by anchored regular expression', () => {
    const regexp = [sel('matches', String.raw`v1\.[01]\.\d+`, TAGGED_ONLY, 'regexp')];
    assert.deepEqual(ids(run(policy(rule('always', null, regexp)))), ['a2', 'a1']);
    const partial = [sel('matches', String.raw`1\.[01]`, TAGGED_ONLY, 'regexp')];
    assert.deepEqual(ids(run(policy(rule('always', null, partial)))), []);
  });

  it('leaves repositories excluded by repoExcludes untouched', () => {
    const candidates = [
      artifact('s1', ['x'], 1, null, 'sandbox/tmp'),
      artifact('p1', ['v1'], 1, null, 'app'),
      artifact('s2', ['y'], 2, null, 'sandbox'),
    ];
    const decisions = run(policy(rule('nothing', null, undefined, [sel('repoExcludes', 'sandbox/**')])), candidates);
    assert.deepEqual(
      decisions.map((d) => [d.repository, d.action, d.reason]),
      [
        ['app', 'delete', NO_RULE_RETAINS],
        ['sandbox', 'retain', NO_RULE_APPLIES],
        ['sandbox/tmp', 'retain', NO_RULE_APPLIES],
      ],
    );
  });

  it('applies per repository: k counts within each repository', () => {
    const candidates = [...APP, artifact('b1', ['v9'], 1, null, 'team/api'), artifact('b2', ['v8'], 9, null, 'team/api')];
    const decisions = run(policy(rule('latestPushedK', 1, [sel('matches', 'v*', TAGGED_ONLY)])), candidates);
    assert.deepEqual(ids(decisions), ['a4', 'b1']);
  });

  it('retains everything when no rule scope matches the repository', () => {
    const decisions = run(policy(rule('nothing', null, undefined, [sel('repoMatches', 'other/*')])));
    assert.ok(decisions.every((d) => d.action === 'retain' && d.reason === NO_RULE_APPLIES));
    assert.equal(decisions.length, APP.length);
  });

  it('ignores disabled rules, which still count in rule numbering', () => {
    const broken: RetentionRule = { ...rule('nothing', null, [sel('matches', '[', undefined, 'regexp')]), disabled: true };
    const onlyDisabled = run(policy(broken));
    assert.ok(onlyDisabled.every((d) => d.action === 'retain' && d.reason === NO_RULE_APPLIES));
    const decisions = run(policy(broken, rule('latestPushedK', 1)));
    assert.deepEqual(ids(decisions), ['a5']);
    assert.equal(decisions[0]?.reason, 'rule 2 latestPushedK=1');
  });

  it('keeps immutable artifacts that no rule retains, with action immutable', () => {
    const candidates = APP.map((c) => (c.digest === 'sha256:a3' || c.digest === 'sha256:a4' ? { ...c, immutable: true } : c));
    const decisions = run(policy(rule('latestPushedK', 1, [sel('matches', 'v*', TAGGED_ONLY)])), candidates);
    const a3 = decisions.find((d) => d.digest === 'sha256:a3');
    const a4 = decisions.find((d) => d.digest === 'sha256:a4');
    assert.deepEqual([a3?.action, a3?.reason], ['immutable', KEPT_IMMUTABLE]);
    assert.deepEqual([a4?.action, a4?.reason], ['retain', 'rule 1 latestPushedK=1']);
    assert.deepEqual(ids(decisions, 'delete'), ['a5', 'u1', 'a2', 'a1', 'u2']);
  });
});

describe('evaluateRetention output and failures', () => {
  it('orders by repository, then newest push, then digest', () => {
    const candidates = [
      artifact('z', ['1'], 5, null, 'b'),
      artifact('y', ['1'], 5, null, 'a/x'),
      artifact('c', ['1'], 9, null, 'a'),
      artifact('b', ['1'], 1, null, 'a'),
      artifact('a', ['1'], 9, null, 'a'),
    ];
    const decisions = run(policy(rule('always', null)), candidates);
    assert.deepEqual(
      decisions.map((d) => `${d.repository}@${d.digest.slice(7)}`),
      ['a@b', 'a@a', 'a@c', 'a/x@y', 'b@z'],
    );
  });

  it('returns nothing for no candidates', () => {
    assert.deepEqual(run(policy(rule('always', null)), []), []);
  });

  it('refuses to evaluate a rule without its parameter instead of deleting everything', () => {
    const missing: RetentionRule = { ...rule('latestPushedK', 1), params: {} };
    assert.throws(
      () => run(policy(missing)),
      (err: unknown) => err instanceof PolicyError && err.code === 'RULE_INVALID' && err.message.includes('rules[0].params.latestPushedK'),
    );
  });

  it('refuses a rule whose pattern does not compile', () => {
    const bad = rule('always', null, [sel('matches', 'v(', undefined, 'regexp')]);
    assert.throws(() => run(policy(bad)), (err: unknown) => err instanceof PolicyError && err.code === 'PATTERN_INVALID');
  });
});
