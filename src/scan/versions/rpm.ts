/**
 * RPM versions: `rpmvercmp` (rpmio/rpmvercmp.cc) and EVR comparison (rpmio/rpmver.cc rpmverCmp)
 * of rpm at a8f0192a. EVR is `[epoch:]version[-release]`, the epoch being the leading digits before
 * a `:` and the release what follows the last `-`.
 */
import { compareDigits, compareStrings, type Order } from './order.ts';
import { invalidVersion } from './version-error.ts';

export interface RpmVersion {
  /** Undefined when absent; compares like "0". */
  readonly epoch: string | undefined;
  readonly version: string;
  /** Undefined when absent; a version without a release sorts before the same version with one. */
  readonly release: string | undefined;
}

/** Splits an EVR string like rpm's parseEVR(). Throws a VersionError for the empty string. */
export function parseRpm(evr: string): RpmVersion {
  if (evr === '') throw invalidVersion('rpm', evr, 'empty');
  const digits = /^[0-9]*/.exec(evr)?.[0] ?? '';
  const hasEpoch = evr[digits.length] === ':';
  const rest = hasEpoch ? evr.slice(digits.length + 1) : evr;
  const epoch = hasEpoch ? digits || '0' : undefined;
  const hyphen = rest.lastIndexOf('-');
  if (hyphen < 0) return { epoch, version: rest, release: undefined };
  return { epoch, version: rest.slice(0, hyphen), release: rest.slice(hyphen + 1) };
}

/** Compares two EVR strings like rpmverCmp(). */
export function compareRpm(a: string, b: string): Order {
  return compareParsedRpm(parseRpm(a), parseRpm(b));
}

export function compareParsedRpm(a: RpmVersion, b: RpmVersion): Order {
  return (
    rpmvercmp(a.epoch ?? '0', b.epoch ?? '0') ||
    rpmvercmp(a.version, b.version) ||
    compareOptional(a.release, b.release)
  );
}

function compareOptional(a: string | undefined, b: string | undefined): Order {
  if (a === undefined || b === undefined) {
    if (a === b) return 0;
    return a === undefined ? -1 : 1;
  }
  return rpmvercmp(a, b);
}

function isDigit(c: string): boolean {
  return c >= '0' && c <= '9';
}

function isAlpha(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/** Characters rpmvercmp skips: everything but ASCII letters, digits, `~` and `^`. */
function isSeparator(c: string): boolean {
  return !isDigit(c) && !isAlpha(c) && c !== '~' && c !== '^';
}

/** rpmvercmp(): compares one of epoch, version or release. */
export function rpmvercmp(a: string, b: string): Order {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while (i < a.length && isSeparator(a.charAt(i))) i++;
    while (j < b.length && isSeparator(b.charAt(j))) j++;
    const special = compareSpecial(a.charAt(i), b.charAt(j));
    if (special === 'both') {
      i++;
      j++;
      continue;
    }
    if (special !== undefined) return special;
    if (i >= a.length || j >= b.length) break;
    const segment = compareSegment(a, i, b, j);
    if (typeof segment === 'number') return segment;
    i = segment.i;
    j = segment.j;
  }
  if (i >= a.length && j >= b.length) return 0;
  return i >= a.length ? -1 : 1;
}

/**
 * `~` sorts before everything, even the end; `^` sorts after the end but before anything else.
 * Returns 'both' when both sides carry the same one, undefined when neither does ("" = end).
 */
function compareSpecial(x: string, y: string): Order | 'both' | undefined {
  if (x === '~' || y === '~') {
    if (x !== '~') return 1;
    if (y !== '~') return -1;
    return 'both';
  }
  if (x === '^' || y === '^') {
    if (x === '') return -1;
    if (y === '') return 1;
    if (x !== '^') return 1;
    if (y !== '^') return -1;
    return 'both';
  }
  return undefined;
}

/** Compares the maximal digit (or letter) run at a[i] with the run of the same kind at b[j]. */
function compareSegment(a: string, i: number, b: string, j: number): Order | { i: number; j: number } {
  const numeric = isDigit(a.charAt(i));
  const inRun = numeric ? isDigit : isAlpha;
  let ei = i;
  let ej = j;
  while (ei < a.length && inRun(a.charAt(ei))) ei++;
  while (ej < b.length && inRun(b.charAt(ej))) ej++;
  // b has a run of the other kind: numbers are newer than letters.
  if (ej === j) return numeric ? 1 : -1;
  const x = a.slice(i, ei);
  const y = b.slice(j, ej);
  const r = numeric ? compareDigits(x, y) : compareStrings(x, y);
  return r === 0 ? { i: ei, j: ej } : r;
}
