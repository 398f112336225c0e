import { readLimited, StreamLimitError } from '../../core/stream/read-limited.ts';
import { AdapterMediaType } from '../../scan/index.ts';
import { AdapterHttpError } from './adapter-http-error.ts';
import type { AdapterRequest, AdapterResponse } from './adapter-route.ts';
import { sameMediaType } from './media-type-match.ts';
import { parseScanRequest } from './scan-request-schema.ts';

const MAX_BODY_BYTES = 64 * 1024;
/** Harbor sends version 1.0 with a v1.2 body; the spec names 1.1; plain JSON is accepted for hand-made requests. */
const REQUEST_TYPES = [AdapterMediaType.scanRequest, AdapterMediaType.scanRequestV10, 'application/json'];

/** `POST /api/v1/scan`: accepts the request and starts its scan in the background (202 with its id). */
export async function scanHandler({ ctx, deps }: AdapterRequest): Promise<AdapterResponse> {
  const type = ctx.req.headers['content-type'];
  if (type !== undefined && !REQUEST_TYPES.some((t) => sameMediaType(t, type))) {
    ctx.req.resume();
    throw new AdapterHttpError('UNSUPPORTED_MEDIA_TYPE', `unsupported Content-Type ${JSON.stringify(type)}; send ${AdapterMediaType.scanRequest}`);
  }
  const id = await deps.scans.submit(parseScanRequest(await readJson(ctx.req, ctx.signal)), { signal: ctx.signal });
  ctx.log.info('scanner adapter: scan requested', { id });
  return { status: 202, contentType: AdapterMediaType.scanResponse, body: { id } };
}

async function readJson(req: AdapterRequest['ctx']['req'], signal: AbortSignal): Promise<unknown> {
  let raw: string;
  try {
    raw = (await readLimited(req, MAX_BODY_BYTES, { signal })).toString('utf8');
  } catch (cause) {
    if (cause instanceof StreamLimitError) throw new AdapterHttpError('TOO_LARGE', `scan request over ${MAX_BODY_BYTES} bytes`, { cause });
    throw cause;
  }
  try {
    return JSON.parse(raw) as unknown;
  } catch (cause) {
    throw new AdapterHttpError('BAD_REQUEST', `the scan request is not valid JSON: ${(cause as Error).message}`, { cause });
  }
}
