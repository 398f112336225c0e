/**
 * Media type comparison for the adapter's headers. Harbor compares byte-exact and sends byte-exact,
 * but other clients write `a;version=1.0` or change case: those compare equal here.
 */
export function sameMediaType(a: string, b: string): boolean {
  return normalize(a) === normalize(b);
}

/** The entries of an `Accept` header, without quality parameters. Media types never contain commas. */
export function acceptedTypes(accept: string | undefined): readonly string[] {
  if (accept === undefined || accept.trim() === '') return [];
  return accept
    .split(',')
    .map((entry) => entry.replaceAll(/;\s*q=[0-9.]+/gi, '').trim())
    .filter((entry) => entry !== '');
}

function normalize(value: string): string {
  return value.toLowerCase().replaceAll(/\s*;\s*/g, '; ').trim();
}
