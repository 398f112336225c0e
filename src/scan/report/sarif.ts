/**
 * SARIF 2.1.0 as GitHub code scanning accepts it (sbom-vuln.md §8, Trivy's layout from
 * harbor-trivy.md §6): one rule per advisory id, one result per finding located at the file the
 * package was found in. Levels: Critical/High `error`, Medium `warning`, the rest `note`.
 */
import { createHash } from 'node:crypto';
import { isOsPackage, type Finding, type Severity } from '../model.ts';
import { primaryUrl } from './advisory-source.ts';
import type { ScanResult } from './scan-result.ts';
import { compareFindings, severityRank, trivySeverity } from './severity-rank.ts';

export type SarifLevel = 'error' | 'warning' | 'note';

export interface SarifRule {
  readonly id: string;
  readonly name: 'OsPackageVulnerability' | 'LanguageSpecificPackageVulnerability';
  readonly shortDescription: { readonly text: string };
  readonly fullDescription: { readonly text: string };
  readonly defaultConfiguration: { readonly level: SarifLevel };
  readonly helpUri?: string;
  readonly help: { readonly text: string; readonly markdown: string };
  readonly properties: { readonly tags: readonly string[]; readonly precision: 'very-high'; readonly 'security-severity'?: string };
}

export interface SarifResult {
  readonly ruleId: string;
  readonly ruleIndex: number;
  readonly level: SarifLevel;
  readonly message: { readonly text: string };
  readonly locations: readonly {
    readonly message: { readonly text: string };
    readonly physicalLocation: {
      readonly artifactLocation: { readonly uri: string; readonly uriBaseId: 'ROOTPATH' };
      readonly region: { readonly startLine: 1; readonly startColumn: 1; readonly endLine: 1; readonly endColumn: 1 };
    };
  }[];
  readonly partialFingerprints: { readonly primaryLocationLineHash: string };
}

export interface SarifLog {
  readonly $schema: 'https://json.schemastore.org/sarif-2.1.0.json';
  readonly version: '2.1.0';
  readonly runs: readonly {
    readonly tool: { readonly driver: { readonly name: 'Slipway'; readonly fullName: string; readonly informationUri: string; readonly version: string; readonly rules: readonly SarifRule[] } };
    readonly results: readonly SarifResult[];
    readonly columnKind: 'utf16CodeUnits';
    readonly originalUriBaseIds: { readonly ROOTPATH: { readonly uri: 'file:///' } };
    readonly properties: { readonly imageName: string; readonly repoTags: readonly string[]; readonly repoDigests: readonly string[]; readonly digest?: string };
  }[];
}

/** Trivy's scores for findings without a CVSS score. Unknown gets none: GitHub then uses the level. */
const FALLBACK_SCORES: Readonly<Record<Severity, string | undefined>> = { Critical: '9.5', High: '8.0', Medium: '5.5', Low: '2.0', Negligible: '2.0', Unknown: undefined };

export function sarifLevel(severity: Severity): SarifLevel {
  return severityRank(severity) >= severityRank('High') ? 'error' : severity === 'Medium' ? 'warning' : 'note';
}

function securitySeverity(finding: Finding): string | undefined {
  const score = finding.cvss?.score;
  return score !== undefined && score > 0 ? score.toFixed(1) : FALLBACK_SCORES[finding.severity];
}

function fixText(finding: Finding): string {
  return finding.fixedVersions.length === 0 ? 'no fixed version is known' : `fixed in ${finding.fixedVersions.join(', ')}`;
}

function helpMarkdown(finding: Finding, sev: string, link: string): string {
  const cells = [sev, finding.package.name, finding.fixedVersions.join(', '), `[${finding.id}](${link})`];
  return `**Vulnerability ${finding.id}**\n| Severity | Package | Fixed Version | Link |\n| --- | --- | --- | --- |\n| ${cells.join(' | ')} |\n\n${finding.summary}`;
}

/** A rule from the most severe finding of an id (findings arrive sorted). */
function rule(finding: Finding): SarifRule {
  const title = finding.summary === '' ? finding.id : finding.summary;
  const link = primaryUrl(finding);
  const level = sarifLevel(finding.severity);
  const sev = trivySeverity(finding.severity);
  const score = securitySeverity(finding);
  const help = `Vulnerability ${finding.id}\nSeverity: ${sev}\nPackage: ${finding.package.name}\nInstalled Version: ${finding.package.version}\nFixed Version: ${finding.fixedVersions.join(', ')}`;
  return {
    id: finding.id,
    name: isOsPackage(finding.package) ? 'OsPackageVulnerability' : 'LanguageSpecificPackageVulnerability',
    shortDescription: { text: title.slice(0, 1024) },
    fullDescription: { text: title.slice(0, 1024) },
    defaultConfiguration: { level },
    helpUri: link,
    help: { text: `${help}\nLink: ${link}`, markdown: helpMarkdown(finding, sev, link) },
    properties: { tags: ['vulnerability', 'security', sev], precision: 'very-high', ...(score === undefined ? {} : { 'security-severity': score }) },
  };
}

function result(finding: Finding, ruleIndex: number): SarifResult {
  const pkg = finding.package;
  const uri = pkg.location === '' ? 'unknown' : pkg.location;
  const fingerprint = createHash('sha256').update(`${finding.id}\0${pkg.purl}\0${uri}`).digest('hex').slice(0, 16);
  return {
    ruleId: finding.id,
    ruleIndex,
    level: sarifLevel(finding.severity),
    message: { text: `Package: ${pkg.name}\nInstalled Version: ${pkg.version}\nVulnerability ${finding.id}\nSeverity: ${trivySeverity(finding.severity)}\nFixed Version: ${finding.fixedVersions.join(', ')}\n${pkg.name} ${pkg.version} is vulnerable; ${fixText(finding)}` },
    locations: [
      {
        message: { text: `${uri}: ${pkg.name}@${pkg.version}` },
        physicalLocation: { artifactLocation: { uri, uriBaseId: 'ROOTPATH' }, region: { startLine: 1, startColumn: 1, endLine: 1, endColumn: 1 } },
      },
    ],
    partialFingerprints: { primaryLocationLineHash: `${fingerprint}:1` },
  };
}

/** The findings as a SARIF 2.1.0 log with one run, most severe first. */
export function toSarif(scan: ScanResult): SarifLog {
  const findings = [...scan.findings].sort(compareFindings);
  const index = new Map<string, number>();
  const rules: SarifRule[] = [];
  for (const finding of findings) {
    if (index.has(finding.id)) continue;
    index.set(finding.id, rules.length);
    rules.push(rule(finding));
  }
  const { artifact } = scan;
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'Slipway', fullName: 'Slipway Vulnerability Scanner', informationUri: 'https://slipway.dev', version: scan.scanner.version, rules } },
        results: findings.map((f) => result(f, index.get(f.id) ?? 0)),
        columnKind: 'utf16CodeUnits',
        originalUriBaseIds: { ROOTPATH: { uri: 'file:///' } },
        properties: {
          imageName: artifact.name,
          repoTags: artifact.repoTags ?? [],
          repoDigests: artifact.repoDigests ?? [],
          ...(artifact.digest === undefined ? {} : { digest: artifact.digest }),
        },
      },
    ],
  };
}
