import { errorForStatus, RegistryClientError } from './client-error.ts';
import { formatScopes, parseScopes, parseWwwAuthenticate, scopeRepository } from './auth-challenge.ts';
import type { Credential, CredentialStore } from './credentials.ts';
import { discard, readBody, type HttpTransport } from './http-transport.ts';
import { parseJsonObject } from './json-body.ts';

/**
 * Registry authentication: learns each host's challenge (Bearer token service or Basic), fetches
 * and caches tokens per host and scope set until they expire, and answers a 401 with one fresh
 * attempt. Token requests follow Docker token auth (GET with Basic or anonymous) and the OAuth2
 * refresh-token form for identity tokens.
 */
export interface Authenticator {
  /** The `Authorization` value to send for `scopes` with what is known already, if any. */
  authorization(host: string, scopes: readonly string[], options?: { signal?: AbortSignal }): Promise<string | undefined>;
  /** After a 401: learns the challenge and returns a fresh `Authorization` to retry with, or undefined if none can help. */
  challenged(host: string, wwwAuthenticate: string | undefined, scopes: readonly string[], options?: { signal?: AbortSignal }): Promise<string | undefined>;
  /**
   * Whether credentials for `host` are at hand while its challenge is still unknown. Such a client
   * learns the challenge (`GET /v2/`, as docker does) before its first request: a public
   * repository answers anonymous requests itself, and its answer (a pull gate's 412, a 404) would
   * hide what the account may do.
   */
  wantsChallenge(host: string, scopes: readonly string[], options?: { signal?: AbortSignal }): Promise<boolean>;
  /** Records a host's challenge (from a `GET /v2/` answer) without asking for a token yet. */
  learn(host: string, wwwAuthenticate: string | undefined): void;
}

export interface AuthenticatorOptions {
  readonly transport: HttpTransport;
  readonly credentials?: CredentialStore;
  /** Whether TLS certificates of a token realm's host are verified. */
  readonly verifyTls?: (host: string) => boolean;
  readonly clientId?: string;
}

type HostChallenge = { readonly scheme: 'bearer'; readonly realm: string; readonly service?: string } | { readonly scheme: 'basic' };

interface CachedToken {
  readonly atoms: ReadonlySet<string>;
  readonly token: string;
  readonly expiresAt: number;
}

const TOKEN_RESPONSE_LIMIT = 1 << 20;
/** Tokens are renewed this long before they expire. */
const EXPIRY_MARGIN_MS = 10_000;

export function createAuthenticator(options: AuthenticatorOptions): Authenticator {
  const challenges = new Map<string, HostChallenge>();
  const tokens = new Map<string, CachedToken[]>();
  const inflight = new Map<string, Promise<string>>();

  const credentialFor = async (host: string, scopes: readonly string[], signal?: AbortSignal): Promise<Credential | undefined> => {
    const repository = scopeRepository(scopes);
    return options.credentials?.get(host, { ...(repository === undefined ? {} : { repository }), ...(signal === undefined ? {} : { signal }) });
  };

  const bearer = async (host: string, challenge: HostChallenge & { scheme: 'bearer' }, scopes: readonly string[], fresh: boolean, signal?: AbortSignal) => {
    const credential = await credentialFor(host, scopes, signal);
    if (credential?.kind === 'registry-token') return `Bearer ${credential.token}`;
    const now = Date.now();
    const cached = (tokens.get(host) ?? []).filter((t) => t.expiresAt > now + EXPIRY_MARGIN_MS);
    tokens.set(host, cached);
    const hit = fresh ? undefined : cached.find((t) => scopes.every((s) => t.atoms.has(s)));
    if (hit !== undefined) return `Bearer ${hit.token}`;
    const key = `${host} ${scopes.toSorted().join(' ')}`;
    let pending = inflight.get(key);
    if (pending === undefined) {
      pending = fetchToken(options, challenge, scopes, credential, signal).then((t) => {
        cached.push({ atoms: new Set(scopes), token: t.token, expiresAt: t.expiresAt });
        return t.token;
      });
      inflight.set(key, pending);
      void pending.finally(() => inflight.delete(key)).catch(() => undefined);
    }
    return `Bearer ${await pending}`;
  };

  const basic = async (host: string, scopes: readonly string[], signal?: AbortSignal): Promise<string | undefined> => {
    const credential = await credentialFor(host, scopes, signal);
    if (credential?.kind === 'basic') return basicAuthorization(credential.username, credential.password);
    return credential?.kind === 'registry-token' ? `Bearer ${credential.token}` : undefined;
  };

  return {
    async authorization(host, scopes, o = {}) {
      const challenge = challenges.get(host);
      if (challenge === undefined) return undefined;
      return challenge.scheme === 'basic' ? basic(host, scopes, o.signal) : bearer(host, challenge, scopes, false, o.signal);
    },
    async challenged(host, wwwAuthenticate, scopes, o = {}) {
      const offered = offeredChallenge(wwwAuthenticate);
      if (offered === undefined) return undefined;
      challenges.set(host, offered.challenge);
      if (offered.challenge.scheme === 'basic') return basic(host, scopes, o.signal);
      return bearer(host, offered.challenge, [...new Set([...scopes, ...offered.scopes])], true, o.signal);
    },
    async wantsChallenge(host, scopes, o = {}) {
      return !challenges.has(host) && (await credentialFor(host, scopes, o.signal)) !== undefined;
    },
    learn(host, wwwAuthenticate) {
      const offered = offeredChallenge(wwwAuthenticate);
      if (offered !== undefined) challenges.set(host, offered.challenge);
    },
  };
}

/** The challenge a `WWW-Authenticate` offers (Bearer with a realm preferred, else Basic), and the scopes it names. */
function offeredChallenge(wwwAuthenticate: string | undefined): { challenge: HostChallenge; scopes: readonly string[] } | undefined {
  const parsed = parseWwwAuthenticate(wwwAuthenticate ?? '');
  const offered = parsed.find((c) => c.scheme === 'bearer' && c.params['realm'] !== undefined) ?? parsed.find((c) => c.scheme === 'basic');
  if (offered === undefined) return undefined;
  if (offered.scheme === 'basic') return { challenge: { scheme: 'basic' }, scopes: [] };
  const service = offered.params['service'];
  return {
    challenge: { scheme: 'bearer', realm: offered.params['realm'] ?? '', ...(service === undefined ? {} : { service }) },
    scopes: parseScopes(offered.params['scope'] ?? ''),
  };
}

export function basicAuthorization(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

async function fetchToken(
  options: AuthenticatorOptions,
  challenge: { readonly realm: string; readonly service?: string },
  scopes: readonly string[],
  credential: Credential | undefined,
  signal?: AbortSignal,
): Promise<{ token: string; expiresAt: number }> {
  let url: URL;
  try {
    url = new URL(challenge.realm);
  } catch (cause) {
    throw new RegistryClientError('PROTOCOL', `the registry named an invalid token realm ${JSON.stringify(challenge.realm)}`, { cause });
  }
  const verifyTls = options.verifyTls?.(url.host) ?? true;
  const request =
    credential?.kind === 'identity-token'
      ? oauthRefreshRequest(url, challenge.service, scopes, credential.token, options.clientId ?? 'slipway')
      : tokenGetRequest(url, challenge.service, scopes, credential);
  const response = await options.transport.send({ ...request, verifyTls, ...(signal === undefined ? {} : { signal }) });
  if (response.status !== 200) {
    const who = credential === undefined ? 'anonymous access' : 'the credentials';
    discard(response);
    if (response.status === 401 || response.status === 403) {
      throw new RegistryClientError('UNAUTHORIZED', `the token service at ${url.origin} refused ${who} (HTTP ${response.status})`, { status: response.status });
    }
    throw errorForStatus(response.status, `token request to ${url.origin}`, undefined);
  }
  return parseTokenResponse(await readBody(response, TOKEN_RESPONSE_LIMIT, signal), url);
}

function tokenGetRequest(realm: URL, service: string | undefined, scopes: readonly string[], credential: Credential | undefined) {
  const url = new URL(realm);
  if (service !== undefined) url.searchParams.set('service', service);
  for (const scope of formatScopes(scopes)) url.searchParams.append('scope', scope);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (credential?.kind === 'basic') {
    url.searchParams.set('account', credential.username);
    headers['authorization'] = basicAuthorization(credential.username, credential.password);
  }
  return { method: 'GET', url, headers };
}

function oauthRefreshRequest(realm: URL, service: string | undefined, scopes: readonly string[], refreshToken: string, clientId: string) {
  const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: clientId });
  if (service !== undefined) form.set('service', service);
  const scope = formatScopes(scopes).join(' ');
  if (scope !== '') form.set('scope', scope);
  return {
    method: 'POST',
    url: realm,
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: Buffer.from(form.toString()),
  };
}

function parseTokenResponse(body: Buffer, realm: URL): { token: string; expiresAt: number } {
  const json = parseJsonObject(body, `the token service at ${realm.origin}`);
  const token = typeof json['token'] === 'string' && json['token'] !== '' ? json['token'] : json['access_token'];
  if (typeof token !== 'string' || token === '') throw new RegistryClientError('PROTOCOL', `the token service at ${realm.origin} returned no token`);
  const expiresIn = json['expires_in'];
  const lifetime = typeof expiresIn === 'number' && expiresIn >= 60 ? expiresIn : 60;
  // Local clock only: `issued_at` comes from another machine's clock.
  return { token, expiresAt: Date.now() + lifetime * 1000 };
}

/** Whether a 401's challenge says the token lacked the scope (rather than being bad). */
export function isInsufficientScope(wwwAuthenticate: string | undefined): boolean {
  return parseWwwAuthenticate(wwwAuthenticate ?? '').some((c) => c.params['error'] === 'insufficient_scope');
}
