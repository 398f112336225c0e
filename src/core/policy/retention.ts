import type { Matcher } from './pattern.ts';
import { TEMPLATE_PARAMS, type RetentionPolicy, type RetentionRule } from './retention-policy.ts';
import { compileArtifactSelector, compileScope, ruleInvalid } from './selector.ts';

export type { Selector } from './selector.ts';
export {
  MAX_RETENTION_RULES,
  TEMPLATE_PARAMS,
  validateRetentionPolicy,
  type RetentionPolicy,
  type RetentionRule,
  type RetentionTemplate,
  type RetentionTrigger,
} from './retention-policy.ts';

/** One artifact of a repository's default artifact list (tagged, or untagged and not an index child). */
export interface Candidate {
  /** Repository name without the project. */
  readonly repository: string;
  readonly digest: string;
  readonly tags: readonly string[];
  /** Latest push over the artifact and its tags, ms since the epoch. */
  readonly pushedAt: number;
  /** Latest pull over the artifact and its tags, ms since the epoch; `null` = never pulled. */
  readonly pulledAt: number | null;
  /** Protected by a tag immutability rule. */
  readonly immutable?: boolean;
}

export type RetentionAction = 'retain' | 'delete' | 'immutable';

export type Decision = {
  readonly repository: string;
  readonly digest: string;
  readonly tags: readonly string[];
  readonly action: RetentionAction;
  /** `rule 1 latestPushedK=2` (1-based rule positions, all retaining rules), or why nothing did. */
  readonly reason: string;
};

export const NO_RULE_APPLIES = 'no rule applies to the repository';
export const NO_RULE_RETAINS = 'no rule retains it';
export const KEPT_IMMUTABLE = 'no rule retains it; kept because a tag is immutable';

const DAY_MS = 86_400_000;

type Subset = (selected: readonly Candidate[], now: number) => readonly Candidate[];

interface CompiledRule {
  readonly label: string;
  readonly inScope: Matcher;
  readonly selectors: readonly ((tags: readonly string[]) => boolean)[];
  readonly subset: Subset;
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The `count` candidates with the greatest key; equal keys ordered by digest. */
function latestBy(candidates: readonly Candidate[], key: (c: Candidate) => number, count: number): Candidate[] {
  const sorted = [...candidates].sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    return ka === kb ? compareStrings(a.digest, b.digest) : kb > ka ? 1 : -1;
  });
  return sorted.slice(0, count);
}

function lastPull(c: Candidate): number {
  return c.pulledAt ?? Number.NEGATIVE_INFINITY;
}

function templateParam(rule: RetentionRule, where: string): number {
  const param = rule.params[rule.template];
  const range = TEMPLATE_PARAMS[rule.template];
  if (range === null) return 0;
  if (typeof param !== 'number' || !Number.isInteger(param) || param < range.min || param > range.max) {
    throw ruleInvalid(`${where}.params.${rule.template}`, `must be an integer in ${range.min}..${range.max}, got ${String(param)}`);
  }
  return param;
}

function compileSubset(rule: RetentionRule, n: number): Subset {
  switch (rule.template) {
    case 'latestPushedK':
      return (selected) => latestBy(selected, (c) => c.pushedAt, n);
    case 'latestPulledN':
      return (selected) => latestBy(selected, lastPull, n);
    case 'latestActiveK':
      return (selected) => latestBy(selected, (c) => Math.max(c.pushedAt, lastPull(c)), n);
    case 'nDaysSinceLastPush':
      return (selected, now) => selected.filter((c) => c.pushedAt >= now - n * DAY_MS);
    case 'nDaysSinceLastPull':
      return (selected, now) => selected.filter((c) => c.pulledAt !== null && c.pulledAt >= now - n * DAY_MS);
    case 'always':
      return (selected) => selected;
    case 'nothing':
      return () => [];
    default:
      throw ruleInvalid('rule', `unknown template ${JSON.stringify(rule.template satisfies never)}`);
  }
}

function compileRule(rule: RetentionRule, index: number): CompiledRule {
  const n = templateParam(rule, `rules[${index}]`);
  const param = TEMPLATE_PARAMS[rule.template] === null ? '' : `=${n}`;
  return {
    label: `rule ${index + 1} ${rule.template}${param}`,
    inScope: compileScope(rule.scope_selectors.repository),
    selectors: rule.tag_selectors.map(compileArtifactSelector),
    subset: compileSubset(rule, n),
  };
}

function decision(c: Candidate, action: RetentionAction, reason: string): Decision {
  return { repository: c.repository, digest: c.digest, tags: [...c.tags], action, reason };
}

/** Decides one repository's candidates: union of the applicable rules' subsets is retained. */
function decideRepository(
  repository: string,
  group: readonly Candidate[],
  rules: readonly CompiledRule[],
  now: number,
): Decision[] {
  const applicable = rules.filter((rule) => rule.inScope(repository));
  if (applicable.length === 0) return group.map((c) => decision(c, 'retain', NO_RULE_APPLIES));
  const retainedBy = new Map<Candidate, string[]>();
  for (const rule of applicable) {
    const selected = rule.selectors.reduce<readonly Candidate[]>((acc, select) => acc.filter((c) => select(c.tags)), group);
    for (const c of rule.subset(selected, now)) retainedBy.set(c, [...(retainedBy.get(c) ?? []), rule.label]);
  }
  return group.map((c) => {
    const labels = retainedBy.get(c);
    if (labels !== undefined) return decision(c, 'retain', labels.join(', '));
    return c.immutable === true ? decision(c, 'immutable', KEPT_IMMUTABLE) : decision(c, 'delete', NO_RULE_RETAINS);
  });
}

function compareOutput(a: Candidate, b: Candidate): number {
  if (a.repository !== b.repository) return compareStrings(a.repository, b.repository);
  if (a.pushedAt !== b.pushedAt) return b.pushedAt - a.pushedAt;
  return compareStrings(a.digest, b.digest);
}

/**
 * Harbor retention (harbor-trivy.md §4.1), as a pure function: per repository, the enabled rules
 * whose scope matches apply their tag selectors in sequence, then their template; the union of
 * their subsets is retained and everything else deleted, except immutable-protected artifacts.
 * Repositories no rule applies to are untouched. Output: by repository, newest push first, digest.
 */
export function evaluateRetention(policy: RetentionPolicy, candidates: readonly Candidate[], now: number): Decision[] {
  const rules = policy.rules.flatMap((rule, i) => (rule.disabled === true ? [] : [compileRule(rule, i)]));
  const sorted = [...candidates].sort(compareOutput);
  const groups = Map.groupBy(sorted, (c) => c.repository);
  return [...groups].flatMap(([repository, group]) => decideRepository(repository, group, rules, now));
}
