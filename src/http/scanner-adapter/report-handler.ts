import { AdapterError, AdapterMediaType, adapterReport, isSbomMediaType, SBOM_MEDIA_TYPES, type AdapterReportKind } from '../../scan/index.ts';
import { AdapterHttpError } from './adapter-http-error.ts';
import type { AdapterRequest, AdapterResponse } from './adapter-route.ts';
import { acceptedTypes, sameMediaType } from './media-type-match.ts';

const PRODUCED = [AdapterMediaType.genericReport, AdapterMediaType.nativeReport, AdapterMediaType.sbomReport] as const;
type Produced = (typeof PRODUCED)[number];

/**
 * `GET /api/v1/scan/{id}/report[?sbom_media_type=…]`: 302 with `Refresh-After` until the scan has
 * finished, then the report `Accept` asks for (the generic 1.1 report when it asks for nothing in
 * particular, as harbor-scanner-trivy does), or 500 with the reason the scan failed.
 */
export async function reportHandler({ ctx, params, deps }: AdapterRequest): Promise<AdapterResponse> {
  const entry = await deps.scans.get(params[0] ?? '', { signal: ctx.signal });
  if (entry === undefined) throw new AdapterHttpError('NOT_FOUND', `no scan request ${JSON.stringify(params[0])}`);
  const mimeType = negotiate(ctx.req.headers.accept);
  const report = reportKind(mimeType, ctx.url.searchParams.get('sbom_media_type'));
  switch (entry.state.status) {
    case 'pending':
      return { status: 302, headers: { 'refresh-after': String(deps.refreshAfterSeconds) } };
    case 'failed':
      throw new AdapterError('SCAN_FAILED', `scan failed: ${entry.state.error}`);
    case 'done':
      return { status: 200, contentType: mimeType, body: adapterReport(entry.state.result, entry.request, report) };
  }
}

function negotiate(accept: string | undefined): Produced {
  const types = acceptedTypes(accept);
  if (types.length === 0) return AdapterMediaType.genericReport;
  for (const type of types) {
    if (type === '*/*') return AdapterMediaType.genericReport;
    const found = PRODUCED.find((p) => sameMediaType(p, type));
    if (found !== undefined) return found;
  }
  throw new AdapterHttpError('NO_CAPABILITY', `cannot produce ${JSON.stringify(accept)}; produces ${PRODUCED.join(', ')}`);
}

function reportKind(mimeType: Produced, sbomMediaType: string | null): AdapterReportKind {
  if (mimeType !== AdapterMediaType.sbomReport) return { kind: 'vulnerability' };
  // A `+` not percent-encoded in the query reads as a space.
  const wanted = sbomMediaType?.replaceAll(' ', '+');
  if (wanted === undefined || !isSbomMediaType(wanted)) {
    throw new AdapterHttpError('BAD_REQUEST', `an SBOM report needs sbom_media_type, one of ${SBOM_MEDIA_TYPES.join(', ')}`);
  }
  return { kind: 'sbom', sbomMediaType: wanted };
}
