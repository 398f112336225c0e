/**
 * Harbor's Pluggable Scanner API v1.2, both ways: a client that uses an external adapter, and the
 * pieces of Slipway's own adapter (metadata, scan requests, reports) that the HTTP edge serves.
 */
export { createAdapterScanner, refreshAfterSeconds, type AdapterAuth, type AdapterScannerClient, type AdapterScannerOptions, type AdapterScanResult, type AdapterScanTarget } from './adapter-client.ts';
export { AdapterError, type AdapterErrorCode } from './adapter-error.ts';
export { AdapterMediaType, CONSUMED_MIME_TYPES, KNOWN_REPORT_TYPES, SBOM_MEDIA_TYPES, isSbomMediaType, type SbomMediaType } from './adapter-media-types.ts';
export { checkMetadata, PRODUCES, slipwayMetadata, type AdapterCapability, type AdapterScanner, type CapabilityType, type ScannerAdapterMetadata } from './adapter-metadata.ts';
export { adapterReport, type AdapterReportKind, type HarborSbomReport } from './adapter-reports.ts';
export { ADAPTER_SCAN_JOB, adapterScanJobHandler, createAdapterScans, type AdapterScanEntry, type AdapterScanRunner, type AdapterScans, type AdapterScansOptions, type AdapterScanState } from './adapter-scans.ts';
export { fromHarborReport, type AdapterFinding, type AdapterReport } from './harbor-findings.ts';
export { registryCredential } from './registry-credential.ts';
export { scanFromRegistry, type AdapterScanRequest, type RegistryScanDeps } from './registry-scan.ts';
