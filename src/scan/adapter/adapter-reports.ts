/** The report bodies the adapter serves for a finished scan (harbor-trivy.md §1.6). */
import { MediaType } from '../../core/oci/media-types.ts';
import { toCycloneDx } from '../report/cyclonedx.ts';
import { harborWireArtifact, toHarborReport, type HarborArtifact, type HarborVulnerabilityReport, type HarborWireArtifact } from '../report/harbor-report.ts';
import { isoSeconds, type ScanResult } from '../report/scan-result.ts';
import { toSpdx } from '../report/spdx.ts';
import type { AdapterScanner } from './adapter-metadata.ts';
import type { SbomMediaType } from './adapter-media-types.ts';
import type { AdapterScanRequest } from './registry-scan.ts';

/** Which report: the vulnerability report (one body for native 1.0 and generic 1.1), or the SBOM in a format. */
export type AdapterReportKind = { readonly kind: 'vulnerability' } | { readonly kind: 'sbom'; readonly sbomMediaType: SbomMediaType };

/** The SBOM report wrapper (`application/vnd.security.sbom.report+json; version=1.0`). */
export interface HarborSbomReport {
  readonly generated_at: string;
  readonly artifact: HarborWireArtifact;
  readonly scanner: AdapterScanner;
  readonly vendor_attributes: Readonly<Record<string, unknown>>;
  readonly media_type: SbomMediaType;
  readonly sbom: unknown;
}

export function adapterReport(result: ScanResult, request: AdapterScanRequest, report: AdapterReportKind): HarborVulnerabilityReport | HarborSbomReport {
  const artifact: HarborArtifact = {
    repository: request.artifact.repository,
    digest: request.artifact.digest,
    mimeType: request.artifact.mimeType ?? result.artifact.mediaType ?? MediaType.ociManifest,
    ...(request.artifact.tag === undefined ? {} : { tag: request.artifact.tag }),
  };
  switch (report.kind) {
    case 'vulnerability':
      return toHarborReport(result, artifact);
    case 'sbom':
      return {
        generated_at: isoSeconds(result.createdAt),
        artifact: harborWireArtifact(artifact),
        scanner: { name: result.scanner.name, vendor: result.scanner.vendor, version: result.scanner.version },
        vendor_attributes: {},
        media_type: report.sbomMediaType,
        sbom: report.sbomMediaType === 'application/spdx+json' ? toSpdx(result) : toCycloneDx(result),
      };
  }
}
