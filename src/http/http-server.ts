import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Logger } from '../core/log/logger.ts';
import type { MetricsRegistry } from '../core/metrics/metrics-registry.ts';
import { http, https } from '../core/node-http.ts';
import { errorBody, toWireError } from './error-map.ts';
import { HttpError } from './http-error.ts';

/** What every handler gets: the request, the response, and the request's own log and signal. */
export interface HttpContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly url: URL;
  readonly requestId: string;
  readonly log: Logger;
  /** Aborted when the client goes away before the response is finished. */
  readonly signal: AbortSignal;
  /** The route's name for logs and metrics; handlers set it once they know it. */
  route: string;
  /** Who made the request, once authenticated (for the access log). */
  user: string | undefined;
}

/** A part of the URL space: returns false when the path is not its own. */
export interface HttpMount {
  readonly handle: (ctx: HttpContext) => Promise<boolean>;
}

export interface HttpServerOptions {
  readonly mounts: readonly HttpMount[];
  readonly logger: Logger;
  readonly metrics: MetricsRegistry;
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer } | undefined;
}

export interface HttpServer {
  readonly server: Server;
  listen(port: number, host?: string): Promise<{ port: number }>;
  /** Stops accepting connections, lets in-flight requests finish for up to `graceMs`, then cuts the rest. */
  close(graceMs: number): Promise<void>;
}

const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

export function createHttpServer(options: HttpServerOptions): HttpServer {
  const { logger, metrics } = options;
  const requests = metrics.counter('slipway_http_requests_total', 'HTTP requests by method, route and status.');
  const duration = metrics.histogram('slipway_http_request_duration_seconds', 'HTTP request latency.', DURATION_BUCKETS);
  const bytesIn = metrics.counter('slipway_http_request_bytes_total', 'Bytes received in HTTP requests (including headers).');
  const bytesOut = metrics.counter('slipway_http_response_bytes_total', 'Bytes sent in HTTP responses (including headers).');
  const socketMarks = new WeakMap<object, { read: number; written: number }>();
  let inFlight = 0;
  let drained: (() => void) | undefined;

  async function dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = process.hrtime.bigint();
    const remote = req.socket.remoteAddress;
    // Counted from where the previous request on this connection ended: the socket may have read
    // this request's body before the request was dispatched.
    const readBefore = socketMarks.get(req.socket)?.read ?? 0;
    const writtenBefore = socketMarks.get(req.socket)?.written ?? 0;
    const header = req.headers['x-request-id'];
    const requestId = typeof header === 'string' && REQUEST_ID.test(header) ? header : randomUUID();
    const controller = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) controller.abort(new Error('client closed the connection'));
    });
    res.setHeader('x-request-id', requestId);
    const ctx: HttpContext = {
      req,
      res,
      url: new URL(req.url ?? '/', 'http://localhost'),
      requestId,
      log: logger.child({ requestId }),
      signal: controller.signal,
      route: 'unknown',
      user: undefined,
    };
    inFlight += 1;
    try {
      await route(ctx);
    } catch (error) {
      sendError(ctx, error);
    } finally {
      await finished(res);
      inFlight -= 1;
      if (inFlight === 0) drained?.();
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const status = String(res.statusCode);
      requests.inc({ method: req.method ?? '', route: ctx.route, status });
      duration.observe(seconds, { route: ctx.route });
      const marks = { read: req.socket.bytesRead, written: req.socket.bytesWritten };
      socketMarks.set(req.socket, marks);
      bytesIn.inc({ route: ctx.route }, Math.max(0, marks.read - readBefore));
      bytesOut.inc({ route: ctx.route }, Math.max(0, marks.written - writtenBefore));
      ctx.log.info('request', {
        method: req.method,
        path: ctx.url.pathname,
        route: ctx.route,
        status: res.statusCode,
        ms: Math.round(seconds * 1000),
        user: ctx.user,
        remote,
      });
    }
  }

  async function route(ctx: HttpContext): Promise<void> {
    for (const mount of options.mounts) if (await mount.handle(ctx)) return;
    throw new HttpError('NOT_FOUND', `no such endpoint: ${ctx.req.method ?? ''} ${ctx.url.pathname}`);
  }

  function sendError(ctx: HttpContext, error: unknown): void {
    if (ctx.signal.aborted) {
      // The client went away mid-response (a HEAD-then-close, a cancelled pull): not a server error.
      ctx.log.debug('client closed the connection', { error: (error as Error).message });
      ctx.res.destroy();
      return;
    }
    const wire = toWireError(error);
    if (wire.status >= 500) ctx.log.error('request failed', { error });
    if (ctx.res.headersSent) {
      ctx.res.destroy(error instanceof Error ? error : undefined);
      return;
    }
    const body = ctx.req.method === 'HEAD' ? '' : errorBody(wire);
    ctx.res.writeHead(wire.status, {
      ...wire.headers,
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      // A request body we did not read (a refused upload) would otherwise hold the connection.
      ...(ctx.req.complete ? {} : { connection: 'close' }),
    });
    ctx.res.end(body);
  }

  const serverOptions = { requestTimeout: 0, headersTimeout: 60_000, keepAliveTimeout: 65_000, highWaterMark: 1 << 20 };
  const server =
    options.tls === undefined
      ? http.createServer(serverOptions, (req, res) => void dispatch(req, res))
      : https.createServer({ ...serverOptions, cert: options.tls.cert, key: options.tls.key }, (req, res) => void dispatch(req, res));

  return {
    server,
    listen(port, host) {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          const address = server.address();
          resolve({ port: typeof address === 'object' && address !== null ? address.port : port });
        });
      });
    },
    async close(graceMs) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      if (inFlight > 0) {
        await Promise.race([
          new Promise<void>((resolve) => (drained = resolve)),
          new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref()),
        ]);
      }
      server.closeAllConnections();
      await closed;
    },
  };
}

function finished(res: ServerResponse): Promise<void> {
  if (res.writableFinished || res.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    res.once('finish', resolve);
    res.once('close', resolve);
  });
}
