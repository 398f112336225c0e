/**
 * PEP 440 versions (Python packaging), as pypa/packaging 26.2 parses, normalises and orders them
 * (src/packaging/version.py at 053c8846). Legacy, non-PEP 440 versions are rejected unless asked
 * for; see pep440-legacy.ts.
 */
import { compareLegacyVersions } from './pep440-legacy.ts';
import { compareStrings, type Order } from './order.ts';
import { invalidVersion } from './version-error.ts';

export type Pep440PreLabel = 'a' | 'b' | 'rc';

export interface Pep440Version {
  readonly epoch: bigint;
  readonly release: readonly bigint[];
  readonly pre: { readonly label: Pep440PreLabel; readonly number: bigint } | undefined;
  readonly post: bigint | undefined;
  readonly dev: bigint | undefined;
  /** Local segments, lowercased; all-digit segments as numbers. */
  readonly local: readonly (string | bigint)[] | undefined;
}

export interface Pep440CompareOptions {
  /**
   * Order versions that are not PEP 440 like packaging < 22's LegacyVersion did (below every PEP 440
   * version), as osv-scanner does for old PyPI releases. Off by default: invalid versions throw.
   */
  readonly legacy?: boolean;
}

/** The grammar of packaging's VERSION_PATTERN (ASCII letters, case-insensitive; surrounding whitespace allowed). */
const VERSION_RE = new RegExp(
  String.raw`^\s*v?(?:([0-9]+)!)?([0-9]+(?:\.[0-9]+)*)` +
    String.raw`(?:[._-]?(alpha|a|beta|b|preview|pre|c|rc)[._-]?([0-9]+)?)?` +
    String.raw`(?:-([0-9]+)|[._-]?(post|rev|r)[._-]?([0-9]+)?)?` +
    String.raw`(?:[._-]?(dev)[._-]?([0-9]+)?)?` +
    String.raw`(?:\+([a-z0-9]+(?:[._-][a-z0-9]+)*))?\s*$`,
  'i',
);

const PRE_LABELS: Readonly<Record<string, Pep440PreLabel>> = {
  a: 'a', alpha: 'a', b: 'b', beta: 'b', c: 'rc', pre: 'rc', preview: 'rc', rc: 'rc',
};

/** Parses and normalises a PEP 440 version; throws a VersionError when it is not one. */
export function parsePep440(version: string): Pep440Version {
  const m = VERSION_RE.exec(version);
  if (m === null) throw invalidVersion('pep440', version, 'not a PEP 440 version');
  const [, epoch, release = '', preLabel, preNumber, postImplicit, postLabel, postNumber, devLabel, devNumber, local] = m;
  return {
    epoch: BigInt(epoch ?? '0'),
    release: release.split('.').map((n) => BigInt(n)),
    pre: preLabel === undefined ? undefined : { label: PRE_LABELS[preLabel.toLowerCase()] ?? 'rc', number: BigInt(preNumber ?? '0') },
    post: postImplicit !== undefined ? BigInt(postImplicit) : postLabel === undefined ? undefined : BigInt(postNumber ?? '0'),
    dev: devLabel === undefined ? undefined : BigInt(devNumber ?? '0'),
    local: local === undefined ? undefined : local.toLowerCase().split(/[._-]/).map((s) => (/^[0-9]+$/.test(s) ? BigInt(s) : s)),
  };
}

export function isValidPep440(version: string): boolean {
  return VERSION_RE.test(version);
}

/** The normalised form (packaging's `str(Version(v))`): `1.0-r5` → `1.0.post5`, `v1.0A` → `1.0a0`. */
export function normalizePep440(version: string | Pep440Version): string {
  const v = typeof version === 'string' ? parsePep440(version) : version;
  let s = publicPep440(v);
  if (v.local !== undefined) s += `+${v.local.join('.')}`;
  return s;
}

/** The normalised version without its local segment. */
export function publicPep440(v: Pep440Version): string {
  let s = `${v.epoch === 0n ? '' : `${v.epoch}!`}${v.release.join('.')}`;
  if (v.pre !== undefined) s += `${v.pre.label}${v.pre.number}`;
  if (v.post !== undefined) s += `.post${v.post}`;
  if (v.dev !== undefined) s += `.dev${v.dev}`;
  return s;
}

/** A pre-release in packaging's sense: it has a pre-release or a dev segment. */
export function isPep440Prerelease(v: Pep440Version): boolean {
  return v.pre !== undefined || v.dev !== undefined;
}

/** Compares two versions; throws a VersionError for a non-PEP 440 version unless `legacy` is set. */
export function comparePep440(a: string, b: string, options: Pep440CompareOptions = {}): Order {
  if (options.legacy === true) {
    const aValid = isValidPep440(a);
    const bValid = isValidPep440(b);
    if (!aValid || !bValid) return aValid === bValid ? compareLegacyVersions(a, b) : aValid ? 1 : -1;
  }
  return compareParsedPep440(parsePep440(a), parsePep440(b));
}

/** packaging's _cmpkey order: epoch, release without trailing zeros, pre/post/dev suffix, local. */
export function compareParsedPep440(a: Pep440Version, b: Pep440Version): Order {
  return (
    compareBig(a.epoch, b.epoch) ||
    compareTuples(trimZeros(a.release), trimZeros(b.release), compareBig) ||
    compareTuples(suffixKey(a), suffixKey(b), compareBig) ||
    compareLocal(a.local, b.local)
  );
}

function compareBig(a: bigint, b: bigint): Order {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

/** Python tuple comparison: element-wise, then the shorter tuple first. */
function compareTuples<T>(a: readonly T[], b: readonly T[], cmp: (x: T, y: T) => Order): Order {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const r = cmp(a[i] as T, b[i] as T);
    if (r !== 0) return r;
  }
  return compareBig(BigInt(a.length), BigInt(b.length));
}

function trimZeros(release: readonly bigint[]): readonly bigint[] {
  let end = release.length;
  while (end > 0 && release[end - 1] === 0n) end--;
  return release.slice(0, end);
}

const PRE_RANK: Readonly<Record<Pep440PreLabel, bigint>> = { a: 0n, b: 1n, rc: 2n };

/** (pre rank, pre n, post rank, post n, dev rank, dev n): a dev-only release sorts before its pre-releases. */
function suffixKey(v: Pep440Version): bigint[] {
  let pre = [3n, 0n];
  if (v.pre !== undefined) pre = [PRE_RANK[v.pre.label], v.pre.number];
  else if (v.post === undefined && v.dev !== undefined) pre = [-1n, 0n];
  const post = v.post === undefined ? [0n, 0n] : [1n, v.post];
  const dev = v.dev === undefined ? [1n, 0n] : [0n, v.dev];
  return [...pre, ...post, ...dev];
}

/** No local sorts first; segments: strings before numbers, numbers numerically, strings lexically. */
function compareLocal(a: Pep440Version['local'], b: Pep440Version['local']): Order {
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? -1 : 1;
  return compareTuples(a, b, compareLocalSegment);
}

function compareLocalSegment(a: string | bigint, b: string | bigint): Order {
  if (typeof a === 'bigint' && typeof b === 'bigint') return compareBig(a, b);
  if (typeof a === 'string' && typeof b === 'string') return compareStrings(a, b);
  return typeof a === 'string' ? -1 : 1;
}
