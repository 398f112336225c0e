/**
 * The scan stage: catalogers, the vulnerability database, scans of images from any source, the
 * reports and SBOMs they produce, and scanning in the server. Other folders import the scan stage
 * only through this file, or through local.ts (the CLI's scan of one target, which loads less).
 */
export { catalogers } from './catalogers.ts';
export type { Cataloger, Distro, Finding, Package, PackageType, Severity } from './model.ts';
export { SEVERITIES } from './model.ts';
export { openScanImage, type OpenScanImageOptions, type ScanImage, type ScanLayer } from './scan-image.ts';
export { scanImage, type ScanOptions } from './scanner.ts';
export { ScanError, type ScanErrorCode } from './scan-error.ts';
export { createScanService, exceptionsAsOpenVex, type ExternalScanner, type ImageContent, type ScanException, type ScanOutcome, type ScanRequests, type ScanService, type StoredFinding } from './scan-service.ts';
export { createVulnDb, type VulnDb } from './vulndb/vulndb.ts';
export { describeSkipped, importOsv, type ImportResult } from './vulndb/osv-import.ts';
export { VulnDbError } from './vulndb/vulndb-error.ts';
export type { ScanResult } from './report/scan-result.ts';
export { toSpdx } from './report/spdx.ts';
export { toCycloneDx } from './report/cyclonedx.ts';
export { toTrivyJson } from './report/trivy-json.ts';
export { toSarif } from './report/sarif.ts';
export { toTable } from './report/table.ts';
export { harborScanOverview, storedHarborReport, toHarborReport, type HarborScanOverview } from './report/harbor-report.ts';
export { filterFindings, parseOpenVex, type OpenVexDocument } from './report/filters.ts';
export { VEX_JUSTIFICATIONS } from './report/openvex.ts';
export { ReportError } from './report/report-error.ts';
export * from './adapter/index.ts';
