/**
 * The scan stage as the CLI runs it (`slipway scan`, `slipway sbom`): one target scanned in this
 * process against the local vulnerability database, and the report writers. A facade apart from
 * index.ts (whose scan service, Harbor adapter and importer the server needs) so that a scan in CI
 * loads only what it runs: a short scan is mostly Node's start and module loading.
 */
import type { RegistryClient } from '../core/oci/client/registry-client.ts';
import type { DatabaseConfig } from '../core/storage/metadata/database.ts';
import type { ScanResult } from './report/scan-result.ts';
import { openVulnDbThread } from './vulndb/vulndb-thread.ts';

export type { Severity } from './model.ts';
export { SEVERITIES } from './model.ts';
export type { ScanResult } from './report/scan-result.ts';
export { toSpdx } from './report/spdx.ts';
export { toCycloneDx } from './report/cyclonedx.ts';
export { toTrivyJson } from './report/trivy-json.ts';
export { toSarif } from './report/sarif.ts';
export { toTable } from './report/table.ts';
export { filterFindings, parseOpenVex } from './report/filters.ts';

export interface ScanTargetOptions {
  /** For registry references. */
  readonly client: RegistryClient;
  /** Which platform of an index (default linux/amd64, else the first). */
  readonly platform?: string;
  /** The vulnerability database to match against; without one only the SBOM is produced. */
  readonly database?: DatabaseConfig;
  /** The scanner version the reports name. */
  readonly version: string;
}

/**
 * Scans a registry reference, OCI layout or docker-archive (see openScanImage). The database opens
 * on a worker thread while the layers stream (openVulnDbThread), and is closed however the scan ends.
 * The thread starts first, and the scanner's modules load after: the thread's own loading then
 * runs beside this thread's, on another core, rather than beside the walk.
 */
export async function scanTarget(target: string, options: ScanTargetOptions): Promise<ScanResult> {
  const vulndb = options.database === undefined ? undefined : openVulnDbThread(options.database);
  try {
    const [{ catalogers }, { openScanImage }, { scanImage }] = await Promise.all([import('./catalogers.ts'), import('./scan-image.ts'), import('./scanner.ts')]);
    const image = await openScanImage(target, { client: options.client, ...(options.platform === undefined ? {} : { platform: options.platform }) });
    return await scanImage(image, { catalogers, ...(vulndb === undefined ? {} : { vulndb }), version: options.version });
  } finally {
    await vulndb?.close();
  }
}
