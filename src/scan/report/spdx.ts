/**
 * SPDX 2.3 JSON (sbom-vuln.md §1), in Trivy's layout: the image is the root package (CONTAINER);
 * `DOCUMENT DESCRIBES image`; `image CONTAINS` the distribution (OPERATING_SYSTEM), which
 * `CONTAINS` the OS packages, and one APPLICATION per lockfile or binary (installed packages
 * gathered per language), which `CONTAINS` its packages (LIBRARY); `DEPENDS_ON` where a package's
 * database says so. Ids and the namespace are hashes of the scan result.
 */
import { createHash } from 'node:crypto';
import type { Package } from '../model.ts';
import { contentHash } from './content-hash.ts';
import { imageDigest, imagePurl } from './image-purl.ts';
import { sbomLayout, type SbomApplication } from './applications.ts';
import { dependencyRefs, packageRef, sanitizeId } from './package-ref.ts';
import { isoSeconds, type ScanResult } from './scan-result.ts';
import { conjunctionOf, normalizeLicense } from './spdx-expression.ts';

export interface SpdxExternalRef {
  readonly referenceCategory: 'SECURITY' | 'PACKAGE-MANAGER' | 'PERSISTENT-ID' | 'OTHER';
  readonly referenceType: string;
  readonly referenceLocator: string;
}

export interface SpdxPackage {
  readonly SPDXID: string;
  readonly name: string;
  readonly versionInfo?: string;
  readonly downloadLocation: string;
  readonly filesAnalyzed: false;
  readonly primaryPackagePurpose: 'CONTAINER' | 'OPERATING_SYSTEM' | 'APPLICATION' | 'LIBRARY';
  readonly checksums?: readonly { readonly algorithm: 'SHA256'; readonly checksumValue: string }[];
  readonly licenseConcluded?: string;
  readonly licenseDeclared?: string;
  readonly copyrightText?: string;
  readonly externalRefs?: readonly SpdxExternalRef[];
  readonly sourceInfo?: string;
  readonly comment?: string;
  readonly description?: string;
}

export interface SpdxRelationship {
  readonly spdxElementId: string;
  readonly relationshipType: 'DESCRIBES' | 'CONTAINS' | 'DEPENDS_ON';
  readonly relatedSpdxElement: string;
}

export interface SpdxDocument {
  readonly spdxVersion: 'SPDX-2.3';
  readonly dataLicense: 'CC0-1.0';
  readonly SPDXID: 'SPDXRef-DOCUMENT';
  readonly name: string;
  readonly documentNamespace: string;
  readonly creationInfo: { readonly created: string; readonly creators: readonly string[] };
  readonly documentDescribes: readonly string[];
  readonly packages: readonly SpdxPackage[];
  readonly relationships: readonly SpdxRelationship[];
  readonly hasExtractedLicensingInfos?: readonly SpdxExtractedLicense[];
}

/** A license the SPDX list has no id for, as the package database names it (`public-domain`, `BSD`). */
export interface SpdxExtractedLicense {
  readonly licenseId: string;
  readonly name: string;
  readonly extractedText: string;
  readonly comment: string;
}

const ROOT_ID = 'SPDXRef-Image';
const NOASSERTION = 'NOASSERTION';

/** The SPDXID of a catalogued package: `SPDXRef-Package-<type>-<name>-<hash>`. */
const PACKAGE_ID_PREFIX = 'SPDXRef-Package-';

export function spdxPackageId(pkg: Package): string {
  return `${PACKAGE_ID_PREFIX}${packageRef(pkg)}`;
}

function purlRef(purl: string): SpdxExternalRef {
  return { referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: purl };
}

function rootPackage(result: ScanResult): SpdxPackage {
  const digest = imageDigest(result.artifact);
  const purl = imagePurl(result.artifact);
  const hex = digest?.startsWith('sha256:') === true ? digest.slice('sha256:'.length) : undefined;
  return {
    SPDXID: ROOT_ID,
    name: result.artifact.name,
    ...(digest === undefined ? {} : { versionInfo: digest }),
    downloadLocation: NOASSERTION,
    filesAnalyzed: false,
    primaryPackagePurpose: 'CONTAINER',
    ...(hex === undefined ? {} : { checksums: [{ algorithm: 'SHA256', checksumValue: hex }] }),
    ...(purl === undefined ? {} : { externalRefs: [purlRef(purl)] }),
  };
}

function osPackage(result: ScanResult): SpdxPackage | undefined {
  const distro = result.distro;
  if (distro === undefined) return undefined;
  return {
    SPDXID: `SPDXRef-OperatingSystem-${sanitizeId(`${distro.id}-${distro.versionId}`) || 'os'}`,
    name: distro.id,
    versionInfo: distro.release ?? distro.versionId,
    downloadLocation: NOASSERTION,
    filesAnalyzed: false,
    primaryPackagePurpose: 'OPERATING_SYSTEM',
    ...(distro.prettyName === '' ? {} : { description: distro.prettyName }),
  };
}

function sourceInfo(pkg: Package): string {
  const found = `acquired package info from ${pkg.foundBy}: /${pkg.location}`;
  return pkg.sourceName === undefined ? found : `${found}; built package from: ${pkg.sourceName} ${pkg.sourceVersion ?? pkg.version}`;
}

function layerComment(pkg: Package): string | undefined {
  const parts = [pkg.layerDiffId === undefined ? undefined : `layer diff id: ${pkg.layerDiffId}`, pkg.layerDigest === undefined ? undefined : `layer digest: ${pkg.layerDigest}`];
  const text = parts.filter((part) => part !== undefined).join('; ');
  return text === '' ? undefined : text;
}

/**
 * The document's `LicenseRef-`s: one per license name outside the SPDX list, its id made of the
 * name (`LicenseRef-public-domain`), made unique by a hash of it where two names would collide
 * (ids compare case-insensitively, SPDX 2.3 Annex D).
 */
function licenseRefs() {
  const byName = new Map<string, SpdxExtractedLicense>();
  const taken = new Set<string>();
  return {
    /** A package's licenses as one expression: list ids where the names mean one, `LicenseRef-`s for the rest. */
    declared(licenses: readonly string[]): string | undefined {
      const names = [...new Set(licenses.map((license) => license.trim()).filter((license) => license !== ''))];
      return conjunctionOf(names.map((name) => normalizeLicense(name) ?? this.ref(name)));
    },
    ref(name: string): string {
      const known = byName.get(name);
      if (known !== undefined) return known.licenseId;
      const base = `LicenseRef-${name.replace(/[^A-Za-z0-9.]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 64) || 'unnamed'}`;
      const licenseId = taken.has(base.toLowerCase()) ? `${base}-${createHash('sha256').update(name).digest('hex').slice(0, 8)}` : base;
      taken.add(licenseId.toLowerCase());
      byName.set(name, { licenseId, name, extractedText: name, comment: 'the license as the package database names it; the SPDX license list has no id for it' });
      return licenseId;
    },
    all: (): readonly SpdxExtractedLicense[] => [...byName.values()],
  };
}

function libraryPackage(pkg: Package, licenses: ReturnType<typeof licenseRefs>): SpdxPackage {
  const comment = layerComment(pkg);
  return {
    SPDXID: spdxPackageId(pkg),
    name: pkg.name,
    versionInfo: pkg.version,
    downloadLocation: NOASSERTION,
    filesAnalyzed: false,
    primaryPackagePurpose: 'LIBRARY',
    licenseConcluded: NOASSERTION,
    licenseDeclared: licenses.declared(pkg.licenses) ?? NOASSERTION,
    copyrightText: NOASSERTION,
    ...(pkg.purl === '' ? {} : { externalRefs: [purlRef(pkg.purl)] }),
    sourceInfo: sourceInfo(pkg),
    ...(comment === undefined ? {} : { comment }),
  };
}

/** `https://slipway.dev/spdxdocs/<name>-<sha256 of the scan result>`: new per content, never random. */
function documentNamespace(result: ScanResult): string {
  const name = result.artifact.name.replace(/[^A-Za-z0-9._~-]+/g, '-').replace(/^-+|-+$/g, '') || 'image';
  return `https://slipway.dev/spdxdocs/${name}-${contentHash(result)}`;
}

const applicationId = (application: SbomApplication): string => `SPDXRef-Application-${application.ref}`;

function applicationPackage(application: SbomApplication): SpdxPackage {
  return {
    SPDXID: applicationId(application),
    name: application.target,
    downloadLocation: NOASSERTION,
    filesAnalyzed: false,
    primaryPackagePurpose: 'APPLICATION',
    comment: `type: ${application.type}`,
  };
}

const contains = (parent: string, child: string): SpdxRelationship => ({ spdxElementId: parent, relationshipType: 'CONTAINS', relatedSpdxElement: child });

/** The scan result as an SPDX 2.3 JSON document. */
export function toSpdx(result: ScanResult): SpdxDocument {
  const os = osPackage(result);
  const { packages, osPackages, applications } = sbomLayout(result);
  const osParent = os?.SPDXID ?? ROOT_ID;
  const licenses = licenseRefs();
  const libraries = packages.map((pkg) => libraryPackage(pkg, licenses));
  const extracted = licenses.all();
  const dependsOn = [...dependencyRefs(packages)].flatMap(([from, to]) =>
    to.map((ref): SpdxRelationship => ({ spdxElementId: `${PACKAGE_ID_PREFIX}${from}`, relationshipType: 'DEPENDS_ON', relatedSpdxElement: `${PACKAGE_ID_PREFIX}${ref}` })),
  );
  return {
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name: result.artifact.name,
    documentNamespace: documentNamespace(result),
    creationInfo: { created: isoSeconds(result.createdAt), creators: [`Tool: slipway-${result.scanner.version}`] },
    documentDescribes: [ROOT_ID],
    packages: [rootPackage(result), ...(os === undefined ? [] : [os]), ...applications.map(applicationPackage), ...libraries],
    relationships: [
      { spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: ROOT_ID },
      ...(os === undefined ? [] : [contains(ROOT_ID, os.SPDXID)]),
      ...osPackages.map((pkg) => contains(osParent, spdxPackageId(pkg))),
      ...applications.flatMap((application) => [contains(ROOT_ID, applicationId(application)), ...application.packages.map((pkg) => contains(applicationId(application), spdxPackageId(pkg)))]),
      ...dependsOn,
    ],
    ...(extracted.length === 0 ? {} : { hasExtractedLicensingInfos: extracted }),
  };
}
