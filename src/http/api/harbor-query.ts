import { HttpError } from '../http-error.ts';

/**
 * Harbor's `q` query parameter (`src/lib/q`): comma-separated `key=value` pairs, e.g.
 * `Level=project,ProjectID=3`. Like Harbor, a value that is still URL-encoded is decoded once
 * more. Only exact values are understood here; keys outside `known`, repeated keys and empty
 * keys or values are refused, so a filter is never silently dropped.
 */
export function parseHarborQuery(q: string, known: readonly string[]): ReadonlyMap<string, string> {
  let text = q;
  try {
    text = decodeURIComponent(q);
  } catch {
    // not encoded twice: taken as it is, as Harbor does
  }
  const pairs = new Map<string, string>();
  for (const part of text.split(',')) {
    const at = part.indexOf('=');
    const key = part.slice(0, at).trim();
    const value = part.slice(at + 1).trim();
    if (at < 0 || key === '' || value === '') throw new HttpError('BAD_REQUEST', `q: ${JSON.stringify(part)} is not key=value (Harbor's q is key=value pairs separated by commas)`);
    if (!known.includes(key)) throw new HttpError('BAD_REQUEST', `q: ${key} is not a filter here; use ${known.join(', ')}`);
    if (pairs.has(key)) throw new HttpError('BAD_REQUEST', `q: ${key} is given twice`);
    pairs.set(key, value);
  }
  return pairs;
}
