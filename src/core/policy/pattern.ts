import { Range, clean, valid } from 'semver';
import { PolicyError } from './policy-error.ts';

/** How a selector pattern is interpreted. Harbor itself only knows `doublestar`. */
export type PatternKind = 'doublestar' | 'regexp' | 'semver';

export const PATTERN_KINDS: readonly PatternKind[] = ['doublestar', 'regexp', 'semver'];

/** A compiled pattern: does the whole value match? */
export type Matcher = (value: string) => boolean;

/**
 * Compiles a selector pattern into a whole-value matcher. An empty pattern matches every value,
 * whatever the kind (Harbor: "empty pattern = all").
 *
 * - `doublestar`: `*` any run of non-`/` characters, `**` as a whole path segment any number of
 *   segments (`a/**` also matches `a`, `**\/c` also matches `c`), `?` one non-`/` character,
 *   `{a,b}` alternatives (nestable), `[abc]`, `[a-z]`, `[!abc]`/`[^abc]` classes (never `/`),
 *   `\x` a literal `x`. Everything else is literal.
 * - `regexp`: an ECMAScript regular expression (`u` flag), anchored at both ends.
 * - `semver`: an npm semver range; a value matches when, cleaned loosely (a leading `v` or `=` is
 *   allowed, `1.2` is not a version), it is a valid version that satisfies the range. Pre-releases
 *   match only a range that names one, but then of any version, as in Harbor.
 *
 * Throws `PolicyError` `PATTERN_INVALID` when the pattern cannot be compiled.
 */
export function compilePattern(kind: PatternKind, pattern: string): Matcher {
  if (pattern === '') return () => true;
  switch (kind) {
    case 'doublestar':
      return compileRegExp(kind, pattern, globToRegExpSource(pattern), 'su');
    case 'regexp':
      return compileUserRegExp(pattern);
    case 'semver':
      return compileSemverRange(pattern);
    default:
      throw new PolicyError('PATTERN_INVALID', `unknown pattern kind ${JSON.stringify(kind satisfies never)}`);
  }
}

function invalid(kind: PatternKind, pattern: string, reason: string, cause?: unknown): PolicyError {
  const message = `invalid ${kind} pattern ${JSON.stringify(pattern)}: ${reason}`;
  return new PolicyError('PATTERN_INVALID', message, cause === undefined ? {} : { cause });
}

function compileRegExp(kind: PatternKind, pattern: string, source: string, flags: string): Matcher {
  let re: RegExp;
  try {
    re = new RegExp(`^(?:${source})$`, flags);
  } catch (cause) {
    throw invalid(kind, pattern, cause instanceof Error ? cause.message : String(cause), cause);
  }
  return (value) => re.test(value);
}

function compileUserRegExp(pattern: string): Matcher {
  // Compile it alone first: a pattern such as `a)|(b` must not escape the anchoring group.
  let alone: RegExp;
  try {
    alone = new RegExp(pattern, 'u');
  } catch (cause) {
    throw invalid('regexp', pattern, cause instanceof Error ? cause.message : String(cause), cause);
  }
  return compileRegExp('regexp', pattern, alone.source, 'u');
}

function compileSemverRange(pattern: string): Matcher {
  let range: Range;
  try {
    // As Harbor's (Masterminds) constraints do: a range that names a pre-release matches pre-releases of any version
    // (`>=1.0.0-0` keeps `1.4.2-a1b2c3d`); npm's rule would limit them to the 1.0.0 tuple.
    range = new Range(pattern, { loose: true, includePrerelease: /\d+\.\d+\.\d+-/.test(pattern) });
  } catch (cause) {
    throw invalid('semver', pattern, 'not a semver range', cause);
  }
  return (value) => {
    const version = valid(clean(value, { loose: true }), { loose: true });
    return version !== null && range.test(version);
  };
}

/** Translation state of one doublestar pattern. */
interface GlobState {
  readonly src: string;
  pos: number;
  /** Depth of open `{` alternatives. */
  depth: number;
  out: string;
}

const REGEXP_SYNTAX = /[\\^$.*+?()[\]{}|]/g;

function literal(char: string): string {
  return char.replace(REGEXP_SYNTAX, '\\$&');
}

function globToRegExpSource(pattern: string): string {
  const st: GlobState = { src: pattern, pos: 0, depth: 0, out: '' };
  while (st.pos < st.src.length) globStep(st);
  if (st.depth > 0) throw invalid('doublestar', pattern, 'unclosed "{"');
  return st.out;
}

function globStep(st: GlobState): void {
  const char = st.src[st.pos] ?? '';
  if (char === '*') return globStar(st);
  if (char === '[') return globClass(st);
  st.pos += 1;
  if (char === '?') {
    st.out += '[^/]';
  } else if (char === '{') {
    st.depth += 1;
    st.out += '(?:';
  } else if (char === '}' && st.depth > 0) {
    st.depth -= 1;
    st.out += ')';
  } else if (char === ',' && st.depth > 0) {
    st.out += '|';
  } else if (char === '\\') {
    const next = st.src[st.pos];
    if (next === undefined) throw invalid('doublestar', st.src, 'trailing "\\"');
    st.pos += 1;
    st.out += literal(next);
  } else {
    st.out += literal(char);
  }
}

function isSegmentStart(st: GlobState, at: number): boolean {
  const before = st.src[at - 1];
  return before === undefined || before === '/' || (st.depth > 0 && (before === '{' || before === ','));
}

function isSegmentEnd(st: GlobState, at: number): boolean {
  const after = st.src[at];
  return after === undefined || after === '/' || (st.depth > 0 && (after === '}' || after === ','));
}

function globStar(st: GlobState): void {
  const start = st.pos;
  while (st.src[st.pos] === '*') st.pos += 1;
  const globstar = st.pos - start >= 2 && isSegmentStart(st, start) && isSegmentEnd(st, st.pos);
  if (!globstar) {
    st.out += '[^/]*';
  } else if (st.src[st.pos] === '/') {
    // `**/` matches zero or more whole segments, each with its trailing slash.
    st.pos += 1;
    st.out += '(?:.*/)?';
  } else if (start >= 2 && st.src[start - 1] === '/' && st.out.endsWith('/')) {
    // A trailing `/**` also matches the parent itself: `a/**` matches `a`.
    st.out = st.out.slice(0, -1) + '(?:/.*)?';
  } else {
    st.out += '.*';
  }
}

function classLiteral(char: string): string {
  return /[\\\]^[-]/.test(char) ? `\\${char}` : char;
}

function globClass(st: GlobState): void {
  let pos = st.pos + 1;
  const negated = st.src[pos] === '!' || st.src[pos] === '^';
  if (negated) pos += 1;
  let body = '';
  const first = pos;
  while (pos < st.src.length && st.src[pos] !== ']') {
    let char = st.src[pos] ?? '';
    if (char === '\\') {
      pos += 1;
      char = st.src[pos] ?? '';
      if (char === '') break;
      body += classLiteral(char);
    } else if (char === '-' && pos > first && st.src[pos + 1] !== ']') {
      body += '-';
    } else {
      body += classLiteral(char);
    }
    pos += 1;
  }
  if (st.src[pos] !== ']') throw invalid('doublestar', st.src, 'unclosed "["');
  if (body === '') throw invalid('doublestar', st.src, 'empty character class');
  st.pos = pos + 1;
  st.out += negated ? `[^/${body}]` : `(?!/)[${body}]`;
}
