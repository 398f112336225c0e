import { compareStrings } from '../core/format/compare-strings.ts';
import { walkLayers } from './catalog/layer-walker.ts';
import { isOsPackage, type Cataloger, type Distro, type Finding, type Package, type RecordBudget } from './model.ts';
import { packageQuery } from './vulndb/package-ecosystem.ts';
import type { ScanResult } from './report/scan-result.ts';
import type { ScanImage } from './image-config.ts';
import { ScanError } from './scan-error.ts';
import type { VulnDb, VulnDbStatus } from './vulndb/vulndb.ts';
import { createWarningLog } from './catalog/warning-log.ts';

/** Warnings kept per cataloger (files it skipped); the rest are counted. */
const MAX_CATALOGER_WARNINGS = 100;
/** Package records a scan reads across its catalogers: real images hold thousands, the largest tens of thousands. */
export const MAX_PACKAGE_RECORDS = 250_000;

/** The scan's record allowance (see RecordBudget). */
function recordBudget(limit: number): RecordBudget {
  let taken = 0;
  return {
    take(count, file) {
      taken += count;
      if (taken > limit) throw new ScanError('LIMIT_EXCEEDED', `${file}: more than ${limit} package records in the image (maxPackageRecords)`, { detail: { entry: file } });
    },
  };
}

export interface ScanOptions {
  readonly catalogers: readonly Cataloger[];
  /**
   * Without a database only the SBOM is produced (no findings). A promise lets the caller open the
   * database while the layers stream (the CLI: loading the database driver is a good part of its start).
   */
  readonly vulndb?: VulnDb | Promise<VulnDb>;
  readonly version: string;
  readonly signal?: AbortSignal;
  readonly now?: () => number;
  /** See MAX_PACKAGE_RECORDS. */
  readonly maxPackageRecords?: number;
}

/** Why an image's OS packages were looked up nowhere (a distribution, or a release, that advisories are not keyed to), if they were not. */
function unmatchedOsPackages(packages: readonly Package[], distro: Distro | undefined): string | undefined {
  const os = packages.filter(isOsPackage);
  const [first] = os;
  if (first === undefined || packageQuery(first, distro).ecosystems.length > 0) return undefined;
  const named = distro === undefined ? 'no /etc/os-release' : `${distro.prettyName || distro.id} (ID=${distro.id}, VERSION_ID=${JSON.stringify(distro.versionId)})`;
  return `${os.length} ${first.type} packages not matched against any advisory: no vulnerability data is keyed to ${named}`;
}

/**
 * Scans one image: streams its layers once through the catalogers (whiteouts applied, hostile
 * entries refused), matches every package against the vulnerability database, and returns the
 * result every report and SBOM writer takes.
 */
export async function scanImage(image: ScanImage, options: ScanOptions): Promise<ScanResult> {
  const now = options.now ?? Date.now;
  // Fail closed, for the CLI and the server alike: no advisories must never read as "no vulnerabilities".
  // The database is checked while the layers stream; a failed check stops the walk.
  const stop = new AbortController();
  const signal = { signal: options.signal === undefined ? stop.signal : AbortSignal.any([options.signal, stop.signal]) };
  const database = options.vulndb === undefined ? undefined : checkedDatabase(options.vulndb);
  database?.catch((error: unknown) => stop.abort(error));
  let walked: Awaited<ReturnType<typeof walkLayers>>;
  try {
    walked = await walkLayers(
      (async function* () {
        yield* image.layers.map((layer) => ({ ...layer, open: () => layer.open(signal) }));
      })(),
      options.catalogers,
      undefined,
      signal,
    );
  } catch (error) {
    if (stop.signal.aborted) await database; // throws the database's own error
    throw error;
  }
  const { vulndb, status } = (await database) ?? {};
  const packages: Package[] = [];
  const warnings = [...walked.warnings];
  const records = recordBudget(options.maxPackageRecords ?? MAX_PACKAGE_RECORDS);
  for (const cataloger of options.catalogers) {
    // Bounded per cataloger, as the walker's are: a hostile image may hold a million bad manifests.
    const skipped = createWarningLog(MAX_CATALOGER_WARNINGS, `${cataloger.name}: `);
    // A cataloger that fails fails the scan: the packages it would have found are not known, so
    // the image cannot be called clean (an unreadable rpmdb, a tree too large to catalog).
    let found: readonly Package[];
    try {
      found = cataloger.catalog(walked.files, { distro: walked.distro, warn: (message) => skipped.add(message), records });
    } catch (error) {
      if (error instanceof ScanError) throw error;
      throw new ScanError('CATALOGER_FAILED', `cataloger ${cataloger.name} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    // One at a time: spreading a few hundred thousand packages into push() overflows the stack.
    for (const pkg of found) packages.push(pkg);
    for (const message of skipped.list()) warnings.push(message);
  }
  packages.sort((a, b) => compareStrings(a.type, b.type) || compareStrings(a.name, b.name) || compareStrings(a.version, b.version) || compareStrings(a.location, b.location));
  const findings: Finding[] = (await vulndb?.matchAll(packages, walked.distro, signal)) ?? [];
  const unmatched = vulndb === undefined ? undefined : unmatchedOsPackages(packages, walked.distro);
  if (unmatched !== undefined) warnings.push(unmatched);
  return {
    artifact: {
      name: image.name,
      ...(image.digest === undefined ? {} : { digest: image.digest }),
      ...(image.mediaType === undefined ? {} : { mediaType: image.mediaType }),
      ...(image.configDigest === undefined ? {} : { imageId: image.configDigest }),
      repoTags: [...image.repoTags],
      repoDigests: [...image.repoDigests],
      config: { ...(image.architecture === undefined ? {} : { architecture: image.architecture }), ...(image.os === undefined ? {} : { os: image.os }) },
      layers: image.layers.map((l) => ({ digest: l.digest, diffId: l.diffId, ...(l.size === undefined ? {} : { size: l.size }) })),
    },
    ...(walked.distro === undefined ? {} : { distro: walked.distro }),
    packages,
    findings,
    db: { updatedAt: status?.lastImportAt ?? null, newestAdvisory: status?.newestModified ?? null, advisories: status?.advisories ?? 0 },
    scanner: { name: 'Slipway', vendor: 'Slipway', version: options.version },
    createdAt: now(),
    warnings,
    ...(walked.unexamined.length === 0 ? {} : { unexamined: walked.unexamined }),
  };
}

/** The database once it has answered, refusing an empty one. */
async function checkedDatabase(opening: VulnDb | Promise<VulnDb>): Promise<{ vulndb: VulnDb; status: VulnDbStatus }> {
  const vulndb = await opening;
  const status = await vulndb.status();
  if (status.advisories === 0) {
    throw new ScanError('DB_EMPTY', 'the vulnerability database is empty: import OSV data first (slipway db import <zip|dir>); refusing to report "no vulnerabilities"');
  }
  return { vulndb, status };
}
