import { parseDigest, type Digest } from '../core/oci/digest.ts';
import { HttpError } from './http-error.ts';
import { parseRangeHeader } from './http-range.ts';
import type { RegistryHandler, RegistryRequest } from './registry-routes.ts';
import { sendEmpty } from './respond.ts';

/** Blob HEAD/GET (with Range and If-None-Match) and DELETE. */
export const blobHandlers = {
  get: async ({ ctx, path, repo, registry }: RegistryRequest): Promise<void> => {
    const digest = pathDigest(path);
    const { size } = await registry.blobs.statBlob(repo, digest);
    const head = ctx.req.method === 'HEAD';
    const etag = `"${digest}"`;
    const common = { 'docker-content-digest': digest, etag, 'accept-ranges': 'bytes', 'cache-control': 'max-age=31536000' };
    if (ctx.req.headers['if-none-match'] === etag) {
      ctx.res.writeHead(304, common);
      ctx.res.end();
      return;
    }
    const redirect = await registry.blobs.redirectUrl(digest, head ? 'HEAD' : 'GET');
    if (redirect !== undefined) {
      sendEmpty(ctx.res, 307, { location: redirect, 'docker-content-digest': digest });
      return;
    }
    const range = parseRangeHeader(ctx.req.headers.range, size);
    const headers = {
      ...common,
      'content-type': 'application/octet-stream',
      'content-length': range === undefined ? size : range.end - range.start + 1,
      ...(range === undefined ? {} : { 'content-range': `bytes ${range.start}-${range.end}/${size}` }),
    };
    if (head) {
      ctx.res.writeHead(200, headers);
      ctx.res.end();
      return;
    }
    ctx.res.writeHead(range === undefined ? 200 : 206, headers);
    await registry.blobs.sendBlob(repo, digest, ctx.res, range, { signal: ctx.signal });
    ctx.res.end();
  },

  delete: async ({ ctx, path, repo, registry }: RegistryRequest): Promise<void> => {
    const digest = pathDigest(path);
    await registry.blobs.deleteBlob(repo, digest);
    sendEmpty(ctx.res, 202, { 'docker-content-digest': digest });
  },
} satisfies Record<string, RegistryHandler>;

export function pathDigest(path: RegistryRequest['path']): Digest {
  const value = 'digest' in path ? path.digest : '';
  return parseDigestParameter(value);
}

/** A digest from the path or the query; a malformed one is DIGEST_INVALID (400). */
export function parseDigestParameter(value: string): Digest {
  try {
    return parseDigest(value);
  } catch (cause) {
    throw new HttpError('DIGEST_INVALID', (cause as Error).message, { cause, detail: { digest: value } });
  }
}
