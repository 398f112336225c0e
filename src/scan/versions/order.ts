/** The result of every comparator in this module: a < b ⇒ -1, a == b ⇒ 0, a > b ⇒ 1. */
export type Order = -1 | 0 | 1;

export function sign(n: number): Order {
  if (n < 0) return -1;
  return n > 0 ? 1 : 0;
}

/** Compares strings by UTF-16 code units (C `strcmp`/Go `strings.Compare` for ASCII). */
export function compareStrings(a: string, b: string): Order {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

/** Compares unsigned decimal digit strings of any length numerically. */
export function compareDigits(a: string, b: string): Order {
  const x = a.replace(/^0+/, '');
  const y = b.replace(/^0+/, '');
  if (x.length !== y.length) return x.length < y.length ? -1 : 1;
  return compareStrings(x, y);
}
