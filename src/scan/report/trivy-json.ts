/**
 * Trivy's JSON report, `SchemaVersion: 2` (harbor-trivy.md §6), so tooling built on
 * `trivy image -f json` reads Slipway's output. OS packages form one `os-pkgs` result; language
 * packages one `lang-pkgs` result per file they were found in.
 */
import { isOsPackage, type Finding, type Package } from '../model.ts';
import { applicationOf } from './applications.ts';
import { cvssSourceKey, cvssVersion, primaryUrl, severitySource } from './advisory-source.ts';
import type { ScanResult } from './scan-result.ts';
import { trivySeverity, type TrivySeverity } from './severity-rank.ts';

export interface TrivyCvss {
  readonly V2Vector?: string;
  readonly V3Vector?: string;
  readonly V40Vector?: string;
  readonly V2Score?: number;
  readonly V3Score?: number;
  readonly V40Score?: number;
}

export interface TrivyVulnerability {
  readonly VulnerabilityID: string;
  readonly VendorIDs?: readonly string[];
  readonly PkgID: string;
  readonly PkgName: string;
  readonly PkgPath?: string;
  readonly PkgIdentifier: { readonly PURL: string };
  readonly InstalledVersion: string;
  readonly FixedVersion?: string;
  readonly Status: 'fixed' | 'affected';
  readonly Layer?: { readonly Digest?: string; readonly DiffID?: string };
  readonly SeveritySource?: string;
  readonly PrimaryURL?: string;
  readonly DataSource?: { readonly ID: string; readonly Name: string; readonly URL: string };
  readonly Title?: string;
  readonly Description?: string;
  readonly Severity: TrivySeverity;
  readonly CweIDs?: readonly string[];
  readonly VendorSeverity?: Readonly<Record<string, number>>;
  readonly CVSS?: Readonly<Record<string, TrivyCvss>>;
  readonly References?: readonly string[];
  readonly PublishedDate?: string;
  readonly LastModifiedDate?: string;
}

export interface TrivyResult {
  readonly Target: string;
  readonly Class: 'os-pkgs' | 'lang-pkgs';
  readonly Type: string;
  readonly Vulnerabilities?: readonly TrivyVulnerability[];
}

export interface TrivyReport {
  readonly SchemaVersion: 2;
  readonly CreatedAt: string;
  readonly ArtifactName: string;
  readonly ArtifactType: 'container_image' | 'filesystem';
  readonly Metadata: {
    readonly OS?: { readonly Family: string; readonly Name: string };
    readonly ImageID?: string;
    readonly DiffIDs: readonly string[];
    readonly RepoTags?: readonly string[];
    readonly RepoDigests?: readonly string[];
    readonly ImageConfig?: { readonly architecture?: string; readonly os?: string };
    readonly Layers: readonly { readonly Size?: number; readonly Digest: string; readonly DiffID: string }[];
  };
  readonly Results: readonly TrivyResult[];
}

/** `VendorSeverity` values: Trivy's scale as numbers. */
const TRIVY_SEVERITIES: readonly TrivySeverity[] = ['UNKNOWN', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'];

function cvss(finding: Finding): Record<string, TrivyCvss> | undefined {
  if (finding.cvss === undefined) return undefined;
  const { vector, score } = finding.cvss;
  const version = cvssVersion(vector);
  if (version === undefined) return undefined;
  const fields: TrivyCvss = version === '2' ? { V2Vector: vector, V2Score: score } : version === '4.0' ? { V40Vector: vector, V40Score: score } : { V3Vector: vector, V3Score: score };
  return { [cvssSourceKey(finding)]: fields };
}

function vulnerability(finding: Finding, lang: boolean): TrivyVulnerability {
  const pkg = finding.package;
  const vendorIds = [...new Set([...finding.aliases, ...(finding.advisory === undefined ? [] : [finding.advisory])])].filter((alias) => alias !== finding.id);
  const layer = { ...(pkg.layerDigest === undefined ? {} : { Digest: pkg.layerDigest }), ...(pkg.layerDiffId === undefined ? {} : { DiffID: pkg.layerDiffId }) };
  const scores = cvss(finding);
  const primary = primaryUrl(finding);
  const rater = severitySource(finding);
  const severity = trivySeverity(finding.severity);
  return {
    VulnerabilityID: finding.id,
    ...(vendorIds.length === 0 ? {} : { VendorIDs: vendorIds }),
    PkgID: `${pkg.name}@${pkg.version}`,
    PkgName: pkg.name,
    ...(lang ? { PkgPath: pkg.location } : {}),
    PkgIdentifier: { PURL: pkg.purl },
    InstalledVersion: pkg.version,
    ...(finding.fixedVersions.length === 0 ? {} : { FixedVersion: finding.fixedVersions.join(', ') }),
    Status: finding.fixedVersions.length === 0 ? 'affected' : 'fixed',
    ...(Object.keys(layer).length === 0 ? {} : { Layer: layer }),
    ...(rater === undefined ? {} : { SeveritySource: rater.key }),
    PrimaryURL: primary,
    ...(rater === undefined ? {} : { DataSource: { ID: rater.key, Name: rater.name, URL: rater.home } }),
    ...(finding.summary === '' ? {} : { Title: finding.summary }),
    ...(finding.description === undefined ? {} : { Description: finding.description }),
    Severity: severity,
    ...(finding.cweIds === undefined ? {} : { CweIDs: finding.cweIds }),
    ...(rater === undefined ? {} : { VendorSeverity: { [rater.key]: TRIVY_SEVERITIES.indexOf(severity) } }),
    ...(scores === undefined ? {} : { CVSS: scores }),
    ...(finding.references.length === 0 ? {} : { References: finding.references }),
    ...(finding.published === undefined ? {} : { PublishedDate: new Date(finding.published).toISOString() }),
    ...(finding.modified === undefined ? {} : { LastModifiedDate: new Date(finding.modified).toISOString() }),
  };
}

function byPackage(a: TrivyVulnerability, b: TrivyVulnerability): number {
  const key = (v: TrivyVulnerability): string => `${v.PkgName}\0${v.InstalledVersion}\0${v.VulnerabilityID}\0${v.PkgPath ?? ''}`;
  return key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;
}

interface Group {
  readonly target: string;
  readonly cls: 'os-pkgs' | 'lang-pkgs';
  readonly type: string;
  readonly findings: Finding[];
}

function groupKey(pkg: Package): string {
  return isOsPackage(pkg) ? '\0os' : applicationOf(pkg).key;
}

/**
 * The results as Trivy makes them for an image: the OS packages first (always), then, ordered by
 * target, one result per language target that has findings: installed npm, Python and Java
 * packages gathered under `Node.js`, `Python` and `Java` (each finding's PkgPath says where),
 * lockfiles and binaries under their own path.
 */
function groups(result: ScanResult): readonly Group[] {
  const distro = result.distro;
  const map = new Map<string, Group>();
  for (const pkg of [...result.packages, ...result.findings.map((f) => f.package)]) {
    const key = groupKey(pkg);
    if (map.has(key)) continue;
    if (key === '\0os') {
      const target = distro === undefined ? result.artifact.name : `${result.artifact.name} (${distro.id} ${distro.release ?? distro.versionId})`;
      map.set(key, { target, cls: 'os-pkgs', type: distro?.id ?? 'unknown', findings: [] });
    } else {
      const { target, type } = applicationOf(pkg);
      map.set(key, { target, cls: 'lang-pkgs', type, findings: [] });
    }
  }
  for (const finding of result.findings) map.get(groupKey(finding.package))?.findings.push(finding);
  const os = map.get('\0os');
  const languages = [...map.values()].filter((g) => g.cls === 'lang-pkgs' && g.findings.length > 0).sort((a, b) => (a.target < b.target ? -1 : a.target > b.target ? 1 : 0));
  return [...(os === undefined ? [] : [os]), ...languages];
}

function metadata(result: ScanResult): TrivyReport['Metadata'] {
  const { artifact, distro } = result;
  const config = artifact.config;
  return {
    ...(distro === undefined ? {} : { OS: { Family: distro.id, Name: distro.release ?? distro.versionId } }),
    ...(artifact.imageId === undefined ? {} : { ImageID: artifact.imageId }),
    DiffIDs: artifact.layers.map((l) => l.diffId),
    ...(artifact.repoTags === undefined || artifact.repoTags.length === 0 ? {} : { RepoTags: artifact.repoTags }),
    ...(artifact.repoDigests === undefined || artifact.repoDigests.length === 0 ? {} : { RepoDigests: artifact.repoDigests }),
    ...(config === undefined || Object.keys(config).length === 0 ? {} : { ImageConfig: config }),
    Layers: artifact.layers.map((l) => ({ ...(l.size === undefined ? {} : { Size: l.size }), Digest: l.digest, DiffID: l.diffId })),
  };
}

/** The scan result as Trivy's `SchemaVersion: 2` JSON report. */
export function toTrivyJson(result: ScanResult): TrivyReport {
  const image = result.artifact.digest !== undefined || result.artifact.layers.length > 0;
  return {
    SchemaVersion: 2,
    CreatedAt: new Date(result.createdAt).toISOString(),
    ArtifactName: result.artifact.name,
    ArtifactType: image ? 'container_image' : 'filesystem',
    Metadata: metadata(result),
    Results: groups(result).map((group): TrivyResult => {
      const vulnerabilities = group.findings.map((f) => vulnerability(f, group.cls === 'lang-pkgs')).sort(byPackage);
      return { Target: group.target, Class: group.cls, Type: group.type, ...(vulnerabilities.length === 0 ? {} : { Vulnerabilities: vulnerabilities }) };
    }),
  };
}
