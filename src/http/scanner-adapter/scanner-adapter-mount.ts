/**
 * Mounts Harbor's Pluggable Scanner API v1.2 at `/api/v1`, so that a Harbor can register Slipway
 * as its scanner: authenticates (when an API key is configured), matches the route table, and
 * renders the handler's answer or the error in the adapter's own error format.
 */
import { AdapterError, AdapterMediaType } from '../../scan/index.ts';
import type { HttpContext, HttpMount } from '../http-server.ts';
import { sendBytes, sendEmpty } from '../respond.ts';
import { checkApiKey } from './adapter-auth.ts';
import { AdapterHttpError, toAdapterWireError } from './adapter-http-error.ts';
import type { AdapterDeps, AdapterResponse } from './adapter-route.ts';
import { adapterRoutes } from './adapter-routes.ts';

export const ADAPTER_PREFIX = '/api/v1';

export interface ScannerAdapterMountOptions extends Omit<AdapterDeps, 'refreshAfterSeconds'> {
  /** When set, every call must present it. */
  readonly apiKey?: string | undefined;
  /** `Refresh-After` while a report is not ready (default 2 s). */
  readonly refreshAfterSeconds?: number;
}

export function scannerAdapterMount(options: ScannerAdapterMountOptions): HttpMount {
  const deps: AdapterDeps = { scans: options.scans, vulndb: options.vulndb, version: options.version, refreshAfterSeconds: options.refreshAfterSeconds ?? 2 };
  return {
    async handle(ctx) {
      const { pathname } = ctx.url;
      if (pathname !== ADAPTER_PREFIX && !pathname.startsWith(`${ADAPTER_PREFIX}/`)) return false;
      ctx.route = 'adapter';
      try {
        checkApiKey(ctx.req, options.apiKey);
        send(ctx, await dispatch(ctx, pathname.slice(ADAPTER_PREFIX.length), deps));
      } catch (error) {
        sendError(ctx, error);
      }
      return true;
    },
  };
}

async function dispatch(ctx: HttpContext, sub: string, deps: AdapterDeps): Promise<AdapterResponse> {
  const matches = adapterRoutes.map((route) => ({ route, match: route.pattern.exec(sub) })).filter((m) => m.match !== null);
  if (matches.length === 0) throw new AdapterHttpError('NOT_FOUND', `no such scanner adapter endpoint: ${ctx.url.pathname}`);
  const found = matches.find((m) => m.route.method === ctx.req.method);
  if (found === undefined) {
    throw new AdapterHttpError('METHOD_NOT_ALLOWED', `${ctx.req.method ?? ''} is not supported on ${ctx.url.pathname}`, { headers: { allow: matches.map((m) => m.route.method).join(', ') } });
  }
  ctx.route = found.route.name;
  const params = (found.match ?? []).slice(1).map((p) => decode(p, ctx.url.pathname));
  return found.route.handle({ ctx, params, deps });
}

function decode(param: string, pathname: string): string {
  try {
    return decodeURIComponent(param);
  } catch (cause) {
    throw new AdapterHttpError('NOT_FOUND', `no such scanner adapter resource: ${pathname}`, { cause });
  }
}

function send(ctx: HttpContext, response: AdapterResponse): void {
  if (response.body === undefined) {
    sendEmpty(ctx.res, response.status, response.headers);
    return;
  }
  sendBytes(ctx.res, response.status, JSON.stringify(response.body), { 'content-type': response.contentType ?? 'application/json', ...response.headers });
}

function sendError(ctx: HttpContext, error: unknown): void {
  const wire = toAdapterWireError(error);
  // A failed scan or a full store is the adapter working as specified; anything else is a fault.
  if (wire.status >= 500) ctx.log[error instanceof AdapterError ? 'warn' : 'error']('scanner adapter request failed', { error });
  if (ctx.res.headersSent) {
    ctx.res.destroy();
    return;
  }
  // A request body nobody read (a refused scan request) would otherwise hold the connection.
  const close = ctx.req.complete ? {} : { connection: 'close' };
  sendBytes(ctx.res, wire.status, JSON.stringify({ error: { message: wire.message } }), { 'content-type': AdapterMediaType.error, ...wire.headers, ...close });
}
