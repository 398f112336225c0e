/**
 * Ordering for versions that are not PEP 440 (`0.9-doduo`, `2013-01-21T20:33:09+0100`, `trunk`),
 * as packaging < 22's LegacyVersion defined it (setuptools' old parse_version): every legacy version
 * sorts below every PEP 440 version, and legacy versions compare by a key of zero-padded numbers and
 * `*`-prefixed words. osv-scanner orders old PyPI releases this way.
 */
import { compareStrings, type Order } from './order.ts';

const COMPONENT_RE = /(\p{Nd}+|[a-z]+|\.|-)/u;
const REPLACEMENTS: Readonly<Record<string, string>> = { pre: 'c', preview: 'c', '-': 'final-', rc: 'c', dev: '@' };

/** _parse_version_parts(): re.split keeps the text between matches, so `:` or `+` become parts too. */
function* versionParts(version: string): Generator<string> {
  for (const raw of version.split(COMPONENT_RE)) {
    const part = REPLACEMENTS[raw] ?? raw;
    if (part === '' || part === '.') continue;
    yield /^[0-9]/.test(part) ? part.padStart(8, '0') : `*${part}`;
  }
  yield '*final';
}

/** _legacy_cmpkey(): drops `*final-` before pre-release words and trailing zero numbers before words. */
export function legacyKey(version: string): readonly string[] {
  const parts: string[] = [];
  for (const part of versionParts(version.toLowerCase())) {
    if (part.startsWith('*')) {
      if (part < '*final') while (parts.at(-1) === '*final-') parts.pop();
      while (parts.at(-1) === '00000000') parts.pop();
    }
    parts.push(part);
  }
  return parts;
}

/** Compares two legacy versions by their keys (a legacy version is always below a PEP 440 one). */
export function compareLegacyVersions(a: string, b: string): Order {
  const x = legacyKey(a);
  const y = legacyKey(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const r = compareStrings(x[i] ?? '', y[i] ?? '');
    if (r !== 0) return r;
  }
  return x.length === y.length ? 0 : x.length < y.length ? -1 : 1;
}
