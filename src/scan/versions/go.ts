/**
 * Go module versions: semantic versions with a `v` prefix, as golang.org/x/mod/semver parses and
 * compares them (semver/semver.go at fe2ec04f). `v1` and `v1.2` are shorthands of `v1.0.0` and
 * `v1.2.0`; build metadata such as `+incompatible` is ignored. Pseudo-versions are in go-pseudo.ts.
 */
import { compareDigits, compareStrings, type Order } from './order.ts';
import { invalidVersion } from './version-error.ts';

export interface GoVersion {
  readonly major: string;
  readonly minor: string;
  readonly patch: string;
  /** What Canonical() appends for the short forms: ".0.0", ".0" or "". */
  readonly short: string;
  /** Including the leading "-", or "". */
  readonly prerelease: string;
  /** Including the leading "+", or "". */
  readonly build: string;
}

const NUMBER = String.raw`(0|[1-9][0-9]*)`;
const IDENT = String.raw`[0-9A-Za-z-]+`;
const GO_SEMVER_RE = new RegExp(
  String.raw`^v${NUMBER}(?:\.${NUMBER}(?:\.${NUMBER}(-${IDENT}(?:\.${IDENT})*)?(\+${IDENT}(?:\.${IDENT})*)?)?)?$`,
);

/** x/mod/semver's parse(); undefined when `v` is not a valid Go semantic version. */
export function parseGo(v: string): GoVersion | undefined {
  const m = GO_SEMVER_RE.exec(v);
  if (m === null) return undefined;
  const [, major = '', minor, patch, prerelease = '', build = ''] = m;
  // Numeric pre-release identifiers must not have leading zeros.
  if (prerelease.slice(1).split('.').some((id) => /^0[0-9]+$/.test(id))) return undefined;
  const short = minor === undefined ? '.0.0' : patch === undefined ? '.0' : '';
  return { major, minor: minor ?? '0', patch: patch ?? '0', short, prerelease, build };
}

export function isValidGo(v: string): boolean {
  return parseGo(v) !== undefined;
}

/** semver.Canonical: `v1.2` → `v1.2.0`, build metadata dropped; undefined when invalid. */
export function canonicalGo(v: string): string | undefined {
  const p = parseGo(v);
  if (p === undefined) return undefined;
  if (p.build !== '') return v.slice(0, v.length - p.build.length);
  return v + p.short;
}

/** semver.Compare: an invalid version is below every valid one and equal to every invalid one. */
export function compareGo(a: string, b: string): Order {
  const x = parseGo(a);
  const y = parseGo(b);
  if (x === undefined || y === undefined) {
    if (x === y) return 0;
    return x === undefined ? -1 : 1;
  }
  return (
    compareDigits(x.major, y.major) ||
    compareDigits(x.minor, y.minor) ||
    compareDigits(x.patch, y.patch) ||
    comparePrerelease(x.prerelease, y.prerelease)
  );
}

/**
 * Like compareGo, but fails closed: accepts OSV's `v`-less spelling (`1.2.3`) and throws a
 * VersionError for a version that is not valid.
 */
export function compareValidGo(a: string, b: string): Order {
  const withV = (v: string): string => {
    const prefixed = v.startsWith('v') ? v : `v${v}`;
    if (!isValidGo(prefixed)) throw invalidVersion('go', v, 'not a Go module version');
    return prefixed;
  };
  return compareGo(withV(a), withV(b));
}

function comparePrerelease(x: string, y: string): Order {
  if (x === y) return 0;
  if (x === '') return 1;
  if (y === '') return -1;
  const xs = x.slice(1).split('.');
  const ys = y.slice(1).split('.');
  for (let i = 0; i < Math.min(xs.length, ys.length); i++) {
    const r = compareIdentifier(xs[i] ?? '', ys[i] ?? '');
    if (r !== 0) return r;
  }
  return xs.length < ys.length ? -1 : 1;
}

function compareIdentifier(x: string, y: string): Order {
  if (x === y) return 0;
  const xNum = /^[0-9]+$/.test(x);
  const yNum = /^[0-9]+$/.test(y);
  if (xNum !== yNum) return xNum ? -1 : 1;
  return xNum ? compareDigits(x, y) : compareStrings(x, y);
}
