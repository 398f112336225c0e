import { isDigest } from '../core/oci/digest.ts';
import { MAX_MANIFEST_BYTES } from '../core/oci/manifest.ts';
import { MediaType } from '../core/oci/media-types.ts';
import { RegistryError, type PageResult, type TagPrecondition } from '../registry/index.ts';
import { HttpError } from './http-error.ts';
import type { HttpContext } from './http-server.ts';
import { pathDigest } from './registry-blob-handlers.ts';
import { registryPath } from './registry-paths.ts';
import type { RegistryHandler, RegistryRequest } from './registry-routes.ts';
import { sendBytes, sendEmpty, sendJson } from './respond.ts';

/** Manifests, tag lists, referrers and the catalog. */
export const manifestHandlers = {
  head: async ({ ctx, path, repo, auth, registry }: RegistryRequest): Promise<void> => {
    // The pull gate applies to HEAD too: clients that HEAD first must not learn a blocked digest's bytes are there to take.
    const manifest = await registry.manifests.statManifest(repo, reference(path), auth.principal, {
      signal: ctx.signal,
      mayPush: () => auth.accountMay({ type: 'repository', name: repo.name, actions: ['push'] }),
    });
    ctx.res.writeHead(200, manifestHeaders(manifest));
    ctx.res.end();
  },

  get: async ({ ctx, path, repo, auth, registry }: RegistryRequest): Promise<void> => {
    const manifest = await registry.manifests.getManifest(repo, reference(path), auth.principal, { signal: ctx.signal });
    const headers = manifestHeaders(manifest);
    if (ctx.req.headers['if-none-match'] === headers.etag) {
      ctx.res.writeHead(304, headers);
      ctx.res.end();
      return;
    }
    sendBytes(ctx.res, 200, manifest.bytes, headers);
  },

  put: async ({ ctx, path, repo, auth, registry }: RegistryRequest): Promise<void> => {
    const length = Number(ctx.req.headers['content-length'] ?? 0);
    if (length > MAX_MANIFEST_BYTES) {
      throw new RegistryError('MANIFEST_TOO_LARGE', `manifest of ${length} bytes exceeds the limit of ${MAX_MANIFEST_BYTES} bytes`);
    }
    const tagPrecondition = preconditionOf(ctx);
    const result = await registry.manifests.putManifest(repo, reference(path), ctx.req, ctx.req.headers['content-type'], auth.principal.name, tagPrecondition === undefined ? {} : { tagPrecondition });
    sendEmpty(ctx.res, 201, {
      location: registryPath(repo.name, 'manifests', result.digest),
      'docker-content-digest': result.digest,
      ...(result.subject === undefined ? {} : { 'oci-subject': result.subject }),
    });
  },

  delete: async ({ ctx, path, repo, auth, registry }: RegistryRequest): Promise<void> => {
    await registry.manifests.deleteManifest(repo, reference(path), auth.principal.name);
    sendEmpty(ctx.res, 202);
  },

  tags: async ({ ctx, repo, registry }: RegistryRequest): Promise<void> => {
    const page = pageOf(ctx);
    const result = await registry.manifests.listTags(repo, page);
    sendJson(ctx.res, 200, { name: repo.name, tags: result.items }, linkHeader(`/v2/${repo.name}/tags/list`, page.n, result));
  },

  catalog: async ({ ctx, registry }: RegistryRequest): Promise<void> => {
    const page = pageOf(ctx);
    const result = await registry.manifests.catalog(page);
    sendJson(ctx.res, 200, { repositories: result.items }, linkHeader('/v2/_catalog', page.n, result));
  },

  referrers: async ({ ctx, path, repo, registry }: RegistryRequest): Promise<void> => {
    const artifactType = ctx.url.searchParams.get('artifactType') ?? undefined;
    const { index, filtered } = await registry.manifests.referrers(repo, pathDigest(path), artifactType);
    sendBytes(ctx.res, 200, index, {
      'content-type': MediaType.ociIndex,
      ...(filtered ? { 'oci-filters-applied': 'artifactType' } : {}),
    });
  },
} satisfies Record<string, RegistryHandler>;

const DEFAULT_PAGE = 1000;
const MAX_PAGE = 10_000;

function pageOf(ctx: HttpContext): { n: number; last: string | undefined } {
  const n = ctx.url.searchParams.get('n');
  if (n !== null && !/^\d+$/.test(n)) throw new HttpError('PAGINATION_NUMBER_INVALID', `n must be a non-negative integer, not ${JSON.stringify(n)}`);
  return { n: n === null ? DEFAULT_PAGE : Math.min(Number(n), MAX_PAGE), last: ctx.url.searchParams.get('last') ?? undefined };
}

function linkHeader(base: string, n: number, result: PageResult<string>): Record<string, string> {
  if (result.next === undefined) return {};
  return { link: `<${base}?last=${encodeURIComponent(result.next)}&n=${n}>; rel="next"` };
}

/**
 * A conditional PUT (RFC 9110 §13.1): `If-None-Match: *` (the tag must not exist yet) or `If-Match: "<digest>"` (the tag
 * must still point at the manifest whose ETag that is), so that read-modify-write clients — cosign's `.sig` tags, the
 * referrers fallback index — do not lose each other's changes. Other forms are refused rather than ignored.
 */
function preconditionOf(ctx: HttpContext): TagPrecondition | undefined {
  const noneMatch = ctx.req.headers['if-none-match']?.trim();
  const match = ctx.req.headers['if-match']?.trim();
  if (noneMatch !== undefined && match !== undefined) throw new HttpError('BAD_REQUEST', 'send If-Match or If-None-Match, not both');
  if (noneMatch !== undefined) {
    if (noneMatch !== '*') throw new HttpError('BAD_REQUEST', 'a manifest PUT takes If-None-Match: * only');
    return { absent: true };
  }
  if (match === undefined) return undefined;
  const digest = /^"(.+)"$/.exec(match)?.[1] ?? match;
  if (!isDigest(digest)) throw new HttpError('BAD_REQUEST', `If-Match must be a manifest ETag ("<digest>"), not ${JSON.stringify(match)}`);
  return { digest };
}

function manifestHeaders(manifest: { digest: string; mediaType: string; size: number }): Record<string, string | number> & { etag: string } {
  return {
    'content-type': manifest.mediaType,
    'content-length': manifest.size,
    'docker-content-digest': manifest.digest,
    etag: `"${manifest.digest}"`,
  };
}

function reference(path: RegistryRequest['path']): string {
  return path.kind === 'manifest' ? path.reference : '';
}
