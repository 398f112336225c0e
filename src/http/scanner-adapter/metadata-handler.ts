import { AdapterMediaType, slipwayMetadata } from '../../scan/index.ts';
import type { AdapterRequest, AdapterResponse } from './adapter-route.ts';

/** `GET /api/v1/metadata`: the scanner, its capabilities and the vulnerability database's last update. */
export async function metadataHandler({ ctx, deps }: AdapterRequest): Promise<AdapterResponse> {
  const status = await deps.vulndb.status({ signal: ctx.signal });
  return { status: 200, contentType: AdapterMediaType.metadata, body: slipwayMetadata({ version: deps.version, dbUpdatedAt: status.newestModified ?? status.lastImportAt }) };
}
