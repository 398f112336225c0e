/**
 * Findings from matched advisories: the id a report shows (a CVE when the advisory names one),
 * every id as aliases, severity, fixed versions, summary, references. An advisory that fixes
 * several CVEs (a DSA, a USN) is one finding per CVE, as Trivy lists them: a gate, an exception and
 * a severity filter each speak of one CVE. Several advisories about the same vulnerability for one
 * package (a DSA and a DEBIAN-CVE record; a GHSA and a PYSEC naming each other) merge into one.
 */
import type { Finding, Package } from '../model.ts';
import { SEVERITIES } from '../model.ts';
import { advisorySeverity } from './advisory-severity.ts';
import type { Evaluation } from './osv-evaluate.ts';
import type { OsvAffected, OsvRecord } from './osv-record.ts';

export const NOT_COMPARABLE = 'version not comparable: ';
const SUMMARY_LENGTH = 200;
const DESCRIPTION_LENGTH = 8 * 1024;

export function advisoryFindings(record: OsvRecord, entries: readonly OsvAffected[], pkg: Package, evaluation: Exclude<Evaluation, { kind: 'unaffected' }>): Finding[] {
  const finding = advisoryFinding(record, entries, pkg, evaluation);
  const cves = finding.aliases.filter((id) => id.startsWith('CVE-'));
  if (record.id.startsWith('CVE-') || cves.length <= 1) return [finding];
  // The advisory's own ids name the bundle, not one vulnerability: kept as `advisory`, not as an
  // alias (through which the CVEs would merge back into one).
  return cves.map((cve) => ({ ...finding, id: cve, aliases: [cve] }));
}

function advisoryFinding(record: OsvRecord, entries: readonly OsvAffected[], pkg: Package, evaluation: Exclude<Evaluation, { kind: 'unaffected' }>): Finding {
  const ids = [...new Set([record.id, ...record.aliases, ...record.upstream])];
  const { severity, cvss } = advisorySeverity(record, entries);
  const summary = summaryOf(record);
  const details = record.details?.trim() ?? '';
  const cweIds = cweIdsOf(record);
  return {
    id: record.id.startsWith('CVE-') ? record.id : (ids.find((id) => id.startsWith('CVE-')) ?? record.id),
    aliases: ids,
    package: pkg,
    severity,
    advisory: record.id,
    ...(cvss === undefined ? {} : { cvss: { ...cvss, source: record.id } }),
    fixedVersions: evaluation.fixed,
    summary: evaluation.kind === 'incomparable' ? `${NOT_COMPARABLE}${evaluation.reason}${summary === '' ? '' : ` — ${summary}`}` : summary,
    ...(details === '' ? {} : { description: details.length > DESCRIPTION_LENGTH ? `${details.slice(0, DESCRIPTION_LENGTH - 1)}…` : details }),
    ...(record.published === undefined ? {} : { published: record.published }),
    modified: record.modified,
    ...(cweIds.length === 0 ? {} : { cweIds }),
    references: [...new Set(record.references)],
  };
}

/** GHSA's `database_specific.cwe_ids` (`CWE-79`, …), the well-formed ones. */
function cweIdsOf(record: OsvRecord): string[] {
  const ids = record.databaseSpecific.cwe_ids;
  return Array.isArray(ids) ? [...new Set(ids.filter((id): id is string => typeof id === 'string' && /^CWE-[0-9]+$/.test(id)))] : [];
}

/**
 * One finding per vulnerability: findings that share an id or an alias (directly or through
 * another: aliases are symmetric and transitive in OSV) become one, aliases, fixed versions and
 * references united, the highest severity kept, named by a CVE when any of them has one.
 */
export function mergeFindings(findings: readonly Finding[]): Finding[] {
  const owner = new Map<string, number>();
  const parent = findings.map((_, i) => i);
  const root = (i: number): number => {
    let at = i;
    while (parent[at] !== at) at = parent[at] = parent[parent[at] ?? at] ?? at;
    return at;
  };
  findings.forEach((finding, i) => {
    for (const id of [finding.id, ...finding.aliases]) {
      const other = owner.get(id);
      if (other === undefined) owner.set(id, i);
      else parent[root(i)] = root(other);
    }
  });
  const groups = new Map<number, Finding>();
  findings.forEach((finding, i) => {
    const key = root(i);
    const seen = groups.get(key);
    groups.set(key, seen === undefined ? finding : merge(seen, finding));
  });
  return [...groups.values()];
}

function merge(a: Finding, b: Finding): Finding {
  const [primary, other] = rank(b) > rank(a) ? [b, a] : [a, b];
  const notComparable = (f: Finding) => f.summary.startsWith(NOT_COMPARABLE);
  // A definite match explains the finding better than a not-comparable one.
  const summary = notComparable(primary) && !notComparable(other) ? other.summary : primary.summary;
  const description = primary.description ?? other.description;
  const published = Math.min(primary.published ?? Infinity, other.published ?? Infinity);
  const modified = Math.max(primary.modified ?? -Infinity, other.modified ?? -Infinity);
  const cweIds = union(primary.cweIds ?? [], other.cweIds ?? []);
  const cvss = primary.cvss ?? other.cvss;
  const id = primary.id.startsWith('CVE-') || !other.id.startsWith('CVE-') ? primary.id : other.id;
  return {
    ...primary,
    id,
    ...(cvss === undefined ? {} : { cvss }),
    aliases: union(primary.aliases, other.aliases),
    fixedVersions: union(primary.fixedVersions, other.fixedVersions),
    summary,
    ...(description === undefined ? {} : { description }),
    ...(Number.isFinite(published) ? { published } : {}),
    ...(Number.isFinite(modified) ? { modified } : {}),
    ...(cweIds.length === 0 ? {} : { cweIds }),
    references: union(primary.references, other.references),
  };
}

function rank(finding: Finding): number {
  return SEVERITIES.indexOf(finding.severity);
}

function union(a: readonly string[], b: readonly string[]): string[] {
  return [...new Set([...a, ...b])];
}

function summaryOf(record: OsvRecord): string {
  const text = record.summary ?? record.details?.trim().split('\n')[0] ?? '';
  return text.length > SUMMARY_LENGTH ? `${text.slice(0, SUMMARY_LENGTH - 1)}…` : text;
}
