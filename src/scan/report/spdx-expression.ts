/**
 * SPDX license expressions (SPDX 2.3 Annex D) over the SPDX license list: ids are matched
 * case-insensitively and written in the list's case; operators `AND`, `OR`, `WITH` (upper or lower
 * case) are written upper-case. `LicenseRef-` ids are not accepted: a document would have to define
 * them. Package databases' own names for licenses with a list id are read as that id
 * ({@link normalizeLicense}): Debian's DEP-5 short names (`GPL-2+`, `Expat`), Fedora's legacy ones
 * (`GPLv2+`, `ASL 2.0`), Python's trove classifiers (`MIT License`). A name that means more than one
 * license (`BSD`, `GPL` without a version) is not guessed at.
 */
import { SPDX_EXCEPTION_IDS, SPDX_LICENSE_IDS } from './spdx-license-ids.ts';

const LICENSES = new Map(SPDX_LICENSE_IDS.map((id) => [id.toLowerCase(), id]));
const EXCEPTIONS = new Map(SPDX_EXCEPTION_IDS.map((id) => [id.toLowerCase(), id]));
const OPERATORS = new Set(['AND', 'OR', 'WITH']);

/** The list's spelling of a license id (`mit` → `MIT`), or `undefined` when it is not one. */
export function spdxLicenseId(name: string): string | undefined {
  return LICENSES.get(name.trim().toLowerCase());
}

/** One-word names for list ids (DEP-5, Fedora's legacy names), lower case. */
const WORD_ALIASES: ReadonlyMap<string, string> = new Map([
  ['expat', 'MIT'],
  ['artistic', 'Artistic-1.0'],
  ['apache-2', 'Apache-2.0'],
  ['apachev2', 'Apache-2.0'],
  ['mpl-2', 'MPL-2.0'],
  ['mplv2.0', 'MPL-2.0'],
  ['psf-2', 'PSF-2.0'],
  ['cc0', 'CC0-1.0'],
  ['zope-2.1', 'ZPL-2.1'],
]);

/** Names of several words for list ids (Python's classifiers, Fedora's legacy names, common spellings), lower case, spaces single. */
const NAME_ALIASES: ReadonlyMap<string, string> = new Map([
  ['mit license', 'MIT'],
  ['the mit license', 'MIT'],
  ['mit license (mit)', 'MIT'],
  ['asl 2.0', 'Apache-2.0'],
  ['apache 2', 'Apache-2.0'],
  ['apache 2.0', 'Apache-2.0'],
  ['apache license 2.0', 'Apache-2.0'],
  ['apache license, version 2.0', 'Apache-2.0'],
  ['apache license version 2.0', 'Apache-2.0'],
  ['apache software license 2.0', 'Apache-2.0'],
  ['isc license (iscl)', 'ISC'],
  ['isc license', 'ISC'],
  ['python software foundation license', 'PSF-2.0'],
  ['mozilla public license 1.1 (mpl 1.1)', 'MPL-1.1'],
  ['mozilla public license 2.0 (mpl 2.0)', 'MPL-2.0'],
  ['the unlicense (unlicense)', 'Unlicense'],
  ['boost software license 1.0 (bsl-1.0)', 'BSL-1.0'],
  ['eclipse public license 1.0', 'EPL-1.0'],
  ['eclipse public license 2.0 (epl-2.0)', 'EPL-2.0'],
  ['european union public licence 1.2 (eupl 1.2)', 'EUPL-1.2'],
  ['gnu general public license v2 (gplv2)', 'GPL-2.0-only'],
  ['gnu general public license v2 or later (gplv2+)', 'GPL-2.0-or-later'],
  ['gnu general public license v3 (gplv3)', 'GPL-3.0-only'],
  ['gnu general public license v3 or later (gplv3+)', 'GPL-3.0-or-later'],
  ['gnu lesser general public license v2 (lgplv2)', 'LGPL-2.0-only'],
  ['gnu lesser general public license v2 or later (lgplv2+)', 'LGPL-2.0-or-later'],
  ['gnu lesser general public license v3 (lgplv3)', 'LGPL-3.0-only'],
  ['gnu lesser general public license v3 or later (lgplv3+)', 'LGPL-3.0-or-later'],
  ['gnu affero general public license v3', 'AGPL-3.0-only'],
  ['gnu affero general public license v3 or later (agplv3+)', 'AGPL-3.0-or-later'],
  ['zlib/libpng license', 'Zlib'],
  ['creative commons zero v1.0 universal', 'CC0-1.0'],
]);

/** `GPL-2`, `GPL-2+`, `LGPL-2.1+`, `GPLv3`, `AGPLv3+`, `GFDL-1.3+`: the GNU licenses as DEP-5 and Fedora name them. */
const GNU = /^(A?GPL|LGPL|GFDL)-?v?(\d)(?:\.(\d))?(\+)?$/i;

/** A license id for one word of an expression: the list's, else what a package database's name for it means. */
function licenseId(token: string): string | undefined {
  const listed = LICENSES.get(token.toLowerCase());
  if (listed !== undefined) return listed;
  const alias = WORD_ALIASES.get(token.toLowerCase());
  if (alias !== undefined) return alias;
  const gnu = GNU.exec(token);
  if (gnu !== null) {
    const [, family = '', major = '', minor = '0', plus] = gnu;
    return LICENSES.get(`${family}-${major}.${minor}-${plus === undefined ? 'only' : 'or-later'}`.toLowerCase());
  }
  return undefined;
}

interface Cursor {
  readonly tokens: readonly string[];
  index: number;
}

function operator(cursor: Cursor, word: string): boolean {
  const token = cursor.tokens[cursor.index];
  if (token === undefined || token.toUpperCase() !== word || (token !== word && token !== word.toLowerCase())) return false;
  cursor.index += 1;
  return true;
}

/** simple-expression [WITH exception] | '(' compound ')' */
function primary(cursor: Cursor): string | undefined {
  const token = cursor.tokens[cursor.index];
  if (token === undefined) return undefined;
  cursor.index += 1;
  if (token === '(') {
    const inner = compound(cursor);
    if (inner === undefined || cursor.tokens[cursor.index] !== ')') return undefined;
    cursor.index += 1;
    return `(${inner})`;
  }
  if (OPERATORS.has(token.toUpperCase()) || token === ')') return undefined;
  const named = licenseId(token);
  const plus = named === undefined && token.endsWith('+');
  const id = named ?? (plus ? LICENSES.get(token.slice(0, -1).toLowerCase()) : undefined);
  if (id === undefined) return undefined;
  const license = plus ? `${id}+` : id;
  if (!operator(cursor, 'WITH')) return license;
  const exception = EXCEPTIONS.get((cursor.tokens[cursor.index] ?? '').toLowerCase());
  if (exception === undefined) return undefined;
  cursor.index += 1;
  return `${license} WITH ${exception}`;
}

/** AND binds tighter than OR. */
function conjunction(cursor: Cursor): string | undefined {
  const parts = [primary(cursor)];
  while (operator(cursor, 'AND')) parts.push(primary(cursor));
  return parts.includes(undefined) ? undefined : parts.join(' AND ');
}

function compound(cursor: Cursor): string | undefined {
  const parts = [conjunction(cursor)];
  while (operator(cursor, 'OR')) parts.push(conjunction(cursor));
  return parts.includes(undefined) ? undefined : parts.join(' OR ');
}

/** The canonical form of one license expression, or `undefined` when it is not a valid one. */
export function parseSpdxExpression(text: string): string | undefined {
  const cursor: Cursor = { tokens: text.match(/[()]|[^\s()]+/g) ?? [], index: 0 };
  if (cursor.tokens.length === 0) return undefined;
  const expression = compound(cursor);
  return cursor.index === cursor.tokens.length ? expression : undefined;
}

/**
 * A package database's license as an SPDX expression (`GPL-2+ or Artistic` → `GPL-2.0-or-later OR
 * Artistic-1.0`, `MIT License` → `MIT`), or `undefined` when it names no license of the list.
 */
export function normalizeLicense(text: string): string | undefined {
  const alias = NAME_ALIASES.get(text.trim().replace(/\s+/g, ' ').toLowerCase());
  return alias ?? parseSpdxExpression(text);
}

/** Several expressions that all apply, as one (`AND`, an `OR` in parentheses). */
export function conjunctionOf(expressions: readonly string[]): string | undefined {
  const unique = [...new Set(expressions)];
  if (unique.length <= 1) return unique[0];
  return unique.map((e) => (e.includes(' OR ') ? `(${e})` : e)).join(' AND ');
}

/**
 * One expression for a package's licenses (all of them apply, so they are joined with `AND`), or
 * `undefined` when there are none or any names no license of the list.
 */
export function toSpdxExpression(licenses: readonly string[]): string | undefined {
  const parsed = [...new Set(licenses.map((license) => license.trim()).filter((license) => license !== ''))].map(normalizeLicense);
  if (parsed.length === 0 || parsed.includes(undefined)) return undefined;
  return conjunctionOf(parsed as string[]);
}
