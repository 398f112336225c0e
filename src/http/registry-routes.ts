import type { Access, RepositoryAction } from '../core/auth/access.ts';
import { parseRepositoryName, type Registry, type RepositoryName } from '../registry/index.ts';
import { HttpError } from './http-error.ts';
import type { HttpContext, HttpMount } from './http-server.ts';
import { blobHandlers } from './registry-blob-handlers.ts';
import { manifestHandlers } from './registry-manifest-handlers.ts';
import { matchRegistryPath, type RegistryPath, type RegistryPathKind } from './registry-paths.ts';
import { uploadHandlers } from './registry-upload-handlers.ts';
import type { RequestAuth, RequestAuthenticator } from './request-auth.ts';
import { sendJson } from './respond.ts';

/** What a registry handler gets: the HTTP context, the parsed path, the caller, and the facade. */
export interface RegistryRequest {
  readonly ctx: HttpContext;
  readonly path: RegistryPath;
  /** The repository named in the path (absent for `/v2/` and `/v2/_catalog`). */
  readonly repo: RepositoryName;
  readonly auth: RequestAuth;
  readonly registry: Registry;
}

export type RegistryHandler = (request: RegistryRequest) => Promise<void>;

/** Who may call a route: any authenticated caller, the catalog scope, or actions on the repository. */
export type RouteAccess = 'authenticated' | 'catalog' | readonly RepositoryAction[];

export interface RegistryRoute {
  readonly name: string;
  readonly method: string;
  readonly path: RegistryPathKind;
  readonly access: RouteAccess;
  readonly handle: RegistryHandler;
}

const base: RegistryHandler = ({ ctx }) => {
  sendJson(ctx.res, 200, {});
  return Promise.resolve();
};

/** The Distribution API, end-1 to end-14 plus `_catalog`, as data. */
export const REGISTRY_ROUTES: readonly RegistryRoute[] = [
  { name: 'base', method: 'GET', path: 'base', access: 'authenticated', handle: base },
  { name: 'base', method: 'HEAD', path: 'base', access: 'authenticated', handle: base },
  { name: 'catalog', method: 'GET', path: 'catalog', access: 'catalog', handle: manifestHandlers.catalog },
  { name: 'blob.head', method: 'HEAD', path: 'blob', access: ['pull'], handle: blobHandlers.get },
  { name: 'blob.get', method: 'GET', path: 'blob', access: ['pull'], handle: blobHandlers.get },
  { name: 'blob.delete', method: 'DELETE', path: 'blob', access: ['delete'], handle: blobHandlers.delete },
  { name: 'upload.start', method: 'POST', path: 'uploads', access: ['pull', 'push'], handle: uploadHandlers.start },
  { name: 'upload.status', method: 'GET', path: 'upload', access: ['pull'], handle: uploadHandlers.status },
  { name: 'upload.patch', method: 'PATCH', path: 'upload', access: ['pull', 'push'], handle: uploadHandlers.patch },
  { name: 'upload.put', method: 'PUT', path: 'upload', access: ['pull', 'push'], handle: uploadHandlers.put },
  { name: 'upload.cancel', method: 'DELETE', path: 'upload', access: ['pull', 'push'], handle: uploadHandlers.cancel },
  { name: 'manifest.head', method: 'HEAD', path: 'manifest', access: ['pull'], handle: manifestHandlers.head },
  { name: 'manifest.get', method: 'GET', path: 'manifest', access: ['pull'], handle: manifestHandlers.get },
  { name: 'manifest.put', method: 'PUT', path: 'manifest', access: ['pull', 'push'], handle: manifestHandlers.put },
  { name: 'manifest.delete', method: 'DELETE', path: 'manifest', access: ['delete'], handle: manifestHandlers.delete },
  { name: 'tags.list', method: 'GET', path: 'tags', access: ['pull'], handle: manifestHandlers.tags },
  { name: 'referrers', method: 'GET', path: 'referrers', access: ['pull'], handle: manifestHandlers.referrers },
];

const NO_REPOSITORY: RepositoryName = { name: '', project: '' };

/** Mounts the registry API under `/v2`. */
export function registryMount(deps: { readonly registry: Registry; readonly authenticator: RequestAuthenticator }): HttpMount {
  return {
    async handle(ctx) {
      const path = matchRegistryPath(ctx.url.pathname);
      const underV2 = ctx.url.pathname === '/v2' || ctx.url.pathname.startsWith('/v2/');
      // On every /v2 answer, the 401 challenge and errors included, as distribution does: Docker reads it to recognise a v2 registry.
      if (underV2) ctx.res.setHeader('docker-distribution-api-version', 'registry/2.0');
      if (path === undefined) return underV2 ? notFound(ctx) : false;
      const candidates = REGISTRY_ROUTES.filter((r) => r.path === path.kind);
      const route = candidates.find((r) => r.method === ctx.req.method);
      ctx.route = route?.name ?? `${path.kind}.unsupported`;
      // Authenticate before anything else so that an anonymous probe learns nothing but the challenge.
      const auth = await deps.authenticator.authenticate(ctx.req);
      ctx.user = auth.principal.name || undefined;
      if (route === undefined) {
        throw new HttpError('METHOD_NOT_ALLOWED', `${ctx.req.method ?? ''} is not supported on ${ctx.url.pathname}`, {
          headers: { allow: candidates.map((r) => r.method).join(', ') },
        });
      }
      const repo = 'name' in path ? parseRepositoryName(path.name) : NO_REPOSITORY;
      await deps.authenticator.require(ctx.req, auth, requiredAccess(route.access, repo));
      await route.handle({ ctx, path, repo, auth, registry: deps.registry });
      return true;
    },
  };
}

function requiredAccess(access: RouteAccess, repo: RepositoryName): Access | undefined {
  if (access === 'authenticated') return undefined;
  if (access === 'catalog') return { type: 'registry', name: 'catalog', actions: ['*'] };
  return { type: 'repository', name: repo.name, actions: access };
}

function notFound(ctx: HttpContext): never {
  ctx.route = 'v2.unknown';
  throw new HttpError('NOT_FOUND', `no such registry endpoint: ${ctx.url.pathname}`);
}
