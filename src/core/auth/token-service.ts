import { randomBytes } from 'node:crypto';
import type { Access } from './access.ts';
import { AuthError } from './auth-error.ts';
import type { Principal } from './authorizer.ts';
import { signJwt, verifyJwt, type SigningKey } from './jwt.ts';

export interface TokenServiceOptions {
  /** Signing keys; the first signs, all verify (so a key can be rotated without cutting sessions). */
  readonly keys: readonly SigningKey[];
  readonly issuer: string;
  readonly service: string;
  readonly ttlSeconds: number;
}

export interface IssuedToken {
  readonly token: string;
  readonly expiresIn: number;
  readonly issuedAt: string;
}

export interface VerifiedToken {
  readonly principal: Principal;
  readonly access: readonly Access[];
}

/** Issues and verifies the short-lived JWTs of Docker's token flow. */
export interface TokenService {
  readonly service: string;
  issue(principal: Principal, access: readonly Access[]): IssuedToken;
  verify(token: string): VerifiedToken;
}

export function createTokenService(options: TokenServiceOptions): TokenService {
  const [signingKey] = options.keys;
  if (signingKey === undefined) throw new Error('token service needs at least one signing key');
  return {
    service: options.service,
    issue(principal, access) {
      const now = Math.floor(Date.now() / 1000);
      const claims = {
        iss: options.issuer,
        sub: principal.name,
        aud: options.service,
        exp: now + options.ttlSeconds,
        nbf: now,
        iat: now,
        jti: randomBytes(16).toString('base64url'),
        access,
        // Slipway's own claims: the principal's kind and admin flag, so a node need not look them up.
        kind: principal.kind,
        adm: principal.admin,
      };
      return { token: signJwt(claims, signingKey), expiresIn: options.ttlSeconds, issuedAt: new Date(now * 1000).toISOString() };
    },
    verify(token) {
      const claims = verifyJwt(token, options.keys, { issuer: options.issuer, audience: options.service });
      return { principal: principalOf(claims), access: accessOf(claims['access']) };
    },
  };
}

function principalOf(claims: Record<string, unknown>): Principal {
  const name = typeof claims['sub'] === 'string' ? claims['sub'] : '';
  const kind = claims['kind'] === 'user' || claims['kind'] === 'robot' ? claims['kind'] : 'anonymous';
  return { kind: name === '' ? 'anonymous' : kind, name, admin: claims['adm'] === true };
}

function accessOf(value: unknown): Access[] {
  if (!Array.isArray(value)) throw new AuthError('TOKEN_INVALID', 'token has no access claim');
  return value.filter(
    (entry): entry is Access =>
      typeof entry === 'object' &&
      entry !== null &&
      (entry.type === 'repository' || entry.type === 'registry') &&
      typeof entry.name === 'string' &&
      Array.isArray(entry.actions),
  );
}
