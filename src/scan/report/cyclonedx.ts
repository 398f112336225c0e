/**
 * CycloneDX 1.6 JSON (sbom-vuln.md §2): the image is `metadata.component` (a container), the
 * distribution an operating-system component, each lockfile or binary (installed packages
 * gathered per language) an application component, each package a library. `dependencies`, as
 * Trivy writes them: the image on the OS and the applications, the OS on its packages, each
 * application on its packages, each package on what its database says (`[]` for a known leaf,
 * absent when unknown). Findings become `vulnerabilities`. The serial number is a name-based UUID
 * of the scan result.
 */
import type { Finding, Package, Severity } from '../model.ts';
import { advisorySource, cvssVersion, severitySource } from './advisory-source.ts';
import { cvssSeverity } from '../vulndb/advisory-severity.ts';
import { contentUuid } from './content-hash.ts';
import { imageDigest, imagePurl } from './image-purl.ts';
import { sbomLayout, type SbomApplication } from './applications.ts';
import { dependencyRefs, packageRef, sanitizeId } from './package-ref.ts';
import { isoSeconds, type ScanResult } from './scan-result.ts';
import { conjunctionOf, normalizeLicense, spdxLicenseId } from './spdx-expression.ts';

export type CdxLicense = { readonly license: { readonly id: string } | { readonly name: string } } | { readonly expression: string };
export type CdxSeverity = 'critical' | 'high' | 'medium' | 'low' | 'info' | 'none' | 'unknown';

export interface CdxComponent {
  readonly type: 'container' | 'operating-system' | 'library' | 'application';
  readonly 'bom-ref'?: string;
  readonly group?: string;
  readonly name: string;
  readonly version?: string;
  readonly description?: string;
  readonly purl?: string;
  readonly licenses?: readonly CdxLicense[];
  readonly properties?: readonly { readonly name: string; readonly value: string }[];
}

export interface CdxRating {
  readonly source?: { readonly name: string; readonly url?: string };
  readonly score?: number;
  readonly severity: CdxSeverity;
  readonly method?: 'CVSSv2' | 'CVSSv3' | 'CVSSv31' | 'CVSSv4' | 'other';
  readonly vector?: string;
}

export interface CdxVulnerability {
  readonly id: string;
  readonly source: { readonly name: string; readonly url: string };
  readonly references?: readonly { readonly id: string; readonly source: { readonly name: string; readonly url: string } }[];
  readonly ratings: readonly CdxRating[];
  readonly description?: string;
  readonly detail?: string;
  readonly recommendation?: string;
  readonly cwes?: readonly number[];
  readonly advisories?: readonly { readonly url: string }[];
  readonly published?: string;
  readonly updated?: string;
  readonly affects: readonly { readonly ref: string; readonly versions: readonly { readonly version: string; readonly status: 'affected' }[] }[];
}

export interface CycloneDxBom {
  readonly $schema: 'http://cyclonedx.org/schema/bom-1.6.schema.json';
  readonly bomFormat: 'CycloneDX';
  readonly specVersion: '1.6';
  readonly serialNumber: string;
  readonly version: 1;
  readonly metadata: {
    readonly timestamp: string;
    readonly tools: { readonly components: readonly CdxComponent[] };
    readonly component: CdxComponent;
  };
  readonly components: readonly CdxComponent[];
  readonly dependencies: readonly { readonly ref: string; readonly dependsOn: readonly string[] }[];
  readonly vulnerabilities?: readonly CdxVulnerability[];
}

const ROOT_REF = 'image';

/** Negligible has no CycloneDX word; `info` is the level below `low`. */
export function cdxSeverity(severity: Severity): CdxSeverity {
  switch (severity) {
    case 'Unknown':
      return 'unknown';
    case 'Negligible':
      return 'info';
    case 'Low':
    case 'Medium':
    case 'High':
    case 'Critical':
      return severity.toLowerCase() as CdxSeverity;
  }
}

/**
 * `[{license:{id}}…]` when every name means one list id, one `{expression}` when each means an
 * expression, else ids where they do and names for the rest (CycloneDX cannot mix an expression
 * with names).
 */
export function cdxLicenses(licenses: readonly string[]): readonly CdxLicense[] | undefined {
  const names = [...new Set(licenses.map((l) => l.trim()).filter((l) => l !== ''))];
  if (names.length === 0) return undefined;
  const normalized = names.map(normalizeLicense);
  const ids = normalized.map((expression) => (expression === undefined ? undefined : spdxLicenseId(expression)));
  if (!ids.includes(undefined)) return [...new Set(ids as string[])].map((id) => ({ license: { id } }));
  const expression = normalized.includes(undefined) ? undefined : conjunctionOf(normalized as string[]);
  if (expression !== undefined) return [{ expression }];
  return names.map((name, i) => {
    const id = ids[i];
    return id === undefined ? { license: { name } } : { license: { id } };
  });
}

/** npm `@scope/name` and Maven `group:artifact` split into group and name. */
function groupAndName(pkg: Package): { group?: string; name: string } {
  const separator = pkg.type === 'npm' && pkg.name.startsWith('@') ? pkg.name.indexOf('/') : pkg.type === 'maven' ? pkg.name.indexOf(':') : -1;
  if (separator <= 0) return { name: pkg.name };
  return { group: pkg.name.slice(0, separator), name: pkg.name.slice(separator + 1) };
}

function properties(pkg: Package): { name: string; value: string }[] {
  const entries: [string, string | undefined][] = [
    ['slipway:location', pkg.location],
    ['slipway:layer', pkg.layerDiffId],
    ['slipway:layer-digest', pkg.layerDigest],
    ['slipway:found-by', pkg.foundBy],
    ['slipway:source-name', pkg.sourceName],
    ['slipway:source-version', pkg.sourceVersion],
  ];
  return entries.filter((e): e is [string, string] => e[1] !== undefined && e[1] !== '').map(([name, value]) => ({ name, value }));
}

function libraryComponent(pkg: Package): CdxComponent {
  const licenses = cdxLicenses(pkg.licenses);
  return {
    type: 'library',
    'bom-ref': packageRef(pkg),
    ...groupAndName(pkg),
    version: pkg.version,
    ...(pkg.purl === '' ? {} : { purl: pkg.purl }),
    ...(licenses === undefined ? {} : { licenses }),
    properties: properties(pkg),
  };
}

function osComponent(result: ScanResult): CdxComponent | undefined {
  const distro = result.distro;
  if (distro === undefined) return undefined;
  return {
    type: 'operating-system',
    'bom-ref': `os-${sanitizeId(`${distro.id}-${distro.versionId}`)}`,
    name: distro.id,
    version: distro.release ?? distro.versionId,
    ...(distro.prettyName === '' ? {} : { description: distro.prettyName }),
  };
}

function rootComponent(result: ScanResult): CdxComponent {
  const digest = imageDigest(result.artifact);
  const purl = imagePurl(result.artifact);
  return {
    type: 'container',
    'bom-ref': ROOT_REF,
    name: result.artifact.name,
    ...(digest === undefined ? {} : { version: digest }),
    ...(purl === undefined ? {} : { purl }),
  };
}

/**
 * The advisory's CVSS score (its severity the score's), and its own rating when that differs (a
 * GHSA record may rate `MODERATE` what its vector scores 7.5): one rating per method, as CycloneDX
 * keeps them apart.
 */
function ratings(finding: Finding): CdxRating[] {
  const out: CdxRating[] = [];
  const { cvss } = finding;
  if (cvss !== undefined) {
    const method = { '2': 'CVSSv2', '3.0': 'CVSSv3', '3.1': 'CVSSv31', '4.0': 'CVSSv4' } as const;
    const version = cvssVersion(cvss.vector);
    const from = cvss.source === undefined ? undefined : advisorySource(cvss.source);
    out.push({
      ...(from === undefined ? {} : { source: { name: from.name, url: from.url } }),
      score: cvss.score,
      severity: cdxSeverity(cvssSeverity(cvss.score)),
      ...(version === undefined ? {} : { method: method[version] }),
      vector: cvss.vector,
    });
  }
  if (cvss === undefined || cvssSeverity(cvss.score) !== finding.severity) {
    const rater = severitySource(finding);
    out.push({ ...(rater === undefined ? {} : { source: { name: rater.name, url: rater.url } }), severity: cdxSeverity(finding.severity), ...(cvss === undefined ? {} : { method: 'other' }) });
  }
  return out;
}

function vulnerability(finding: Finding): CdxVulnerability {
  const source = advisorySource(finding.id);
  const aliases = [...new Set(finding.aliases)].filter((alias) => alias !== finding.id);
  const fixed = finding.fixedVersions;
  return {
    id: finding.id,
    source: { name: source.name, url: source.url },
    ...(aliases.length === 0 ? {} : { references: aliases.map((id) => ({ id, source: { name: advisorySource(id).name, url: advisorySource(id).url } })) }),
    ratings: ratings(finding),
    ...(finding.summary === '' ? {} : { description: finding.summary }),
    ...(finding.description === undefined ? {} : { detail: finding.description }),
    ...(fixed.length === 0 ? {} : { recommendation: `Upgrade ${finding.package.name} to ${fixed.join(' or ')}` }),
    ...(finding.cweIds === undefined ? {} : { cwes: finding.cweIds.map((id) => Number(id.slice('CWE-'.length))) }),
    ...(finding.references.length === 0 ? {} : { advisories: [...new Set(finding.references)].map((url) => ({ url })) }),
    ...(finding.published === undefined ? {} : { published: new Date(finding.published).toISOString() }),
    ...(finding.modified === undefined ? {} : { updated: new Date(finding.modified).toISOString() }),
    affects: [{ ref: packageRef(finding.package), versions: [{ version: finding.package.version, status: 'affected' }] }],
  };
}

function applicationComponent(application: SbomApplication): CdxComponent {
  return { type: 'application', 'bom-ref': application.ref, name: application.target, properties: [{ name: 'slipway:type', value: application.type }] };
}

/** The scan result as a CycloneDX 1.6 JSON BOM, with `vulnerabilities` when there are findings. */
export function toCycloneDx(result: ScanResult): CycloneDxBom {
  const os = osComponent(result);
  const { packages, osPackages, applications } = sbomLayout(result);
  const components = [...(os === undefined ? [] : [os]), ...applications.map(applicationComponent), ...packages.map(libraryComponent)];
  const osRefs = osPackages.map(packageRef);
  const osRef = os?.['bom-ref'];
  const tool: CdxComponent = { type: 'application', name: 'slipway', version: result.scanner.version };
  return {
    $schema: 'http://cyclonedx.org/schema/bom-1.6.schema.json',
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    serialNumber: `urn:uuid:${contentUuid('cyclonedx', result)}`,
    version: 1,
    metadata: { timestamp: isoSeconds(result.createdAt), tools: { components: [tool] }, component: rootComponent(result) },
    components,
    dependencies: [
      { ref: ROOT_REF, dependsOn: [...(osRef === undefined ? osRefs : [osRef]), ...applications.map((a) => a.ref)] },
      ...(osRef === undefined ? [] : [{ ref: osRef, dependsOn: osRefs }]),
      ...applications.map((a) => ({ ref: a.ref, dependsOn: a.packages.map(packageRef) })),
      ...[...dependencyRefs(packages)].map(([ref, dependsOn]) => ({ ref, dependsOn })),
    ],
    ...(result.findings.length === 0 ? {} : { vulnerabilities: result.findings.map(vulnerability) }),
  };
}
