import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { after, before, beforeEach, describe, it } from 'node:test';
import { digestOf } from '../digest.ts';
import { MediaType } from '../media-types.ts';
import { RegistryClientError } from './client-error.ts';
import { createRegistryClient, type RegistryClient } from './registry-client.ts';
import { parseRetryAfter, retryDelay } from './retry.ts';
import { listenLocal } from '../../../testing/local-server.ts';

describe('retry delays', () => {
  it('backs off exponentially with jitter and honours Retry-After', () => {
    const error = new RegistryClientError('SERVER_ERROR', 'x');
    for (let attempt = 1; attempt <= 4; attempt++) {
      const delay = retryDelay(error, attempt, { baseDelayMs: 100 });
      assert.ok(delay >= 50 * 2 ** (attempt - 1) && delay <= 100 * 2 ** (attempt - 1), `attempt ${attempt}: ${delay}`);
    }
    assert.equal(retryDelay(new RegistryClientError('TOO_MANY_REQUESTS', 'x', { retryAfterMs: 5000 }), 1), 5000);
    assert.equal(retryDelay(new RegistryClientError('TOO_MANY_REQUESTS', 'x', { retryAfterMs: 90_000 }), 1), 30_000, 'capped');
    assert.equal(parseRetryAfter('3'), 3000);
    assert.equal(parseRetryAfter('Wed, 21 Oct 2015 07:28:10 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT')), 10_000);
    assert.equal(parseRetryAfter('soon'), undefined);
  });
});

/** A registry that fails on purpose: `plan` lists what the next requests get, then it behaves. */
describe('retries against a flaky in-process registry', () => {
  let server: Server;
  let host: string;
  let client: RegistryClient;
  const plan: ('ok' | '503' | '429' | 'reset' | '400' | '412')[] = [];
  const seen: string[] = [];
  const blobs = new Map<string, Buffer>();
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [] }));

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    seen.push(`${req.method} ${new URL(req.url ?? '/', 'http://x').pathname}`);
    const next = plan.shift();
    if (next === 'reset') {
      // Take part of the body, then drop the connection: a dying proxy.
      req.once('data', () => req.socket.destroy());
      return;
    }
    const body = await buffer(req);
    if (next === '503') return void res.writeHead(503, { 'content-type': 'application/json' }).end('{"errors":[{"code":"UNAVAILABLE"}]}');
    if (next === '429') return void res.writeHead(429, { 'retry-after': '1' }).end();
    if (next === '400') return void res.writeHead(400, { 'content-type': 'application/json' }).end('{"errors":[{"code":"MANIFEST_INVALID","message":"no"}]}');
    if (next === '412') return void res.writeHead(412, { 'content-type': 'application/json' }).end('{"errors":[{"code":"PROJECTPOLICYVIOLATION","message":"not scanned"}]}');
    const url = new URL(req.url ?? '/', `http://${host}`);
    if (url.pathname === '/v2/') return void res.writeHead(200).end('{}');
    if (url.pathname.endsWith('/manifests/v1') && req.method === 'GET') {
      return void res.writeHead(200, { 'content-type': MediaType.ociIndex, 'docker-content-digest': digestOf(manifest) }).end(manifest);
    }
    if (url.pathname.endsWith('/manifests/v1') && req.method === 'PUT') return void res.writeHead(201, { 'docker-content-digest': digestOf(body) }).end();
    const blob = /\/blobs\/(sha256:[0-9a-f]{64})$/.exec(url.pathname);
    if (blob !== null) return void res.writeHead(blobs.has(blob[1] ?? '') ? 200 : 404, { 'content-length': String(blobs.get(blob[1] ?? '')?.byteLength ?? 0) }).end();
    if (url.pathname.endsWith('/blobs/uploads/') && req.method === 'POST') return void res.writeHead(202, { location: `/v2/app/blobs/uploads/${seen.length}` }).end();
    if (url.pathname.includes('/blobs/uploads/') && req.method === 'PUT') {
      const digest = url.searchParams.get('digest') ?? '';
      if (digestOf(body) !== digest) return void res.writeHead(400).end();
      blobs.set(digest, body);
      return void res.writeHead(201, { 'docker-content-digest': digest }).end();
    }
    res.writeHead(404).end();
  }

  before(async () => {
    server = createServer((req, res) => void handle(req, res));
    host = await listenLocal(server);
    client = createRegistryClient({ insecure: (h) => h === host, retry: { attempts: 3, baseDelayMs: 20 } });
    await client.ping(host);
  });
  beforeEach(() => {
    plan.length = 0;
    seen.length = 0;
  });
  after(() => {
    client.close();
    server.close();
  });

  it('retries a GET after 503s and succeeds', async () => {
    plan.push('503', '503');
    const got = await client.repository(host, 'app').getManifest('v1');
    assert.deepEqual(got?.bytes, manifest);
    assert.equal(seen.length, 3);
  });

  it('gives up after the configured attempts with the last error', async () => {
    plan.push('503', '503', '503', '503');
    await assert.rejects(client.repository(host, 'app').getManifest('v1'), (e: unknown) => e instanceof RegistryClientError && e.code === 'SERVER_ERROR' && e.status === 503 && e.ociCode === 'UNAVAILABLE');
    assert.equal(seen.length, 3);
  });

  it('waits as long as Retry-After asks on 429', async () => {
    plan.push('429');
    const started = Date.now();
    await client.repository(host, 'app').putManifest('v1', manifest, MediaType.ociIndex);
    assert.ok(Date.now() - started >= 950, `waited ${Date.now() - started} ms`);
    assert.equal(seen.length, 2);
  });

  it('does not retry a 400 or a 412, and names a digest reference with @', async () => {
    plan.push('400');
    await assert.rejects(client.repository(host, 'app').putManifest('v1', manifest, MediaType.ociIndex), (e: unknown) => e instanceof RegistryClientError && e.code === 'BAD_REQUEST');
    assert.equal(seen.length, 1);
    plan.push('412');
    const digest = digestOf(manifest);
    await assert.rejects(client.repository(host, 'app').getManifest(digest), (e: unknown) => e instanceof RegistryClientError && e.code === 'PRECONDITION_FAILED' && e.message === `GET manifest app@${digest} failed with HTTP 412: PROJECTPOLICYVIOLATION (not scanned)`);
    assert.equal(seen.length, 2);
  });

  it('restarts a whole blob upload after the connection drops, re-opening the source', async () => {
    const bytes = randomBytes(2 << 20);
    const descriptor = { mediaType: MediaType.ociLayer, digest: digestOf(bytes), size: bytes.byteLength };
    plan.push('ok', 'ok', 'reset');
    let opened = 0;
    const result = await client.repository(host, 'app').uploadBlob(descriptor, () => {
      opened++;
      return Promise.resolve(Readable.from([bytes.subarray(0, 1 << 20), bytes.subarray(1 << 20)]));
    });
    assert.deepEqual(result, { skipped: false, mounted: false });
    assert.equal(opened, 2);
    assert.deepEqual(blobs.get(descriptor.digest), bytes);
    assert.deepEqual(seen, [`HEAD /v2/app/blobs/${descriptor.digest}`, 'POST /v2/app/blobs/uploads/', 'PUT /v2/app/blobs/uploads/2', 'POST /v2/app/blobs/uploads/', 'PUT /v2/app/blobs/uploads/4']);
  });
});
