/**
 * SemVer 2.0 as npm implements it (the `semver` package), for npm packages and OSV `SEMVER` ranges.
 *
 * compareSemver also orders "SemVer-like" versions npm rejects but OSV data contains — more or fewer
 * than three numeric components (`1.1.3.4.5`), numbers beyond 2^53 — by extending SemVer precedence:
 * numeric components compared as big numbers (missing = 0), then the pre-release, build ignored.
 * Anything else throws a VersionError.
 */
import { createRequire } from 'node:module';
import type { RangeOptions, SemVer } from 'semver';
import type Parse from 'semver/functions/parse.js';
import type Satisfies from 'semver/functions/satisfies.js';
import type Valid from 'semver/functions/valid.js';
import type ValidRange from 'semver/ranges/valid.js';
import { compareDigits, compareStrings, sign, type Order } from './order.ts';
import { invalidVersion } from './version-error.ts';

// The four functions used, each from its own module (the package's index loads all 47), required
// on first use: semver is CommonJS, which require() loads in ~7 ms where import's ES module wrapper
// takes ~12 (measured on Node 24), and a scan that meets no npm package never loads it at all.
const requireCommonJs = createRequire(import.meta.url);
let loaded: { parse: typeof Parse; satisfies: typeof Satisfies; valid: typeof Valid; validRange: typeof ValidRange } | undefined;
function semver(): NonNullable<typeof loaded> {
  loaded ??= {
    parse: requireCommonJs('semver/functions/parse') as typeof Parse,
    satisfies: requireCommonJs('semver/functions/satisfies') as typeof Satisfies,
    valid: requireCommonJs('semver/functions/valid') as typeof Valid,
    validRange: requireCommonJs('semver/ranges/valid') as typeof ValidRange,
  };
  return loaded;
}

export interface SemverOptions {
  /** node-semver's loose parsing (`=1.2.3`, `v 1.2.3`, `1.2.3beta`). */
  readonly loose?: boolean;
  /** Let ranges match pre-releases of other tuples too. */
  readonly includePrerelease?: boolean;
}

export interface ParsedSemver {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  readonly prerelease: readonly (string | number)[];
  readonly build: readonly string[];
}

function npmOptions(options: SemverOptions): RangeOptions {
  return { loose: options.loose === true, includePrerelease: options.includePrerelease === true };
}

/** Parses a version npm accepts; throws a VersionError otherwise. */
export function parseSemver(version: string, options: SemverOptions = {}): ParsedSemver {
  const parsed = semver().parse(version, npmOptions(options));
  if (parsed === null) throw invalidVersion('semver', version, 'not a SemVer version');
  const { major, minor, patch, prerelease, build } = parsed;
  return { major, minor, patch, prerelease, build };
}

export function isValidSemver(version: string, options: SemverOptions = {}): boolean {
  return semver().valid(version, npmOptions(options)) !== null;
}

/** Compares like node-semver's compare(); falls back to SemVer-like precedence for OSV oddities (see top). */
export function compareSemver(a: string, b: string, options: SemverOptions = {}): Order {
  const opts = npmOptions(options);
  const { parse } = semver();
  const x = parse(a, opts);
  const y = parse(b, opts);
  if (x !== null && y !== null) return sign(x.compare(y));
  return compareSemverLike(x === null ? parseSemverLike(a) : fromSemver(x), y === null ? parseSemverLike(b) : fromSemver(y));
}

/**
 * node-semver's satisfies(): a version that does not parse satisfies nothing (check isValidSemver
 * first to fail closed). Throws a VersionError when the range does not parse.
 */
export function satisfiesRange(version: string, range: string, options: SemverOptions = {}): boolean {
  const opts = npmOptions(options);
  const { satisfies, validRange } = semver();
  if (validRange(range, opts) === null) throw invalidVersion('semver', range, 'not a SemVer range');
  return satisfies(version, range, opts);
}

interface SemverLike {
  readonly components: readonly string[];
  readonly prerelease: readonly string[];
}

const SEMVER_LIKE = /^v?(\d+(?:\.\d+)*)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;

function parseSemverLike(version: string): SemverLike {
  const match = SEMVER_LIKE.exec(version.trim());
  if (match === null) throw invalidVersion('semver', version, 'not a SemVer version');
  return { components: (match[1] ?? '').split('.'), prerelease: match[2] === undefined ? [] : match[2].split('.') };
}

function fromSemver(v: SemVer): SemverLike {
  return { components: [v.major, v.minor, v.patch].map(String), prerelease: v.prerelease.map(String) };
}

function compareSemverLike(a: SemverLike, b: SemverLike): Order {
  for (let i = 0; i < Math.max(a.components.length, b.components.length); i++) {
    const r = compareDigits(a.components[i] ?? '0', b.components[i] ?? '0');
    if (r !== 0) return r;
  }
  // A release sorts after its pre-releases.
  const aRelease = a.prerelease.length === 0;
  const bRelease = b.prerelease.length === 0;
  if (aRelease || bRelease) return aRelease === bRelease ? 0 : aRelease ? 1 : -1;
  return comparePrerelease(a.prerelease, b.prerelease);
}

/** SemVer §11.4: numeric identifiers numerically and below alphanumeric ones, which compare in ASCII; longer wins. */
function comparePrerelease(a: readonly string[], b: readonly string[]): Order {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i] ?? '';
    const y = b[i] ?? '';
    const xNum = /^\d+$/.test(x);
    const yNum = /^\d+$/.test(y);
    const r = xNum && yNum ? compareDigits(x, y) : xNum !== yNum ? (xNum ? -1 : 1) : compareStrings(x, y);
    if (r !== 0) return r;
  }
  return sign(a.length - b.length);
}
