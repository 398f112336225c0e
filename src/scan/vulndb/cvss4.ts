/**
 * CVSS v4.0 base (and threat/environmental) score: a port of the FIRST / Red Hat reference
 * calculator (RedHatProductSecurity/cvss-v4-calculator `cvss40.js`, BSD-2-Clause): EQ1..EQ6 give
 * the macrovector, the table gives its score, and the vector's severity distance from the
 * macrovector's highest vectors, scaled by each EQ's depth, interpolates towards the next lower
 * macrovector. The arithmetic (0.1-step levels, summing order, round half up with the
 * reference's 1e-6 lift) follows the reference, so results agree to the last digit: checked
 * against its `cvss40.js` (after PR #67) on all 104,976 base vectors and 200,000 random vectors
 * with threat and environmental metrics.
 */
import { VulnDbError } from './vulndb-error.ts';

/** Every metric in the order a vector must list them, with its allowed values; the first 11 are mandatory. */
const METRICS: readonly (readonly [string, readonly string[]])[] = [
  ['AV', ['N', 'A', 'L', 'P']],
  ['AC', ['L', 'H']],
  ['AT', ['N', 'P']],
  ['PR', ['N', 'L', 'H']],
  ['UI', ['N', 'P', 'A']],
  ...['VC', 'VI', 'VA', 'SC', 'SI', 'SA'].map((m) => [m, ['N', 'L', 'H']] as const),
  ['E', ['X', 'A', 'P', 'U']],
  ...['CR', 'IR', 'AR'].map((m) => [m, ['X', 'H', 'M', 'L']] as const),
  ['MAV', ['X', 'N', 'A', 'L', 'P']],
  ['MAC', ['X', 'L', 'H']],
  ['MAT', ['X', 'N', 'P']],
  ['MPR', ['X', 'N', 'L', 'H']],
  ['MUI', ['X', 'N', 'P', 'A']],
  ...['MVC', 'MVI', 'MVA', 'MSC'].map((m) => [m, ['X', 'H', 'L', 'N']] as const),
  ...['MSI', 'MSA'].map((m) => [m, ['X', 'S', 'H', 'L', 'N']] as const),
  ['S', ['X', 'N', 'P']],
  ['AU', ['X', 'N', 'Y']],
  ['R', ['X', 'A', 'U', 'I']],
  ['V', ['X', 'D', 'C']],
  ['RE', ['X', 'L', 'M', 'H']],
  ['U', ['X', 'Clear', 'Green', 'Amber', 'Red']],
];
const MANDATORY = 11;

/** Macrovector scores by EQ1..EQ4 prefix; columns are EQ5·EQ6 = 00 01 10 11 20 21 (EQ3 = 2: 01 11 21). */
const TABLE: Readonly<Record<string, readonly number[]>> = {
  '0000': [10, 9.9, 9.8, 9.5, 9.5, 9.2],
  '0001': [10, 9.6, 9.3, 8.7, 9.1, 8.1],
  '0002': [9.3, 9, 8.9, 8, 8.1, 6.8],
  '0010': [9.8, 9.5, 9.5, 9.2, 9, 8.4],
  '0011': [9.3, 9.2, 8.9, 8.1, 8.1, 6.5],
  '0012': [8.8, 8, 7.8, 7, 6.9, 4.8],
  '0020': [9.2, 8.2, 7.2],
  '0021': [7.9, 6.9, 5],
  '0022': [6.9, 5.5, 2.7],
  '0100': [9.9, 9.7, 9.5, 9.2, 9.2, 8.5],
  '0101': [9.5, 9.1, 9, 8.3, 8.4, 7.1],
  '0102': [9.2, 8.1, 8.2, 7.1, 7.2, 5.3],
  '0110': [9.5, 9.3, 9.2, 8.5, 8.5, 7.3],
  '0111': [9.2, 8.2, 8, 7.2, 7, 5.9],
  '0112': [8.4, 7, 7.1, 5.2, 5, 3],
  '0120': [8.6, 7.5, 5.2],
  '0121': [7.1, 5.2, 2.9],
  '0122': [6.3, 2.9, 1.7],
  '1000': [9.8, 9.5, 9.4, 8.7, 9.1, 8.1],
  '1001': [9.4, 8.9, 8.6, 7.4, 7.7, 6.4],
  '1002': [8.7, 7.5, 7.4, 6.3, 6.3, 4.9],
  '1010': [9.4, 8.9, 8.8, 7.7, 7.6, 6.7],
  '1011': [8.6, 7.6, 7.4, 5.8, 5.9, 5],
  '1012': [7.2, 5.7, 5.7, 5.2, 5.2, 2.5],
  '1020': [8.3, 7, 5.4],
  '1021': [6.5, 5.8, 2.6],
  '1022': [5.3, 2.1, 1.3],
  '1100': [9.5, 9, 8.8, 7.6, 7.6, 7],
  '1101': [9, 7.7, 7.5, 6.2, 6.1, 5.3],
  '1102': [7.7, 6.6, 6.8, 5.9, 5.2, 3],
  '1110': [8.9, 7.8, 7.6, 6.7, 6.2, 5.8],
  '1111': [7.4, 5.9, 5.7, 5.7, 4.7, 2.3],
  '1112': [6.1, 5.2, 5.7, 2.9, 2.4, 1.6],
  '1120': [7.1, 5.9, 3],
  '1121': [5.8, 2.6, 1.5],
  '1122': [2.3, 1.3, 0.6],
  '2000': [9.3, 8.7, 8.6, 7.2, 7.5, 5.8],
  '2001': [8.6, 7.4, 7.4, 6.1, 5.6, 3.4],
  '2002': [7, 5.4, 5.2, 4, 4, 2.2],
  '2010': [8.5, 7.5, 7.4, 5.5, 6.2, 5.1],
  '2011': [7.2, 5.7, 5.5, 4.1, 4.6, 1.9],
  '2012': [5.3, 3.6, 3.4, 1.9, 1.9, 0.8],
  '2020': [6.4, 5.1, 2],
  '2021': [4.7, 2.1, 1.1],
  '2022': [2.4, 0.9, 0.4],
  '2100': [8.8, 7.5, 7.3, 5.3, 6, 5],
  '2101': [7.3, 5.5, 5.9, 4, 4.1, 2],
  '2102': [5.4, 4.3, 4.5, 2.2, 2, 1.1],
  '2110': [7.5, 5.5, 5.8, 4.5, 4, 2.1],
  '2111': [6.1, 5.1, 4.8, 1.8, 2, 0.9],
  '2112': [4.6, 1.8, 1.7, 0.7, 0.8, 0.2],
  '2120': [5.3, 2.4, 1.4],
  '2121': [2.4, 1.2, 0.5],
  '2122': [1, 0.3, 0.1],};

/** Severity levels (0.1 steps, as the reference has them), in the order distances are taken. */
const LEVELS: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  AV: { N: 0.0, A: 0.1, L: 0.2, P: 0.3 },
  PR: { N: 0.0, L: 0.1, H: 0.2 },
  UI: { N: 0.0, P: 0.1, A: 0.2 },
  AC: { L: 0.0, H: 0.1 },
  AT: { N: 0.0, P: 0.1 },
  VC: { H: 0.0, L: 0.1, N: 0.2 },
  VI: { H: 0.0, L: 0.1, N: 0.2 },
  VA: { H: 0.0, L: 0.1, N: 0.2 },
  SC: { H: 0.1, L: 0.2, N: 0.3 },
  SI: { S: 0.0, H: 0.1, L: 0.2, N: 0.3 },
  SA: { S: 0.0, H: 0.1, L: 0.2, N: 0.3 },
  CR: { H: 0.0, M: 0.1, L: 0.2 },
  IR: { H: 0.0, M: 0.1, L: 0.2 },
  AR: { H: 0.0, M: 0.1, L: 0.2 },
  E: { U: 0.2, P: 0.1, A: 0 },
};

/** The highest-severity vectors of each EQ level (EQ3 jointly with EQ6). */
const MAX_COMPOSED = {
  eq1: [['AV:N/PR:N/UI:N'], ['AV:A/PR:N/UI:N', 'AV:N/PR:L/UI:N', 'AV:N/PR:N/UI:P'], ['AV:P/PR:N/UI:N', 'AV:A/PR:L/UI:P']],
  eq2: [['AC:L/AT:N'], ['AC:H/AT:N', 'AC:L/AT:P']],
  eq3eq6: [
    [['VC:H/VI:H/VA:H/CR:H/IR:H/AR:H'], ['VC:H/VI:H/VA:L/CR:M/IR:M/AR:H', 'VC:H/VI:H/VA:H/CR:M/IR:M/AR:M']],
    [
      ['VC:L/VI:H/VA:H/CR:H/IR:H/AR:H', 'VC:H/VI:L/VA:H/CR:H/IR:H/AR:H'],
      ['VC:L/VI:H/VA:L/CR:H/IR:M/AR:H', 'VC:L/VI:H/VA:H/CR:H/IR:M/AR:M', 'VC:H/VI:L/VA:H/CR:M/IR:H/AR:M', 'VC:H/VI:L/VA:L/CR:M/IR:H/AR:H', 'VC:L/VI:L/VA:H/CR:H/IR:H/AR:M'],
    ],
    [[], ['VC:L/VI:L/VA:L/CR:H/IR:H/AR:H']],
  ],
  eq4: [['SC:H/SI:S/SA:S'], ['SC:H/SI:H/SA:H'], ['SC:L/SI:L/SA:L']],
  eq5: [['E:A'], ['E:P'], ['E:U']],
} as const;

/** Max severity distance (+1) within each EQ level; EQ3 by [eq3][eq6]. */
const MAX_SEVERITY = { eq1: [1, 4, 5], eq2: [1, 2], eq3eq6: [[7, 6], [8, 8], [Number.NaN, 10]], eq4: [6, 5, 4] } as const;
const STEP = 0.1;

type Metrics = ReadonlyMap<string, string>;

/** The CVSS v4.0 score of `vector` (`CVSS:4.0/AV:…/SA:…[/optional metrics]`); throws `CVSS_INVALID`. */
export function cvss4Score(vector: string): number {
  const metrics = parseCvss4(vector);
  const value = (metric: string) => effective(metrics, metric);
  if (['VC', 'VI', 'VA', 'SC', 'SI', 'SA'].every((m) => value(m) === 'N')) return 0;
  const eq = macroVector(value);
  const score = lookup(eq);
  const lower = nextLowerScores(eq).map((next) => score - next);
  const distances = severityDistances(value, maxVectors(eq));
  const sum = (...names: string[]) => names.reduce((total, name) => total + (distances.get(name) ?? 0), 0);
  const current = [sum('AV', 'PR', 'UI'), sum('AC', 'AT'), sum('VC', 'VI', 'VA', 'CR', 'IR', 'AR'), sum('SC', 'SI', 'SA'), 0];
  const [eq1, eq2, eq3, eq4, , eq6] = eq;
  const depth = [MAX_SEVERITY.eq1[eq1], MAX_SEVERITY.eq2[eq2], MAX_SEVERITY.eq3eq6[eq3]?.[eq6], MAX_SEVERITY.eq4[eq4], 1];
  let existing = 0;
  let total = 0;
  lower.forEach((available, i) => {
    if (Number.isNaN(available)) return;
    existing += 1;
    total += i === 4 ? 0 : available * ((current[i] ?? 0) / ((depth[i] ?? Number.NaN) * STEP));
  });
  const mean = existing === 0 ? 0 : total / existing;
  return roundHalfUp(Math.max(0, Math.min(10, score - mean)));
}

/** Parses and validates a v4.0 vector: metrics in specification order, each once, the 11 base ones present. */
export function parseCvss4(vector: string): Metrics {
  const parts = vector.split('/');
  if (parts.shift() !== 'CVSS:4.0') throw invalidVector(vector, 'it does not start with CVSS:4.0/');
  const metrics = new Map<string, string>();
  let index = 0;
  for (const part of parts) {
    const [key, value, extra] = part.split(':');
    while (index < METRICS.length && METRICS[index]?.[0] !== key) {
      if (index < MANDATORY) throw invalidVector(vector, `${METRICS[index]?.[0]} is missing or out of order`);
      index += 1;
    }
    const allowed = METRICS[index]?.[1];
    if (allowed === undefined || value === undefined || extra !== undefined || !allowed.includes(value)) throw invalidVector(vector, `${part} is not a valid metric here`);
    metrics.set(key as string, value);
    index += 1;
  }
  if (index < MANDATORY) throw invalidVector(vector, 'base metrics are missing');
  return metrics;
}

function invalidVector(vector: string, reason: string): VulnDbError {
  return new VulnDbError('CVSS_INVALID', `invalid CVSS v4.0 vector ${JSON.stringify(vector)}: ${reason}`);
}

/** A metric's effective value: E and CR/IR/AR default to the worst case, `M*` overrides its base metric. */
function effective(metrics: Metrics, metric: string): string {
  const value = metrics.get(metric) ?? 'X';
  if (value === 'X' && metric === 'E') return 'A';
  if (value === 'X' && (metric === 'CR' || metric === 'IR' || metric === 'AR')) return 'H';
  const modified = metrics.get(`M${metric}`);
  return modified !== undefined && modified !== 'X' ? modified : value;
}

type Eq = readonly [number, number, number, number, number, number];

function macroVector(m: (metric: string) => string): Eq {
  const [av, pr, ui] = [m('AV'), m('PR'), m('UI')];
  const eq1 = av === 'N' && pr === 'N' && ui === 'N' ? 0 : (av === 'N' || pr === 'N' || ui === 'N') && av !== 'P' ? 1 : 2;
  const eq2 = m('AC') === 'L' && m('AT') === 'N' ? 0 : 1;
  const [vc, vi, va] = [m('VC'), m('VI'), m('VA')];
  const eq3 = vc === 'H' && vi === 'H' ? 0 : vc === 'H' || vi === 'H' || va === 'H' ? 1 : 2;
  const eq4 = m('MSI') === 'S' || m('MSA') === 'S' ? 0 : m('SC') === 'H' || m('SI') === 'H' || m('SA') === 'H' ? 1 : 2;
  const eq5 = { A: 0, P: 1, U: 2 }[m('E')] ?? 0;
  const eq6 = (m('CR') === 'H' && vc === 'H') || (m('IR') === 'H' && vi === 'H') || (m('AR') === 'H' && va === 'H') ? 0 : 1;
  return [eq1, eq2, eq3, eq4, eq5, eq6];
}

/** The macrovector's score; NaN when no such macrovector exists. */
function lookup([eq1, eq2, eq3, eq4, eq5, eq6]: Eq): number {
  const row = TABLE[`${eq1}${eq2}${eq3}${eq4}`];
  if (row === undefined || eq6 > 1 || (eq3 === 2 && eq6 !== 1)) return Number.NaN;
  return row[eq3 === 2 ? eq5 : eq5 * 2 + eq6] ?? Number.NaN;
}

/** Scores of the next lower macrovector along EQ1, EQ2, EQ3+EQ6, EQ4 and EQ5 (NaN where there is none). */
function nextLowerScores(eq: Eq): number[] {
  const [eq1, eq2, eq3, eq4, eq5, eq6] = eq;
  const at = (d1: number, d2: number, d3: number, d4: number, d5: number, d6: number) => lookup([eq1 + d1, eq2 + d2, eq3 + d3, eq4 + d4, eq5 + d5, eq6 + d6]);
  let eq3eq6: number;
  if (eq3 === 0 && eq6 === 0) eq3eq6 = Math.max(at(0, 0, 0, 0, 0, 1), at(0, 0, 1, 0, 0, 0));
  else if (eq3 === 1 && eq6 === 0) eq3eq6 = at(0, 0, 0, 0, 0, 1);
  else if (eq6 === 1 && eq3 < 2) eq3eq6 = at(0, 0, 1, 0, 0, 0);
  else eq3eq6 = at(0, 0, 1, 0, 0, 1);
  return [at(1, 0, 0, 0, 0, 0), at(0, 1, 0, 0, 0, 0), eq3eq6, at(0, 0, 0, 1, 0, 0), at(0, 0, 0, 0, 1, 0)];
}

/** Every combination of the macrovector's highest vectors, in the reference's order. */
function maxVectors([eq1, eq2, eq3, eq4, eq5, eq6]: Eq): Map<string, string>[] {
  const groups: readonly (readonly string[])[] = [
    MAX_COMPOSED.eq1[eq1] ?? [],
    MAX_COMPOSED.eq2[eq2] ?? [],
    MAX_COMPOSED.eq3eq6[eq3]?.[eq6] ?? [],
    MAX_COMPOSED.eq4[eq4] ?? [],
    MAX_COMPOSED.eq5[eq5] ?? [],
  ];
  let combos: string[] = [''];
  for (const group of groups) combos = combos.flatMap((prefix) => group.map((part) => (prefix === '' ? part : `${prefix}/${part}`)));
  return combos.map((combo) => new Map(combo.split('/').map((pair) => pair.split(':') as [string, string])));
}

/** Distances from the first highest vector that is at least as severe on every metric (else the last one tried). */
function severityDistances(m: (metric: string) => string, maxes: readonly Map<string, string>[]): Map<string, number> {
  let distances = new Map<string, number>();
  for (const max of maxes) {
    distances = new Map(Object.entries(LEVELS).map(([metric, levels]) => [metric, (levels[m(metric)] ?? Number.NaN) - (levels[max.get(metric) ?? ''] ?? Number.NaN)]));
    if ([...distances.values()].every((distance) => distance >= 0)) break;
  }
  return distances;
}

/** Round half up to one decimal, lifted by 1e-6 so that 8.549999… (float error for 8.55) gives 8.6, as the reference does since its 2024-10 fix. */
function roundHalfUp(value: number): number {
  return Math.round((value + 1e-6) * 10) / 10;
}
