import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { listenLocal } from '../../testing/local-server.ts';
import { requireTool } from '../../testing/tools.ts';
import { EventError } from './event-error.ts';
import { deliverWebhook, signWebhook, verifyWebhookSignature } from './webhook-delivery.ts';

interface Received {
  readonly method: string | undefined;
  readonly url: string | undefined;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const AUTH = 'Bearer s3cr3t-auth';
const SECRET = 'hush-hush-signing-key';
const NOW = Date.UTC(2025, 0, 10, 6, 4, 46);
const json = { contentType: 'application/json' } as const;

function isDeliveryFailure(status?: number) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof EventError, `expected an EventError, got ${String(error)}`);
    assert.equal(error.code, 'DELIVERY_FAILED');
    assert.equal(error.status, status);
    for (const secret of [AUTH, SECRET]) assert.ok(!error.message.includes(secret) && !String(error.stack).includes(secret));
    return true;
  };
}

describe('deliverWebhook', () => {
  const received: Received[] = [];
  let handler: Handler = (_req, res) => res.writeHead(200).end('ok');
  let server: Server;
  let base: string;

  before(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        received.push({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks) });
        handler(req, res);
      });
    });
    base = `http://${await listenLocal(server)}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  it('POSTs the body with its headers and a signature the receiver can verify', async () => {
    received.length = 0;
    handler = (_req, res) => res.writeHead(204).end();
    const body = Buffer.from(JSON.stringify({ type: 'PUSH_ARTIFACT', occur_at: 1_736_489_086 }));
    const target = { address: `${base}/hooks/in`, auth_header: AUTH, skip_cert_verify: false, secret: SECRET };
    assert.deepEqual(await deliverWebhook(target, body, { ...json, now: NOW }), { status: 204 });

    const [request] = received;
    assert.ok(request !== undefined);
    assert.equal(request.method, 'POST');
    assert.equal(request.url, '/hooks/in');
    assert.deepEqual(request.body, body);
    assert.equal(request.headers['content-type'], 'application/json');
    assert.equal(request.headers['content-length'], String(body.length));
    assert.equal(request.headers['authorization'], AUTH);
    assert.equal(request.headers['user-agent'], 'slipway-webhook');
    assert.equal(request.headers['x-slipway-timestamp'], String(NOW / 1000));
    const signature = request.headers['x-slipway-signature-256'];
    assert.equal(typeof signature, 'string');
    assert.match(String(signature), /^sha256=[0-9a-f]{64}$/);
    assert.equal(signature, signWebhook(SECRET, NOW / 1000, body));
    assert.ok(verifyWebhookSignature(SECRET, request.headers['x-slipway-timestamp'], request.body, signature, { now: NOW + 1000 }));
    assert.ok(!JSON.stringify(request.headers).includes(SECRET), 'the secret itself is never sent');
  });

  it('sends neither authorization nor signature headers when the target has none', async () => {
    received.length = 0;
    handler = (_req, res) => res.writeHead(200).end('thanks');
    await deliverWebhook({ address: base, skip_cert_verify: false }, Buffer.from('{}'), { contentType: 'application/cloudevents+json' });
    const headers = received[0]?.headers ?? {};
    assert.equal(headers['content-type'], 'application/cloudevents+json');
    assert.equal(headers['authorization'], undefined);
    assert.equal(headers['x-slipway-signature-256'], undefined);
    assert.equal(headers['x-slipway-timestamp'], undefined);
  });

  it('fails on a 500 with the status and at most 200 characters of the answer', async () => {
    handler = (_req, res) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`boom ${'x'.repeat(5000)}`);
    const target = { address: `${base}/fail`, auth_header: AUTH, skip_cert_verify: false, secret: SECRET };
    await assert.rejects(deliverWebhook(target, Buffer.from('{}'), json), (error: unknown) => {
      isDeliveryFailure(500)(error);
      const message = (error as Error).message;
      assert.match(message, /HTTP 500: boom x+$/);
      assert.equal(message.length - message.indexOf('boom'), 200);
      return true;
    });
  });

  it('fails on a redirect instead of following it', async () => {
    handler = (_req, res) => res.writeHead(302, { location: 'http://169.254.169.254/' }).end();
    await assert.rejects(deliverWebhook({ address: base, skip_cert_verify: false }, Buffer.from('{}'), json), isDeliveryFailure(302));
  });

  it('fails when the receiver does not answer in time', async () => {
    handler = () => undefined;
    const started = Date.now();
    await assert.rejects(
      deliverWebhook({ address: base, auth_header: AUTH, skip_cert_verify: false }, Buffer.from('{}'), { ...json, timeoutMs: 150 }),
      (error: unknown) => isDeliveryFailure(undefined)(error) && /no answer within 150 ms/.test((error as Error).message),
    );
    assert.ok(Date.now() - started < 5000);
    server.closeAllConnections();
  });

  it("rejects with the caller's abort reason when the caller aborts", async () => {
    handler = () => undefined;
    const controller = new AbortController();
    const reason = new Error('shutting down');
    setTimeout(() => controller.abort(reason), 50);
    await assert.rejects(deliverWebhook({ address: base, skip_cert_verify: false }, Buffer.from('{}'), { ...json, signal: controller.signal }), (error) => error === reason);
    server.closeAllConnections();
  });

  it('fails when nothing listens, naming the target without its query or user info', async () => {
    const closed = createServer();
    const host = await listenLocal(closed);
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await assert.rejects(deliverWebhook({ address: `http://user:pw@${host}/in?token=abc`, skip_cert_verify: false }, Buffer.from('{}'), json), (error: unknown) => {
      isDeliveryFailure(undefined)(error);
      const message = (error as Error).message;
      assert.ok(message.includes(`http://${host}/in`), message);
      assert.ok(!message.includes('pw') && !message.includes('abc'), message);
      return true;
    });
  });
});

describe('deliverWebhook over https', () => {
  let server: Server;
  let base: string;
  let dir: string;

  before(async () => {
    const openssl = await requireTool('openssl', 'openssl');
    dir = await mkdtemp(join(tmpdir(), 'slipway-webhook-tls-'));
    const [key, cert] = [join(dir, 'key.pem'), join(dir, 'cert.pem')];
    await promisify(execFile)(openssl, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1']);
    server = createHttpsServer({ key: await readFile(key), cert: await readFile(cert) }, (req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(200).end());
    });
    base = `https://${await listenLocal(server)}`;
  });
  after(async () => {
    server.closeAllConnections();
    server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses a self-signed certificate unless the target skips verification', async () => {
    await assert.rejects(deliverWebhook({ address: base, skip_cert_verify: false }, Buffer.from('{}'), json), isDeliveryFailure(undefined));
    assert.deepEqual(await deliverWebhook({ address: base, skip_cert_verify: true }, Buffer.from('{}'), json), { status: 200 });
  });
});

describe('verifyWebhookSignature', () => {
  const body = Buffer.from('{"type":"PUSH_ARTIFACT"}');
  const timestamp = String(NOW / 1000);
  const header = signWebhook(SECRET, timestamp, body);

  it('accepts a fresh, untouched delivery', () => {
    assert.ok(verifyWebhookSignature(SECRET, timestamp, body, header, { now: NOW }));
    assert.ok(verifyWebhookSignature(SECRET, Number(timestamp), body.toString('utf8'), header, { now: NOW + 299_000 }));
  });

  it('rejects a tampered body, a wrong secret and a malformed header', () => {
    assert.ok(!verifyWebhookSignature(SECRET, timestamp, Buffer.from('{"type":"DELETE_ARTIFACT"}'), header, { now: NOW }));
    assert.ok(!verifyWebhookSignature('other', timestamp, body, header, { now: NOW }));
    assert.ok(!verifyWebhookSignature(SECRET, timestamp, body, header.slice(0, -1), { now: NOW }));
    assert.ok(!verifyWebhookSignature(SECRET, timestamp, body, undefined, { now: NOW }));
    assert.ok(!verifyWebhookSignature(SECRET, String(NOW / 1000 + 1), body, header, { now: NOW }), 'the timestamp is signed too');
  });

  it('rejects stale and future timestamps beyond the tolerance', () => {
    assert.ok(!verifyWebhookSignature(SECRET, timestamp, body, header, { now: NOW + 301_000 }));
    assert.ok(!verifyWebhookSignature(SECRET, timestamp, body, header, { now: NOW - 301_000 }));
    assert.ok(!verifyWebhookSignature(SECRET, timestamp, body, header, { now: NOW + 61_000, toleranceSeconds: 60 }));
    assert.ok(!verifyWebhookSignature(SECRET, `${timestamp}.5`, body, header, { now: NOW }));
    assert.ok(!verifyWebhookSignature(SECRET, undefined, body, header, { now: NOW }));
  });
});
