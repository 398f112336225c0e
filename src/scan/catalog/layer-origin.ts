/**
 * The layer that introduced each package of a database later layers rewrote. A Debian base layer
 * writes `var/lib/dpkg/status`; an `apt-get install curl` layer writes it again, whole: read alone,
 * every package would seem to come from the second layer. The walker keeps the earlier versions of
 * such a file (`CatalogFile.earlier`); a package belongs to the oldest of the versions, newest back,
 * that list it without a break (same purl: name, version, architecture), as Trivy attributes
 * packages. A package removed and installed again belongs to the layer that installed it again.
 */
import type { CatalogFile, Package } from '../model.ts';
import { ScanError } from '../scan-error.ts';

/**
 * `packages` with their layer moved back to where each was introduced. `listed` reads one version
 * of a database file as the cataloger reads the current one (purls of the packages in it); a
 * version it cannot read ends the search there.
 */
export function withOriginLayers(packages: readonly Package[], databases: readonly CatalogFile[], listed: (version: CatalogFile) => Iterable<string>): Package[] {
  const rewritten = new Map(databases.filter((file) => (file.earlier?.length ?? 0) > 0).map((file) => [file.path, file]));
  if (rewritten.size === 0) return [...packages];
  const versions = new Map<CatalogFile, ReadonlySet<string> | undefined>();
  const purlsIn = (version: CatalogFile): ReadonlySet<string> | undefined => {
    if (!versions.has(version)) {
      let purls: ReadonlySet<string> | undefined;
      try {
        purls = new Set(listed(version));
      } catch (error) {
        // A limit of the scan's holds for earlier versions too; an unreadable one only ends the search.
        if (error instanceof ScanError && error.code === 'LIMIT_EXCEEDED') throw error;
        purls = undefined;
      }
      versions.set(version, purls);
    }
    return versions.get(version);
  };
  return packages.map((pkg) => {
    const file = rewritten.get(pkg.location);
    if (file === undefined) return pkg;
    let origin: CatalogFile = file;
    for (const version of (file.earlier ?? []).toReversed()) {
      if (purlsIn(version)?.has(pkg.purl) !== true) break;
      origin = version;
    }
    return origin === file ? pkg : { ...pkg, layerDiffId: origin.layerDiffId, layerDigest: origin.layerDigest };
  });
}
