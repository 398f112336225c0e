/**
 * PEP 440 version specifiers (`>=1.0,!=1.3.*,<2`), with the semantics of pypa/packaging 26.2
 * (SpecifierSet.contains, src/packaging/specifiers.py and _ranges.py at 053c8846).
 */
import {
  compareParsedPep440,
  isPep440Prerelease,
  parsePep440,
  type Pep440Version,
} from './pep440.ts';
import { invalidVersion } from './version-error.ts';

export interface SpecifierOptions {
  /**
   * false rejects pre-releases outright. Otherwise (true or absent) a pre-release is judged like any
   * version: packaging ≥ 26 accepts a lone pre-release when it satisfies the specifiers.
   */
  readonly prereleases?: boolean;
}

type Operator = '===' | '==' | '!=' | '~=' | '<=' | '>=' | '<' | '>';

interface Specifier {
  readonly operator: Operator;
  /** The version text after the operator; for `===` compared as a string. */
  readonly text: string;
}

const PRE = String.raw`(?:[-_.]?(?:alpha|beta|preview|pre|a|b|c|rc)[-_.]?[0-9]*)?`;
const POST = String.raw`(?:-[0-9]+|[-_.]?(?:post|rev|r)[-_.]?[0-9]*)?`;
const DEV = String.raw`(?:[-_.]?dev[-_.]?[0-9]*)?`;
const LOCAL = String.raw`(?:\+[a-z0-9]+(?:[-_.][a-z0-9]+)*)?`;
const EPOCH_RELEASE = String.raw`v?(?:[0-9]+!)?[0-9]+(?:\.[0-9]+)*`;

/** packaging's Specifier._regex, one alternative per operator family. */
const SPECIFIER_RE = new RegExp(
  String.raw`^\s*(?:` +
    String.raw`===\s*[^\s;)]*` +
    String.raw`|(?:==|!=)\s*${EPOCH_RELEASE}(?:\.\*|${PRE}${POST}${DEV}${LOCAL})` +
    String.raw`|~=\s*v?(?:[0-9]+!)?[0-9]+(?:\.[0-9]+)+${PRE}${POST}${DEV}` +
    String.raw`|(?:<=|>=|<|>)\s*${EPOCH_RELEASE}${PRE}${POST}${DEV}` +
    String.raw`)\s*$`,
  'i',
);

function parseSpecifier(text: string): Specifier {
  if (!SPECIFIER_RE.test(text)) throw invalidVersion('pep440', text, 'not a PEP 440 specifier');
  const spec = text.trim();
  const operator = (['===', '~=', '==', '!=', '<=', '>=', '<', '>'] as const).find((op) => spec.startsWith(op)) ?? '==';
  return { operator, text: spec.slice(operator.length).trim() };
}

/** Splits a comma-separated specifier set; throws a VersionError for a malformed specifier. */
export function parseSpecifierSet(specifiers: string): readonly Specifier[] {
  return specifiers
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(parseSpecifier);
}

/**
 * Whether `version` satisfies every specifier of the set (packaging's SpecifierSet.contains).
 * A version that is not PEP 440 satisfies nothing but `===` with the same text (and an empty set).
 */
export function satisfiesSpecifier(version: string, specifiers: string, options: SpecifierOptions = {}): boolean {
  const specs = parseSpecifierSet(specifiers);
  let parsed: Pep440Version | undefined;
  try {
    parsed = parsePep440(version);
  } catch {
    parsed = undefined;
  }
  if (parsed !== undefined && options.prereleases === false && isPep440Prerelease(parsed)) return false;
  return specs.every((spec) => matches(spec, version, parsed));
}

function matches(spec: Specifier, raw: string, v: Pep440Version | undefined): boolean {
  if (spec.operator === '===') return raw.toLowerCase() === spec.text.toLowerCase();
  if (v === undefined) return false;
  const wildcard = spec.text.endsWith('.*');
  const target = parsePep440(wildcard ? spec.text.slice(0, -2) : spec.text);
  switch (spec.operator) {
    case '==':
      return wildcard ? inPrefix(v, target) : equalsSpec(v, target, spec.text.includes('+'));
    case '!=':
      return wildcard ? !inPrefix(v, target) : !equalsSpec(v, target, spec.text.includes('+'));
    case '>=':
      return cmp(v, target) >= 0;
    case '<=':
      return cmp(v, target) <= 0 || samePublic(v, target);
    case '>':
      return greaterThan(v, target);
    case '<':
      return cmp(v, isPep440Prerelease(target) ? target : dev0(target, target.release)) < 0;
    case '~=':
      return cmp(v, target) >= 0 && cmp(v, dev0(target, bump(target.release.slice(0, -1)))) < 0;
  }
}

function cmp(a: Pep440Version, b: Pep440Version): number {
  return compareParsedPep440(a, b);
}

/** `epoch!release.dev0`, the lowest version with that release. */
function dev0(v: Pep440Version, release: readonly bigint[]): Pep440Version {
  return { epoch: v.epoch, release, pre: undefined, post: undefined, dev: 0n, local: undefined };
}

function bump(release: readonly bigint[]): bigint[] {
  return release.map((n, i) => (i === release.length - 1 ? n + 1n : n));
}

/** `==V.*`: from V.dev0 up to (excluding) the next prefix's .dev0 (`==1.2.*` → [1.2.dev0, 1.3.dev0)). */
function inPrefix(v: Pep440Version, base: Pep440Version): boolean {
  return cmp(v, dev0(base, base.release)) >= 0 && cmp(v, dev0(base, bump(base.release))) < 0;
}

/** `==V`: without a local segment in the spec, any local version of V matches. */
function equalsSpec(v: Pep440Version, target: Pep440Version, specHasLocal: boolean): boolean {
  return specHasLocal ? cmp(v, target) === 0 : samePublic(v, target);
}

/** Same epoch, release (ignoring trailing zeros), pre, post and dev: V or V+local. */
function samePublic(v: Pep440Version, t: Pep440Version): boolean {
  return sameBase(v, t) && v.post === t.post && v.dev === t.dev;
}

function sameBase(v: Pep440Version, t: Pep440Version): boolean {
  const sameRelease = cmp(dev0(v, v.release), dev0(t, t.release)) === 0;
  return v.epoch === t.epoch && sameRelease && v.pre?.label === t.pre?.label && v.pre?.number === t.pre?.number;
}

/** `>V` excludes V's post-releases and local versions unless V is itself a post- or dev release. */
function greaterThan(v: Pep440Version, t: Pep440Version): boolean {
  if (t.dev !== undefined) return cmp(v, { ...t, dev: t.dev + 1n, local: undefined }) >= 0;
  if (t.post !== undefined) return cmp(v, { ...t, post: t.post + 1n, dev: 0n, local: undefined }) >= 0;
  return cmp(v, t) > 0 && !sameBase(v, t);
}
