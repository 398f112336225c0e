/**
 * The human report: a header (artifact, distribution, packages found, age of the vulnerability
 * data, counts per severity) and one row per finding, most severe first.
 */
import { SEVERITIES, type Finding } from '../model.ts';
import { imageDigest } from './image-purl.ts';
import type { ScanResult } from './scan-result.ts';
import { compareFindings } from './severity-rank.ts';

const COLUMNS = ['LIBRARY', 'VULNERABILITY', 'SEVERITY', 'INSTALLED', 'FIXED', 'TITLE'] as const;
const TITLE_WIDTH = 60;
const DAY = 86_400_000;

function truncate(text: string, width: number): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length <= width ? line : `${line.slice(0, width - 1)}…`;
}

/**
 * `vulnerability data from 2025-01-10 (5 days old; imported 2025-01-12), 1234 advisories`: dated by
 * its newest advisory, or why there is none.
 */
export function databaseLine(db: ScanResult['db'], createdAt: number): string {
  if (db.updatedAt === null) return `no vulnerability data (never updated), ${db.advisories} advisories`;
  const dated = db.newestAdvisory ?? db.updatedAt;
  const days = Math.floor((createdAt - dated) / DAY);
  const age = days < 1 ? 'less than a day old' : days === 1 ? '1 day old' : `${days} days old`;
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  return `vulnerability data from ${day(dated)} (${age}; imported ${day(db.updatedAt)}), ${db.advisories} advisories`;
}

/** `Total: 3 (CRITICAL: 1, HIGH: 2, MEDIUM: 0, LOW: 0, NEGLIGIBLE: 0, UNKNOWN: 0)` */
export function countsLine(findings: readonly Finding[]): string {
  const counts = [...SEVERITIES].reverse().map((severity) => `${severity.toUpperCase()}: ${findings.filter((f) => f.severity === severity).length}`);
  return `Total: ${findings.length} (${counts.join(', ')})`;
}

/** `Packages: 6 (deb 3, npm 2, golang 1)`, or that nothing was recognised (the server's gate calls that Unsupported). */
export function packagesLine(packages: ScanResult['packages']): string {
  if (packages.length === 0) return 'Packages: none recognised (no OS package database, no language packages): nothing to match';
  const counts = new Map<string, number>();
  for (const p of packages) counts.set(p.type, (counts.get(p.type) ?? 0) + 1);
  return `Packages: ${packages.length} (${[...counts].map(([type, n]) => `${type} ${n}`).join(', ')})`;
}

function header(result: ScanResult): string[] {
  const digest = imageDigest(result.artifact);
  const artifact = digest === undefined || result.artifact.name.includes(digest) ? result.artifact.name : `${result.artifact.name} (${digest})`;
  const distro = result.distro === undefined ? 'unknown' : result.distro.prettyName || `${result.distro.id} ${result.distro.versionId}`;
  return [`Artifact: ${artifact}`, `Distro:   ${distro}`, packagesLine(result.packages), `Database: ${databaseLine(result.db, result.createdAt)}`, countsLine(result.findings)];
}

function row(finding: Finding): readonly string[] {
  return [
    finding.package.name,
    finding.id,
    finding.severity.toUpperCase(),
    finding.package.version,
    finding.fixedVersions.join(', '),
    truncate(finding.summary, TITLE_WIDTH),
  ];
}

function render(rows: readonly (readonly string[])[]): string[] {
  const widths = COLUMNS.map((_, column) => Math.max(...rows.map((cells) => (cells[column] ?? '').length)));
  return rows.map((cells) => cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd());
}

/** The scan result as a plain-text table (no colours; ends without a newline). */
export function toTable(result: ScanResult): string {
  const lines = header(result);
  // Nothing recognised is not a clean image: nothing could be matched (the server's gate calls it Unsupported).
  if (result.packages.length === 0) return [...lines, '', 'Not checked for vulnerabilities: no packages were recognised.'].join('\n');
  if (result.findings.length === 0) return [...lines, '', 'No vulnerabilities found.'].join('\n');
  const rows = [...result.findings].sort(compareFindings).map(row);
  return [...lines, '', ...render([COLUMNS, ...rows])].join('\n');
}
