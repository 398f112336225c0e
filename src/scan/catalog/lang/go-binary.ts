/**
 * Go binaries: executable ELF files with build information, read as they stream past (see
 * go-build-info-stream.ts); only the build info is kept. Reports the main module (its version,
 * `(devel)` when built from a checkout), every dependency as built (replacements applied) and the
 * standard library as `stdlib` at the toolchain's version (`go1.20.4` → `1.20.4`).
 */
import { GO_DEVEL, type CatalogFile, type CatalogFiles, type Cataloger, type Package } from '../../model.ts';
import { EMPTY_RESULT, evidence, mergeResults, parseSafely, reported, type CatalogResult } from './catalog-result.ts';
import { parseModInfo, type GoBuildInfo, type GoModule } from './go-build-info.ts';
import { GoBuildInfoExtractor, keptBuildInfo } from './go-build-info-stream.ts';
import { MAX_DEPENDENCY_EDGES, withDependencies, type EdgeBudget } from '../dependencies.ts';
import { packageUrl } from './package-url.ts';

const MIN_SIZE = 1024;

/** Whether a file may be a Go executable: any execute bit, and a plausible size (any size above it: it streams). */
export function maybeGoBinary(mode: number, size: number): boolean {
  return (mode & 0o111) !== 0 && size >= MIN_SIZE;
}

/** Toolchain version to the `stdlib` version OSV uses: `go1.20.4` → `1.20.4`, `go1.21` → `1.21.0`, `go1.22rc1` → `1.22.0-rc.1`. */
export function stdlibVersion(goVersion: string): string | undefined {
  const match = /^go(\d+)\.(\d+)(?:\.(\d+))?(?:(alpha|beta|rc)(\d+))?(?:$|[\s+-])/.exec(goVersion);
  if (match === null) return undefined;
  const [, major, minor, patch = '0', pre, preNumber] = match;
  return `${major}.${minor}.${patch}${pre === undefined ? '' : `-${pre}.${preNumber}`}`;
}

/** Every Go binary in `files` (what the walker's extractor kept of it); executables without build info were dropped then. */
export function catalogGoBinaries(files: CatalogFiles): CatalogResult {
  const budget = { left: MAX_DEPENDENCY_EDGES };
  return mergeResults(
    files.list().flatMap((file) => {
      const kept = file.extracts?.get(goBinary.name);
      return kept === undefined ? [] : [parseSafely(file, () => goPackages(file, keptBuildInfo(kept), budget))];
    }),
  );
}

/** One binary's modules and `stdlib`, from its build info. */
export function goPackages(file: CatalogFile, info: GoBuildInfo | undefined, budget: EdgeBudget = { left: MAX_DEPENDENCY_EDGES }): CatalogResult {
  if (info === undefined) return EMPTY_RESULT;
  const modinfo = parseModInfo(info.modinfo);
  const linked = modinfo.deps.filter((module) => module.version !== '').map((module) => toPackage(file, module));
  const stdlib = stdlibVersion(info.goVersion);
  if (stdlib !== undefined) linked.push(toPackage(file, { path: 'stdlib', version: stdlib }));
  // The build info lists every module linked into the binary, not who imports whom: the main
  // module depends on them all (as Trivy and Syft relate them).
  const main = modinfo.main === undefined ? undefined : toPackage(file, { ...modinfo.main, version: modinfo.main.version === '' ? GO_DEVEL : modinfo.main.version });
  const packages = main === undefined ? linked : [withDependencies(main, linked.map((found) => found.purl), budget), ...linked];
  return stdlib === undefined ? { packages, warnings: [`${file.path}: unrecognised Go version ${JSON.stringify(info.goVersion)}`] } : { packages, warnings: [] };
}

function toPackage(file: CatalogFile, module: GoModule): Package {
  const slash = module.path.lastIndexOf('/');
  return {
    type: 'golang',
    name: module.path,
    version: module.version,
    licenses: [],
    purl: packageUrl('golang', slash < 0 ? undefined : module.path.slice(0, slash), module.path.slice(slash + 1), module.version),
    ...evidence(file),
    foundBy: goBinary.name,
  };
}

export const goBinary: Cataloger = {
  name: 'go-binary',
  version: 3,
  wants: () => false,
  extract: (_path, info) => (maybeGoBinary(info.mode, info.size) ? new GoBuildInfoExtractor(info.size) : undefined),
  catalog: (files, context) => reported(catalogGoBinaries(files), context),
};
