/**
 * Maven versions ordered by the POM reference's version order specification, as osv.dev matches OSV
 * Maven records (osv-scalibr semantic/version-maven.go @ c2094f2d). It reproduces Maven 3.x's
 * ComparableVersion on real-world versions (`3.2.0rc2 < 3.2.0-rc.1`, `1-1 == 1-ga-1`), where Maven 4's
 * ComparableVersion (maven.ts) decides differently. Use it to agree with osv.dev's own range
 * evaluation; maven.ts is the newest Maven behaviour.
 */
import { compareDigits, compareStrings, type Order } from './order.ts';

interface Token {
  /** "" for the first token, "." or "-" (digit/letter transitions count as "-"). */
  readonly prefix: string;
  readonly value: string;
  /** True for the padding a shorter version gets. */
  readonly isNull: boolean;
}

const KEYWORDS = ['alpha', 'beta', 'milestone', 'rc', 'snapshot', '', 'sp'];
const SHORTHANDS: Readonly<Record<string, string>> = { a: 'alpha', b: 'beta', m: 'milestone' };

function isNumeric(value: string): boolean {
  return /^[0-9]+$/.test(value);
}

function normalizeToken(raw: string, followedByDigit: boolean): string {
  let value = raw.toLowerCase() || '0';
  if (value === 'cr') value = 'rc';
  if (value === 'ga' || value === 'final' || value === 'release') value = '';
  if (followedByDigit) value = SHORTHANDS[value] ?? value;
  return isNumeric(value) ? BigInt(value).toString() : value;
}

/** Splits on `.` and `-`, then at digit/non-digit transitions; then trims trailing nulls per hyphen group. */
function tokenize(version: string): Token[] {
  const tokens: Token[] = [];
  const pieces = version.split(/([.-])/);
  for (let i = 0; i < pieces.length; i += 2) {
    const piece = pieces[i] ?? '';
    const parts = piece.split(/(?<=\D)(?=\d)|(?<=\d)(?=\D)/);
    parts.forEach((part, j) => {
      const prefix = j > 0 ? '-' : i === 0 ? '' : (pieces[i - 1] ?? '');
      tokens.push({ prefix, value: normalizeToken(part, j < parts.length - 1), isNull: false });
    });
  }
  return trimNulls(tokens);
}

function trimNulls(tokens: Token[]): Token[] {
  let i = tokens.length - 1;
  while (i > 0) {
    const value = tokens[i]?.value;
    if (value === '0' || value === '') {
      tokens.splice(i, 1);
      i--;
      continue;
    }
    while (i >= 0 && tokens[i]?.prefix !== '-') i--;
    i--;
  }
  return tokens;
}

function nullToken(other: Token): Token {
  if (other.prefix === '.') return { prefix: '.', value: other.value === 'sp' ? '' : '0', isNull: true };
  return { prefix: '-', value: '', isNull: true };
}

/** ".qualifier" < "-qualifier" < "-number" < ".number". */
function prefixOrder(t: Token): number {
  if (isNumeric(t.value)) return t.prefix === '-' ? 2 : 3;
  return t.prefix === '-' ? 1 : 0;
}

function keywordIndex(value: string): number {
  const i = KEYWORDS.indexOf(value);
  return i === -1 ? KEYWORDS.length : i;
}

function compareTokens(v: Token, w: Token): Order {
  if (v.prefix !== w.prefix) return prefixOrder(v) < prefixOrder(w) ? -1 : 1;
  const vNum = isNumeric(v.value);
  const wNum = isNumeric(w.value);
  if (vNum && wNum) return compareDigits(v.value, w.value);
  // Numbers sort after qualifiers, unless they are padding.
  if (vNum && !v.isNull) return 1;
  if (wNum && !w.isNull) return -1;
  const l = keywordIndex(v.value);
  const r = keywordIndex(w.value);
  if (l === KEYWORDS.length && r === KEYWORDS.length) return compareStrings(v.value, w.value);
  return l < r ? -1 : 1;
}

export function compareMavenOsv(a: string, b: string): Order {
  const x = tokenize(a);
  const y = tokenize(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const yi = y[i];
    const xi = x[i];
    const l = xi ?? (yi === undefined ? undefined : nullToken(yi));
    const r = yi ?? (xi === undefined ? undefined : nullToken(xi));
    if (l === undefined || r === undefined || (l.prefix === r.prefix && l.value === r.value)) continue;
    return compareTokens(l, r);
  }
  return 0;
}
