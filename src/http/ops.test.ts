import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { registryHttp, sha256, type RegistryHttp } from '../testing/registry-http.ts';
import { startSlipway, type TestSlipway } from '../testing/slipway-server.ts';

describe('operations endpoints', () => {
  let slipway: TestSlipway;
  before(async () => {
    slipway = await startSlipway();
  });
  after(() => slipway.stop());

  it('answers /healthz and /readyz, and echoes request ids', async () => {
    const health = await fetch(`${slipway.url}/healthz`, { headers: { 'x-request-id': 'trace-123' } });
    assert.equal(health.status, 200);
    assert.equal(health.headers.get('x-request-id'), 'trace-123');
    const ready = await fetch(`${slipway.url}/readyz`);
    assert.equal(ready.status, 200);
    const body = (await ready.json()) as { checks: { name: string; ok: boolean }[] };
    assert.deepEqual(body.checks.map((c) => [c.name, c.ok]), [['database', true], ['storage', true]]);
    const generated = (await fetch(`${slipway.url}/healthz`, { headers: { 'x-request-id': 'bad id with spaces' } })).headers.get('x-request-id');
    assert.match(generated ?? '', /^[0-9a-f-]{36}$/, 'an unusable request id is replaced');
  });

  it('counts requests, latency and bytes in Prometheus format', async () => {
    const api = registryHttp(slipway.url);
    const authed = api.withToken(await api.login('admin', slipway.adminPassword, ['repository:platform-dev/metrics:pull,push']));
    const blob = randomBytes(10_000);
    await authed.request('POST', `/v2/platform-dev/metrics/blobs/uploads/?digest=${sha256(blob)}`, { body: blob });
    const text = await (await fetch(`${slipway.url}/metrics`)).text();
    assert.match(text, /^# TYPE slipway_http_requests_total counter$/m);
    assert.match(text, /^slipway_http_requests_total\{method="POST",route="upload\.start",status="201"\} 1$/m);
    assert.match(text, /^slipway_http_request_duration_seconds_count\{route="upload\.start"\} 1$/m);
    const bytesIn = /^slipway_http_request_bytes_total\{route="upload\.start"\} (\d+)$/m.exec(text);
    assert.ok(bytesIn !== null && Number(bytesIn[1]) >= 10_000, 'bytes received are counted');
    assert.match(text, /^slipway_process_resident_memory_bytes \d+$/m);
  });

  it('gives unknown paths and methods their proper errors', async () => {
    assert.equal((await fetch(`${slipway.url}/nowhere`)).status, 404);
    const api = registryHttp(slipway.url);
    const authed = api.withToken(await api.login('admin', slipway.adminPassword, ['repository:platform-dev/x:pull,push,delete']));
    const res = await authed.request('POST', `/v2/platform-dev/x/manifests/latest`);
    assert.equal(res.status, 405);
    assert.equal(res.headers.get('allow'), 'HEAD, GET, PUT, DELETE');
    assert.equal(res.json<{ errors: { code: string }[] }>().errors[0]?.code, 'UNSUPPORTED');
  });

  it('says registry/2.0 on every /v2 answer, the 401 challenge and errors included (Docker reads it to recognise a v2 registry)', async () => {
    const challenge = await fetch(`${slipway.url}/v2/`);
    assert.equal(challenge.status, 401);
    assert.ok(challenge.headers.get('www-authenticate')?.startsWith('Bearer '));
    for (const response of [challenge, await fetch(`${slipway.url}/v2/no/such/endpoint/here`), await fetch(`${slipway.url}/v2/platform-dev/x/tags/list`)]) {
      assert.equal(response.headers.get('docker-distribution-api-version'), 'registry/2.0', response.url);
    }
    assert.equal((await fetch(`${slipway.url}/healthz`)).headers.get('docker-distribution-api-version'), null, 'only the registry API says it');
  });
});

describe('graceful shutdown', () => {
  let slipway: TestSlipway;
  let api: RegistryHttp;
  let token: string;

  before(async () => {
    slipway = await startSlipway({ config: { shutdownGraceSeconds: 5 } });
    api = registryHttp(slipway.url);
    token = await api.login('admin', slipway.adminPassword, ['repository:platform-dev/drain:pull,push']);
    api = api.withToken(token);
  });
  after(() => slipway.stop());

  it('lets an upload in flight finish, then refuses new connections', async () => {
    const start = await api.request('POST', '/v2/platform-dev/drain/blobs/uploads/');
    const location = start.headers.get('location') ?? '';
    const body = randomBytes(200_000);
    const response = new Promise<number>((resolve, reject) => {
      const req = request(new URL(location, slipway.url), {
        method: 'PATCH',
        headers: { authorization: `Bearer ${token}`, 'content-length': String(body.byteLength) },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.write(body.subarray(0, 50_000));
      setTimeout(() => req.end(body.subarray(50_000)), 300);
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const closing = slipway.app.close();
    assert.equal(await response, 202, 'the in-flight PATCH completed');
    await closing;
    await assert.rejects(() => fetch(`${slipway.url}/healthz`), 'the server no longer accepts connections');
  });
});
