import type { Readable } from 'node:stream';
import { isInsufficientScope, type Authenticator } from './auth.ts';
import { errorForStatus, RegistryClientError } from './client-error.ts';
import { discard, header, readBody, type HttpTransport, type TransportResponse } from './http-transport.ts';
import { parseJsonObject } from './json-body.ts';
import { parseRetryAfter } from './retry.ts';

/**
 * Sends one registry request: picks the scheme of the host, attaches authorization for the scopes
 * the request needs, answers one 401 challenge, and follows redirects (never forwarding
 * `Authorization` to another origin). Statuses other than 401 are returned to the caller.
 */
export interface RegistryRequest {
  readonly method: string;
  readonly host: string;
  /** `/v2/…` (with query), or an absolute URL the registry gave (an upload Location). */
  readonly target: string | URL;
  /** Token scope atoms (`repository:dev/app:pull`); empty for `/v2/`. */
  readonly scopes: readonly string[];
  readonly headers?: Readonly<Record<string, string>>;
  /** Bytes, or a function opening a stream (called again if the request must be resent); streams need `content-length`. */
  readonly body?: Uint8Array | (() => Promise<Readable>);
  readonly followRedirects?: boolean;
  readonly signal?: AbortSignal;
}

export interface Requester {
  send(request: RegistryRequest): Promise<TransportResponse>;
  /** `https://host` or, for insecure hosts that do not speak TLS, `http://host`. */
  origin(host: string, signal?: AbortSignal): Promise<string>;
  /** Whether a host's TLS certificate is checked. */
  verifiesTls(host: string): boolean;
}

const MAX_REDIRECTS = 5;
const REDIRECTS: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

export function createRequester(transport: HttpTransport, auth: Authenticator, insecure: (host: string) => boolean): Requester {
  const origins = new Map<string, Promise<string>>();
  const pings = new Map<string, Promise<void>>();

  const origin = (host: string, signal?: AbortSignal): Promise<string> => {
    let found = origins.get(host);
    if (found === undefined) {
      found = insecure(host) ? probeOrigin(transport, host, signal) : Promise.resolve(`https://${host}`);
      origins.set(host, found);
    }
    return found;
  };

  const attempt = async (request: RegistryRequest, url: URL, authorization: string | undefined): Promise<TransportResponse> => {
    const headers: Record<string, string> = { ...request.headers };
    if (authorization !== undefined) headers['authorization'] = authorization;
    const body = typeof request.body === 'function' ? await request.body() : request.body;
    return transport.send({
      method: request.method,
      url,
      headers,
      verifyTls: !insecure(url.host),
      ...(body === undefined ? {} : { body }),
      ...(request.signal === undefined ? {} : { signal: request.signal }),
    });
  };

  /**
   * `GET /v2/` once per host, for its challenge (see Authenticator.wantsChallenge). A ping that
   * fails fails the request (the same host would fail it anyway, and the caller's retries, if the
   * failure is worth one, ping again).
   */
  const learnChallenge = (host: string, signal?: AbortSignal): Promise<void> => {
    let ping = pings.get(host);
    if (ping === undefined) {
      ping = (async () => {
        const response = await transport.send({ method: 'GET', url: new URL('/v2/', await origin(host, signal)), verifyTls: !insecure(host), ...(signal === undefined ? {} : { signal }) });
        if (response.status === 401) auth.learn(host, header(response, 'www-authenticate'));
        discard(response);
      })();
      ping.catch(() => pings.delete(host));
      pings.set(host, ping);
    }
    return ping;
  };

  const authorized = async (request: RegistryRequest, url: URL): Promise<TransportResponse> => {
    const signal = request.signal === undefined ? {} : { signal: request.signal };
    if (await auth.wantsChallenge(request.host, request.scopes, signal)) await learnChallenge(request.host, request.signal);
    const first = await attempt(request, url, await auth.authorization(request.host, request.scopes, signal));
    if (first.status !== 401) return first;
    const challenge = header(first, 'www-authenticate');
    discard(first);
    const retry = await auth.challenged(request.host, challenge, request.scopes, signal);
    if (retry === undefined) {
      throw new RegistryClientError('UNAUTHORIZED', `${request.host} requires authentication: log in with \`slipway login ${request.host}\``, { status: 401 });
    }
    const second = await attempt(request, url, retry);
    if (second.status !== 401) return second;
    const again = header(second, 'www-authenticate');
    const body = await readErrorBody(second);
    if (isInsufficientScope(again)) {
      throw new RegistryClientError('DENIED', `${request.host} denied ${request.scopes.join(' ') || 'access'}: the credentials lack the permission`, {
        status: 401,
        ...(body?.code === undefined ? {} : { ociCode: body.code }),
      });
    }
    throw new RegistryClientError('UNAUTHORIZED', `${request.host} rejected the credentials${body?.message === undefined ? '' : `: ${body.message}`}`, { status: 401 });
  };

  return {
    origin,
    verifiesTls: (host) => !insecure(host),
    async send(request) {
      let url = typeof request.target === 'string' ? new URL(request.target, await origin(request.host, request.signal)) : request.target;
      const home = url.origin;
      let response = await authorized(request, url);
      for (let hop = 0; request.followRedirects === true && REDIRECTS.has(response.status); hop++) {
        const location = header(response, 'location');
        discard(response);
        if (location === undefined || hop >= MAX_REDIRECTS) throw new RegistryClientError('PROTOCOL', `${url.pathname}: too many or broken redirects`, { status: response.status });
        url = new URL(location, url);
        response =
          url.origin === home
            ? await authorized(request, url)
            : await transport.send({ method: request.method, url, verifyTls: !insecure(url.host), ...(request.signal === undefined ? {} : { signal: request.signal }) });
      }
      return response;
    },
  };
}

/** Insecure hosts: TLS without verification when the host speaks it, else plain HTTP. */
async function probeOrigin(transport: HttpTransport, host: string, signal?: AbortSignal): Promise<string> {
  try {
    const response = await transport.send({ method: 'GET', url: new URL(`https://${host}/v2/`), verifyTls: false, ...(signal === undefined ? {} : { signal }) });
    discard(response);
    return `https://${host}`;
  } catch (error) {
    signal?.throwIfAborted();
    if (error instanceof RegistryClientError && error.code === 'NETWORK') return `http://${host}`;
    throw error;
  }
}

export interface OciErrorBody {
  readonly code?: string;
  readonly message?: string;
}

/** Reads the `{"errors":[…]}` body of a failed response (first error only), if there is one. */
export async function readErrorBody(response: TransportResponse): Promise<OciErrorBody | undefined> {
  try {
    const body = await readBody(response, 64 * 1024);
    const errors = parseJsonObject(body, 'error body')['errors'];
    const first: unknown = Array.isArray(errors) ? errors[0] : undefined;
    if (typeof first !== 'object' || first === null) return undefined;
    const code = 'code' in first && typeof first.code === 'string' ? first.code : undefined;
    const message = 'message' in first && typeof first.message === 'string' ? first.message : undefined;
    return { ...(code === undefined ? {} : { code }), ...(message === undefined ? {} : { message }) };
  } catch {
    return undefined;
  }
}

/** The error for an unexpected status, with the registry's error body and `Retry-After`. */
export async function unexpected(response: TransportResponse, what: string): Promise<RegistryClientError> {
  const retryAfter = parseRetryAfter(header(response, 'retry-after'));
  return errorForStatus(response.status, what, await readErrorBody(response), retryAfter);
}
