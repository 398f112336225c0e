/** Stable per-package references shared by the SBOM writers (SPDX ids, CycloneDX bom-refs). */
import type { Package } from '../model.ts';
import { contentHash } from './content-hash.ts';
import type { ScanResult } from './scan-result.ts';

/** Only `[A-Za-z0-9.-]`, the SPDXID alphabet (also fine for bom-refs). */
export function sanitizeId(text: string): string {
  return text.replace(/[^A-Za-z0-9.-]+/g, '-').replace(/^-+|-+$/g, '');
}

/**
 * `<type>-<name>-<hash>`: readable, and unique per package occurrence. The hash covers the purl
 * (type, name, version, qualifiers) and where the package was found, so the same package in two
 * places gets two refs.
 */
export function packageRef(pkg: Package): string {
  const hash = contentHash([pkg.type, pkg.name, pkg.version, pkg.purl, pkg.location, pkg.layerDiffId ?? '']).slice(0, 16);
  return `${pkg.type}-${sanitizeId(pkg.name) || 'package'}-${hash}`;
}

/**
 * The packages a report describes: the catalogued ones plus any a finding names that the list
 * lacks, each occurrence once (by `packageRef`), in input order.
 */
export function reportPackages(result: ScanResult): readonly Package[] {
  const seen = new Map<string, Package>();
  for (const pkg of [...result.packages, ...result.findings.map((f) => f.package)]) {
    const ref = packageRef(pkg);
    if (!seen.has(ref)) seen.set(ref, pkg);
  }
  return [...seen.values()];
}

/**
 * Each package's dependencies (`dependsOn`, by purl) as the refs of the packages `packages` holds:
 * a purl found more than once (the same npm version installed twice) stands for its first. A
 * known leaf maps to no refs; a package whose dependencies are unknown is left out.
 */
export function dependencyRefs(packages: readonly Package[]): ReadonlyMap<string, readonly string[]> {
  const byPurl = new Map<string, string>();
  for (const pkg of packages) if (pkg.purl !== '' && !byPurl.has(pkg.purl)) byPurl.set(pkg.purl, packageRef(pkg));
  const edges = new Map<string, readonly string[]>();
  for (const pkg of packages) {
    if (pkg.dependsOn === undefined) continue;
    edges.set(packageRef(pkg), [...new Set(pkg.dependsOn.map((purl) => byPurl.get(purl)).filter((ref): ref is string => ref !== undefined))]);
  }
  return edges;
}
