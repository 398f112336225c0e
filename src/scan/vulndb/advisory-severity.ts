/**
 * An advisory's severity on Harbor's scale (`formats/sbom-vuln.md` §6). The record's own rating
 * wins: an `Ubuntu` priority, GHSA's `database_specific.severity`, Debian's
 * `ecosystem_specific.urgency` (the highest when entries differ). Without one (or when it is
 * Unknown) the severity is computed from a CVSS vector — v4.0 before v3.x, the matched
 * `affected[]` entries' before the record's. That vector is reported with its score either way:
 * a GHSA record rates a finding `HIGH` and scores it 7.5, and reports show both (as Trivy's do).
 */
import type { Severity } from '../model.ts';
import { SEVERITIES } from '../model.ts';
import { cvssRating, cvssScore, type CvssRating } from './cvss.ts';
import type { OsvAffected, OsvRecord, OsvSeverity } from './osv-record.ts';

export interface AdvisorySeverity {
  readonly severity: Severity;
  /** The advisory's CVSS vector and score, whether or not the severity came from it. */
  readonly cvss?: { readonly vector: string; readonly score: number };
}

const GHSA: Readonly<Record<string, Severity>> = { critical: 'Critical', high: 'High', moderate: 'Medium', medium: 'Medium', low: 'Low' };
const UBUNTU: Readonly<Record<string, Severity>> = { untriaged: 'Unknown', negligible: 'Negligible', low: 'Low', medium: 'Medium', high: 'High', critical: 'Critical' };
const FROM_CVSS: Readonly<Record<CvssRating, Severity>> = { None: 'Negligible', Low: 'Low', Medium: 'Medium', High: 'High', Critical: 'Critical' };

export function advisorySeverity(record: OsvRecord, entries: readonly OsvAffected[]): AdvisorySeverity {
  const rated = highest(ownRatings(record, entries));
  const cvss = scoredVector(entries.flatMap((entry) => entry.severity)) ?? scoredVector(record.severity);
  const severity = rated !== 'Unknown' || cvss === undefined ? rated : cvssSeverity(cvss.score);
  return { severity, ...(cvss === undefined ? {} : { cvss }) };
}

/** A CVSS score on Harbor's scale (0 is Negligible: CVSS's None). */
export function cvssSeverity(score: number): Severity {
  return FROM_CVSS[cvssRating(score)];
}

/** Debian's urgency (`low*`, `medium**`… carry the tracker's uncertainty marks). */
export function debianUrgency(urgency: string): Severity {
  const word = urgency.trim().toLowerCase();
  if (word === 'unimportant') return 'Negligible';
  const base = /^(low|medium|high)\**$/.exec(word)?.[1];
  if (base === 'low') return 'Low';
  if (base === 'medium') return 'Medium';
  return base === 'high' ? 'High' : 'Unknown';
}

function ownRatings(record: OsvRecord, entries: readonly OsvAffected[]): Severity[] {
  const ratings: Severity[] = [];
  for (const severity of [...entries.flatMap((entry) => entry.severity), ...record.severity]) {
    if (severity.type === 'Ubuntu') ratings.push(UBUNTU[severity.score.toLowerCase()] ?? 'Unknown');
  }
  for (const specific of [record.databaseSpecific, ...entries.map((entry) => entry.databaseSpecific)]) {
    if (typeof specific.severity === 'string') ratings.push(GHSA[specific.severity.toLowerCase()] ?? 'Unknown');
  }
  for (const entry of entries) {
    if (typeof entry.ecosystemSpecific.urgency === 'string') ratings.push(debianUrgency(entry.ecosystemSpecific.urgency));
  }
  return ratings;
}

function highest(ratings: readonly Severity[]): Severity {
  return ratings.reduce<Severity>((best, rating) => (SEVERITIES.indexOf(rating) > SEVERITIES.indexOf(best) ? rating : best), 'Unknown');
}

function scoredVector(severities: readonly OsvSeverity[]): AdvisorySeverity['cvss'] {
  for (const type of ['CVSS_V4', 'CVSS_V3']) {
    for (const { score: vector } of severities.filter((severity) => severity.type === type)) {
      try {
        const { score } = cvssScore(vector.trim());
        return { vector: vector.trim(), score };
      } catch {
        // an unscorable vector: try the next one
      }
    }
  }
  return undefined;
}
