import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Authorizer, Principal } from './authorizer.ts';

/**
 * Wraps an authoriser so that a password checked moments ago is not put through scrypt again:
 * clients such as skopeo fetch a token for every scope, and each fetch would otherwise cost a
 * full key derivation. Only successful checks are remembered, as an HMAC of the password under a
 * key that never leaves this process, compared in constant time, for `ttlMs`.
 */
export function withCredentialCache(inner: Authorizer, options: { ttlMs: number; maxEntries?: number }): Authorizer & { forget(username: string): void } {
  const key = randomBytes(32);
  const maxEntries = options.maxEntries ?? 10_000;
  const entries = new Map<string, { mac: Buffer; principal: Principal; expires: number }>();
  const mac = (username: string, password: string) => createHmac('sha256', key).update(username).update('\0').update(password).digest();

  return {
    async authenticate(username, password, o) {
      const entry = entries.get(username);
      const candidate = mac(username, password);
      if (entry !== undefined && entry.expires > Date.now() && timingSafeEqual(entry.mac, candidate)) return entry.principal;
      const principal = await inner.authenticate(username, password, o);
      if (principal === undefined) {
        entries.delete(username);
        return undefined;
      }
      if (entries.size >= maxEntries) entries.delete(entries.keys().next().value ?? '');
      entries.set(username, { mac: candidate, principal, expires: Date.now() + options.ttlMs });
      return principal;
    },
    grant: (principal, requested, o) => inner.grant(principal, requested, o),
    forget(username) {
      entries.delete(username);
    },
  };
}
