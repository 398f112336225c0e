import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { AdapterHttpError } from './adapter-http-error.ts';

/**
 * With an API key configured, every adapter call must carry it, as Harbor sends it for each kind
 * of registration: `APIKey` (`X-ScannerAdapter-API-Key: <key>`), `Bearer` (`Authorization: Bearer
 * <key>`) or `Basic` (`Authorization: Basic`, the credential `<any user>:<key>`; a key that itself
 * reads `user:password` may be given whole). Compared in constant time (over hashes, so the length
 * does not show either).
 */
export function checkApiKey(req: IncomingMessage, apiKey: string | undefined): void {
  if (apiKey === undefined) return;
  const header = req.headers['x-scanneradapter-api-key'];
  const authorization = req.headers.authorization ?? '';
  const bearer = /^Bearer\s+(.+)$/i.exec(authorization)?.[1]?.trim();
  const basic = /^Basic\s+(.+)$/i.exec(authorization)?.[1]?.trim();
  const given = typeof header === 'string' ? [header] : bearer !== undefined ? [bearer] : basic !== undefined ? basicSecrets(basic) : [];
  // Every candidate is compared (no early exit), so the time does not tell which one matched.
  const matched = given.map((secret) => sameSecret(secret, apiKey)).includes(true);
  if (!matched) {
    throw new AdapterHttpError('UNAUTHORIZED', 'a valid API key is required (X-ScannerAdapter-API-Key, Authorization: Bearer <key>, or Authorization: Basic with the key as the password)', {
      headers: { 'www-authenticate': 'Bearer realm="slipway-scanner-adapter"' },
    });
  }
}

/** What a Basic credential may hold the key as: the whole `user:password`, or the password. */
function basicSecrets(encoded: string): string[] {
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? [decoded] : [decoded, decoded.slice(colon + 1)];
}

function sameSecret(given: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}
