/**
 * Debian package versions, as dpkg compares them (lib/dpkg/version.c, lib/dpkg/parsehelp.c):
 * `[epoch:]upstream[-revision]`, epoch numeric, revision after the last `-`.
 */
import { invalidVersion } from './version-error.ts';
import type { Order } from './order.ts';
import { sign } from './order.ts';

export interface DpkgVersion {
  readonly epoch: number;
  readonly upstream: string;
  /** "" when absent, so `1.0` equals `1.0-0`. */
  readonly revision: string;
  /** dpkg's syntax warnings (it still compares such versions, e.g. `a-0`). */
  readonly warnings: readonly string[];
}

const MAX_EPOCH = 2 ** 31 - 1;

/** Parses like dpkg's parseversion(): hard errors throw a VersionError, soft ones become `warnings`. */
export function parseDpkg(version: string): DpkgVersion {
  const fail = (reason: string): never => {
    throw invalidVersion('dpkg', version, reason);
  };
  const trimmed = version.replace(/^[ \t]+|[ \t]+$/g, '');
  if (trimmed === '') fail('version string is empty');
  if (/[ \t]/.test(trimmed)) fail('version string has embedded spaces');
  let rest = trimmed;
  let epoch = 0;
  const colon = trimmed.indexOf(':');
  if (colon >= 0) {
    epoch = parseEpoch(trimmed.slice(0, colon), fail);
    rest = trimmed.slice(colon + 1);
    if (rest === '') fail('nothing after colon in version number');
  }
  const hyphen = rest.lastIndexOf('-');
  const upstream = hyphen >= 0 ? rest.slice(0, hyphen) : rest;
  const revision = hyphen >= 0 ? rest.slice(hyphen + 1) : '';
  if (hyphen >= 0 && revision === '') fail('revision number is empty');
  if (upstream === '') fail('version number is empty');
  return { epoch, upstream, revision, warnings: syntaxWarnings(upstream, revision) };
}

function parseEpoch(text: string, fail: (reason: string) => never): number {
  if (text === '') return fail('epoch in version is empty');
  if (!/^[+-]?\d+$/.test(text)) return fail('epoch in version is not number');
  if (text.startsWith('-') && /[1-9]/.test(text)) return fail('epoch in version is negative');
  const epoch = Number(text);
  if (epoch > MAX_EPOCH) return fail('epoch in version is too big');
  return Math.abs(epoch);
}

function syntaxWarnings(upstream: string, revision: string): string[] {
  if (!/^\d/.test(upstream)) return ['version number does not start with digit'];
  if (!/^[0-9A-Za-z.+~:-]*$/.test(upstream)) return ['invalid character in version number'];
  if (!/^[0-9A-Za-z.+~]*$/.test(revision)) return ['invalid character in revision number'];
  return [];
}

/** True when dpkg accepts `version` without errors or warnings. */
export function isValidDpkg(version: string): boolean {
  try {
    return parseDpkg(version).warnings.length === 0;
  } catch {
    return false;
  }
}

/** Compares like `dpkg --compare-versions` (which accepts versions that only draw warnings). Throws a VersionError on hard syntax errors. */
export function compareDpkg(a: string, b: string): Order {
  return compareParsedDpkg(parseDpkg(a), parseDpkg(b));
}

export function compareParsedDpkg(a: DpkgVersion, b: DpkgVersion): Order {
  if (a.epoch !== b.epoch) return a.epoch > b.epoch ? 1 : -1;
  return sign(verrevcmp(a.upstream, b.upstream) || verrevcmp(a.revision, b.revision));
}

const CODE_0 = 48;
const CODE_9 = 57;
const CODE_TILDE = 126;

function isDigitCode(c: number): boolean {
  return c >= CODE_0 && c <= CODE_9;
}

function isAlphaCode(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/** The weight of a character in a non-digit run; NaN (past the end) weighs like the end of the string. */
function order(c: number): number {
  if (Number.isNaN(c) || isDigitCode(c)) return 0;
  if (isAlphaCode(c)) return c;
  if (c === CODE_TILDE) return -1;
  return c + 256;
}

/** dpkg's verrevcmp: alternating non-digit runs (by `order`) and digit runs (numerically). */
export function verrevcmp(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while ((i < a.length && !isDigitCode(a.charCodeAt(i))) || (j < b.length && !isDigitCode(b.charCodeAt(j)))) {
      const diff = order(a.charCodeAt(i)) - order(b.charCodeAt(j));
      if (diff !== 0) return diff;
      i++;
      j++;
    }
    while (a.charCodeAt(i) === CODE_0) i++;
    while (b.charCodeAt(j) === CODE_0) j++;
    let firstDiff = 0;
    while (isDigitCode(a.charCodeAt(i)) && isDigitCode(b.charCodeAt(j))) {
      if (firstDiff === 0) firstDiff = a.charCodeAt(i) - b.charCodeAt(j);
      i++;
      j++;
    }
    if (isDigitCode(a.charCodeAt(i))) return 1;
    if (isDigitCode(b.charCodeAt(j))) return -1;
    if (firstDiff !== 0) return firstDiff;
  }
  return 0;
}
