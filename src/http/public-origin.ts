import type { IncomingMessage } from 'node:http';

/**
 * The origin clients reach this server at, for URLs it hands out (token realm, document ids):
 * `externalUrl` when configured (behind a proxy), else the scheme of the connection and the
 * request's Host header.
 */
export function publicOrigin(req: IncomingMessage, externalUrl: string | undefined): string {
  if (externalUrl !== undefined) return externalUrl.replace(/\/+$/, '');
  const scheme = 'encrypted' in req.socket && req.socket.encrypted === true ? 'https' : 'http';
  return `${scheme}://${req.headers.host ?? 'localhost'}`;
}
