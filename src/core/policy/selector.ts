import { PATTERN_KINDS, compilePattern, type Matcher, type PatternKind } from './pattern.ts';
import { PolicyError } from './policy-error.ts';

/** A Harbor rule selector: `{"kind":"doublestar","decoration":"matches","pattern":"v*","extras":"{\"untagged\":false}"}`. */
export interface Selector {
  readonly kind: PatternKind;
  /** Tag selectors: `matches` | `excludes`; repository selectors: `repoMatches` | `repoExcludes`. */
  readonly decoration: string;
  readonly pattern: string;
  /** A JSON **string** `{"untagged":bool}`; only meaningful on tag selectors. */
  readonly extras?: string;
}

export type SelectorRole = 'tag' | 'repository';

/** The selectors and switches shared by retention rules and immutable tag rules. */
export interface RuleSelectors {
  readonly id?: number;
  readonly disabled?: boolean;
  readonly tag_selectors: readonly Selector[];
  readonly scope_selectors: { readonly repository: readonly Selector[] };
}

const DECORATIONS: Readonly<Record<SelectorRole, readonly [positive: string, negative: string]>> = {
  tag: ['matches', 'excludes'],
  repository: ['repoMatches', 'repoExcludes'],
};

export function ruleInvalid(where: string, message: string, cause?: unknown): PolicyError {
  return new PolicyError('RULE_INVALID', `${where}: ${message}`, cause === undefined ? {} : { cause });
}

export function isRecord(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function show(value: unknown): string {
  return value === undefined ? 'nothing' : JSON.stringify(value);
}

/** Reads `extras`; `undefined` when absent or empty (Harbor ignores an empty string). */
export function parseUntagged(extras: string | undefined, where: string): boolean | undefined {
  if (extras === undefined || extras === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(extras);
  } catch (cause) {
    throw ruleInvalid(where, `extras must be a JSON string like {"untagged":true}, got ${show(extras)}`, cause);
  }
  if (!isRecord(parsed)) throw ruleInvalid(where, `extras must encode a JSON object, got ${show(extras)}`);
  const unknown = Object.keys(parsed).filter((key) => key !== 'untagged');
  if (unknown.length > 0) throw ruleInvalid(where, `extras has unknown key ${show(unknown[0])}`);
  const untagged = parsed['untagged'];
  if (untagged !== undefined && typeof untagged !== 'boolean') {
    throw ruleInvalid(where, `extras.untagged must be a boolean, got ${show(untagged)}`);
  }
  return untagged;
}

export function validateSelector(value: unknown, where: string, role: SelectorRole): Selector {
  if (!isRecord(value)) throw ruleInvalid(where, `selector must be an object, got ${show(value)}`);
  const { kind, decoration, pattern, extras } = value;
  if (typeof kind !== 'string' || !(PATTERN_KINDS as readonly string[]).includes(kind)) {
    throw ruleInvalid(where, `kind must be one of ${PATTERN_KINDS.join(', ')}, got ${show(kind)}`);
  }
  const [positive, negative] = DECORATIONS[role];
  if (decoration !== positive && decoration !== negative) {
    throw ruleInvalid(where, `decoration of a ${role} selector must be "${positive}" or "${negative}", got ${show(decoration)}`);
  }
  if (typeof pattern !== 'string') throw ruleInvalid(where, `pattern must be a string, got ${show(pattern)}`);
  if (extras !== undefined && typeof extras !== 'string') {
    throw ruleInvalid(where, `extras must be a JSON string, got ${show(extras)}`);
  }
  parseUntagged(extras, where);
  try {
    compilePattern(kind as PatternKind, pattern);
  } catch (cause) {
    throw ruleInvalid(where, cause instanceof Error ? cause.message : String(cause), cause);
  }
  const selector: Selector = { kind: kind as PatternKind, decoration, pattern };
  return extras === undefined ? selector : { ...selector, extras };
}

function validateSelectorList(value: unknown, where: string, role: SelectorRole, min: number): Selector[] {
  if (!Array.isArray(value)) throw ruleInvalid(where, `must be an array of selectors, got ${show(value)}`);
  if (value.length < min) throw ruleInvalid(where, `needs at least ${min} selector(s)`);
  return value.map((item: unknown, i) => validateSelector(item, `${where}[${i}]`, role));
}

/** Validates `id`, `disabled`, `tag_selectors` and `scope_selectors.repository` of a rule object. */
export function validateRuleSelectors(rule: Readonly<Record<string, unknown>>, where: string, min: 0 | 1): RuleSelectors {
  const { id, disabled, tag_selectors: tags, scope_selectors: scope } = rule;
  if (id !== undefined && !(Number.isSafeInteger(id) && (id as number) >= 0)) {
    throw ruleInvalid(`${where}.id`, `must be a non-negative integer, got ${show(id)}`);
  }
  if (disabled !== undefined && typeof disabled !== 'boolean') {
    throw ruleInvalid(`${where}.disabled`, `must be a boolean, got ${show(disabled)}`);
  }
  const tagSelectors = validateSelectorList(tags, `${where}.tag_selectors`, 'tag', min);
  if (!isRecord(scope)) throw ruleInvalid(`${where}.scope_selectors`, `must be an object, got ${show(scope)}`);
  const extraKey = Object.keys(scope).find((key) => key !== 'repository');
  if (extraKey !== undefined) {
    throw ruleInvalid(`${where}.scope_selectors`, `only "repository" is supported, got ${show(extraKey)}`);
  }
  const repository = validateSelectorList(scope['repository'], `${where}.scope_selectors.repository`, 'repository', min);
  return {
    ...(id === undefined ? {} : { id: id as number }),
    ...(disabled === undefined ? {} : { disabled }),
    tag_selectors: tagSelectors,
    scope_selectors: { repository },
  };
}

function isNegative(selector: Selector, role: SelectorRole): boolean {
  const [positive, negative] = DECORATIONS[role];
  if (selector.decoration === positive) return false;
  if (selector.decoration === negative) return true;
  throw ruleInvalid(`${role} selector`, `unknown decoration ${show(selector.decoration)}`);
}

/** Repository scope: every selector must accept the name (without project); no selectors = all. */
export function compileScope(selectors: readonly Selector[]): Matcher {
  const tests = selectors.map((selector) => {
    const negative = isNegative(selector, 'repository');
    const match = compilePattern(selector.kind, selector.pattern);
    return (repository: string) => match(repository) !== negative;
  });
  return (repository) => tests.every((test) => test(repository));
}

/** One tag against one tag selector, decoration applied (`excludes` = the pattern does not match). */
export function compileTagTest(selector: Selector): Matcher {
  const negative = isNegative(selector, 'tag');
  const match = compilePattern(selector.kind, selector.pattern);
  return (tag) => match(tag) !== negative;
}

/**
 * Whether a tag selector selects an artifact. Tagged: `matches` if any tag matches, `excludes` if
 * any tag does not match. Untagged: `matches` iff `untagged` (default true), `excludes` iff not
 * `untagged` (default false, so selected).
 */
export function compileArtifactSelector(selector: Selector): (tags: readonly string[]) => boolean {
  const test = compileTagTest(selector);
  const negative = isNegative(selector, 'tag');
  const untagged = parseUntagged(selector.extras, 'tag selector') ?? !negative;
  const selectsUntagged = negative ? !untagged : untagged;
  return (tags) => (tags.length === 0 ? selectsUntagged : tags.some(test));
}
