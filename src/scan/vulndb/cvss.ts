/**
 * CVSS base scores from vector strings (`formats/sbom-vuln.md` §6): v3.0/v3.1 by the
 * specification's formula (with v3.1's integer Roundup, which v3.0 scores also satisfy), v4.0 by
 * the reference algorithm in `cvss4.ts`. Bands are the same for v3 and v4.
 */
import { cvss4Score } from './cvss4.ts';
import { VulnDbError } from './vulndb-error.ts';

export type CvssVersion = '3.0' | '3.1' | '4.0';
export type CvssRating = 'None' | 'Low' | 'Medium' | 'High' | 'Critical';

export interface CvssScore {
  readonly version: CvssVersion;
  readonly vector: string;
  readonly score: number;
}

const V3_BASE = ['AV', 'AC', 'PR', 'UI', 'S', 'C', 'I', 'A'] as const;
const V3_OPTIONAL: Readonly<Record<string, readonly string[]>> = {
  E: ['X', 'U', 'P', 'F', 'H'],
  RL: ['X', 'O', 'T', 'W', 'U'],
  RC: ['X', 'U', 'R', 'C'],
  CR: ['X', 'L', 'M', 'H'],
  IR: ['X', 'L', 'M', 'H'],
  AR: ['X', 'L', 'M', 'H'],
  MAV: ['X', 'N', 'A', 'L', 'P'],
  MAC: ['X', 'L', 'H'],
  MPR: ['X', 'N', 'L', 'H'],
  MUI: ['X', 'N', 'R'],
  MS: ['X', 'U', 'C'],
  MC: ['X', 'N', 'L', 'H'],
  MI: ['X', 'N', 'L', 'H'],
  MA: ['X', 'N', 'L', 'H'],
};
const WEIGHTS = {
  AV: { N: 0.85, A: 0.62, L: 0.55, P: 0.2 },
  AC: { L: 0.77, H: 0.44 },
  PR: { N: 0.85, L: 0.62, H: 0.27 },
  PR_CHANGED: { N: 0.85, L: 0.68, H: 0.5 },
  UI: { N: 0.85, R: 0.62 },
  S: { U: 0, C: 0 },
  CIA: { H: 0.56, L: 0.22, N: 0 },
} as const;

/** The base score of a v3.0, v3.1 or v4.0 vector; throws `CVSS_INVALID` for anything else. */
export function cvssScore(vector: string): CvssScore {
  if (vector.startsWith('CVSS:4.0/')) return { version: '4.0', vector, score: cvss4Score(vector) };
  if (vector.startsWith('CVSS:3.1/')) return { version: '3.1', vector, score: cvss3Score(vector) };
  if (vector.startsWith('CVSS:3.0/')) return { version: '3.0', vector, score: cvss3Score(vector) };
  throw new VulnDbError('CVSS_INVALID', `not a CVSS v3 or v4 vector: ${JSON.stringify(vector)}`);
}

/** The CVSS v3.x base score: `Roundup(min(Impact + Exploitability (×1.08 if scope changed), 10))`. */
export function cvss3Score(vector: string): number {
  const m = parseCvss3(vector);
  const changed = m.S === 'C';
  const iss = 1 - (1 - weight('CIA', m.C)) * (1 - weight('CIA', m.I)) * (1 - weight('CIA', m.A));
  const impact = changed ? 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02) ** 15 : 6.42 * iss;
  const exploitability = 8.22 * weight('AV', m.AV) * weight('AC', m.AC) * weight(changed ? 'PR_CHANGED' : 'PR', m.PR) * weight('UI', m.UI);
  if (impact <= 0) return 0;
  return roundup(Math.min(changed ? 1.08 * (impact + exploitability) : impact + exploitability, 10));
}

/** v3.1's Roundup: the smallest one-decimal number ≥ x, computed on integers to avoid float error. */
export function roundup(x: number): number {
  const i = Math.round(x * 100000);
  return i % 10000 === 0 ? i / 100000 : (Math.floor(i / 10000) + 1) / 10;
}

/** The qualitative band of a score: None 0, Low 0.1–3.9, Medium 4–6.9, High 7–8.9, Critical 9–10. */
export function cvssRating(score: number): CvssRating {
  if (score >= 9) return 'Critical';
  if (score >= 7) return 'High';
  if (score >= 4) return 'Medium';
  return score > 0 ? 'Low' : 'None';
}

function parseCvss3(vector: string): Readonly<Record<string, string>> {
  const fail = (reason: string): never => {
    throw new VulnDbError('CVSS_INVALID', `invalid CVSS v3 vector ${JSON.stringify(vector)}: ${reason}`);
  };
  const [prefix, ...parts] = vector.split('/');
  if (prefix !== 'CVSS:3.0' && prefix !== 'CVSS:3.1') fail('it does not start with CVSS:3.0/ or CVSS:3.1/');
  const metrics: Record<string, string> = {};
  for (const part of parts) {
    const [key = '', value = '', extra] = part.split(':');
    const allowed = (V3_BASE as readonly string[]).includes(key) ? Object.keys(baseWeights(key)) : V3_OPTIONAL[key];
    if (allowed === undefined || extra !== undefined || !allowed.includes(value)) fail(`${part} is not a valid metric`);
    if (key in metrics) fail(`${key} appears twice`);
    metrics[key] = value;
  }
  const missing = V3_BASE.filter((key) => !(key in metrics));
  if (missing.length > 0) fail(`base metrics ${missing.join(', ')} are missing`);
  return metrics;
}

function baseWeights(key: string): Readonly<Record<string, number>> {
  return key === 'C' || key === 'I' || key === 'A' ? WEIGHTS.CIA : WEIGHTS[key as 'AV' | 'AC' | 'PR' | 'UI' | 'S'];
}

function weight(group: keyof typeof WEIGHTS, value: string | undefined): number {
  return (WEIGHTS[group] as Readonly<Record<string, number>>)[value ?? ''] ?? 0;
}
