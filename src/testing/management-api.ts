/** A caller of Slipway's `/api/v2.0`, as a user, a robot or anonymously: raw statuses and bodies for assertions. */
export interface ApiCaller {
  call(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown; headers: Headers }>;
  /** Like `call`, but fails unless the status is 2xx; returns the body. */
  ok<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
}

export function apiCaller(base: string, credentials?: { username: string; password: string }): ApiCaller {
  const authorization = credentials === undefined ? undefined : `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
  const call: ApiCaller['call'] = async (method, path, body) => {
    const response = await fetch(new URL(`/api/v2.0${path}`, base), {
      method,
      headers: { ...(authorization === undefined ? {} : { authorization }), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      // a text/plain body stays text
    }
    return { status: response.status, body: parsed, headers: response.headers };
  };
  return {
    call,
    async ok<T>(method: string, path: string, body?: unknown): Promise<T> {
      const result = await call(method, path, body);
      if (result.status < 200 || result.status > 299) throw new Error(`${method} ${path}: ${result.status} ${JSON.stringify(result.body)}`);
      return result.body as T;
    },
  };
}
