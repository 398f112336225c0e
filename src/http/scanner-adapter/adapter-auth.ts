import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { AdapterHttpError } from './adapter-http-error.ts';

/**
 * With an API key configured, every adapter call must carry it, as Harbor sends it for an
 * `APIKey` registration (`X-ScannerAdapter-API-Key`) or a `Bearer` one. Compared in constant time
 * (over hashes, so the length does not show either).
 */
export function checkApiKey(req: IncomingMessage, apiKey: string | undefined): void {
  if (apiKey === undefined) return;
  const header = req.headers['x-scanneradapter-api-key'];
  const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1]?.trim();
  const given = typeof header === 'string' ? header : bearer;
  if (given === undefined || !sameSecret(given, apiKey)) {
    throw new AdapterHttpError('UNAUTHORIZED', 'a valid API key is required (X-ScannerAdapter-API-Key or Authorization: Bearer)', { headers: { 'www-authenticate': 'Bearer realm="slipway-scanner-adapter"' } });
  }
}

function sameSecret(given: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}
