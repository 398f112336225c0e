import type { IncomingMessage } from 'node:http';
import { allows, formatScope, missingActions, type Access } from '../core/auth/access.ts';
import { AuthError } from '../core/auth/auth-error.ts';
import { ANONYMOUS, type Authorizer, type Principal } from '../core/auth/authorizer.ts';
import type { TokenService } from '../core/auth/token-service.ts';
import { HttpError } from './http-error.ts';
import { publicOrigin } from './public-origin.ts';

/** Who the caller is and what they may do, for one request. */
export interface RequestAuth {
  readonly principal: Principal;
  readonly scheme: 'bearer' | 'basic' | 'none';
  /** What these credentials allow: a bearer token's granted scope, else the account's permissions. */
  may(access: Access): Promise<boolean>;
  /** What the account itself may do, whatever scope its token was issued for. */
  accountMay(access: Access): Promise<boolean>;
}

export interface RequestAuthenticator {
  authenticate(req: IncomingMessage): Promise<RequestAuth>;
  /** Throws 401 (with the challenge a client needs to get a token) or 403 naming what is missing. */
  require(req: IncomingMessage, auth: RequestAuth, access: Access | undefined): Promise<void>;
}

export interface RequestAuthenticatorOptions {
  readonly authorizer: Authorizer;
  readonly tokens: TokenService;
  /** The external base URL (`https://registry.example.com`), else derived from the Host header. */
  readonly externalUrl: string | undefined;
}

/** The path of the token endpoint, Harbor's. */
export const TOKEN_PATH = '/service/token';

export function createRequestAuthenticator(options: RequestAuthenticatorOptions): RequestAuthenticator {
  const { authorizer, tokens } = options;

  function challenge(req: IncomingMessage, access: Access | undefined, error?: 'invalid_token' | 'insufficient_scope'): string {
    const parts = [`realm="${realm(req)}"`, `service="${tokens.service}"`];
    if (access !== undefined) parts.push(`scope="${formatScope(access)}"`);
    if (error !== undefined) parts.push(`error="${error}"`);
    return `Bearer ${parts.join(',')}`;
  }

  function realm(req: IncomingMessage): string {
    return `${publicOrigin(req, options.externalUrl)}${TOKEN_PATH}`;
  }

  function unauthorized(req: IncomingMessage, message: string, access: Access | undefined, error?: 'invalid_token' | 'insufficient_scope') {
    return new HttpError('UNAUTHORIZED', message, { challenge: { header: challenge(req, access, error) } });
  }

  return {
    async authenticate(req) {
      const header = req.headers.authorization ?? '';
      const space = header.indexOf(' ');
      const scheme = space === -1 ? '' : header.slice(0, space).toLowerCase();
      const value = space === -1 ? '' : header.slice(space + 1).trim();
      if (scheme === 'bearer') {
        try {
          const verified = tokens.verify(value);
          return {
            principal: verified.principal,
            scheme: 'bearer',
            may: (access) => Promise.resolve(allows(verified.access, access)),
            accountMay: async (access) => allows(await authorizer.grant(verified.principal, [access]), access),
          };
        } catch (error) {
          if (error instanceof AuthError) throw unauthorized(req, `invalid token: ${error.message}`, undefined, 'invalid_token');
          throw error;
        }
      }
      if (scheme === 'basic') {
        const { username, password } = parseBasic(value);
        const principal = await authorizer.authenticate(username, password);
        if (principal === undefined) throw unauthorized(req, 'authentication failed: wrong username or password', undefined);
        const may = async (access: Access) => allows(await authorizer.grant(principal, [access]), access);
        return { principal, scheme: 'basic', may, accountMay: may };
      }
      const may = async (access: Access) => allows(await authorizer.grant(ANONYMOUS, [access]), access);
      return { principal: ANONYMOUS, scheme: 'none', may, accountMay: may };
    },

    async require(req, auth, access) {
      if (access === undefined) {
        if (auth.scheme === 'none') throw unauthorized(req, 'authentication required', undefined);
        return;
      }
      if (await auth.may(access)) return;
      if (auth.principal.kind === 'anonymous') {
        throw unauthorized(req, `authentication required to ${access.actions.join(',')} ${access.name}`, access);
      }
      if (auth.scheme === 'bearer' && (await auth.accountMay(access))) {
        // The account may: the token was issued for another scope; let the client fetch one for this scope.
        throw unauthorized(req, `token does not cover ${formatScope(access)}`, access, 'insufficient_scope');
      }
      // The account may not (whatever its token says): name the permissions it lacks.
      const missing = missingActions(await accountActions(auth, access), access);
      throw new HttpError(
        'DENIED',
        `${auth.principal.name} lacks ${missing.join(', ')} permission on ${access.type} ${access.name}`,
        { detail: { resource: access.name, type: access.type, missing } },
      );
    },
  };
}

/** What the account behind `auth` may do of `access`, action by action. */
async function accountActions(auth: RequestAuth, access: Access): Promise<Access[]> {
  const actions: string[] = [];
  for (const action of access.actions) if (await auth.accountMay({ ...access, actions: [action] })) actions.push(action);
  return [{ ...access, actions }];
}

/** Splits `Basic base64(user:password)` at the first colon. */
export function parseBasic(value: string): { username: string; password: string } {
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon === -1) throw new HttpError('UNAUTHORIZED', 'malformed Basic credentials');
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
