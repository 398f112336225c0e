import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { text } from 'node:stream/consumers';
import { ANONYMOUS } from '../../core/auth/authorizer.ts';
import { HttpError } from '../http-error.ts';
import type { HttpContext, HttpMount } from '../http-server.ts';
import type { RequestAuthenticator } from '../request-auth.ts';
import { sendBytes, sendJson } from '../respond.ts';
import { API_PREFIX, type ApiRoute } from './api-route.ts';
import type { ApiServices } from './api-services.ts';
import { openApiDocument, pathParameters } from './openapi.ts';

const MAX_BODY_BYTES = 1024 * 1024;

interface CompiledRoute {
  readonly route: ApiRoute;
  readonly pattern: RegExp;
  readonly names: readonly string[];
  readonly body: ValidateFunction | undefined;
  readonly query: ValidateFunction | undefined;
}

/**
 * Mounts `/api/v2.0`: matches the route table, authenticates (Basic or a registry token; some
 * routes admit anonymous callers), validates query and body against the schemas the OpenAPI
 * document publishes, then calls the handler. Serves the document at `/api/v2.0/openapi.json`.
 */
export function apiMount(deps: { routes: readonly ApiRoute[]; services: ApiServices; authenticator: RequestAuthenticator; version: string }): HttpMount {
  const document = JSON.stringify(openApiDocument(deps.routes, deps.version));
  const formats = { 'date-time': (value: string) => !Number.isNaN(Date.parse(value)) };
  const bodies = new Ajv2020({ allErrors: true, strict: false, formats });
  const queries = new Ajv2020({ allErrors: true, strict: false, coerceTypes: true, useDefaults: true, formats });
  // Literal paths win over templates (`/system/gc/schedule` before `/system/gc/{gc_id}`).
  const ordered = deps.routes.toSorted((a, b) => pathParameters(a.path).length - pathParameters(b.path).length);
  const compiled: CompiledRoute[] = ordered.map((route) => ({
    route,
    pattern: new RegExp(`^${route.path.replaceAll(/\{[^}]+\}/g, '([^/]+)')}$`),
    names: pathParameters(route.path),
    body: route.body === undefined ? undefined : bodies.compile(route.body),
    query: route.query === undefined ? undefined : queries.compile({ type: 'object', properties: route.query }),
  }));

  return {
    async handle(ctx) {
      const { pathname } = ctx.url;
      if (pathname !== API_PREFIX && !pathname.startsWith(`${API_PREFIX}/`)) return false;
      const sub = pathname.slice(API_PREFIX.length) || '/';
      if (sub === '/openapi.json' && (ctx.req.method === 'GET' || ctx.req.method === 'HEAD')) {
        ctx.route = 'api.openapi';
        sendBytes(ctx.res, 200, document, { 'content-type': 'application/json' }, ctx.req.method === 'HEAD');
        return true;
      }
      const matches = compiled.map((c) => ({ c, m: c.pattern.exec(sub) })).filter((x) => x.m !== null);
      if (matches.length === 0) throw new HttpError('NOT_FOUND', `no such API endpoint: ${pathname}`);
      const found = matches.find((x) => x.c.route.method === ctx.req.method);
      if (found === undefined) {
        throw new HttpError('METHOD_NOT_ALLOWED', `${ctx.req.method ?? ''} is not supported on ${pathname}`, { headers: { allow: matches.map((x) => x.c.route.method).join(', ') } });
      }
      await run(ctx, found.c, found.m ?? [], deps);
      return true;
    },
  };
}

async function run(ctx: HttpContext, c: CompiledRoute, match: RegExpExecArray | readonly string[], deps: { services: ApiServices; authenticator: RequestAuthenticator }): Promise<void> {
  ctx.route = `api.${c.route.operationId}`;
  const auth = await deps.authenticator.authenticate(ctx.req);
  // Registry tokens are scoped to /v2/ repositories and may be handed to runtimes; they carry no
  // management rights (as in Harbor), so a leaked pull token cannot delete a repository here.
  const principal = auth.scheme === 'bearer' ? ANONYMOUS : auth.principal;
  ctx.user = principal.name || undefined;
  if (principal.kind === 'anonymous' && c.route.anonymous !== true) {
    throw new HttpError('UNAUTHORIZED', auth.scheme === 'bearer' ? 'registry tokens are for /v2/ only: the management API takes Basic credentials' : 'authentication required: use Basic credentials');
  }
  const params: Record<string, string> = {};
  c.names.forEach((name, i) => (params[name] = decodeParam(match[i + 1] ?? '')));
  const query = ctx.url.searchParams;
  if (c.query !== undefined) {
    const values: Record<string, unknown> = Object.fromEntries(query.entries());
    if (!c.query(values)) throw new HttpError('BAD_REQUEST', `query: ${describe(c.query.errors)}`);
    // Defaults the schema filled in become visible to the handler like any other parameter.
    for (const [key, value] of Object.entries(values)) {
      if (!query.has(key) && (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'string')) query.set(key, String(value));
    }
  }
  const body = await readBody(ctx, c.body !== undefined);
  if (c.body !== undefined && !c.body(body)) throw new HttpError('BAD_REQUEST', `request body: ${describe(c.body.errors)}`);
  const response = await c.route.handle({ ctx, params, query, body, principal, services: deps.services });
  if (response.text !== undefined) {
    sendBytes(ctx.res, response.status, response.text, { 'content-type': 'text/plain; charset=utf-8', ...response.headers });
  } else if (response.body === undefined) {
    ctx.res.writeHead(response.status, { 'content-length': 0, ...response.headers });
    ctx.res.end();
  } else {
    sendJson(ctx.res, response.status, response.body, response.headers);
  }
}

/** Harbor encodes a repository name with `/` twice (`a%252Fb`); URL parsing undid one level. */
function decodeParam(value: string): string {
  let decoded = decodeURIComponent(value);
  if (/%2F/i.test(decoded)) decoded = decodeURIComponent(decoded);
  return decoded;
}

async function readBody(ctx: HttpContext, wanted: boolean): Promise<unknown> {
  const length = Number(ctx.req.headers['content-length'] ?? 0);
  if (length > MAX_BODY_BYTES) throw new HttpError('SIZE_INVALID', `request body over ${MAX_BODY_BYTES} bytes`);
  if (!wanted) {
    ctx.req.resume();
    return undefined;
  }
  const raw = await text(ctx.req);
  if (Buffer.byteLength(raw) > MAX_BODY_BYTES) throw new HttpError('SIZE_INVALID', `request body over ${MAX_BODY_BYTES} bytes`);
  if (raw.trim() === '') throw new HttpError('BAD_REQUEST', 'request body: a JSON body is required');
  try {
    return JSON.parse(raw) as unknown;
  } catch (cause) {
    throw new HttpError('BAD_REQUEST', `request body is not valid JSON: ${(cause as Error).message}`);
  }
}

function describe(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}${e.params['additionalProperty'] === undefined ? '' : ` (${JSON.stringify(e.params['additionalProperty'])})`}`).join('; ');
}
