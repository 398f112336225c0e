/**
 * An advisory's severity on Harbor's scale (`formats/sbom-vuln.md` §6). The record's own rating
 * wins: an `Ubuntu` priority, GHSA's `database_specific.severity`, Debian's
 * `ecosystem_specific.urgency` (the highest when entries differ). Without one (or when it is
 * Unknown) the severity is computed from a CVSS vector — v4.0 before v3.x, the matched
 * `affected[]` entries' before the record's — and the vector is reported with its score.
 */
import type { Severity } from '../model.ts';
import { SEVERITIES } from '../model.ts';
import { cvssRating, cvssScore, type CvssRating } from './cvss.ts';
import type { OsvAffected, OsvRecord, OsvSeverity } from './osv-record.ts';

export interface AdvisorySeverity {
  readonly severity: Severity;
  /** Set when the severity was computed from a vector. */
  readonly cvss?: { readonly vector: string; readonly score: number };
}

const GHSA: Readonly<Record<string, Severity>> = { critical: 'Critical', high: 'High', moderate: 'Medium', medium: 'Medium', low: 'Low' };
const UBUNTU: Readonly<Record<string, Severity>> = { untriaged: 'Unknown', negligible: 'Negligible', low: 'Low', medium: 'Medium', high: 'High', critical: 'Critical' };
const FROM_CVSS: Readonly<Record<CvssRating, Severity>> = { None: 'Negligible', Low: 'Low', Medium: 'Medium', High: 'High', Critical: 'Critical' };

export function advisorySeverity(record: OsvRecord, entries: readonly OsvAffected[]): AdvisorySeverity {
  const rated = highest(ownRatings(record, entries));
  if (rated !== 'Unknown') return { severity: rated };
  const computed = computeFromVectors(entries.flatMap((entry) => entry.severity)) ?? computeFromVectors(record.severity);
  return computed ?? { severity: 'Unknown' };
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

function computeFromVectors(severities: readonly OsvSeverity[]): AdvisorySeverity | undefined {
  for (const type of ['CVSS_V4', 'CVSS_V3']) {
    for (const { score: vector } of severities.filter((severity) => severity.type === type)) {
      try {
        const { score } = cvssScore(vector.trim());
        return { severity: FROM_CVSS[cvssRating(score)], cvss: { vector: vector.trim(), score } };
      } catch {
        // an unscorable vector: try the next one
      }
    }
  }
  return undefined;
}
