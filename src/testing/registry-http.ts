import { request as httpRequest } from 'node:http';
import { createHash } from 'node:crypto';

/** A raw HTTP conversation with a registry, for tests that check status codes and headers exactly. */
export interface RawResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Buffer;
  json<T = unknown>(): T;
}

export interface RegistryHttp {
  readonly base: string;
  request(method: string, path: string, init?: { body?: Uint8Array | string; headers?: Record<string, string> }): Promise<RawResponse>;
  /** Obtains a Bearer token from the token endpoint for these scopes. */
  login(username: string, password: string, scopes: readonly string[]): Promise<string>;
  /** A client that sends this Bearer token on every request. */
  withToken(token: string): RegistryHttp;
}

export function registryHttp(base: string, token?: string): RegistryHttp {
  return {
    base,
    async request(method, path, init = {}) {
      const headers: Record<string, string> = { ...init.headers };
      if (token !== undefined && headers['authorization'] === undefined) headers['authorization'] = `Bearer ${token}`;
      const response = await fetch(new URL(path, base), {
        method,
        headers,
        ...(init.body === undefined ? {} : { body: init.body }),
        redirect: 'manual',
      });
      const body = Buffer.from(await response.arrayBuffer());
      return { status: response.status, headers: response.headers, body, json: <T>() => JSON.parse(body.toString('utf8')) as T };
    },
    async login(username, password, scopes) {
      const url = new URL('/service/token', base);
      url.searchParams.set('service', 'slipway-registry');
      for (const scope of scopes) url.searchParams.append('scope', scope);
      const response = await fetch(url, { headers: { authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` } });
      if (response.status !== 200) throw new Error(`token request failed: ${response.status} ${await response.text()}`);
      return ((await response.json()) as { token: string }).token;
    },
    withToken(newToken) {
      return registryHttp(base, newToken);
    },
  };
}

export function sha256(data: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/**
 * Sends the headers and the first `sent` bytes of a body that claims `declared` bytes, then cuts
 * the connection: a truncated upload, as a dying client produces it.
 */
export function sendTruncated(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body: Buffer,
  sent: number,
): Promise<void> {
  return new Promise((resolve) => {
    const url = new URL(path, base);
    const req = httpRequest(url, { method, headers: { ...headers, 'content-length': String(body.byteLength) } });
    req.on('error', () => resolve());
    req.on('response', (res) => {
      res.resume();
      resolve();
    });
    req.write(body.subarray(0, sent), () => {
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 50);
    });
  });
}
