import type { MetricsRegistry } from '../core/metrics/metrics-registry.ts';
import { HttpError } from './http-error.ts';
import type { HttpMount } from './http-server.ts';
import { sendBytes, sendJson } from './respond.ts';

export interface ReadinessCheck {
  readonly name: string;
  check(options: { signal?: AbortSignal }): Promise<void>;
}

/** `/healthz` (the process answers), `/readyz` (its database and storage answer) and `/metrics`. */
export function opsMount(deps: { readonly metrics: MetricsRegistry; readonly checks: readonly ReadinessCheck[]; readonly isShuttingDown: () => boolean }): HttpMount {
  return {
    async handle(ctx) {
      const { pathname } = ctx.url;
      if (pathname !== '/healthz' && pathname !== '/readyz' && pathname !== '/metrics') return false;
      ctx.route = pathname.slice(1);
      if (ctx.req.method !== 'GET' && ctx.req.method !== 'HEAD') {
        throw new HttpError('METHOD_NOT_ALLOWED', `${ctx.req.method ?? ''} is not allowed on ${pathname}`, { headers: { allow: 'GET, HEAD' } });
      }
      if (pathname === '/healthz') {
        sendJson(ctx.res, 200, { status: 'ok' });
      } else if (pathname === '/metrics') {
        sendBytes(ctx.res, 200, deps.metrics.render(), { 'content-type': 'text/plain; version=0.0.4' }, ctx.req.method === 'HEAD');
      } else {
        const results = await Promise.all(
          deps.checks.map(async (c) => {
            try {
              await c.check({ signal: AbortSignal.timeout(5000) });
              return { name: c.name, ok: true };
            } catch (error) {
              ctx.log.warn('readiness check failed', { check: c.name, error });
              return { name: c.name, ok: false, error: (error as Error).message };
            }
          }),
        );
        const ready = !deps.isShuttingDown() && results.every((r) => r.ok);
        sendJson(ctx.res, ready ? 200 : 503, { status: ready ? 'ready' : 'not ready', shuttingDown: deps.isShuttingDown(), checks: results });
      }
      return true;
    },
  };
}
