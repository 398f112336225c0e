import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { buffer } from 'node:stream/consumers';
import { after, before, describe, it } from 'node:test';
import { digestOf } from '../digest.ts';
import { MediaType } from '../media-types.ts';
import { formatScopes, parseScopes, parseWwwAuthenticate } from './auth-challenge.ts';
import { RegistryClientError } from './client-error.ts';
import { fixedCredentials, type Credential } from './credentials.ts';
import { createRegistryClient, type RegistryClient } from './registry-client.ts';
import { listenLocal } from '../../../testing/local-server.ts';

describe('WWW-Authenticate parsing', () => {
  it('reads a Bearer challenge with realm, service and scope', () => {
    assert.deepEqual(
      parseWwwAuthenticate('Bearer realm="https://reg.example/service/token",service="harbor-registry",scope="repository:dev/app:pull,push"'),
      [{ scheme: 'bearer', params: { realm: 'https://reg.example/service/token', service: 'harbor-registry', scope: 'repository:dev/app:pull,push' } }],
    );
  });

  it('reads several challenges, unquoted values, escapes and errors', () => {
    assert.deepEqual(parseWwwAuthenticate('Basic realm="Registry Realm", Bearer realm="https://a/t?x=1,y=2", error=insufficient_scope, scope="a:b:c"'), [
      { scheme: 'basic', params: { realm: 'Registry Realm' } },
      { scheme: 'bearer', params: { realm: 'https://a/t?x=1,y=2', error: 'insufficient_scope', scope: 'a:b:c' } },
    ]);
    assert.deepEqual(parseWwwAuthenticate('Basic realm="say \\"hi\\""'), [{ scheme: 'basic', params: { realm: 'say "hi"' } }]);
    assert.deepEqual(parseWwwAuthenticate(''), []);
  });

  it('splits scopes into atoms and groups them back', () => {
    const atoms = parseScopes('repository:dev/app:pull,push repository:reg:5000/x:pull registry:catalog:*');
    assert.deepEqual(atoms, ['repository:dev/app:pull', 'repository:dev/app:push', 'repository:reg:5000/x:pull', 'registry:catalog:*']);
    assert.deepEqual(formatScopes(atoms), ['registry:catalog:*', 'repository:dev/app:pull,push', 'repository:reg:5000/x:pull']);
  });
});

/**
 * An in-process registry with a Docker token service: alice/secret may pull and push `team/app`
 * and only pull `team/readonly`; anonymous users get nothing.
 */
interface TokenServer {
  readonly host: string;
  readonly tokenRequests: { authorization: string | undefined; scopes: string[]; method: string; body: string }[];
  /** `METHOD /path`, and whether it carried an Authorization header. */
  readonly requests: string[];
  readonly server: Server;
}

const MANIFEST = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [] }));

function userOf(authorization: string | undefined): string | undefined {
  if (authorization?.startsWith('Basic ') !== true) return undefined;
  const [user, password] = Buffer.from(authorization.slice(6), 'base64').toString().split(':');
  return password === 'secret' ? user : undefined;
}

function clientFor(credential: Credential | undefined): RegistryClient {
  return createRegistryClient({ insecure: true, credentials: fixedCredentials(credential) });
}

async function startTokenServer(mode: 'bearer' | 'basic'): Promise<TokenServer> {
  const grants = new Map<string, Set<string>>();
  const tokenRequests: TokenServer['tokenRequests'] = [];
  const requests: string[] = [];
  const users: Record<string, Record<string, string[]>> = { alice: { 'team/app': ['pull', 'push'], 'team/readonly': ['pull'], 'public/gated': ['pull', 'push'] } };
  const server = createServer((req, res) => void handle(req, res));
  const host = await listenLocal(server);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', `http://${host}`);
    const body = (await buffer(req)).toString();
    if (url.pathname === '/token') return token(req, res, url, body);
    const match = /^\/v2\/(.+)\/manifests\/(.+)$/.exec(url.pathname);
    const needed = match === null ? [] : [`repository:${match[1]}:${req.method === 'GET' ? 'pull' : 'push'}`];
    const authorization = req.headers.authorization;
    requests.push(`${req.method ?? ''} ${url.pathname}${authorization === undefined ? '' : ' (authorized)'}`);
    if (match?.[1] === 'public/gated' && authorization === undefined) {
      // A public repository answers anonymous callers itself, as a pull gate does: no challenge to learn from.
      res.writeHead(412, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ errors: [{ code: 'DENIED', message: 'held back by the pull gate' }] }));
    }
    const allowed =
      mode === 'basic'
        ? userOf(authorization) !== undefined
        : authorization?.startsWith('Bearer ') === true && grants.has(authorization.slice(7)) && needed.every((s) => grants.get(authorization.slice(7))?.has(s));
    if (!allowed) {
      const scope = match === null ? '' : `,scope="repository:${match[1]}:${req.method === 'GET' ? 'pull' : 'pull,push'}"`;
      const error = authorization?.startsWith('Bearer ') === true ? ',error="insufficient_scope"' : '';
      const challenge = mode === 'basic' ? 'Basic realm="test"' : `Bearer realm="http://${host}/token",service="test-registry"${scope}${error}`;
      res.writeHead(401, { 'www-authenticate': challenge, 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
    }
    if (match === null) return void res.writeHead(200, { 'docker-distribution-api-version': 'registry/2.0' }).end('{}');
    if (req.method === 'PUT') return void res.writeHead(201, { 'docker-content-digest': digestOf(body) }).end();
    res.writeHead(200, { 'content-type': MediaType.ociIndex, 'docker-content-digest': digestOf(MANIFEST) }).end(MANIFEST);
  }

  function token(req: IncomingMessage, res: ServerResponse, url: URL, body: string): void {
    const form = new URLSearchParams(body);
    const scopes = req.method === 'POST' ? (form.get('scope') ?? '').split(' ').filter((s) => s !== '') : url.searchParams.getAll('scope');
    tokenRequests.push({ authorization: req.headers.authorization, scopes, method: req.method ?? '', body });
    const user = req.method === 'POST' ? (form.get('refresh_token') === 'refresh-alice' ? 'alice' : undefined) : userOf(req.headers.authorization);
    if (req.headers.authorization !== undefined && user === undefined) return void res.writeHead(401).end();
    if (req.method === 'POST' && user === undefined) return void res.writeHead(401).end();
    const granted = new Set<string>();
    for (const atom of parseScopes(scopes.join(' '))) {
      const [, name, action] = /^repository:(.+):([^:]+)$/.exec(atom) ?? [];
      if (user !== undefined && name !== undefined && action !== undefined && users[user]?.[name]?.includes(action) === true) granted.add(atom);
    }
    const issued = randomBytes(8).toString('hex');
    grants.set(issued, granted);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(req.method === 'POST' ? { access_token: issued, expires_in: 300 } : { token: issued, expires_in: 300 }));
  }

  return { host, tokenRequests, requests, server };
}

describe('Bearer token flow against an in-process token service', () => {
  let registry: TokenServer;
  const alice: Credential = { kind: 'basic', username: 'alice', password: 'secret' };

  before(async () => {
    registry = await startTokenServer('bearer');
  });
  after(() => registry.server.close());

  it('logs in: challenge, token with Basic credentials and no scope, retry', async () => {
    registry.tokenRequests.length = 0;
    const client = clientFor(alice);
    const ping = await client.ping(registry.host);
    assert.equal(ping.apiVersion, 'registry/2.0');
    assert.equal(registry.tokenRequests.length, 1);
    assert.equal(registry.tokenRequests[0]?.authorization, `Basic ${Buffer.from('alice:secret').toString('base64')}`);
    assert.deepEqual(registry.tokenRequests[0]?.scopes, []);
    client.close();
  });

  it('refuses a wrong password and anonymous access with UNAUTHORIZED', async () => {
    for (const credential of [{ kind: 'basic', username: 'alice', password: 'wrong' } as const, undefined]) {
      const client = clientFor(credential);
      await assert.rejects(client.repository(registry.host, 'team/app').getManifest('v1'), (e: unknown) => e instanceof RegistryClientError && (e.code === 'UNAUTHORIZED' || e.code === 'DENIED'));
      client.close();
    }
  });

  it('asks for the scope each request needs and reuses the token while it covers the scope', async () => {
    registry.tokenRequests.length = 0;
    const client = clientFor(alice);
    const repo = client.repository(registry.host, 'team/app');
    assert.deepEqual((await repo.getManifest('v1'))?.bytes, MANIFEST);
    assert.deepEqual((await repo.getManifest('v2'))?.bytes, MANIFEST);
    assert.equal(registry.tokenRequests.length, 1, 'the pull token is cached');
    assert.deepEqual(registry.tokenRequests[0]?.scopes, ['repository:team/app:pull']);
    await repo.putManifest('v3', MANIFEST, MediaType.ociIndex);
    assert.equal(registry.tokenRequests.length, 2, 'push needs a new token');
    assert.deepEqual(registry.tokenRequests[1]?.scopes, ['repository:team/app:pull,push']);
    await repo.getManifest('v1');
    assert.equal(registry.tokenRequests.length, 2, 'the pull,push token covers pull');
    client.close();
  });

  it('learns the challenge first when it holds credentials, so a public repository answers the account, not an anonymous caller', async () => {
    registry.requests.length = 0;
    const client = clientFor(alice);
    assert.deepEqual((await client.repository(registry.host, 'public/gated').getManifest('v1'))?.bytes, MANIFEST);
    assert.deepEqual(registry.requests, ['GET /v2/', 'GET /v2/public/gated/manifests/v1 (authorized)'], 'one ping for the challenge, then the request with a token');
    client.close();

    registry.requests.length = 0;
    const anonymous = clientFor(undefined);
    await assert.rejects(anonymous.repository(registry.host, 'public/gated').getManifest('v1'), (e: unknown) => e instanceof RegistryClientError && e.status === 412);
    assert.deepEqual(registry.requests, ['GET /v2/public/gated/manifests/v1'], 'without credentials there is nothing to learn a challenge for');
    await assert.rejects(anonymous.repository(registry.host, 'public/gated').headManifest('v1'), /HEAD manifest .* failed with HTTP 412 \(a HEAD answer carries no reason; a GET of the same shows it\)$/);
    anonymous.close();
  });

  it('reports insufficient scope as DENIED after one fresh token', async () => {
    registry.tokenRequests.length = 0;
    const client = clientFor(alice);
    const repo = client.repository(registry.host, 'team/readonly');
    await repo.getManifest('v1');
    await assert.rejects(repo.putManifest('v1', MANIFEST, MediaType.ociIndex), (e: unknown) => e instanceof RegistryClientError && e.code === 'DENIED');
    assert.equal(registry.tokenRequests.length, 3, 'pull token, push token, one fresh retry after insufficient_scope');
    client.close();
  });

  it('exchanges an identity token with the OAuth2 refresh-token grant', async () => {
    registry.tokenRequests.length = 0;
    const client = clientFor({ kind: 'identity-token', token: 'refresh-alice' });
    assert.deepEqual((await client.repository(registry.host, 'team/app').getManifest('v1'))?.bytes, MANIFEST);
    assert.equal(registry.tokenRequests[0]?.method, 'POST');
    assert.match(registry.tokenRequests[0]?.body ?? '', /grant_type=refresh_token/);
    client.close();
  });
});

describe('Basic auth registries and redirects', () => {
  let registry: TokenServer;
  let storage: Server;
  let storageHeaders: IncomingMessage['headers'] | undefined;
  let redirector: Server;
  let redirectorHost: string;

  before(async () => {
    registry = await startTokenServer('basic');
    storage = createServer((req, res) => {
      storageHeaders = req.headers;
      res.end('blob-bytes');
    });
    const storagePort = (await listenLocal(storage)).split(':')[1] ?? '';
    redirector = createServer((req, res) => {
      if (req.headers.authorization === undefined) res.writeHead(401, { 'www-authenticate': 'Basic realm="r"' }).end();
      else res.writeHead(307, { location: `http://localhost:${storagePort}/bucket/blob?sig=1` }).end();
    });
    redirectorHost = await listenLocal(redirector);
  });
  after(() => {
    registry.server.close();
    storage.close();
    redirector.close();
  });

  it('answers a Basic challenge with the credentials', async () => {
    const client = createRegistryClient({ insecure: true, credentials: fixedCredentials({ kind: 'basic', username: 'alice', password: 'secret' }) });
    assert.deepEqual((await client.repository(registry.host, 'team/app').getManifest('v1'))?.bytes, MANIFEST);
    client.close();
    const wrong = createRegistryClient({ insecure: true, credentials: fixedCredentials({ kind: 'basic', username: 'alice', password: 'nope' }) });
    await assert.rejects(wrong.repository(registry.host, 'team/app').getManifest('v1'), (e: unknown) => e instanceof RegistryClientError && e.code === 'UNAUTHORIZED');
    wrong.close();
  });

  it('follows a blob redirect to another host without the Authorization header', async () => {
    const client = createRegistryClient({ insecure: true, credentials: fixedCredentials({ kind: 'basic', username: 'u', password: 'p' }) });
    const stream = await client.repository(redirectorHost, 'team/app').openBlob(digestOf('blob-bytes'));
    assert.equal((await buffer(stream)).toString(), 'blob-bytes');
    assert.ok(storageHeaders !== undefined);
    assert.equal(storageHeaders.authorization, undefined, 'no credentials leak to storage');
    client.close();
  });
});
