/**
 * JSON as Go's `encoding/json` writes it: compact, map keys sorted, and `<`, `>`, `&`, U+2028 and
 * U+2029 escaped. cosign's payloads are Go-marshalled; writing them the same way keeps what
 * Slipway signs byte-identical to what cosign would have signed.
 */
export function goJson(value: unknown): string {
  return JSON.stringify(sortMaps(value)).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Plain objects built with `goMap` are maps (sorted keys); others keep their field order, as Go structs do. */
const MAPS = new WeakSet<object>();

export function goMap<T extends Record<string, unknown>>(value: T): T {
  MAPS.add(value);
  return value;
}

function sortMaps(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortMaps);
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value).map(([k, v]) => [k, sortMaps(v)] as const);
  if (MAPS.has(value)) entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(entries);
}
