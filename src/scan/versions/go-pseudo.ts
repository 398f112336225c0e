/**
 * Go pseudo-versions (golang.org/x/mod/module/pseudo.go at fe2ec04f): `vX.0.0-<ts>-<rev>` (no tag),
 * `vX.Y.(Z+1)-0.<ts>-<rev>` (after vX.Y.Z) and `vX.Y.Z-pre.0.<ts>-<rev>` (after a pre-release),
 * `<ts>` being the commit time as UTC yyyymmddhhmmss. They order by plain semver rules.
 */
import { canonicalGo, parseGo } from './go.ts';
import { invalidVersion } from './version-error.ts';

const PSEUDO_RE = /^v[0-9]+\.(0\.0-|\d+\.\d+-([^+]*\.)?0\.)\d{14}-[A-Za-z0-9]+(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/;

export function isPseudoVersion(v: string): boolean {
  return (v.match(/-/g)?.length ?? 0) >= 2 && parseGo(v) !== undefined && PSEUDO_RE.test(v);
}

/** module.PseudoVersion: the pseudo-version for a commit at `time` after the tag `older` ("" = none). */
export function pseudoVersion(major: string, older: string, time: Date, rev: string): string {
  const segment = `${formatTimestamp(time)}-${rev}`;
  const build = parseGo(older)?.build ?? '';
  const base = canonicalGo(older);
  if (base === undefined) return `${major === '' ? 'v0' : major}.0.0-${segment}`;
  if (parseGo(base)?.prerelease !== '') return `${base}.0.${segment}${build}`;
  const i = base.lastIndexOf('.') + 1;
  return `${base.slice(0, i)}${incDecimal(base.slice(i))}-0.${segment}${build}`;
}

interface PseudoParts {
  readonly base: string;
  readonly timestamp: string;
  readonly rev: string;
  readonly build: string;
}

function parsePseudoVersion(v: string): PseudoParts {
  if (!isPseudoVersion(v)) throw invalidVersion('go', v, 'not a pseudo-version');
  const build = parseGo(v)?.build ?? '';
  let rest = v.slice(0, v.length - build.length);
  const j = rest.lastIndexOf('-');
  const rev = rest.slice(j + 1);
  rest = rest.slice(0, j);
  const hyphen = rest.lastIndexOf('-');
  const dot = rest.lastIndexOf('.');
  const cut = dot > hyphen ? dot : hyphen;
  return { base: rest.slice(0, cut), timestamp: rest.slice(cut + 1), rev, build };
}

/** module.PseudoVersionTime; throws a VersionError for a malformed pseudo-version or time. */
export function pseudoVersionTime(v: string): Date {
  const ts = parsePseudoVersion(v).timestamp;
  const field = (at: number, length = 2): number => Number(ts.slice(at, at + length));
  const time = new Date(0);
  time.setUTCFullYear(field(0, 4), field(4) - 1, field(6));
  time.setUTCHours(field(8), field(10), field(12), 0);
  // Out-of-range fields (month 13, hour 24) roll over in Date; Go rejects them.
  if (formatTimestamp(time) !== ts) throw invalidVersion('go', v, `malformed time ${ts}`);
  return time;
}

/** module.PseudoVersionRev: the commit identifier. */
export function pseudoVersionRev(v: string): string {
  return parsePseudoVersion(v).rev;
}

/** module.PseudoVersionBase: the tag the pseudo-version follows, or "" when it follows none. */
export function pseudoVersionBase(v: string): string {
  const { base, build } = parsePseudoVersion(v);
  const pre = parseGo(base)?.prerelease ?? '';
  if (pre === '') {
    if (build !== '') throw invalidVersion('go', v, `lacks base version, but has build metadata ${build}`);
    return '';
  }
  if (pre === '-0') {
    const release = base.slice(0, -pre.length);
    const i = release.lastIndexOf('.');
    const patch = decDecimal(release.slice(i + 1));
    if (patch === '') throw invalidVersion('go', v, `version before ${release} would have negative patch number`);
    return `${release.slice(0, i + 1)}${patch}${build}`;
  }
  return `${base.slice(0, -'.0'.length)}${build}`;
}

function formatTimestamp(t: Date): string {
  const pad = (n: number, width = 2): string => String(n).padStart(width, '0');
  return `${pad(t.getUTCFullYear(), 4)}${pad(t.getUTCMonth() + 1)}${pad(t.getUTCDate())}${pad(t.getUTCHours())}${pad(t.getUTCMinutes())}${pad(t.getUTCSeconds())}`;
}

/** Adds one to a decimal digit string of any length. */
function incDecimal(decimal: string): string {
  return (BigInt(decimal) + 1n).toString();
}

/** Subtracts one from a decimal digit string; "" for "0". */
function decDecimal(decimal: string): string {
  const n = BigInt(decimal);
  return n === 0n ? '' : (n - 1n).toString();
}
