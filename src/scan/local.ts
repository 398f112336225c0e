/**
 * The scan stage as the CLI runs it (`slipway scan`, `slipway sbom`): one target scanned in this
 * process against the local vulnerability database, and the report writers. A facade apart from
 * index.ts (whose scan service, Harbor adapter and importer the server needs) so that a scan in CI
 * loads only what it runs: a short scan is mostly Node's start and module loading.
 */
import type { DatabaseConfig } from '../core/storage/metadata/database.ts';
import type { OpenScanImageOptions } from './scan-image.ts';
import type { ScanResult } from './report/scan-result.ts';
import type { VulnDb } from './vulndb/vulndb.ts';

export type { Severity } from './model.ts';
export { SEVERITIES } from './model.ts';
export type { ScanResult } from './report/scan-result.ts';
export { filterFindings, parseOpenVex } from './report/filters.ts';
export { imagePurl } from './report/image-purl.ts';

export const REPORT_FORMATS = ['table', 'json', 'sarif', 'spdx-json', 'cyclonedx'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** The result as `format` writes it (Trivy JSON for `json`); only that format's writer is loaded. */
export async function renderReport(result: ScanResult, format: ReportFormat): Promise<string> {
  switch (format) {
    case 'table':
      return (await import('./report/table.ts')).toTable(result);
    case 'json':
      return JSON.stringify((await import('./report/trivy-json.ts')).toTrivyJson(result), null, 2);
    case 'sarif':
      return JSON.stringify((await import('./report/sarif.ts')).toSarif(result), null, 2);
    case 'spdx-json':
      return JSON.stringify((await import('./report/spdx.ts')).toSpdx(result), null, 2);
    case 'cyclonedx':
      return JSON.stringify((await import('./report/cyclonedx.ts')).toCycloneDx(result), null, 2);
  }
}

export interface ScanTargetOptions {
  /** For registry references (see OpenScanImageOptions). */
  readonly client: OpenScanImageOptions['client'];
  /** Which platform of an index (default linux/amd64, else the first). */
  readonly platform?: string;
  /** The vulnerability database to match against; without one only the SBOM is produced. */
  readonly database?: DatabaseConfig;
  /** The scanner version the reports name. */
  readonly version: string;
}

/**
 * Scans a registry reference, OCI layout or docker-archive (see openScanImage), matching against
 * the vulnerability database of `options.database`, which is closed however the scan ends. A
 * SQLite file (the data directory's) is read directly (openAdvisoryFile: a few milliseconds);
 * PostgreSQL opens through the metadata database while the layers stream.
 */
export async function scanTarget(target: string, options: ScanTargetOptions): Promise<ScanResult> {
  const [{ catalogers }, { openScanImage }, { scanImage }] = await Promise.all([import('./catalogers.ts'), import('./scan-image.ts'), import('./scanner.ts')]);
  const database = options.database === undefined ? undefined : await openVulnDb(options.database);
  try {
    const image = await openScanImage(target, { client: options.client, ...(options.platform === undefined ? {} : { platform: options.platform }) });
    return await scanImage(image, { catalogers, ...(database === undefined ? {} : { vulndb: database.vulndb }), version: options.version });
  } finally {
    await database?.close();
  }
}

async function openVulnDb(config: DatabaseConfig): Promise<{ vulndb: VulnDb | Promise<VulnDb>; close: () => Promise<void> }> {
  if (config.kind === 'sqlite') {
    const { openAdvisoryFile } = await import('./vulndb/advisory-file.ts');
    const file = openAdvisoryFile(config.path);
    return { vulndb: file, close: async () => file.close() };
  }
  const opening = Promise.all([import('../core/storage/metadata/database.ts'), import('./vulndb/vulndb.ts')]).then(async ([{ openDatabase }, { createVulnDb }]) => {
    const metadata = await openDatabase(config);
    return { metadata, vulndb: createVulnDb(metadata) };
  });
  const vulndb = opening.then((opened) => opened.vulndb);
  // Awaited by the scan (which fails closed on it) and at close; until then a failure must not count as unhandled.
  vulndb.catch(() => undefined);
  return {
    vulndb,
    close: async () => {
      const opened = await opening.catch(() => undefined);
      await opened?.metadata.close();
    },
  };
}
