/**
 * Harbor's vulnerability report (`HarborVulnerabilityReport`, harbor-trivy.md §1.6), the body of
 * both `application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0` and
 * `application/vnd.security.vulnerability.report; version=1.1`, plus the `layer` and `status`
 * fields harbor-scanner-trivy adds.
 */
import type { Finding, Severity } from '../model.ts';
import { advisorySource, cvssSourceKey, cvssVersion } from './advisory-source.ts';
import { isoSeconds, type ScanResult } from './scan-result.ts';
import { compareFindings, maxSeverity, severityRank } from './severity-rank.ts';
import type { TrivyCvss } from './trivy-json.ts';

export interface HarborPreferredCvss {
  readonly score_v3?: number;
  readonly score_v2?: number;
  readonly vector_v3?: string;
  readonly vector_v2?: string;
}

export interface HarborVulnerability {
  readonly id: string;
  readonly package: string;
  readonly version: string;
  /** Empty when no fix is known. */
  readonly fix_version: string;
  readonly severity: Severity;
  readonly description: string;
  readonly links: readonly string[];
  readonly preferred_cvss?: HarborPreferredCvss;
  readonly cwe_ids: readonly string[];
  readonly vendor_attributes?: { readonly CVSS: Readonly<Record<string, TrivyCvss>> };
  readonly layer?: { readonly digest?: string; readonly diff_id?: string };
  readonly status: 'fixed' | 'affected';
}

export interface HarborVulnerabilityReport {
  readonly generated_at: string;
  readonly artifact: HarborWireArtifact;
  readonly scanner: { readonly name: string; readonly vendor: string; readonly version: string };
  readonly severity: Severity | 'None';
  readonly vulnerabilities: readonly HarborVulnerability[];
}

export interface HarborArtifact {
  /** The repository including its project (`team-a/api`), as Harbor's scan request names it. */
  readonly repository: string;
  readonly digest: string;
  /** The manifest media type from the scan request. */
  readonly mimeType: string;
  /** The tag the scan request named, if any: the report names it back. */
  readonly tag?: string;
}

/** The spec's `Artifact`, as a report names the scanned artifact. */
export interface HarborWireArtifact {
  readonly repository: string;
  readonly digest: string;
  readonly tag?: string;
  readonly mime_type: string;
}

export function harborWireArtifact(artifact: HarborArtifact): HarborWireArtifact {
  return { repository: artifact.repository, digest: artifact.digest, ...(artifact.tag === undefined ? {} : { tag: artifact.tag }), mime_type: artifact.mimeType };
}

function cvssFields(finding: Finding): { preferred?: HarborPreferredCvss; vendor?: TrivyCvss } {
  if (finding.cvss === undefined) return {};
  const { vector, score } = finding.cvss;
  switch (cvssVersion(vector)) {
    case '2':
      return { preferred: { score_v2: score, vector_v2: vector }, vendor: { V2Score: score, V2Vector: vector } };
    case '3.0':
    case '3.1':
      return { preferred: { score_v3: score, vector_v3: vector }, vendor: { V3Score: score, V3Vector: vector } };
    case '4.0':
      return { vendor: { V40Score: score, V40Vector: vector } };
    case undefined:
      return {};
  }
}

function item(finding: Finding): HarborVulnerability {
  const pkg = finding.package;
  const { preferred, vendor } = cvssFields(finding);
  const layer = { ...(pkg.layerDigest === undefined ? {} : { digest: pkg.layerDigest }), ...(pkg.layerDiffId === undefined ? {} : { diff_id: pkg.layerDiffId }) };
  return {
    id: finding.id,
    package: pkg.name,
    version: pkg.version,
    fix_version: finding.fixedVersions.join(', '),
    severity: finding.severity,
    description: finding.description ?? finding.summary,
    links: finding.references.length === 0 ? [advisorySource(finding.id).url] : [...new Set(finding.references)],
    ...(preferred === undefined ? {} : { preferred_cvss: preferred }),
    cwe_ids: finding.cweIds ?? [],
    ...(vendor === undefined ? {} : { vendor_attributes: { CVSS: { [cvssSourceKey(finding)]: vendor } } }),
    ...(Object.keys(layer).length === 0 ? {} : { layer }),
    status: finding.fixedVersions.length === 0 ? 'affected' : 'fixed',
  };
}

/**
 * The scan result as Harbor's vulnerability report: items sorted by severity (highest first), one
 * per `id + package + version` as Harbor keeps them (the first after sorting, so the most severe),
 * and the overall severity the highest found or `None` when clean.
 */
export function toHarborReport(result: ScanResult, artifact: HarborArtifact): HarborVulnerabilityReport {
  const findings = oncePerPackage([...result.findings].sort(compareFindings), (f) => [f.id, f.package.name, f.package.version]);
  return {
    generated_at: isoSeconds(result.createdAt),
    artifact: harborWireArtifact(artifact),
    scanner: { name: result.scanner.name, vendor: result.scanner.vendor, version: result.scanner.version },
    severity: maxSeverity(findings) ?? 'None',
    vulnerabilities: findings.map(item),
  };
}

/** A finding as a scan report row keeps it (no description or CVSS): what the API reads back. */
export interface StoredHarborFinding {
  readonly id: string;
  readonly severity: Severity;
  readonly package: string;
  readonly version: string;
  readonly fixed: readonly string[];
}

/**
 * Harbor's vulnerability report rebuilt from a stored scan (what `additions/vulnerabilities`
 * answers Harbor's clients): the same items and overall severity as `toHarborReport`, with the
 * advisory's page as the link and no description.
 */
export function storedHarborReport(
  stored: { readonly severity: string | null; readonly findings: readonly StoredHarborFinding[]; readonly generatedAt: number; readonly scanner: HarborVulnerabilityReport['scanner'] },
  artifact: HarborArtifact,
): HarborVulnerabilityReport {
  const findings = oncePerPackage(stored.findings, (f) => [f.id, f.package, f.version]);
  return {
    generated_at: isoSeconds(stored.generatedAt),
    artifact: harborWireArtifact(artifact),
    scanner: stored.scanner,
    severity: (stored.severity ?? 'None') as Severity | 'None',
    vulnerabilities: findings.map((f) => ({
      id: f.id,
      package: f.package,
      version: f.version,
      fix_version: f.fixed.join(', '),
      severity: f.severity,
      description: '',
      links: [advisorySource(f.id).url],
      cwe_ids: [],
      status: f.fixed.length === 0 ? ('affected' as const) : ('fixed' as const),
    })),
  };
}

/** The first of each `id + package + version`, as Harbor keeps findings. */
function oncePerPackage<T>(items: readonly T[], key: (one: T) => readonly string[]): T[] {
  const seen = new Set<string>();
  return items.filter((one) => {
    const k = key(one).join('\0');
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Harbor's `scan_overview` entry of one report type (artifact lists with `with_scan_overview`, scan webhooks). */
export interface HarborScanOverview {
  readonly report_id: string;
  readonly scan_status: string;
  readonly severity: string;
  readonly duration: number;
  readonly summary: { readonly total: number; readonly fixable: number; readonly summary: Readonly<Record<string, number>> } | null;
  readonly start_time: string;
  readonly end_time: string | null;
  readonly complete_percent: number;
  readonly scanner: { readonly name: string; readonly vendor: string; readonly version: string };
}

/**
 * A stored scan as Harbor's overview: status, highest severity, counts by severity (after a
 * successful scan), times. `report_id` names the digest's report (one per digest here).
 */
export function harborScanOverview(stored: {
  readonly digest: string;
  readonly status: string;
  readonly severity: string | null;
  readonly findings: readonly { readonly severity: string; readonly fixed: readonly string[] }[];
  readonly startedAt: number;
  readonly finishedAt: number | null;
  readonly scannerVersion: string;
}): HarborScanOverview {
  const counts: Record<string, number> = {};
  for (const f of stored.findings) counts[f.severity] = (counts[f.severity] ?? 0) + 1;
  const done = stored.finishedAt !== null;
  return {
    report_id: stored.digest,
    scan_status: stored.status,
    severity: stored.severity ?? '',
    duration: done ? Math.round(((stored.finishedAt ?? 0) - stored.startedAt) / 1000) : 0,
    summary: stored.status === 'Success' ? { total: stored.findings.length, fixable: stored.findings.filter((f) => f.fixed.length > 0).length, summary: counts } : null,
    start_time: new Date(stored.startedAt).toISOString(),
    end_time: done ? new Date(stored.finishedAt ?? 0).toISOString() : null,
    complete_percent: done ? 100 : 0,
    scanner: { name: 'Slipway', vendor: 'Slipway', version: stored.scannerVersion },
  };
}

/** Several images' overviews as one (an index's): the worst status and severity, the counts summed, the whole span. */
export function combineScanOverviews(overviews: readonly HarborScanOverview[]): HarborScanOverview | undefined {
  const [first, ...rest] = overviews;
  if (first === undefined || rest.length === 0) return first;
  // `None` and `` (no finding, no result) rank below every severity.
  const rank = (s: string) => severityRank(s as Severity);
  const failed = overviews.find((o) => o.scan_status !== 'Success');
  const counts: Record<string, number> = {};
  for (const o of overviews) for (const [severity, n] of Object.entries(o.summary?.summary ?? {})) counts[severity] = (counts[severity] ?? 0) + n;
  const ends = overviews.map((o) => o.end_time);
  return {
    ...first,
    scan_status: failed?.scan_status ?? 'Success',
    severity: overviews.map((o) => o.severity).reduce((a, b) => (rank(b) > rank(a) ? b : a)),
    summary: failed === undefined ? { total: overviews.reduce((n, o) => n + (o.summary?.total ?? 0), 0), fixable: overviews.reduce((n, o) => n + (o.summary?.fixable ?? 0), 0), summary: counts } : null,
    start_time: overviews.map((o) => o.start_time).reduce((a, b) => (b < a ? b : a)),
    end_time: ends.includes(null) ? null : (ends as string[]).reduce((a, b) => (b > a ? b : a)),
    complete_percent: Math.min(...overviews.map((o) => o.complete_percent)),
  };
}
