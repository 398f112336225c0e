import type { Access } from './access.ts';

/** Who is asking. Anonymous callers are principals too, so every decision goes through one path. */
export interface Principal {
  readonly kind: 'user' | 'robot' | 'anonymous';
  readonly name: string;
  readonly admin: boolean;
}

export const ANONYMOUS: Principal = { kind: 'anonymous', name: '', admin: false };

/**
 * The server's own scanner when it lets an external scanner adapter pull an image: like
 * Harbor's `scanner-pull`, it passes the pull gate (an image must be pulled to be scanned).
 * No account can have this name (`$` is not allowed in robot names), so only tokens the server
 * mints itself carry it.
 */
export const SCANNER_PRINCIPAL: Principal = { kind: 'robot', name: 'robot$$scanner', admin: false };

/**
 * The authorisation port: who a caller is, and which of the requested accesses they may have.
 * The token service, the registry API and the management API all decide through it.
 */
export interface Authorizer {
  /** The principal for these credentials, or undefined when they are wrong. */
  authenticate(username: string, password: string, options?: { signal?: AbortSignal }): Promise<Principal | undefined>;
  /** The part of `requested` the principal may do (an intersection: a partial grant is not an error). */
  grant(principal: Principal, requested: readonly Access[], options?: { signal?: AbortSignal }): Promise<Access[]>;
}
