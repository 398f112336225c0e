/**
 * Orders strings by UTF-16 code unit, as `Array.prototype.sort()` does without a comparator: the
 * same order on every machine, whatever its locale (reports, SBOMs and scopes must not change
 * with where they were made), and without `localeCompare`'s collator, whose first use loads ICU's
 * collation data (about 15 ms of a CLI scan).
 */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
