/**
 * Go binaries: executable ELF files with build information. Reports the main module (its version,
 * `(devel)` when built from a checkout), every dependency as built (replacements applied) and the
 * standard library as `stdlib` at the toolchain's version (`go1.20.4` → `1.20.4`).
 */
import type { CatalogFile, CatalogFiles, Cataloger, Package } from '../../model.ts';
import { EMPTY_RESULT, evidence, mergeResults, parseSafely, type CatalogResult } from './catalog-result.ts';
import { isElf } from './elf-image.ts';
import { parseModInfo, readGoBuildInfo, type GoModule } from './go-build-info.ts';
import { packageUrl } from './package-url.ts';

const MIN_SIZE = 1024;
/** Larger files are never asked for (so never loaded), whatever they are. */
export const MAX_GO_BINARY_SIZE = 256 * 1024 * 1024;

/** Whether a file may be a Go executable: any execute bit, and a plausible size. */
export function maybeGoBinary(mode: number, size: number): boolean {
  return (mode & 0o111) !== 0 && size >= MIN_SIZE && size <= MAX_GO_BINARY_SIZE;
}

/** Toolchain version to the `stdlib` version OSV uses: `go1.20.4` → `1.20.4`, `go1.21` → `1.21.0`, `go1.22rc1` → `1.22.0-rc.1`. */
export function stdlibVersion(goVersion: string): string | undefined {
  const match = /^go(\d+)\.(\d+)(?:\.(\d+))?(?:(alpha|beta|rc)(\d+))?(?:$|[\s+-])/.exec(goVersion);
  if (match === null) return undefined;
  const [, major, minor, patch = '0', pre, preNumber] = match;
  return `${major}.${minor}.${patch}${pre === undefined ? '' : `-${pre}.${preNumber}`}`;
}

/** Every Go binary in `files`; executables without build info are not warned about (most are not Go). */
export function catalogGoBinaries(files: CatalogFiles): CatalogResult {
  return mergeResults(files.list().filter((file) => maybeGoBinary(file.mode, file.size) && file.content.length <= MAX_GO_BINARY_SIZE).map((file) => parseSafely(file, parseGoBinary)));
}

/** One executable: its modules and `stdlib`, or nothing when it is not an ELF Go binary. */
export function parseGoBinary(file: CatalogFile): CatalogResult {
  if (!isElf(file.content)) return EMPTY_RESULT;
  const info = readGoBuildInfo(file.content);
  if (info === undefined) return EMPTY_RESULT;
  const modinfo = parseModInfo(info.modinfo);
  const modules = modinfo.main === undefined ? modinfo.deps : [{ ...modinfo.main, version: modinfo.main.version === '' ? '(devel)' : modinfo.main.version }, ...modinfo.deps];
  const packages = modules.filter((module) => module.version !== '').map((module) => toPackage(file, module));
  const stdlib = stdlibVersion(info.goVersion);
  if (stdlib !== undefined) packages.push(toPackage(file, { path: 'stdlib', version: stdlib }));
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
  version: 1,
  wants: (_path, info) => maybeGoBinary(info.mode, info.size),
  catalog: (files) => catalogGoBinaries(files).packages,
};
