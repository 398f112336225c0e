import { compileScope, compileTagTest, isRecord, ruleInvalid, validateRuleSelectors, type RuleSelectors } from './selector.ts';

/**
 * A Harbor immutable tag rule (harbor-trivy.md §4.2): one repository selector and one tag
 * selector (Harbor takes the first of each; Slipway refuses more).
 */
export type ImmutableRule = RuleSelectors;

function show(value: unknown): string {
  return value === undefined ? 'nothing' : JSON.stringify(value);
}

/**
 * Validates the Harbor shape: `action` `immutable`, `template` `immutable_template` (optional),
 * exactly one tag selector and one repository selector. Returns a copy with only the known fields; `priority`
 * and `params` are dropped. Throws `PolicyError` `RULE_INVALID`.
 */
export function validateImmutableRule(value: unknown): ImmutableRule {
  if (!isRecord(value)) throw ruleInvalid('rule', `must be an object, got ${show(value)}`);
  const { action, template } = value;
  if (action !== 'immutable') throw ruleInvalid('rule.action', `must be "immutable", got ${show(action)}`);
  if (template !== undefined && template !== 'immutable_template') {
    throw ruleInvalid('rule.template', `must be "immutable_template", got ${show(template)}`);
  }
  const rule = validateRuleSelectors(value, 'rule', 1);
  // Harbor matches with the first of each and ignores the rest; a second pattern that silently
  // protects nothing is a trap, so it is refused: one rule per pattern.
  if (rule.tag_selectors.length > 1) throw ruleInvalid('rule.tag_selectors', `holds ${rule.tag_selectors.length} selectors; a rule takes one (add a rule for each tag pattern)`);
  if (rule.scope_selectors.repository.length > 1) {
    throw ruleInvalid('rule.scope_selectors.repository', `holds ${rule.scope_selectors.repository.length} selectors; a rule takes one (add a rule for each repository pattern)`);
  }
  return rule;
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
