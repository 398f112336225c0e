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
  | { readonly status: 'Success'; readonly findings: readonly { readonly id: string; readonly severity: string }[] };

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
  if (settings.requireSignature && !facts.signature.verified) reasons.push(`The image is not signed by a signer the project trusts: ${facts.signature.reason}`);
  if (settings.preventVulnerable) {
    const reason = vulnerabilityReason(settings.severity, facts);
    if (reason !== undefined) reasons.push(reason);
  }
  return reasons.length === 0 ? { allowed: true } : { allowed: false, reasons };
}

function vulnerabilityReason(severity: Severity, facts: PullFacts): string | undefined {
  const policy = `configured policy in 'Prevent images with vulnerability severity of "${title(severity)}" or higher from running.'`;
  const scan = facts.scan;
  if (scan.status === 'none') return `current image without vulnerability scanning cannot be pulled due to ${policy} To continue with pull, please contact your project administrator for help.`;
  if (scan.status !== 'Success') return `current image with "${scan.status}" status of vulnerability scanning cannot be pulled due to ${policy} To continue with pull, please contact your project administrator for help.`;
  const remaining = scan.findings.filter((f) => !facts.allowlist.has(f.id));
  const threshold = RANK[severity] ?? 0;
  const worst = Math.max(-1, ...remaining.map((f) => RANK[f.severity.toLowerCase()] ?? 0));
  if (remaining.length === 0 || worst < threshold || (severity !== 'none' && worst < 1)) return undefined;
  const n = remaining.length;
  const ids = [...new Set(remaining.map((f) => f.id))].slice(0, 20).join(', ');
  return `current image with ${n} ${n === 1 ? 'vulnerability' : 'vulnerabilities'} cannot be pulled due to ${policy} To continue with pull, please contact your project administrator to exempt matched vulnerabilities through configuring the CVE allowlist. (${ids})`;
}
