/**
 * SPDX license expressions (SPDX 2.3 Annex D) over the SPDX license list: ids are matched
 * case-insensitively and written in the list's case; operators `AND`, `OR`, `WITH` (upper or lower
 * case) are written upper-case. `LicenseRef-` ids are not accepted: a document would have to define
 * them, and package databases' free-text names (`GPL-2+`, `BSD`) are not expressions.
 */
import { SPDX_EXCEPTION_IDS, SPDX_LICENSE_IDS } from './spdx-license-ids.ts';

const LICENSES = new Map(SPDX_LICENSE_IDS.map((id) => [id.toLowerCase(), id]));
const EXCEPTIONS = new Map(SPDX_EXCEPTION_IDS.map((id) => [id.toLowerCase(), id]));
const OPERATORS = new Set(['AND', 'OR', 'WITH']);

/** The list's spelling of a license id (`mit` → `MIT`), or `undefined` when it is not one. */
export function spdxLicenseId(name: string): string | undefined {
  return LICENSES.get(name.trim().toLowerCase());
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
  const plus = token.endsWith('+') && !LICENSES.has(token.toLowerCase());
  const id = LICENSES.get((plus ? token.slice(0, -1) : token).toLowerCase());
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
 * One expression for a package's licenses (all of them apply, so they are joined with `AND`), or
 * `undefined` when there are none or any is not a valid SPDX expression.
 */
export function toSpdxExpression(licenses: readonly string[]): string | undefined {
  const parsed = [...new Set(licenses.map((license) => license.trim()).filter((license) => license !== ''))].map(parseSpdxExpression);
  if (parsed.length === 0 || parsed.includes(undefined)) return undefined;
  const expressions = [...new Set(parsed as string[])];
  if (expressions.length === 1) return expressions[0];
  return expressions.map((e) => (e.includes(' OR ') ? `(${e})` : e)).join(' AND ');
}
