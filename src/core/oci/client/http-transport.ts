import type { Agent as HttpAgent, IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { readLimited, StreamLimitError } from '../../stream/read-limited.ts';
import { http, https } from '../../node-http.ts';
import { RegistryClientError } from './client-error.ts';

/**
 * One HTTP exchange over node:http/https. node:http rather than fetch: it streams a request body of
 * known length with `Content-Length` (registries refuse chunked PUTs), can skip TLS verification per
 * request, never follows redirects on its own, and measured faster for large blobs (see report).
 */
export interface TransportRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers?: Readonly<Record<string, string>>;
  /** Bytes, or a stream whose length is given in a `content-length` header. */
  readonly body?: Uint8Array | Readable;
  readonly signal?: AbortSignal;
  /** false: accept any certificate (insecure registries only). */
  readonly verifyTls?: boolean;
}

export interface TransportResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly url: URL;
  /** Must be consumed or discarded (`discard`) so the connection returns to the pool. */
  readonly body: IncomingMessage;
}

export interface HttpTransport {
  send(request: TransportRequest): Promise<TransportResponse>;
  /** Closes idle pooled connections. */
  close(): void;
}

export function createHttpTransport(options: { idleTimeoutMs?: number; userAgent?: string } = {}): HttpTransport {
  const timeout = options.idleTimeoutMs ?? 120_000;
  const agentOptions = { keepAlive: true, maxSockets: 16, timeout };
  const agents = {
    http: new http.Agent(agentOptions),
    https: new https.Agent(agentOptions),
    httpsInsecure: new https.Agent({ ...agentOptions, rejectUnauthorized: false }),
  };
  const userAgent = options.userAgent ?? 'slipway';
  return {
    send(request) {
      const secure = request.url.protocol === 'https:';
      const agent = !secure ? agents.http : request.verifyTls === false ? agents.httpsInsecure : agents.https;
      return exchange(request, { ...(secure ? { https: true } : {}), agent, timeout, userAgent });
    },
    close() {
      for (const agent of Object.values(agents)) agent.destroy();
    },
  };
}

function exchange(
  request: TransportRequest,
  options: { https?: boolean; agent: HttpAgent; timeout: number; userAgent: string },
): Promise<TransportResponse> {
  request.signal?.throwIfAborted();
  const send = options.https === true ? https.request : http.request;
  const headers: Record<string, string> = { 'user-agent': options.userAgent, ...request.headers };
  if (request.body instanceof Uint8Array) headers['content-length'] = String(request.body.byteLength);
  else if (request.body === undefined && ['POST', 'PUT', 'PATCH'].includes(request.method)) headers['content-length'] = '0';
  return new Promise((resolve, reject) => {
    const req = send(request.url, {
      method: request.method,
      headers,
      agent: options.agent,
      ...(request.signal === undefined ? {} : { signal: request.signal }),
    });
    req.setTimeout(options.timeout, () => req.destroy(new Error(`no data for ${options.timeout} ms`)));
    // A failing request body (short source, source connection lost) explains the failure better than the socket error it causes.
    let bodyError: Error | undefined;
    req.on('error', (cause) => reject(networkError(request, bodyError ?? cause)));
    req.on('response', (res) => resolve({ status: res.statusCode ?? 0, headers: res.headers, url: request.url, body: res }));
    const body = request.body;
    if (body === undefined) req.end();
    else if (body instanceof Uint8Array) req.end(body);
    else {
      pipeline(body, req).catch((cause: unknown) => {
        bodyError = cause instanceof Error ? cause : new Error(String(cause));
        req.destroy(bodyError);
      });
    }
  });
}

function networkError(request: TransportRequest, cause: Error): Error {
  if (cause.name === 'AbortError' || request.signal?.aborted === true) return request.signal?.reason instanceof Error ? request.signal.reason : cause;
  if (cause instanceof RegistryClientError) return cause;
  const code = (cause as NodeJS.ErrnoException).code;
  if (request.url.protocol === 'https:' && speaksNoTls(code, cause.message)) {
    // Still NETWORK, so that an insecure host's HTTPS probe falls back to plain HTTP; but no retry can fix it.
    return new RegistryClientError('NETWORK', `${request.url.host} does not speak TLS; for a plain-HTTP registry (such as npm start's demo) add --insecure`, { cause, permanent: true });
  }
  return new RegistryClientError('NETWORK', `${request.method} ${request.url.origin}${request.url.pathname}: ${cause.message}${code === undefined ? '' : ` (${code})`}`, { cause });
}

/**
 * OpenSSL's complaint when the server answers a TLS ClientHello in plain HTTP: `EPROTO … wrong version number`
 * (other EPROTO failures, such as a handshake alert, are left as they are).
 */
function speaksNoTls(code: string | undefined, message: string): boolean {
  return code === 'ERR_SSL_WRONG_VERSION_NUMBER' || /wrong version number/i.test(message);
}

/** The first value of a response header. */
export function header(response: TransportResponse, name: string): string | undefined {
  const value = response.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** Throws away a response body so its connection can be reused. */
export function discard(response: TransportResponse): void {
  response.body.resume();
}

/** Reads a small response body (JSON, a manifest) into memory, refusing more than `limit` bytes. */
export async function readBody(response: TransportResponse, limit: number, signal?: AbortSignal): Promise<Buffer> {
  const declared = Number(header(response, 'content-length') ?? Number.NaN);
  if (declared > limit) {
    response.body.destroy();
    throw new RegistryClientError('TOO_LARGE', `${response.url.pathname}: ${declared} bytes is over the limit of ${limit}`, { status: response.status });
  }
  try {
    return await readLimited(response.body, limit, signal === undefined ? {} : { signal });
  } catch (cause) {
    response.body.destroy();
    if (cause instanceof StreamLimitError) {
      throw new RegistryClientError('TOO_LARGE', `${response.url.pathname}: response is over the limit of ${limit} bytes`, { cause });
    }
    throw new RegistryClientError('NETWORK', `${response.url.pathname}: reading the response failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}
