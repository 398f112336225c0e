import { compileScope, compileTagTest, isRecord, ruleInvalid, validateRuleSelectors, type RuleSelectors } from './selector.ts';

/**
 * A Harbor immutable tag rule (harbor-trivy.md §4.2). Only the first repository selector and the
 * first tag selector take part in matching.
 */
export type ImmutableRule = RuleSelectors;

function show(value: unknown): string {
  return value === undefined ? 'nothing' : JSON.stringify(value);
}

/**
 * Validates the Harbor shape: `action` `immutable`, `template` `immutable_template` (optional), at
 * least one tag and one repository selector. Returns a copy with only the known fields; `priority`
 * and `params` are dropped. Throws `PolicyError` `RULE_INVALID`.
 */
export function validateImmutableRule(value: unknown): ImmutableRule {
  if (!isRecord(value)) throw ruleInvalid('rule', `must be an object, got ${show(value)}`);
  const { action, template } = value;
  if (action !== 'immutable') throw ruleInvalid('rule.action', `must be "immutable", got ${show(action)}`);
  if (template !== undefined && template !== 'immutable_template') {
    throw ruleInvalid('rule.template', `must be "immutable_template", got ${show(template)}`);
  }
  return validateRuleSelectors(value, 'rule', 1);
}

function ruleProtects(rule: ImmutableRule, repository: string, tag: string): boolean {
  const repoSelector = rule.scope_selectors.repository[0];
  const tagSelector = rule.tag_selectors[0];
  const inScope = repoSelector === undefined || compileScope([repoSelector])(repository);
  return inScope && (tagSelector === undefined || compileTagTest(tagSelector)(tag));
}

/**
 * Whether `repository:tag` (repository without the project) is immutable under any enabled rule.
 * An untagged artifact (`tag` empty) is never immutable.
 */
export function isImmutable(rules: readonly ImmutableRule[], repository: string, tag: string): boolean {
  if (tag === '') return false;
  return rules.some((rule) => rule.disabled !== true && ruleProtects(rule, repository, tag));
}
