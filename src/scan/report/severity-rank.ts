/** Ordering and mapping of Harbor's severity scale, shared by every report. */
import { SEVERITIES, type Finding, type Severity } from '../model.ts';

/** Harbor's rank: Unknown 0 … Critical 5. */
export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

/** The highest severity among the findings, `undefined` when there are none. */
export function maxSeverity(findings: readonly Finding[]): Severity | undefined {
  let max: Severity | undefined;
  for (const finding of findings) if (max === undefined || severityRank(finding.severity) > severityRank(max)) max = finding.severity;
  return max;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Severity descending, then package name, installed version, advisory id and location. */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    severityRank(b.severity) - severityRank(a.severity) ||
    compareText(a.package.name, b.package.name) ||
    compareText(a.package.version, b.package.version) ||
    compareText(a.id, b.id) ||
    compareText(a.package.location, b.package.location)
  );
}

export type TrivySeverity = 'UNKNOWN' | 'LOW' | 'MEDIUM' | 'HIGH' | 'CRITICAL';

/** Trivy has no Negligible: it becomes LOW (as Trivy maps Debian `unimportant` and Ubuntu `negligible`). */
export function trivySeverity(severity: Severity): TrivySeverity {
  switch (severity) {
    case 'Unknown':
      return 'UNKNOWN';
    case 'Negligible':
    case 'Low':
      return 'LOW';
    case 'Medium':
      return 'MEDIUM';
    case 'High':
      return 'HIGH';
    case 'Critical':
      return 'CRITICAL';
  }
}
