/**
 * Python: installed distributions described by core metadata — `*.dist-info/METADATA` (wheels),
 * `*.egg-info/PKG-INFO` and `*.egg/EGG-INFO/PKG-INFO` (setuptools), and a `*.egg-info` file. Names are
 * PEP 503-normalised; one distribution installed with both a dist-info and an egg-info in the same
 * directory is reported once, from the dist-info.
 */
import type { CatalogFile, CatalogFiles, Cataloger, Package } from '../../model.ts';
import { evidence, mergeResults, parseSafely, reported, warning, type CatalogResult } from './catalog-result.ts';
import { linkByName, MAX_DEPENDENCY_EDGES, type Requirements } from '../dependencies.ts';
import { packageUrl } from './package-url.ts';

const METADATA = /(?:^|\/)[^/]+\.dist-info\/METADATA$/;
const PKG_INFO = /(?:^|\/)[^/]+\.egg-info\/PKG-INFO$|(?:^|\/)[^/]+\.egg\/EGG-INFO\/PKG-INFO$|(?:^|\/)[^/]+\.egg-info$/;

/** Core metadata headers: the last value of each single-valued field, every `Classifier`. */
export interface CoreMetadata {
  readonly fields: ReadonlyMap<string, string>;
  readonly classifiers: readonly string[];
  /** Every `Requires-Dist`. */
  readonly requiresDist: readonly string[];
}

/** PEP 503: runs of `-`, `_` and `.` become one `-`, lowercased. */
export function normalizePythonName(name: string): string {
  return name.replace(/[-_.]+/g, '-').toLowerCase();
}

/** Every distribution in `files` (in path order), with a warning for each metadata file that names none. */
export function catalogPython(files: CatalogFiles): CatalogResult {
  const wanted = files.list().filter((file) => METADATA.test(file.path) || PKG_INFO.test(file.path));
  // dist-info first, so an egg-info describing the same installation is the one dropped.
  const ordered = [...wanted.filter((file) => METADATA.test(file.path)), ...wanted.filter((file) => !METADATA.test(file.path))];
  const seen = new Set<string>();
  const bySite = new Map<string, Requirements[]>();
  const merged = mergeResults(
    ordered.map((file) => {
      const result = parseSafely(file, parsePythonMetadata);
      const packages = result.packages.filter((found) => {
        const key = `${siteOf(file.path)}\0${normalizePythonName(found.name)}@${found.version}`;
        const fresh = !seen.has(key);
        seen.add(key);
        return fresh;
      });
      for (const found of packages) {
        const site = bySite.get(siteOf(file.path)) ?? [];
        // Requirements name distributions by their PEP 503 form; a package is listed as its metadata spells it.
        site.push({ found, provides: [normalizePythonName(found.name)], requires: (requirements.get(found) ?? []).map((name) => [name]) });
        bySite.set(siteOf(file.path), site);
      }
      return { packages, warnings: result.warnings };
    }),
  );
  // Linked within one site-packages directory: that is what one interpreter imports.
  const edges = { left: MAX_DEPENDENCY_EDGES };
  const linked = [...bySite.values()].flatMap((site) => linkByName(site, edges));
  return { ...merged, packages: linked.sort((a, b) => (a.location < b.location ? -1 : a.location > b.location ? 1 : 0)) };
}

/** The distributions each package's metadata requires (PEP 503 names), until they are linked. */
const requirements = new WeakMap<Package, readonly string[]>();

/**
 * `Requires-Dist: name[extra] (>=1.0) ; python_version < "3.11"`: the names, except those asked
 * for only by an extra (`; extra == "socks"`), which are not installed by default.
 */
export function requiredDistributions(values: readonly string[]): string[] {
  return values
    .filter((value) => !/;.*\bextra\s*==/.test(value))
    .map((value) => /^\s*([A-Za-z0-9][A-Za-z0-9._-]*)/.exec(value)?.[1])
    .filter((name): name is string => name !== undefined)
    .map(normalizePythonName);
}

/** One METADATA / PKG-INFO file: one package, or none without `Name` and `Version`. */
export function parsePythonMetadata(file: CatalogFile): CatalogResult {
  const text = file.content.toString('utf8');
  if (text.includes('\0')) return warning(file, 'binary content');
  const metadata = parseCoreMetadata(text);
  const name = metadata.fields.get('name');
  const version = metadata.fields.get('version');
  if (name === undefined || version === undefined || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name) || !/^\S+$/.test(version)) return warning(file, 'no Name and Version');
  // Named as its metadata spells it (`PyYAML`), as Trivy and Syft report it; the purl has the PEP 503 form.
  const found: Package = {
    type: 'pypi',
    name,
    version,
    licenses: licensesOf(metadata),
    purl: packageUrl('pypi', undefined, normalizePythonName(name), version),
    ...evidence(file),
    foundBy: python.name,
  };
  requirements.set(found, requiredDistributions(metadata.requiresDist));
  return { packages: [found], warnings: [] };
}

/** RFC 822-style headers up to the first blank line; continuation lines start with whitespace. */
export function parseCoreMetadata(text: string): CoreMetadata {
  const fields = new Map<string, string>();
  const classifiers: string[] = [];
  const requiresDist: string[] = [];
  let last: string | undefined;
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') break;
    if (/^[ \t]/.test(line)) {
      if (last !== undefined) fields.set(last, `${fields.get(last) ?? ''}\n${line.trim()}`);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) break;
    last = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (last === 'classifier') classifiers.push(value);
    else if (last === 'requires-dist') requiresDist.push(value);
    else fields.set(last, value);
  }
  return { fields, classifiers, requiresDist };
}

/** `License-Expression`, else a short `License` (not `UNKNOWN`, not a licence text), else `License ::` classifiers. */
function licensesOf(metadata: CoreMetadata): readonly string[] {
  const expression = metadata.fields.get('license-expression');
  if (expression !== undefined && expression !== '') return [expression];
  const license = metadata.fields.get('license');
  if (license !== undefined && license !== '' && license.toUpperCase() !== 'UNKNOWN' && !license.includes('\n') && license.length <= 100) return [license];
  const fromClassifiers = metadata.classifiers
    .filter((classifier) => classifier.startsWith('License ::'))
    .map((classifier) => classifier.split('::').at(-1)?.trim() ?? '')
    .filter((name) => name !== '' && name !== 'OSI Approved');
  return [...new Set(fromClassifiers)];
}

/** The directory holding the metadata directory (`…/site-packages`). */
function siteOf(path: string): string {
  const at = path.search(/[^/]+\.(?:dist-info|egg-info|egg)(?:\/|$)/);
  return at < 0 ? path : path.slice(0, at);
}

export const python: Cataloger = {
  name: 'python',
  version: 3,
  wants: (path) => METADATA.test(path) || PKG_INFO.test(path),
  catalog: (files, context) => reported(catalogPython(files), context),
};
