import { parseScopes } from '../core/auth/access.ts';
import { ANONYMOUS, type Authorizer, type Principal } from '../core/auth/authorizer.ts';
import type { TokenService } from '../core/auth/token-service.ts';
import { readLimited } from '../core/stream/read-limited.ts';
import { HttpError } from './http-error.ts';
import type { HttpContext, HttpMount } from './http-server.ts';
import { TOKEN_PATH, parseBasic } from './request-auth.ts';
import { sendJson } from './respond.ts';

/**
 * Docker's token endpoint: `GET` with optional Basic credentials and `scope` parameters, and the
 * OAuth2 `POST` form (grant_type=password). It grants the intersection of what was asked and what
 * the account may do; a partial grant is not an error, wrong credentials are.
 */
export function tokenMount(deps: { readonly authorizer: Authorizer; readonly tokens: TokenService }): HttpMount {
  const { authorizer, tokens } = deps;

  async function issue(ctx: HttpContext, principal: Principal, scopes: readonly string[]): Promise<void> {
    const granted = await authorizer.grant(principal, parseScopes(scopes));
    const token = tokens.issue(principal, granted);
    ctx.user = principal.name || undefined;
    sendJson(ctx.res, 200, {
      token: token.token,
      access_token: token.token,
      expires_in: token.expiresIn,
      issued_at: token.issuedAt,
    });
  }

  async function login(ctx: HttpContext, username: string, password: string): Promise<Principal> {
    const principal = await authorizer.authenticate(username, password);
    if (principal === undefined) {
      ctx.log.info('login failed', { username });
      throw new HttpError('UNAUTHORIZED', 'authentication failed: wrong username or password', {
        challenge: { header: 'Basic realm="slipway"' },
      });
    }
    return principal;
  }

  return {
    async handle(ctx) {
      if (ctx.url.pathname !== TOKEN_PATH) return false;
      ctx.route = 'token';
      if (ctx.req.method === 'GET') {
        const header = ctx.req.headers.authorization ?? '';
        const principal = /^basic /i.test(header) ? await loginBasic(ctx, header.slice(6).trim()) : ANONYMOUS;
        await issue(ctx, principal, ctx.url.searchParams.getAll('scope'));
        return true;
      }
      if (ctx.req.method === 'POST') {
        const form = new URLSearchParams((await readLimited(ctx.req, 64 * 1024)).toString('utf8'));
        if (form.get('grant_type') !== 'password') {
          throw new HttpError('BAD_REQUEST', 'unsupported grant_type: use password, or GET with Basic credentials');
        }
        const principal = await login(ctx, form.get('username') ?? '', form.get('password') ?? '');
        await issue(ctx, principal, form.getAll('scope'));
        return true;
      }
      throw new HttpError('METHOD_NOT_ALLOWED', `${ctx.req.method ?? ''} is not allowed on ${TOKEN_PATH}`, { headers: { allow: 'GET, POST' } });
    },
  };

  function loginBasic(ctx: HttpContext, value: string): Promise<Principal> {
    const { username, password } = parseBasic(value);
    return login(ctx, username, password);
  }
}
