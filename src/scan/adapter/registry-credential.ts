import type { Credential } from '../../core/oci/client/credentials.ts';
import { AdapterError } from './adapter-error.ts';

/**
 * The registry credential a scan request's `registry.authorization` header stands for (§1.7):
 * `Bearer <token>` is sent as is, `Basic <base64(user:password)>` logs in (the token dance), an
 * empty value means anonymous pulls. Anything else is refused.
 */
export function registryCredential(authorization: string | undefined): Credential | undefined {
  const value = authorization?.trim() ?? '';
  if (value === '') return undefined;
  const space = value.indexOf(' ');
  const scheme = space === -1 ? value : value.slice(0, space);
  const rest = space === -1 ? '' : value.slice(space + 1).trim();
  if (rest !== '' && /^bearer$/i.test(scheme)) return { kind: 'registry-token', token: rest };
  if (rest !== '' && /^basic$/i.test(scheme)) {
    const decoded = Buffer.from(rest, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) return { kind: 'basic', username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  throw new AdapterError('INVALID_REQUEST', 'registry.authorization must be "Bearer <token>" or "Basic <base64 user:password>"');
}
