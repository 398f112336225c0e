import type { ServerResponse } from 'node:http';

export type Headers = Readonly<Record<string, string | number>>;

/** A response without a body (201, 202, 204, HEAD): Content-Length 0 unless given. */
export function sendEmpty(res: ServerResponse, status: number, headers: Headers = {}): void {
  res.writeHead(status, { 'content-length': 0, ...headers });
  res.end();
}

/** A complete in-memory body (JSON documents, manifests). HEAD callers pass `head`. */
export function sendBytes(res: ServerResponse, status: number, body: Buffer | string, headers: Headers, head = false): void {
  res.writeHead(status, { 'content-length': Buffer.byteLength(body), ...headers });
  res.end(head ? undefined : body);
}

export function sendJson(res: ServerResponse, status: number, value: unknown, headers: Headers = {}): void {
  sendBytes(res, status, JSON.stringify(value), { 'content-type': 'application/json', ...headers });
}
