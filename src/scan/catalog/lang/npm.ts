/**
 * npm: installed packages (`node_modules/<name>/package.json`, `node_modules/@scope/<name>/package.json`,
 * at any nesting) and `package-lock.json` (lockfileVersion 1: the `dependencies` tree; 2 and 3: the
 * `packages` map). A package both installed and locked in the same project is reported once, at its
 * `node_modules` location; the lock's root project is never reported.
 */
import type { CatalogFile, CatalogFiles, Cataloger, Package } from '../../model.ts';
import { evidence, mergeResults, parseSafely, reported, warning, type CatalogResult } from './catalog-result.ts';
import { MAX_DEPENDENCY_EDGES, withDependencies, type EdgeBudget } from '../dependencies.ts';
import { packageUrl } from './package-url.ts';

const INSTALLED_MANIFEST = /(?:^|\/)node_modules\/(?:@[^/]+\/)?[^/]+\/package\.json$/;
const LOCK = /(?:^|\/)package-lock\.json$/;
const NAME = /^(?:@[^/\s]+\/)?[^/\s@][^/\s]*$/;

type Json = Readonly<Record<string, unknown>>;

interface NpmPackage {
  readonly name: string;
  readonly version: string;
  readonly licenses: readonly string[];
  /** Lock v2/v3: its install path (`node_modules/a/node_modules/b`) and the names it depends on. */
  readonly path?: string;
  readonly requires?: readonly string[];
}

/**
 * Where a package is installed (`app/node_modules/a/node_modules/@s/b`; a lock's package reported
 * once may sit at several paths) and the names its manifest or lock entry depends on: kept beside
 * each package found until they are linked.
 */
const installs = new WeakMap<Package, { readonly dirs: string[]; readonly requires: readonly string[] }>();

/** Every npm package in `files`, with a warning for each file that could not be read. */
export function catalogNpm(files: CatalogFiles): CatalogResult {
  const kept = files.list();
  const installed = mergeResults(kept.filter((file) => INSTALLED_MANIFEST.test(file.path)).map((file) => parseSafely(file, parseInstalledManifest)));
  const seen = new Set(installed.packages.map((found) => projectKey(projectOf(found.location), found)));
  const locks = kept.filter((file) => isProjectLock(file.path)).map((file) => parseSafely(file, (lock) => parseLock(lock, seen)));
  const merged = mergeResults([installed, ...locks]);
  return { ...merged, packages: linkInstalled(merged.packages) };
}

/**
 * Path characters the resolution may walk: a 5 000-package app takes a few million, while a
 * hostile tree (thousands of levels deep, a million names a manifest) would take hours. Past it,
 * the packages not yet linked are reported without their dependencies.
 */
const LINK_BUDGET = 200_000_000;

/**
 * Each package's dependencies resolved as Node resolves them: the nearest `node_modules/<name>`
 * from its own directory up (installed manifests and lock v2/v3 entries alike).
 */
export function linkInstalled(packages: readonly Package[], budget = { left: LINK_BUDGET }, edges: EdgeBudget = { left: MAX_DEPENDENCY_EDGES }): Package[] {
  const byDir = new Map<string, Package>();
  for (const found of packages) for (const dir of installs.get(found)?.dirs ?? []) if (!byDir.has(dir)) byDir.set(dir, found);
  return packages.map((found) => {
    const install = installs.get(found);
    if (install === undefined || budget.left <= 0) return found;
    const purls = install.dirs.flatMap((dir) => install.requires.map((name) => resolveFrom(dir, name, byDir, budget)?.purl));
    // Ran out while resolving this one: what it depends on is unknown, not nothing.
    if (budget.left < 0) return found;
    return withDependencies(
      found,
      purls.filter((purl): purl is string => purl !== undefined && purl !== found.purl),
      edges,
    );
  });
}

function resolveFrom(dir: string, name: string, byDir: ReadonlyMap<string, Package>, budget: { left: number }): Package | undefined {
  for (let at = dir; ; ) {
    budget.left -= at.length + name.length;
    if (budget.left < 0) return undefined;
    if (!at.endsWith('node_modules')) {
      const hit = byDir.get(at === '' ? `node_modules/${name}` : `${at}/node_modules/${name}`);
      if (hit !== undefined) return hit;
    }
    if (at === '') return undefined;
    at = at.slice(0, Math.max(0, at.lastIndexOf('/')));
  }
}

/** The names under `dependencies`, `optionalDependencies` and `peerDependencies` (npm 7 installs peers). */
function requiredNames(manifest: Json): string[] {
  return [manifest.dependencies, manifest.optionalDependencies, manifest.peerDependencies].flatMap((field) => (isObject(field) ? Object.keys(field) : []));
}

/** `node_modules/**\/package.json`: one package, or none when `name` or `version` is missing. */
export function parseInstalledManifest(file: CatalogFile): CatalogResult {
  const manifest = parseJson(file);
  if (manifest === undefined) return warning(file, 'not a JSON object');
  const { name, version } = manifest;
  if (typeof name !== 'string' || typeof version !== 'string' || !NAME.test(name) || version === '') return warning(file, 'no name and version');
  const found = toPackage(file, { name, version, licenses: licensesOf(manifest) });
  installs.set(found, { dirs: [file.path.slice(0, -'/package.json'.length)], requires: requiredNames(manifest) });
  return { packages: [found], warnings: [] };
}

/** `package-lock.json`: the locked packages not already in `seen` (project + name@version), which it extends. */
export function parseLock(file: CatalogFile, seen: Set<string>): CatalogResult {
  const lock = parseJson(file);
  if (lock === undefined) return warning(file, 'not a JSON object');
  const found = isObject(lock.packages) ? fromPackagesMap(lock.packages) : isObject(lock.dependencies) ? fromDependencyTree(lock.dependencies) : undefined;
  if (found === undefined) return warning(file, 'neither `packages` nor `dependencies`');
  const project = file.path.slice(0, Math.max(0, file.path.lastIndexOf('/')));
  const packages: Package[] = [];
  const kept = new Map<string, Package>();
  for (const entry of found) {
    const key = projectKey(project, entry);
    const dir = entry.path === undefined ? undefined : project === '' ? entry.path : `${project}/${entry.path}`;
    if (seen.has(key)) {
      // The same name@version at another install path: reported once, found there too.
      const first = kept.get(key);
      if (first !== undefined && dir !== undefined) installs.get(first)?.dirs.push(dir);
      continue;
    }
    seen.add(key);
    const locked = toPackage(file, entry);
    if (dir !== undefined) installs.set(locked, { dirs: [dir], requires: entry.requires ?? [] });
    kept.set(key, locked);
    packages.push(locked);
  }
  return { packages, warnings: [] };
}

/** Lockfile v2/v3: keys are install paths (`node_modules/a/node_modules/@s/b`); `""` is the root project. */
function fromPackagesMap(map: Json): NpmPackage[] {
  const found: NpmPackage[] = [];
  for (const [path, entry] of Object.entries(map)) {
    const at = path.lastIndexOf('node_modules/');
    if (at < 0 || !isObject(entry) || entry.link === true) continue;
    const name = typeof entry.name === 'string' ? entry.name : path.slice(at + 'node_modules/'.length);
    const resolved = lockedPackage(name, entry);
    if (resolved !== undefined) found.push({ ...resolved, path, requires: requiredNames(entry) });
  }
  return found;
}

/** Lockfile v1: `dependencies` maps names to `{ version, dependencies }`, nested for non-hoisted copies. */
function fromDependencyTree(tree: Json, depth = 0): NpmPackage[] {
  if (depth > 64) return [];
  const found: NpmPackage[] = [];
  for (const [name, entry] of Object.entries(tree)) {
    if (!isObject(entry)) continue;
    const resolved = lockedPackage(name, entry);
    if (resolved !== undefined) found.push(resolved);
    if (isObject(entry.dependencies)) found.push(...fromDependencyTree(entry.dependencies, depth + 1));
  }
  return found;
}

/** Resolves npm aliases (`"version": "npm:real-name@1.2.3"`). */
function lockedPackage(name: string, entry: Json): NpmPackage | undefined {
  const { version } = entry;
  if (typeof version !== 'string' || version === '') return undefined;
  const alias = /^npm:((?:@[^/]+\/)?[^@]+)@(.+)$/.exec(version);
  const real = alias === null ? { name, version } : { name: alias[1] ?? name, version: alias[2] ?? version };
  return NAME.test(real.name) ? { ...real, licenses: licensesOf(entry) } : undefined;
}

/** `license` (a string, `{ type }`, or an array of either) or the legacy `licenses` array. */
export function licensesOf(manifest: Json): readonly string[] {
  const named = [manifest.license, manifest.licenses].flat().map((license) => (isObject(license) ? license.type : license));
  return [...new Set(named.filter((license): license is string => typeof license === 'string' && license.trim() !== '').map((license) => license.trim()))];
}

function toPackage(file: CatalogFile, found: NpmPackage): Package {
  const slash = found.name.startsWith('@') ? found.name.indexOf('/') : -1;
  const scope = slash < 0 ? undefined : found.name.slice(0, slash);
  return {
    type: 'npm',
    name: found.name,
    version: found.version,
    licenses: found.licenses,
    purl: packageUrl('npm', scope, found.name.slice(slash + 1), found.version),
    ...evidence(file),
    foundBy: npm.name,
  };
}

/** The project directory of an installed manifest: everything before its first `node_modules/`. */
function projectOf(path: string): string {
  const at = path.startsWith('node_modules/') ? 0 : path.indexOf('/node_modules/');
  return at <= 0 ? '' : path.slice(0, at);
}

/** A project's lock; locks shipped inside installed packages describe their development, not this install. */
function isProjectLock(path: string): boolean {
  return LOCK.test(path) && !path.includes('node_modules/');
}

function projectKey(project: string, found: Pick<NpmPackage, 'name' | 'version'>): string {
  return `${project}\0${found.name}@${found.version}`;
}

function parseJson(file: CatalogFile): Json | undefined {
  try {
    const value: unknown = JSON.parse(file.content.toString('utf8').replace(/^\uFEFF/, ''));
    return isObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export const npm: Cataloger = {
  name: 'npm',
  version: 2,
  wants: (path) => INSTALLED_MANIFEST.test(path) || isProjectLock(path),
  catalog: (files, context) => reported(catalogNpm(files), context),
};
