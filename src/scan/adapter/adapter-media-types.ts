/**
 * The media types of Harbor's Pluggable Scanner API v1.2 (harbor-trivy.md §1.2), byte-exact:
 * Harbor compares them as strings.
 */
import { MediaType } from '../../core/oci/media-types.ts';

export const AdapterMediaType = {
  metadata: 'application/vnd.scanner.adapter.metadata+json; version=1.1',
  /** What Harbor actually sends in `Accept` for the metadata. */
  metadataV10: 'application/vnd.scanner.adapter.metadata+json; version=1.0',
  scanRequest: 'application/vnd.scanner.adapter.scan.request+json; version=1.1',
  /** What Harbor actually sends as the scan request's `Content-Type`. */
  scanRequestV10: 'application/vnd.scanner.adapter.scan.request+json; version=1.0',
  scanResponse: 'application/vnd.scanner.adapter.scan.response+json; version=1.0',
  error: 'application/vnd.scanner.adapter.error+json; version=1.0',
  /** The legacy native report. */
  nativeReport: 'application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0',
  /** The preferred generic report (no `+json`). */
  genericReport: 'application/vnd.security.vulnerability.report; version=1.1',
  rawReport: 'application/vnd.scanner.adapter.vuln.report.raw',
  sbomReport: 'application/vnd.security.sbom.report+json; version=1.0',
} as const;

/** The SBOM formats an SBOM report may wrap (`sbom_media_type`). */
export const SBOM_MEDIA_TYPES = ['application/spdx+json', 'application/vnd.cyclonedx+json'] as const;
export type SbomMediaType = (typeof SBOM_MEDIA_TYPES)[number];

/** The artifacts Slipway's adapter scans. Harbor requires the Docker v2 manifest in every capability. */
export const CONSUMED_MIME_TYPES: readonly string[] = [MediaType.ociManifest, MediaType.dockerManifest];

/** The report types Harbor knows how to store (its health rule accepts a capability producing one). */
export const KNOWN_REPORT_TYPES: readonly string[] = [AdapterMediaType.nativeReport, AdapterMediaType.genericReport, AdapterMediaType.sbomReport];

export function isSbomMediaType(value: string): value is SbomMediaType {
  return (SBOM_MEDIA_TYPES as readonly string[]).includes(value);
}
