/**
 * Java archives (`*.jar`, `*.war`, `*.ear`) and the archives nested in them (`WEB-INF/lib/*.jar`,
 * Spring Boot's `BOOT-INF/lib/*.jar`, an ear's wars), at most three levels deep. Each
 * `META-INF/maven/<g>/<a>/pom.properties` is a package (shaded jars carry several); an archive with
 * none falls back to its `MANIFEST.MF` and file name. A nested package's location is
 * `<outer path>:<entry>` (Syft's form). Inflation is capped per entry and per outer archive. Each
 * archive is read as it streams past (held whole, up to MAX_ARCHIVE_SIZE, one at a time) and only
 * the packages found in it are kept for cataloging.
 */
import { openZip, ZipError, type ZipArchive, type ZipEntry } from '../../../core/archive/zip-reader.ts';
import type { BodyExtractor, CatalogFile, CatalogFiles, Cataloger, InflationBudget, Package } from '../../model.ts';
import { evidence, mergeResults, parseSafely, reported, type CatalogResult } from './catalog-result.ts';
import { parseJarManifest } from './jar-manifest.ts';
import { parseJavaProperties } from './java-properties.ts';
import { packageUrl } from './package-url.ts';

const ARCHIVE = /\.(?:jar|war|ear)$/i;
const POM_PROPERTIES = /^META-INF\/maven\/([^/]+)\/([^/]+)\/pom\.properties$/;
/** The outer archive is depth 1; an ear's war's jars are depth 3. */
const MAX_DEPTH = 3;
const MAX_NESTED_SIZE = 64 * 1024 * 1024;
/** Inflated bytes of nested archives and metadata per outer archive. */
const NESTED_BUDGET = 256 * 1024 * 1024;
/** A manifest (a signed jar's lists a digest per entry); a pom.properties is a few lines. */
const MAX_METADATA_SIZE = 1024 * 1024;
const MAX_POM_SIZE = 64 * 1024;
const QUALIFIERS = new Set(['alpha', 'beta', 'milestone', 'rc', 'cr', 'sp', 'ga', 'final', 'release', 'snapshot', 'm']);
/** Longer file names (Linux allows 255 bytes) are not searched for a version. */
const MAX_NAME = 255;

interface Maven {
  readonly groupId: string | undefined;
  readonly artifactId: string;
  readonly version: string;
  readonly licenses: readonly string[];
}

interface Scan {
  /** Left of this outer archive's allowance. */
  budget: number;
  /** Left of the whole scan's. */
  readonly scanWide: InflationBudget;
  readonly warnings: string[];
}

/** A package found in an archive: where (the archive's own path, or `<path>:<entry>` inside it) and what. */
interface Found {
  readonly location: string;
  readonly maven: Maven;
}

/** What the extractor keeps of an archive: its packages and warnings, located relative to its path (`''`, `:<entry>`). */
interface Kept {
  readonly found: readonly { readonly at: string; readonly maven: Maven }[];
  readonly warnings: readonly string[];
}

/** Archives larger than this are not read (each is held whole while it passes, one at a time). */
export const MAX_ARCHIVE_SIZE = 64 * 1024 * 1024;

/** Every Java package in `files` (what the walker's extractor kept of each archive); archives that could not be read become warnings. */
export function catalogJavaArchives(files: CatalogFiles): CatalogResult {
  return mergeResults(
    files.list().flatMap((file) => {
      const kept = file.extracts?.get(javaArchive.name);
      return kept === undefined ? [] : [parseSafely(file, () => fromKept(file, JSON.parse(kept.toString('utf8')) as Kept))];
    }),
  );
}

function fromKept(file: CatalogFile, kept: Kept): CatalogResult {
  return { packages: kept.found.map(({ at, maven }) => toPackage(file, `${file.path}${at}`, maven)), warnings: kept.warnings.map((warning) => `${file.path}${warning}`) };
}

/** One archive as it streams: held whole (up to MAX_ARCHIVE_SIZE), read at its end; only what it names is kept. */
class JavaArchiveExtractor implements BodyExtractor {
  readonly #path: string;
  readonly #size: number;
  readonly #whole: Buffer | undefined;
  #bytes = 0;

  constructor(path: string, size: number) {
    this.#path = path;
    this.#size = size;
    // Every byte up to `#bytes` is written before it is read.
    this.#whole = size <= MAX_ARCHIVE_SIZE ? Buffer.allocUnsafe(size) : undefined;
  }

  push(chunk: Buffer): void {
    if (this.#whole !== undefined) this.#bytes += chunk.copy(this.#whole, this.#bytes);
  }

  end(warn: (reason: string) => void, inflation: InflationBudget): Buffer | undefined {
    if (this.#whole === undefined) {
      warn(`${this.#size}-byte archive exceeds ${MAX_ARCHIVE_SIZE} bytes; not cataloged`);
      return undefined;
    }
    const scan: Scan = { budget: NESTED_BUDGET, scanWide: inflation, warnings: [] };
    const found = scanArchive(scan, this.#whole.subarray(0, this.#bytes), this.#path, 1);
    const relative = (text: string) => text.slice(this.#path.length);
    const kept: Kept = { found: found.map(({ location, maven }) => ({ at: relative(location), maven })), warnings: scan.warnings.map(relative) };
    return kept.found.length === 0 && kept.warnings.length === 0 ? undefined : Buffer.from(JSON.stringify(kept));
  }
}

/** The archive at `location` and the archives inside it. */
function scanArchive(scan: Scan, content: Buffer, location: string, depth: number): Found[] {
  let zip: ZipArchive;
  try {
    zip = openZip(content);
  } catch (error) {
    scan.warnings.push(`${location}: ${describe(error)}`);
    return [];
  }
  const found = pomPackages(scan, zip, location);
  const own = found.length > 0 ? found : manifestPackage(scan, zip, location);
  const nested = depth >= MAX_DEPTH ? [] : zip.entries.filter((entry) => !entry.isDirectory && ARCHIVE.test(entry.name));
  const inner = nested.flatMap((entry) => {
    const bytes = readEntry(scan, zip, entry, location, MAX_NESTED_SIZE);
    if (bytes === undefined) return [];
    return scanArchive(scan, bytes, `${location}:${entry.name}`, depth + 1);
  });
  return [...own.map((maven) => ({ location, maven })), ...inner];
}

function pomPackages(scan: Scan, zip: ZipArchive, location: string): Maven[] {
  const found = new Map<string, Maven>();
  for (const entry of zip.entries) {
    const match = POM_PROPERTIES.exec(entry.name);
    const bytes = match === null ? undefined : readMetadata(scan, zip, entry, location, MAX_POM_SIZE);
    if (match === null || bytes === undefined) continue;
    const properties = parseJavaProperties(bytes.toString('utf8'));
    const maven = {
      groupId: properties.get('groupId') || match[1],
      artifactId: properties.get('artifactId') || match[2] || '',
      version: properties.get('version') ?? '',
      licenses: [],
    };
    if (!usable(maven.artifactId) || !usable(maven.version) || (maven.groupId !== undefined && !usable(maven.groupId))) {
      scan.warnings.push(`${location}:${entry.name}: no usable groupId, artifactId and version`);
      continue;
    }
    found.set(`${maven.groupId}:${maven.artifactId}@${maven.version}`, maven);
  }
  return [...found.values()];
}

/** No pom.properties: the manifest's version and group hints, the artifact from the file name. */
function manifestPackage(scan: Scan, zip: ZipArchive, location: string): Maven[] {
  const entry = zip.find('META-INF/MANIFEST.MF');
  const bytes = entry === undefined ? undefined : readMetadata(scan, zip, entry, location, MAX_METADATA_SIZE);
  const manifest = parseJarManifest(bytes?.toString('utf8') ?? '');
  const fromName = parseArchiveName(location.slice(location.search(/[^/:]*$/)));
  const symbolicName = manifest.get('Bundle-SymbolicName')?.split(';')[0]?.trim();
  const artifactId = fromName.artifactId || manifest.get('Implementation-Title') || '';
  const version = manifest.get('Implementation-Version') || manifest.get('Bundle-Version') || manifest.get('Specification-Version') || fromName.version || '';
  const groupId = manifest.get('Implementation-Vendor-Id') || (symbolicName?.includes('.') === true ? symbolicName.slice(0, symbolicName.lastIndexOf('.')) : undefined);
  const license = manifest.get('Bundle-License');
  if (!usable(artifactId) || !usable(version)) return [];
  return [{ groupId: groupId !== undefined && usable(groupId) ? groupId : undefined, artifactId, version, licenses: license === undefined || license === '' ? [] : [license] }];
}

/**
 * `log4j-1.2-api-2.17.1.jar` → `log4j-1.2-api` and `2.17.1`; a name without a version keeps it all.
 * The version follows the last `-` after which the rest reads as one (see isArchiveVersion).
 */
export function parseArchiveName(fileName: string): { readonly artifactId: string; readonly version: string | undefined } {
  const base = fileName.replace(ARCHIVE, '');
  if (base.length <= MAX_NAME) {
    for (let at = base.lastIndexOf('-'); at >= 1; at = base.lastIndexOf('-', at - 1)) {
      const version = base.slice(at + 1);
      if (isArchiveVersion(version)) return { artifactId: base.slice(0, at), version };
    }
  }
  return { artifactId: base, version: undefined };
}

/**
 * A digit and word characters or dots up to the first `-`; then groups, each a `-` or `.`, an
 * optional qualifier (`rc`, `SNAPSHOT`, …) and digits. Read in one pass: the regular expression
 * it replaces backtracked exponentially on names like `a-1.1.1…!.jar`.
 */
function isArchiveVersion(text: string): boolean {
  if (!/^\d[\w.]*(?=-|$)/.test(text)) return false;
  let at = text.search(/-|$/);
  while (at < text.length) {
    const group = /^[-.]([a-z]*)\d*/i.exec(text.slice(at));
    const qualifier = group?.[1]?.toLowerCase() ?? '';
    if (group === null || (qualifier !== '' && !QUALIFIERS.has(qualifier))) return false;
    at += group[0].length;
  }
  return true;
}

/** A pom.properties or manifest, charged to the inflation budgets like nested archives. */
function readMetadata(scan: Scan, zip: ZipArchive, entry: ZipEntry, location: string, maxSize: number): Buffer | undefined {
  return readEntry(scan, zip, entry, location, maxSize);
}

/**
 * An entry, inflated within what is left of the archive's and the scan's budgets, which are charged
 * what it cost: its size, or for an entry that failed (a bad CRC, a lying header), as much as
 * may have been inflated before it did (the declared size and a byte, up to the cap).
 */
function readEntry(scan: Scan, zip: ZipArchive, entry: ZipEntry, location: string, maxSize: number): Buffer | undefined {
  const local = Math.min(maxSize, scan.budget);
  const cap = Math.max(0, Math.min(local, scan.scanWide.left));
  let cost = 0;
  try {
    const bytes = zip.read(entry, { maxSize: cap });
    cost = bytes.length;
    return bytes;
  } catch (error) {
    // Refused before inflating when the declared size is over the cap; when the scan's allowance is
    // what refused it, that is spent (the scan fails: what the entry holds stays unknown).
    if (entry.uncompressedSize > cap && scan.scanWide.left < local) scan.scanWide.left = 0;
    cost = entry.uncompressedSize > cap ? 0 : Math.min(cap, entry.uncompressedSize + 1);
    scan.warnings.push(`${location}:${entry.name}: ${describe(error)}`);
    return undefined;
  } finally {
    scan.budget -= cost;
    scan.scanWide.left -= cost;
  }
}

function toPackage(file: CatalogFile, location: string, maven: Maven): Package {
  return {
    type: 'maven',
    name: maven.groupId === undefined ? maven.artifactId : `${maven.groupId}:${maven.artifactId}`,
    version: maven.version,
    licenses: maven.licenses,
    purl: packageUrl('maven', maven.groupId, maven.artifactId, maven.version),
    ...evidence(file, location),
    foundBy: javaArchive.name,
  };
}

/** Unresolved `${…}` placeholders, blanks and separators make a coordinate unusable. */
function usable(value: string): boolean {
  return value !== '' && !/[\s/:${}]/.test(value);
}

function describe(error: unknown): string {
  return error instanceof ZipError ? `${error.code}: ${error.message}` : String(error);
}

export const javaArchive: Cataloger = {
  name: 'java-archive',
  version: 2,
  wants: () => false,
  extract: (path, info) => (ARCHIVE.test(path) ? new JavaArchiveExtractor(path, info.size) : undefined),
  catalog: (files, context) => reported(catalogJavaArchives(files), context),
};
