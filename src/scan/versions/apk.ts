/**
 * Alpine apk versions: `digit{.digit}...{letter}{_suf{#}}...{~hash}{-r#}`.
 *
 * Versions apk-tools 3.x accepts compare exactly as 3.x does (src/version.c at master 90b974fd):
 * the newest behaviour, which the `apk_tools_min: "3.0"` vectors need (`~hash`, `8.2.0015`).
 * For a version 3.x rejects, its comparator stops at the first bad token and would call
 * `1.9.5p1-r1` (a real 2.x-era Alpine version) equal to `1.9.5p1-r2`, failing open; there we use
 * osv-scalibr's structural ordering (apk-osv-fallback.ts), which orders those sensibly and agrees
 * with what the osv-scalibr vectors call "latest apk" where apk 2.x and 3.x disagree (`1-r-0 < 1-r0`).
 */
import { compareApkOsv } from './apk-osv-fallback.ts';
import { isValidApkTools2 } from './apk-tools-2.ts';
import { compareDigits, compareStrings, type Order } from './order.ts';
import { invalidVersion } from './version-error.ts';

/** Token types in the order apk-tools gives them: a side that reaches a larger type first is older. */
const INITIAL_DIGIT = 0;
const DIGIT = 1;
const LETTER = 2;
const SUFFIX = 3;
const SUFFIX_NO = 4;
const COMMIT_HASH = 5;
const REVISION_NO = 6;
const END = 7;
const INVALID = 8;

/** Suffix ranks; below NONE is a pre-release. */
const SUFFIXES: Readonly<Record<string, number>> = { alpha: 1, beta: 2, pre: 3, rc: 4, cvs: 6, svn: 7, git: 8, hg: 9, p: 10 };
const SUFFIX_NONE = 5;

interface Token {
  readonly type: number;
  /** The token's text (digits, letter, suffix name or hash). */
  readonly value: string;
}

/** A cursor over one version string, producing apk-tools tokens one at a time. */
class Tokenizer {
  #text: string;
  #pos = 0;
  token: Token;

  constructor(text: string) {
    this.#text = text;
    this.token = this.#digits(INITIAL_DIGIT);
  }

  next(): Token {
    this.token = this.#next(this.token.type);
    return this.token;
  }

  #next(previous: number): Token {
    const c = this.#text[this.#pos];
    if (c === undefined) return { type: END, value: '' };
    if (c >= 'a' && c <= 'z') {
      if (previous > DIGIT) return invalidToken();
      this.#pos++;
      return { type: LETTER, value: c };
    }
    if (c === '.' || (c >= '0' && c <= '9')) return this.#number(previous, c === '.');
    if (c === '_') return previous > SUFFIX_NO ? invalidToken() : this.#suffix();
    if (c === '~') return previous >= COMMIT_HASH ? invalidToken() : this.#hash();
    if (c === '-') return previous >= REVISION_NO ? invalidToken() : this.#revision();
    return invalidToken();
  }

  #number(previous: number, dotted: boolean): Token {
    if (dotted && previous > DIGIT) return invalidToken();
    if (dotted) this.#pos++;
    if (previous === INITIAL_DIGIT || previous === DIGIT) return this.#digits(DIGIT);
    return previous === SUFFIX ? this.#digits(SUFFIX_NO) : invalidToken();
  }

  #suffix(): Token {
    this.#pos++;
    const name = this.#span(/[a-z]/);
    return SUFFIXES[name] === undefined ? invalidToken() : { type: SUFFIX, value: name };
  }

  #hash(): Token {
    this.#pos++;
    const hash = this.#span(/[0-9a-f]/);
    return hash === '' ? invalidToken() : { type: COMMIT_HASH, value: hash };
  }

  #revision(): Token {
    if (this.#text[this.#pos + 1] !== 'r') return invalidToken();
    this.#pos += 2;
    return this.#digits(REVISION_NO);
  }

  #digits(type: number): Token {
    const digits = this.#span(/[0-9]/);
    return digits === '' ? invalidToken() : { type, value: digits };
  }

  #span(allowed: RegExp): string {
    const start = this.#pos;
    while (this.#pos < this.#text.length && allowed.test(this.#text[this.#pos] ?? '')) this.#pos++;
    return this.#text.slice(start, this.#pos);
  }
}

function invalidToken(): Token {
  return { type: INVALID, value: '' };
}

/** Compares two tokens of the same type (apk-tools token_cmp). */
function compareTokens(a: Token, b: Token): Order {
  switch (a.type) {
    case DIGIT:
      // A leading zero on either side switches to a string comparison, like Gentoo: 1.01 < 1.1.
      if (a.value.startsWith('0') || b.value.startsWith('0')) return compareStrings(a.value, b.value);
      return compareDigits(a.value, b.value);
    case INITIAL_DIGIT:
    case SUFFIX_NO:
    case REVISION_NO:
      return compareDigits(a.value, b.value);
    case SUFFIX:
      return compareNumbers(suffixRank(a), suffixRank(b));
    default:
      return compareStrings(a.value, b.value);
  }
}

function suffixRank(t: Token): number {
  return SUFFIXES[t.value] ?? SUFFIX_NONE;
}

function compareNumbers(a: number, b: number): Order {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

function isPreRelease(t: Token): boolean {
  return t.type === SUFFIX && suffixRank(t) < SUFFIX_NONE;
}

/**
 * apk_version_compare_fuzzy: walk both token streams while the types agree. With `fuzzy`,
 * `b` running out first counts as equal (`3.6.9 ~ 3.6`).
 */
function compareApkTokens(a: string, b: string, fuzzy: boolean): Order {
  const ta = new Tokenizer(a);
  const tb = new Tokenizer(b);
  while (ta.token.type === tb.token.type && ta.token.type < END) {
    const r = compareTokens(ta.token, tb.token);
    if (r !== 0) return r;
    ta.next();
    tb.next();
  }
  const x = ta.token;
  const y = tb.token;
  if (x.type === y.type) return 0;
  if (y.type === END && fuzzy) return 0;
  // Equal so far: the longer version is newer unless it continues with a pre-release suffix.
  if (isPreRelease(x)) return -1;
  if (isPreRelease(y)) return 1;
  return x.type > y.type ? -1 : 1;
}

/** True when apk-tools 3.x accepts `version` (apk_version_validate). */
export function isValidApk(version: string): boolean {
  const t = new Tokenizer(version);
  while (t.token.type < END) t.next();
  return t.token.type === END;
}

/**
 * Compares two apk versions: as apk-tools 3.x if it accepts both, else by osv-scalibr's lenient
 * ordering. Total (never throws); see compareValidApk for the fail-closed form.
 */
export function compareApk(a: string, b: string): Order {
  if (isValidApk(a) && isValidApk(b)) return compareApkTokens(a, b, false);
  return compareApkOsv(a, b);
}

/** True when some apk-tools generation an Alpine release ships (2.14 or 3.x) accepts `version`. */
export function isAcceptedApk(version: string): boolean {
  return version !== '' && (isValidApk(version) || isValidApkTools2(version));
}

/** Like compareApk, but throws a VersionError for a version no apk-tools accepts (fail closed). */
export function compareValidApk(a: string, b: string): Order {
  for (const v of [a, b]) if (!isAcceptedApk(v)) throw invalidVersion('apk', v, 'not accepted by apk-tools 2.14 or 3.x');
  return compareApk(a, b);
}

/**
 * apk dependency operators: any mix of `<`, `>`, `=`, `~` (`~` = fuzzy prefix match: `3.6.9 ~ 3.6`),
 * optionally prefixed by `!` to negate. Returns whether `a op b` holds.
 */
export function matchApk(a: string, op: string, b: string): boolean {
  const negate = op.startsWith('!');
  const ops = negate ? op.slice(1) : op;
  if (ops === '' || !/^[<>=~]+$/.test(ops)) throw invalidVersion('apk', op, 'not an apk version operator');
  const fuzzy = ops.includes('~');
  const r = compareApkTokens(a, b, fuzzy);
  const symbol = r < 0 ? '<' : r > 0 ? '>' : '=';
  const ok = ops.includes(symbol) || (r === 0 && fuzzy);
  return negate ? !ok : ok;
}
