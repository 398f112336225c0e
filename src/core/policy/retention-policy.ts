import { isRecord, parseUntagged, ruleInvalid, validateRuleSelectors, type RuleSelectors, type Selector } from './selector.ts';

export type RetentionTemplate =
  | 'latestPushedK'
  | 'latestPulledN'
  | 'nDaysSinceLastPush'
  | 'nDaysSinceLastPull'
  | 'always'
  | 'nothing'
  | 'latestActiveK';

/** A Harbor retention rule (`action` is always `retain`); `params` has one key, the template id. */
export interface RetentionRule extends RuleSelectors {
  readonly action: 'retain';
  readonly template: RetentionTemplate;
  readonly params: Readonly<Record<string, number>>;
}

export interface RetentionTrigger {
  readonly kind: string;
  readonly settings?: { readonly cron?: string };
}

/** Harbor `POST /api/v2.0/retentions` body, minus `scope` (the caller owns the project). */
export interface RetentionPolicy {
  readonly algorithm: 'or';
  readonly rules: readonly RetentionRule[];
  readonly trigger?: RetentionTrigger;
}

export const MAX_RETENTION_RULES = 15;

interface ParamRange {
  readonly min: number;
  readonly max: number;
}

const COUNT: ParamRange = { min: 0, max: 32766 };
const DAYS: ParamRange = { min: 0, max: 20190904 };

/** Inclusive range of the single parameter of each template; `null` = no parameter. */
export const TEMPLATE_PARAMS: Readonly<Record<RetentionTemplate, ParamRange | null>> = {
  latestPushedK: COUNT,
  latestPulledN: COUNT,
  latestActiveK: COUNT,
  nDaysSinceLastPush: DAYS,
  nDaysSinceLastPull: DAYS,
  always: null,
  nothing: null,
};

function show(value: unknown): string {
  return value === undefined ? 'nothing' : JSON.stringify(value);
}

function isTemplate(value: unknown): value is RetentionTemplate {
  return typeof value === 'string' && Object.hasOwn(TEMPLATE_PARAMS, value);
}

function validateParams(template: RetentionTemplate, value: unknown, where: string): Record<string, number> {
  if (value !== undefined && !isRecord(value)) throw ruleInvalid(where, `must be an object, got ${show(value)}`);
  const params = value ?? {};
  const range = TEMPLATE_PARAMS[template];
  const stray = Object.keys(params).find((key) => range === null || key !== template);
  if (stray !== undefined) {
    const expected = range === null ? `${template} takes no parameters` : `the only key is "${template}"`;
    throw ruleInvalid(where, `unexpected key ${show(stray)}: ${expected}`);
  }
  if (range === null) return {};
  const param = params[template];
  if (typeof param !== 'number' || !Number.isInteger(param) || param < range.min || param > range.max) {
    throw ruleInvalid(`${where}.${template}`, `must be an integer in ${range.min}..${range.max}, got ${show(param)}`);
  }
  return { [template]: param };
}

function validateRule(value: unknown, where: string): RetentionRule {
  if (!isRecord(value)) throw ruleInvalid(where, `rule must be an object, got ${show(value)}`);
  const { action, template, params } = value;
  if (action !== 'retain') throw ruleInvalid(`${where}.action`, `must be "retain", got ${show(action)}`);
  if (!isTemplate(template)) {
    const known = Object.keys(TEMPLATE_PARAMS).join(', ');
    throw ruleInvalid(`${where}.template`, `must be one of ${known}, got ${show(template)}`);
  }
  const validParams = validateParams(template, params, `${where}.params`);
  const selectors = validateRuleSelectors(value, where, 0);
  return { ...selectors, action, template, params: validParams };
}

function selectorKey(selector: Selector): readonly unknown[] {
  return [selector.kind, selector.decoration, selector.pattern, parseUntagged(selector.extras, 'selector') ?? null];
}

/** Identity of a rule for the duplicate check: everything but `id` (as Harbor compares them). */
function ruleKey(rule: RetentionRule): string {
  return JSON.stringify([
    rule.disabled ?? false,
    rule.action,
    rule.template,
    rule.params[rule.template] ?? null,
    rule.tag_selectors.map(selectorKey),
    rule.scope_selectors.repository.map(selectorKey),
  ]);
}

function rejectDuplicates(rules: readonly RetentionRule[]): void {
  const seen = new Map<string, number>();
  rules.forEach((rule, i) => {
    const key = ruleKey(rule);
    const first = seen.get(key);
    if (first !== undefined) throw ruleInvalid(`rules[${i}]`, `duplicate rule: identical to rules[${first}]`);
    seen.set(key, i);
  });
}

function validateTrigger(value: unknown): RetentionTrigger {
  if (!isRecord(value)) throw ruleInvalid('trigger', `must be an object, got ${show(value)}`);
  const { kind, settings } = value;
  if (kind !== 'Schedule') throw ruleInvalid('trigger.kind', `must be "Schedule", got ${show(kind)}`);
  if (settings === undefined) return { kind };
  if (!isRecord(settings)) throw ruleInvalid('trigger.settings', `must be an object, got ${show(settings)}`);
  const { cron } = settings;
  if (cron === undefined) return { kind, settings: {} };
  if (typeof cron !== 'string' || (cron.trim() !== '' && cron.trim().split(/\s+/).length !== 6)) {
    throw ruleInvalid('trigger.settings.cron', `must be empty or a 6-field cron (seconds first), got ${show(cron)}`);
  }
  return { kind, settings: { cron } };
}

/**
 * Validates a Harbor retention policy (harbor-trivy.md §4.1) and returns a normalised copy with only
 * the known fields. Throws `PolicyError` `RULE_INVALID` naming the offending field.
 */
export function validateRetentionPolicy(value: unknown): RetentionPolicy {
  if (!isRecord(value)) throw ruleInvalid('policy', `must be an object, got ${show(value)}`);
  const { algorithm, rules, trigger } = value;
  if (algorithm !== 'or') throw ruleInvalid('algorithm', `must be "or", got ${show(algorithm)}`);
  if (!Array.isArray(rules)) throw ruleInvalid('rules', `must be an array, got ${show(rules)}`);
  if (rules.length > MAX_RETENTION_RULES) {
    throw ruleInvalid('rules', `at most ${MAX_RETENTION_RULES} rules are allowed, got ${rules.length}`);
  }
  const validRules = rules.map((rule: unknown, i) => validateRule(rule, `rules[${i}]`));
  rejectDuplicates(validRules);
  const policy: RetentionPolicy = { algorithm, rules: validRules };
  return trigger === undefined || trigger === null ? policy : { ...policy, trigger: validateTrigger(trigger) };
}
