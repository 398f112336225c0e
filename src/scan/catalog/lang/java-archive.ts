/**
 * Java archives (`*.jar`, `*.war`, `*.ear`) and the archives nested in them (`WEB-INF/lib/*.jar`,
 * Spring Boot's `BOOT-INF/lib/*.jar`, an ear's wars), at most three levels deep. Each
 * `META-INF/maven/<g>/<a>/pom.properties` is a package (shaded jars carry several); an archive with
 * none falls back to its `MANIFEST.MF` and file name. A nested package's location is
 * `<outer path>:<entry>` (Syft's form). Inflation is capped per entry and per outer archive.
 */
import { openZip, ZipError, type ZipArchive, type ZipEntry } from '../../../core/archive/zip-reader.ts';
import type { CatalogFile, CatalogFiles, Cataloger, Package } from '../../model.ts';
import { evidence, mergeResults, parseSafely, type CatalogResult } from './catalog-result.ts';
import { parseJarManifest } from './jar-manifest.ts';
import { parseJavaProperties } from './java-properties.ts';
import { packageUrl } from './package-url.ts';

const ARCHIVE = /\.(?:jar|war|ear)$/i;
const POM_PROPERTIES = /^META-INF\/maven\/([^/]+)\/([^/]+)\/pom\.properties$/;
/** The outer archive is depth 1; an ear's war's jars are depth 3. */
const MAX_DEPTH = 3;
const MAX_NESTED_SIZE = 64 * 1024 * 1024;
/** Inflated bytes of nested archives per outer archive. */
const NESTED_BUDGET = 256 * 1024 * 1024;
const MAX_METADATA_SIZE = 1024 * 1024;

interface Maven {
  readonly groupId: string | undefined;
  readonly artifactId: string;
  readonly version: string;
  readonly licenses: readonly string[];
}

interface Scan {
  readonly file: CatalogFile;
  budget: number;
  readonly warnings: string[];
}

/** Every Java package in `files`; archives that cannot be read become warnings. */
export function catalogJavaArchives(files: CatalogFiles): CatalogResult {
  return mergeResults(files.list().filter((file) => ARCHIVE.test(file.path)).map((file) => parseSafely(file, parseJavaArchive)));
}

/** One archive file and the archives inside it. */
export function parseJavaArchive(file: CatalogFile): CatalogResult {
  const scan: Scan = { file, budget: NESTED_BUDGET, warnings: [] };
  const packages = scanArchive(scan, file.content, file.path, 1);
  return { packages, warnings: scan.warnings };
}

function scanArchive(scan: Scan, content: Buffer, location: string, depth: number): Package[] {
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
    const bytes = readEntry(scan, zip, entry, location, Math.min(MAX_NESTED_SIZE, scan.budget));
    if (bytes === undefined) return [];
    scan.budget -= bytes.length;
    return scanArchive(scan, bytes, `${location}:${entry.name}`, depth + 1);
  });
  return [...own.map((maven) => toPackage(scan.file, location, maven)), ...inner];
}

function pomPackages(scan: Scan, zip: ZipArchive, location: string): Maven[] {
  const found = new Map<string, Maven>();
  for (const entry of zip.entries) {
    const match = POM_PROPERTIES.exec(entry.name);
    const bytes = match === null ? undefined : readEntry(scan, zip, entry, location, MAX_METADATA_SIZE);
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
  const bytes = entry === undefined ? undefined : readEntry(scan, zip, entry, location, MAX_METADATA_SIZE);
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

/** `log4j-1.2-api-2.17.1.jar` → `log4j-1.2-api` and `2.17.1`; a name without a version keeps it all. */
export function parseArchiveName(fileName: string): { readonly artifactId: string; readonly version: string | undefined } {
  const base = fileName.replace(ARCHIVE, '');
  const match = /^(.+)-(\d[\w.]*(?:[-.](?:alpha|beta|milestone|rc|cr|sp|ga|final|release|snapshot|m)?\d*(?:\.\d+)*)*)$/i.exec(base);
  return match === null ? { artifactId: base, version: undefined } : { artifactId: match[1] ?? base, version: match[2] };
}

function readEntry(scan: Scan, zip: ZipArchive, entry: ZipEntry, location: string, maxSize: number): Buffer | undefined {
  try {
    return zip.read(entry, { maxSize });
  } catch (error) {
    scan.warnings.push(`${location}:${entry.name}: ${describe(error)}`);
    return undefined;
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
  version: 1,
  wants: (path) => ARCHIVE.test(path),
  catalog: (files) => catalogJavaArchives(files).packages,
};
