/** What a language cataloger's parse functions return, and where a package's evidence came from. */
import type { CatalogContext, CatalogFile, Package } from '../../model.ts';
import { ScanError } from '../../scan-error.ts';

/** Packages found in some files, and why other files gave none (malformed, too large, …). */
export interface CatalogResult {
  readonly packages: readonly Package[];
  readonly warnings: readonly string[];
}

export const EMPTY_RESULT: CatalogResult = { packages: [], warnings: [] };

/** A result with just one warning about `file`. */
export function warning(file: CatalogFile, message: string): CatalogResult {
  return { packages: [], warnings: [`${file.path}: ${message}`] };
}

/** Concatenates results in order. */
export function mergeResults(results: Iterable<CatalogResult>): CatalogResult {
  const packages: Package[] = [];
  const warnings: string[] = [];
  // Item by item: spreading a very large lockfile's packages into push() would overflow the stack.
  for (const result of results) {
    for (const pkg of result.packages) packages.push(pkg);
    for (const message of result.warnings) warnings.push(message);
  }
  return { packages, warnings };
}

/** The `location` and layer of a package found in `file` (`location` defaults to the file's path). */
export function evidence(file: CatalogFile, location: string = file.path): Pick<Package, 'location' | 'layerDiffId' | 'layerDigest'> {
  return { location, layerDiffId: file.layerDiffId, layerDigest: file.layerDigest };
}

/** Runs `parse` on one file; an unexpected exception becomes a warning, so one bad file never fails a scan (a limit of the scan's does). */
export function parseSafely(file: CatalogFile, parse: (file: CatalogFile) => CatalogResult): CatalogResult {
  try {
    return parse(file);
  } catch (error) {
    if (error instanceof ScanError) throw error;
    return warning(file, `unreadable (${error instanceof Error ? error.message : String(error)})`);
  }
}

/** The packages of a result, taken from the scan's record allowance, its warnings told to the scan (the cataloger's `catalog`). */
export function reported(result: CatalogResult, context: CatalogContext): readonly Package[] {
  const [first] = result.packages;
  if (first !== undefined) context.records?.take(result.packages.length, first.location);
  for (const message of result.warnings) context.warn?.(message);
  return result.packages;
}
