/**
 * The last-resort ordering for apk versions that no apk-tools release accepts (`1-r0-1`, `1.2.0A`,
 * `1-ruff`): osv-scalibr's AlpineVersion (semantic/version-alpine.go @ c2094f2d), which osv-scanner
 * matches OSV Alpine records with. Numbers, letter, suffixes and `-r` compare structurally; leftover
 * text only decides between "nothing left" (newer) and "something left"; two versions that fail to
 * parse at all compare as strings, except that we compare digit runs in them numerically.
 */
import { compareDigits, compareStrings, type Order } from './order.ts';

interface NumberComponent {
  readonly digits: string;
  readonly index: number;
}

interface Suffix {
  readonly weight: number;
  readonly digits: string;
}

interface OsvApkVersion {
  readonly original: string;
  readonly invalid: boolean;
  readonly components: readonly NumberComponent[];
  readonly letter: string;
  readonly suffixes: readonly Suffix[];
  readonly build: string;
  readonly remainder: string;
}

/** osv-scalibr's suffix weights; note a missing suffix weighs 5, like `cvs`, as in the original. */
const SUFFIX_WEIGHTS = ['alpha', 'beta', 'pre', 'rc', '', 'cvs', 'svn', 'git', 'hg', 'p'];
const MISSING_SUFFIX: Suffix = { weight: 5, digits: '0' };
const MISSING_COMPONENT: NumberComponent = { digits: '0', index: 0 };

function parse(original: string): OsvApkVersion {
  const numbers = /^(?:\d+\.?)*/.exec(original)?.[0] ?? '';
  const components: NumberComponent[] = [];
  for (const [index, digits] of numbers.split('.').entries()) {
    if (digits === '') break;
    components.push({ digits, index });
  }
  let rest = original.slice(numbers.length);
  const letter = /^[a-z]/.test(rest) ? rest.slice(0, 1) : '';
  rest = rest.slice(letter.length);
  const suffixes: Suffix[] = [];
  for (const match of rest.matchAll(/_(alpha|beta|pre|rc|cvs|svn|git|hg|p)(\d*)/g)) {
    suffixes.push({ weight: SUFFIX_WEIGHTS.indexOf(match[1] ?? ''), digits: match[2] || '0' });
    if (rest.startsWith(match[0])) rest = rest.slice(match[0].length);
  }
  rest = rest.slice(/^~[0-9a-f]+/.exec(rest)?.[0].length ?? 0);
  const build = /^-r(\d*)/.exec(rest);
  const invalid = rest !== '' && build === null;
  if (build !== null) rest = rest.slice(build[0].length);
  return { original, invalid, components, letter, suffixes, build: build?.[1] || '0', remainder: rest };
}

function compareComponent(a: NumberComponent, b: NumberComponent): Order {
  if (a.index !== 0 && b.index !== 0 && (a.digits.startsWith('0') || b.digits.startsWith('0'))) {
    return compareStrings(a.digits, b.digits);
  }
  return compareDigits(a.digits, b.digits);
}

function compareSuffix(a: Suffix, b: Suffix): Order {
  if (a.weight !== b.weight) return a.weight < b.weight ? -1 : 1;
  return compareDigits(a.digits, b.digits);
}

function compareEach<T>(a: readonly T[], b: readonly T[], missing: T, cmp: (x: T, y: T) => Order): Order {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const r = cmp(a[i] ?? missing, b[i] ?? missing);
    if (r !== 0) return r;
  }
  return 0;
}

function compareLetters(a: string, b: string): Order {
  if (a === '' || b === '') return compareStrings(a === '' ? '' : 'x', b === '' ? '' : 'x');
  return compareStrings(a, b);
}

function compareRemainders(a: string, b: string): Order {
  if ((a === '') === (b === '')) return 0;
  return a === '' ? 1 : -1;
}

/**
 * osv-scalibr compares two unparseable versions as plain strings, which puts `-r10` before `-r9`;
 * we compare digit runs numerically instead (then as strings, to stay a total order).
 */
function compareNatural(a: string, b: string): Order {
  const x = a.match(/\d+|\D/g) ?? [];
  const y = b.match(/\d+|\D/g) ?? [];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const p = x[i] ?? '';
    const q = y[i] ?? '';
    const r = /^\d/.test(p) && /^\d/.test(q) ? compareDigits(p, q) : compareStrings(p, q);
    if (r !== 0) return r;
  }
  return compareNumbers(x.length, y.length) || compareStrings(a, b);
}

function compareNumbers(a: number, b: number): Order {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

export function compareApkOsv(a: string, b: string): Order {
  const x = parse(a);
  const y = parse(b);
  if (x.invalid && y.invalid) return compareNatural(a, b);
  return (
    compareEach(x.components, y.components, MISSING_COMPONENT, compareComponent) ||
    compareLetters(x.letter, y.letter) ||
    compareEach(x.suffixes, y.suffixes, MISSING_SUFFIX, compareSuffix) ||
    compareDigits(x.build, y.build) ||
    compareRemainders(x.remainder, y.remainder)
  );
}
