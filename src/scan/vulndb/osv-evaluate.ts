/**
 * Whether a version is affected by an advisory's `affected[]` entries for one package, after the
 * OSV specification's pseudocode (`formats/sbom-vuln.md` §4): an exact `versions[]` entry, or a
 * SEMVER/ECOSYSTEM range whose last applicable event (in version order, `"0"` lowest) is an
 * `introduced` (`fixed` exclusive, `last_affected` inclusive), below some `limit` if it has any.
 * GIT ranges need the repository graph and are left to `versions[]`. A comparison that throws
 * makes the range *incomparable*: reported, never silently dropped (fail closed).
 */
import type { OsvAffected, OsvEvent, OsvRange } from './osv-record.ts';

export type Comparator = (a: string, b: string) => -1 | 0 | 1;

/** The comparator for a range (SEMVER, or the entry's ecosystem); undefined when none is known. */
export type ComparatorFor = (range: OsvRange, ecosystem: string) => Comparator | undefined;

export type Evaluation =
  | { readonly kind: 'affected'; readonly fixed: readonly string[] }
  | { readonly kind: 'unaffected' }
  | { readonly kind: 'incomparable'; readonly reason: string; readonly fixed: readonly string[] };

type RangeResult = { readonly kind: 'in' | 'out' } | { readonly kind: 'incomparable'; readonly reason: string };

export function evaluateAffected(entries: readonly OsvAffected[], version: string, comparatorFor: ComparatorFor): Evaluation {
  const fixed = new Set<string>();
  const incomparable: string[] = [];
  const incomparableFixed = new Set<string>();
  let affected = false;
  for (const entry of entries) {
    const ecosystem = entry.package?.ecosystem ?? '';
    const listed = entry.versions.includes(version);
    for (const range of entry.ranges) {
      if (range.type === 'GIT') continue;
      const compare = comparatorFor(range, ecosystem) ?? unknownScheme(range, ecosystem);
      const result = evaluateRange(range, version, compare);
      if (result.kind === 'incomparable') {
        incomparable.push(result.reason);
        for (const v of fixedEvents(range)) incomparableFixed.add(v);
      } else if (result.kind === 'in' || listed) {
        affected = true;
        for (const v of fixesAbove(range, version, compare)) fixed.add(v);
      }
    }
    affected ||= listed;
  }
  if (affected) return { kind: 'affected', fixed: [...fixed] };
  if (incomparable.length > 0) return { kind: 'incomparable', reason: [...new Set(incomparable)].join('; '), fixed: [...incomparableFixed] };
  return { kind: 'unaffected' };
}

/** One range: `in` when the version is affected by it. */
export function evaluateRange(range: OsvRange, version: string, compare: Comparator): RangeResult {
  try {
    const limits = range.events.filter((event) => event.kind === 'limit');
    if (limits.length > 0 && !limits.some((limit) => limit.version === '*' || compare(version, limit.version) < 0)) return { kind: 'out' };
    let last: OsvEvent | undefined;
    for (const event of range.events) {
      if (event.kind === 'limit' || !applies(event, version, compare)) continue;
      // Sorted traversal keeps the state of the last applicable event; among equal versions, the later one.
      if (last === undefined || compareEvents(event, last, compare) >= 0) last = event;
    }
    return { kind: last?.kind === 'introduced' ? 'in' : 'out' };
  } catch (error) {
    return { kind: 'incomparable', reason: error instanceof Error ? error.message : String(error) };
  }
}

function applies(event: OsvEvent, version: string, compare: Comparator): boolean {
  if (event.version === '0') return event.kind === 'introduced' || compare(version, event.version) >= 0;
  switch (event.kind) {
    case 'introduced':
    case 'fixed':
      return compare(version, event.version) >= 0;
    case 'last_affected':
      return compare(version, event.version) > 0;
    case 'limit':
      return false;
  }
}

function compareEvents(a: OsvEvent, b: OsvEvent, compare: Comparator): number {
  if (a.version === '0' || b.version === '0') return (a.version === '0' ? 0 : 1) - (b.version === '0' ? 0 : 1);
  return compare(a.version, b.version);
}

function fixedEvents(range: OsvRange): string[] {
  return range.events.filter((event) => event.kind === 'fixed').map((event) => event.version);
}

/** The range's fixes that are newer than `version` (an earlier interval's fix does not fix it); all of them when not comparable. */
function fixesAbove(range: OsvRange, version: string, compare: Comparator): string[] {
  return fixedEvents(range).filter((fix) => {
    try {
      return compare(fix, version) > 0;
    } catch {
      return true;
    }
  });
}

function unknownScheme(range: OsvRange, ecosystem: string): Comparator {
  return () => {
    throw new Error(`no version scheme for ${range.type === 'SEMVER' ? 'SEMVER ranges' : `ecosystem ${JSON.stringify(ecosystem)}`}`);
  };
}
