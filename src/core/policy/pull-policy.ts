/**
 * The project pull policy as a pure function: facts in, verdict out. Fails closed — an artifact
 * with no scan, a scan that did not succeed, or no trusted signature is refused, with Harbor's
 * wording so that users of Harbor recognise the reason.
 */
export const SEVERITIES = ['none', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface ProjectPullSettings {
  readonly preventVulnerable: boolean;
  readonly severity: Severity;
  readonly requireSignature: boolean;
}

/** What the scanner knows of an artifact (filled in by the scan stage). */
export type ScanFact =
  | { readonly status: 'none' }
  | { readonly status: 'Pending' | 'Running' | 'Error' | 'Stopped' | 'Unsupported' }
  | { readonly status: 'Success'; readonly findings: readonly { readonly id: string; readonly severity: string; readonly aliases?: readonly string[] }[] };

/** What signature verification says (filled in by the signing stage). */
export type SignatureFact = { readonly verified: true; readonly by: readonly string[] } | { readonly verified: false; readonly reason: string };

export interface PullFacts {
  readonly scan: ScanFact;
  readonly signature: SignatureFact;
  /** CVE ids allowed (project and, when reused, system lists; expired lists already left out). */
  readonly allowlist: ReadonlySet<string>;
}

export type PullPolicyVerdict = { readonly allowed: true } | { readonly allowed: false; readonly reasons: readonly string[] };

const RANK: Readonly<Record<string, number>> = { none: 0, unknown: 0, negligible: 1, low: 2, medium: 3, high: 4, critical: 5 };

export function parseSeverity(value: string): Severity | undefined {
  const lower = value.toLowerCase();
  if (lower === 'negligible') return 'none';
  return SEVERITIES.find((s) => s === lower);
}

const title = (s: Severity) => s.charAt(0).toUpperCase() + s.slice(1);

export function evaluatePullPolicy(settings: ProjectPullSettings, facts: PullFacts): PullPolicyVerdict {
  const reasons: string[] = [];
  if (settings.requireSignature && !facts.signature.verified) reasons.push(`The project requires a trusted signature: ${facts.signature.reason}`);
  if (settings.preventVulnerable) {
    const reason = vulnerabilityReason(settings.severity, facts);
    if (reason !== undefined) reasons.push(reason);
  }
  return reasons.length === 0 ? { allowed: true } : { allowed: false, reasons };
}

/** Why the vulnerability policy holds an artifact back, as data; `undefined` when it does not. */
type VulnerabilityBlock =
  | { readonly kind: 'unscanned' }
  | { readonly kind: 'status'; readonly status: Exclude<ScanFact['status'], 'none' | 'Success'> }
  | { readonly kind: 'findings'; readonly blocking: readonly string[] };

function vulnerabilityBlock(severity: Severity, facts: PullFacts): VulnerabilityBlock | undefined {
  const scan = facts.scan;
  if (scan.status === 'none') return { kind: 'unscanned' };
  if (scan.status !== 'Success') return { kind: 'status', status: scan.status };
  // A finding is allowlisted by any of its ids (a CVE, or the GHSA or DSA that names it).
  const remaining = scan.findings.filter((f) => !facts.allowlist.has(f.id) && !(f.aliases ?? []).some((alias) => facts.allowlist.has(alias)));
  const threshold = RANK[severity] ?? 0;
  const worst = Math.max(-1, ...remaining.map((f) => RANK[f.severity.toLowerCase()] ?? 0));
  if (remaining.length === 0 || worst < threshold || (severity !== 'none' && worst < 1)) return undefined;
  const blocking = [...new Set(remaining.filter((f) => (RANK[f.severity.toLowerCase()] ?? 0) >= threshold).map((f) => f.id))];
  return { kind: 'findings', blocking };
}

function vulnerabilityReason(severity: Severity, facts: PullFacts): string | undefined {
  const block = vulnerabilityBlock(severity, facts);
  const policy = `configured policy in 'Prevent images with vulnerability severity of "${title(severity)}" or higher from running.'`;
  switch (block?.kind) {
    case undefined:
      return undefined;
    case 'unscanned':
      return `current image without vulnerability scanning cannot be pulled due to ${policy} To continue with pull, please contact your project administrator for help.`;
    case 'status':
      return `current image with "${block.status}" status of vulnerability scanning cannot be pulled due to ${policy} To continue with pull, please contact your project administrator for help.`;
    case 'findings': {
      // Harbor's words; the count and the ids are those at or above the threshold, the ones to act on.
      const n = block.blocking.length;
      return `current image with ${n} ${n === 1 ? 'vulnerability' : 'vulnerabilities'} cannot be pulled due to ${policy} To continue with pull, please contact your project administrator to exempt matched vulnerabilities through configuring the CVE allowlist. (${block.blocking.slice(0, 20).join(', ')})`;
    }
  }
}

const STATUS_REASONS: Readonly<Record<Exclude<ScanFact['status'], 'none' | 'Success'>, string>> = {
  Pending: 'its scan is waiting to run',
  Running: 'its scan is still running',
  Error: 'its scan failed (see the scan report for the error; rescan once fixed)',
  Stopped: 'its scan was stopped',
  Unsupported: 'the scanner recognised nothing in it (no OS package database, no language packages): scan status Unsupported',
};

/**
 * The scan gate other stages ask before acting on an artifact (signing, promotion): passed only
 * when a scan succeeded and nothing at or above `severity` is left once the allowlist is applied
 * (`preventVulnerable` off: any successful scan passes). Reasons in words for those stages, not
 * Harbor's pull wording.
 */
export function evaluateScanGate(settings: Pick<ProjectPullSettings, 'preventVulnerable' | 'severity'>, facts: Omit<PullFacts, 'signature'>): readonly string[] {
  const block = vulnerabilityBlock(settings.severity, { ...facts, signature: { verified: true, by: [] } });
  switch (block?.kind) {
    case undefined:
      return [];
    case 'unscanned':
      return ['it has not been scanned (scan it, or turn on auto_scan for its project)'];
    case 'status':
      return [STATUS_REASONS[block.status]];
    case 'findings':
      if (!settings.preventVulnerable) return [];
      return [
        `${block.blocking.length} ${block.blocking.length === 1 ? 'vulnerability' : 'vulnerabilities'} at or above ${title(settings.severity)} not allowlisted or excepted: ${block.blocking.slice(0, 20).join(', ')}`,
      ];
  }
}
