import type { IncomingMessage } from 'node:http';
import { parseRepositoryName, type RepositoryName, type UploadState } from '../registry/index.ts';
import { HttpError } from './http-error.ts';
import { parseContentRange, type Range } from './http-range.ts';
import { parseDigestParameter } from './registry-blob-handlers.ts';
import { registryPath } from './registry-paths.ts';
import type { RegistryHandler, RegistryRequest } from './registry-routes.ts';
import { sendEmpty } from './respond.ts';

/** The blob upload state machine: POST (start, monolithic, mount), PATCH, PUT, GET status, DELETE. */
export const uploadHandlers = {
  start: async ({ ctx, repo, auth, registry }: RegistryRequest): Promise<void> => {
    const query = ctx.url.searchParams;
    const mount = query.get('mount');
    const from = query.get('from');
    if (mount !== null && from !== null) {
      const digest = parseDigestParameter(mount);
      const source = parseNameOrUndefined(from);
      const mayPull = source !== undefined && (await auth.may({ type: 'repository', name: source.name, actions: ['pull'] }));
      if (source !== undefined && (await registry.blobs.mountBlob(repo, digest, source, mayPull, auth.principal.name))) {
        sendEmpty(ctx.res, 201, { location: registryPath(repo.name, 'blobs', digest), 'docker-content-digest': digest });
        return;
      }
    }
    const digestParam = query.get('digest');
    if (digestParam !== null && mount === null) {
      const digest = parseDigestParameter(digestParam);
      const result = await registry.blobs.uploadMonolithic(repo, digest, ctx.req, declaredLength(ctx.req), auth.principal.name);
      sendEmpty(ctx.res, 201, { location: registryPath(repo.name, 'blobs', result.digest), 'docker-content-digest': result.digest });
      return;
    }
    sendUploadState(ctx.res, 202, repo, await registry.blobs.startUpload(repo));
  },

  patch: async ({ ctx, path, repo, registry }: RegistryRequest): Promise<void> => {
    const range = chunkRange(ctx.req);
    const state = await registry.blobs.appendUpload(repo, uploadId(path), ctx.req, range);
    sendUploadState(ctx.res, 202, repo, state);
  },

  put: async ({ ctx, path, repo, auth, registry }: RegistryRequest): Promise<void> => {
    const digestParam = ctx.url.searchParams.get('digest');
    if (digestParam === null) throw new HttpError('DIGEST_INVALID', 'the closing PUT of an upload needs ?digest=<digest of the whole blob>');
    const digest = parseDigestParameter(digestParam);
    const range = chunkRange(ctx.req);
    const body = hasBody(ctx.req) ? { stream: ctx.req, range } : undefined;
    const result = await registry.blobs.finishUpload(repo, uploadId(path), digest, body, auth.principal.name);
    sendEmpty(ctx.res, 201, { location: registryPath(repo.name, 'blobs', result.digest), 'docker-content-digest': result.digest });
  },

  status: async ({ ctx, path, repo, registry }: RegistryRequest): Promise<void> => {
    sendUploadState(ctx.res, 204, repo, await registry.blobs.uploadStatus(repo, uploadId(path)));
  },

  cancel: async ({ ctx, path, repo, registry }: RegistryRequest): Promise<void> => {
    await registry.blobs.cancelUpload(repo, uploadId(path));
    sendEmpty(ctx.res, 204);
  },
} satisfies Record<string, RegistryHandler>;

function sendUploadState(res: RegistryRequest['ctx']['res'], status: number, repo: RepositoryName, state: UploadState): void {
  sendEmpty(res, status, {
    location: registryPath(repo.name, 'blobs', 'uploads', state.id),
    range: `0-${Math.max(0, state.size - 1)}`,
    'docker-upload-uuid': state.id,
  });
}

function uploadId(path: RegistryRequest['path']): string {
  return path.kind === 'upload' ? path.id : '';
}

/** Content-Range of a chunk, checked against Content-Length when both are present. */
function chunkRange(req: IncomingMessage): Range | undefined {
  const range = parseContentRange(req.headers['content-range']);
  const length = declaredLength(req);
  if (range !== undefined && length !== undefined && length !== range.end - range.start + 1) {
    throw new HttpError('SIZE_INVALID', `Content-Length ${length} does not match Content-Range ${range.start}-${range.end}`);
  }
  return range;
}

function declaredLength(req: IncomingMessage): number | undefined {
  const header = req.headers['content-length'];
  return header === undefined ? undefined : Number(header);
}

function hasBody(req: IncomingMessage): boolean {
  const length = declaredLength(req);
  return length === undefined ? req.headers['transfer-encoding'] !== undefined : length > 0;
}

function parseNameOrUndefined(name: string): RepositoryName | undefined {
  try {
    return parseRepositoryName(name);
  } catch {
    return undefined;
  }
}
