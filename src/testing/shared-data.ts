import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * The staged test data (real OSV advisories, version vectors, package databases, SPDX schema)
 * lives beside the repository in `../shared/data`, not in it. `SLIPWAY_SHARED_DATA` points
 * elsewhere. Missing data fails the test file loudly at import, naming what to do.
 */
function locate(): string {
  const candidates = [process.env['SLIPWAY_SHARED_DATA'], fileURLToPath(new URL('../../../shared/data', import.meta.url)), '/work/shared/data'];
  for (const candidate of candidates) if (candidate !== undefined && candidate !== '' && existsSync(join(candidate, 'SOURCES.md'))) return candidate;
  throw new Error(
    `MISSING TEST DATA: the shared data (OSV advisories, version vectors, package databases) is not at ${candidates.filter(Boolean).join(' or ')}; ` +
      'check out ../shared beside the repository or set SLIPWAY_SHARED_DATA to its data folder',
  );
}

export const SHARED_DATA: string = locate();

/** A path inside the shared data; a directory (`''` or a trailing `/`) ends with `/`, so callers may append names. */
export function sharedData(path: string): string {
  const joined = join(SHARED_DATA, path);
  return (path === '' || path.endsWith('/')) && !joined.endsWith('/') ? `${joined}/` : joined;
}

/** The same as a `file:` URL (a trailing `/` kept, so `new URL(name, base)` resolves inside it). */
export function sharedDataUrl(path: string): URL {
  return pathToFileURL(sharedData(path));
}
