/**
 * The scan stage's data model: what catalogers find in an image and what matching reports.
 * Readonly data, shared by catalogers, the vulnerability database, SBOM writers and reports.
 */

/** Package ecosystems Slipway catalogs; `Debian`/`Alpine`/rpm distributions carry their release in `Distro`. */
export type PackageType = 'deb' | 'apk' | 'rpm' | 'npm' | 'pypi' | 'golang' | 'maven';

const OS_TYPES: ReadonlySet<PackageType> = new Set(['deb', 'apk', 'rpm']);

/** A package of the operating system (dpkg, apk, rpm): keyed by its source package, under the distribution's release. */
export function isOsPackage(pkg: Pick<Package, 'type'>): boolean {
  return OS_TYPES.has(pkg.type);
}

/** The distribution from `/etc/os-release` (`ID`, `VERSION_ID`, `PRETTY_NAME`). */
export interface Distro {
  readonly id: string;
  /** What advisories and purls name the release by (`12`, `3.19.1`). */
  readonly versionId: string;
  readonly prettyName: string;
  /** The point release where the distribution says it elsewhere (Debian's `/etc/debian_version`: `12.15`), which reports show as Trivy does. */
  readonly release?: string;
}

export interface Package {
  readonly type: PackageType;
  /** The package's own name (binary package for OS packages; `group:artifact` for Maven; module path for Go). */
  readonly name: string;
  readonly version: string;
  /** OS packages: the source package and its version (advisories are keyed by source). */
  readonly sourceName?: string;
  readonly sourceVersion?: string;
  readonly arch?: string;
  /** SPDX license expressions or names as the package database states them. */
  readonly licenses: readonly string[];
  /** Package URL (purl-spec), with version and qualifiers. */
  readonly purl: string;
  /** Where it was found: the package database or manifest path inside the image, without a leading `/`. */
  readonly location: string;
  /** The cataloger that found it (`dpkg`, `apk`, `rpm`, `npm`, `python`, `go-binary`, `java-archive`). */
  readonly foundBy: string;
  /**
   * The purls of the packages found in the same image that it depends on, as its package database
   * or manifest says (dpkg `Depends`/`Pre-Depends`, apk `D:`, rpm requires, npm `dependencies`
   * resolved the way Node resolves them, Python `Requires-Dist`, a Go binary's main module on every
   * module linked into it). Empty: it depends on nothing found in the image; absent: unknown (a
   * cataloger that reads no dependencies, or a hostile database past the linking budget).
   */
  readonly dependsOn?: readonly string[];
  /** The layer that introduced it (diff id, `sha256:…`), when known: its database's earliest version listing it unbroken (layer-origin.ts), else the file's layer. */
  readonly layerDiffId?: string;
  readonly layerDigest?: string;
}

/** A file the layer walker kept for a cataloger: the content of the topmost layer that has it. */
export interface CatalogFile {
  /** Path inside the image, without a leading `/`. */
  readonly path: string;
  readonly mode: number;
  readonly size: number;
  /** The whole content when a cataloger `wants` the file; empty when it was kept only for `extracts`. */
  readonly content: Buffer;
  /** What each cataloger's `extract` kept of the file, by cataloger name. */
  readonly extracts?: ReadonlyMap<string, Buffer>;
  readonly layerDiffId: string;
  readonly layerDigest: string;
  /**
   * A file kept whole that lower layers had written too (a package database an `apt-get install`
   * layer rewrote): those versions, oldest first, each with its layer, so that packages are
   * attributed to the layer that introduced them (layer-origin.ts).
   */
  readonly earlier?: readonly CatalogFile[];
}

/** Sees one file's body chunk by chunk as the layer streams past (never the whole of it at once). */
export interface BodyExtractor {
  push(chunk: Buffer): void;
  /**
   * What to keep of the file (`CatalogFile.extracts`), or undefined for nothing. `warn` says why a
   * file that may hold packages was not read (the scan's warnings name the layer and entry).
   * `inflation` is what is left of the scan's allowance for bytes inflated out of the file (nested
   * archives): the extractor takes what it inflates, or tried to, off `left`; once it is spent the
   * scan fails.
   */
  end(warn: (reason: string) => void, inflation: InflationBudget): Buffer | undefined;
}

/** Bytes an extractor may still inflate, across the whole scan. */
export interface InflationBudget {
  left: number;
}

/** Read access to the files catalogers asked for, after every layer was applied (whiteouts honoured). */
export interface CatalogFiles {
  get(path: string): CatalogFile | undefined;
  /** Every kept file, in path order. */
  list(): readonly CatalogFile[];
}

/** What a cataloger is told besides the files: the distribution, and where to say what it could not read. */
export interface CatalogContext {
  readonly distro: Distro | undefined;
  /** A file it skipped and why (`app/node_modules/x/package.json: not a JSON object`): the scan's warnings. */
  readonly warn?: (message: string) => void;
  /** The scan's allowance of package records, taken as a cataloger reads them (absent: unbounded). */
  readonly records?: RecordBudget;
}

/**
 * Package records a scan may read, across its catalogers: each costs memory however few bytes it
 * takes in a database (a hostile 60 MiB dpkg status holds a million), so past the allowance the
 * scan fails with LIMIT_EXCEEDED naming the file.
 */
export interface RecordBudget {
  take(count: number, file: string): void;
}

/**
 * One cataloger: a plain object in the explicit list (`catalogers.ts`). `wants` is asked about
 * every regular file while layers stream past; only wanted files are kept (and only up to the
 * walker's size limit); `catalog` then reads them. `version` goes up when what it reports changes;
 * it feeds the scan cache key (a result other catalogers made is not current: scan-service.ts).
 */
export interface Cataloger {
  readonly name: string;
  readonly version: number;
  wants(path: string, info: { readonly mode: number; readonly size: number }): boolean;
  /**
   * For files of any size whose cataloger needs only part of them (a Go binary's build info): an
   * extractor fed the body as it streams, keeping what it returns instead of the file.
   */
  extract?(path: string, info: { readonly mode: number; readonly size: number }): BodyExtractor | undefined;
  catalog(files: CatalogFiles, context: CatalogContext): readonly Package[];
}

/** The version of a Go binary's own module built from a checkout (`go build` in a working tree): it names no release. */
export const GO_DEVEL = '(devel)';

/** Harbor's severity scale. */
export const SEVERITIES = ['Unknown', 'Negligible', 'Low', 'Medium', 'High', 'Critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface Finding {
  /** The advisory id (`CVE-…`, `GHSA-…`, `DSA-…`, `GO-…`, `PYSEC-…`); CVE preferred when the advisory names one. */
  readonly id: string;
  /** Every id of the advisory (its own and aliases/upstream). */
  readonly aliases: readonly string[];
  readonly package: Package;
  readonly severity: Severity;
  /** The id of the advisory record it comes from (a DSA fixing this CVE and others): reports name its source and list it among the vendor's ids. */
  readonly advisory?: string;
  /** The advisory's CVSS vector and score (the severity is computed from it when no rating is given), and the record that carried it. */
  readonly cvss?: { readonly vector: string; readonly score: number; readonly source?: string };
  /** Empty when no fix is known. */
  readonly fixedVersions: readonly string[];
  /** One line: the advisory's summary, else the first line of its details. */
  readonly summary: string;
  /** The advisory's details, whole (capped at a few KiB), when it has them. */
  readonly description?: string;
  /** When the advisory was published and last modified (milliseconds since the epoch). */
  readonly published?: number;
  readonly modified?: number;
  /** CWE ids the advisory names (GHSA's `database_specific.cwe_ids`). */
  readonly cweIds?: readonly string[];
  readonly references: readonly string[];
}
