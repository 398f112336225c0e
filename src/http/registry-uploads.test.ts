import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { databaseKinds } from '../testing/databases.ts';
import { registryHttp, sendTruncated, sha256, type RegistryHttp } from '../testing/registry-http.ts';
import { startSlipway, type TestSlipway } from '../testing/slipway-server.ts';

const REPO = 'platform-dev/uploads';

for (const kind of databaseKinds) {
  describe(`blob uploads over HTTP (${kind})`, () => {
    let slipway: TestSlipway;
    let api: RegistryHttp;

    before(async () => {
      slipway = await startSlipway({ database: kind });
      const anonymous = registryHttp(slipway.url);
      api = anonymous.withToken(await anonymous.login('admin', slipway.adminPassword, [`repository:${REPO}:pull,push,delete`]));
    });
    after(() => slipway.stop());

    async function start(): Promise<string> {
      const res = await api.request('POST', `/v2/${REPO}/blobs/uploads/`);
      assert.equal(res.status, 202);
      assert.equal(res.headers.get('range'), '0-0');
      const location = res.headers.get('location');
      assert.ok(location !== null && location.startsWith(`/v2/${REPO}/blobs/uploads/`));
      return location;
    }

    it('uploads a blob in one POST and serves it whole and by range', async () => {
      const blob = randomBytes(2048);
      const digest = sha256(blob);
      const put = await api.request('POST', `/v2/${REPO}/blobs/uploads/?digest=${digest}`, { body: blob });
      assert.equal(put.status, 201);
      assert.equal(put.headers.get('location'), `/v2/${REPO}/blobs/${digest}`);
      assert.equal(put.headers.get('docker-content-digest'), digest);

      const head = await api.request('HEAD', `/v2/${REPO}/blobs/${digest}`);
      assert.equal(head.status, 200);
      assert.equal(head.headers.get('content-length'), '2048');
      assert.equal(head.headers.get('docker-content-digest'), digest);
      assert.equal(head.body.byteLength, 0);
      assert.deepEqual((await api.request('GET', `/v2/${REPO}/blobs/${digest}`)).body, blob);

      const cases: [string, number, string | undefined, Buffer | undefined][] = [
        ['bytes=500-1499', 206, 'bytes 500-1499/2048', blob.subarray(500, 1500)],
        ['bytes=500-', 206, 'bytes 500-2047/2048', blob.subarray(500)],
        ['bytes=-500', 206, 'bytes 1548-2047/2048', blob.subarray(1548)],
        ['bytes=2000-5000', 206, 'bytes 2000-2047/2048', blob.subarray(2000)],
        ['bytes=5000-10000', 416, 'bytes */2048', undefined],
        ['bytes=500-0', 416, 'bytes */2048', undefined],
      ];
      for (const [range, status, contentRange, body] of cases) {
        const res = await api.request('GET', `/v2/${REPO}/blobs/${digest}`, { headers: { range } });
        assert.equal(res.status, status, range);
        assert.equal(res.headers.get('content-range'), contentRange, range);
        if (body !== undefined) assert.deepEqual(res.body, body, range);
      }
      const notModified = await api.request('GET', `/v2/${REPO}/blobs/${digest}`, { headers: { 'if-none-match': `"${digest}"` } });
      assert.equal(notModified.status, 304);
    });

    it('takes a streamed PATCH and a closing PUT without body', async () => {
      const blob = randomBytes(100_000);
      const location = await start();
      const patch = await api.request('PATCH', location, { body: blob, headers: { 'content-type': 'application/octet-stream' } });
      assert.equal(patch.status, 202);
      assert.equal(patch.headers.get('range'), '0-99999');
      const put = await api.request('PUT', `${patch.headers.get('location')}?digest=${sha256(blob)}`, { headers: { 'content-length': '0' } });
      assert.equal(put.status, 201);
      assert.deepEqual((await api.request('GET', `/v2/${REPO}/blobs/${sha256(blob)}`)).body, blob);
    });

    it('takes chunks in order, refuses gaps and replays with 416, and reports progress', async () => {
      const blob = randomBytes(3000);
      const location = await start();
      const outOfOrder = await api.request('PATCH', location, { body: blob.subarray(1000, 2000), headers: { 'content-range': '1000-1999' } });
      assert.equal(outOfOrder.status, 416);
      assert.equal(outOfOrder.json<{ errors: { code: string }[] }>().errors[0]?.code, 'RANGE_INVALID');

      const first = await api.request('PATCH', location, { body: blob.subarray(0, 1000), headers: { 'content-range': '0-999' } });
      assert.equal(first.status, 202);
      assert.equal(first.headers.get('range'), '0-999');
      const replay = await api.request('PATCH', location, { body: blob.subarray(0, 1000), headers: { 'content-range': '0-999' } });
      assert.equal(replay.status, 416, 'replaying an accepted chunk is refused');

      const status = await api.request('GET', location);
      assert.equal(status.status, 204);
      assert.equal(status.headers.get('range'), '0-999', 'the upload is intact after the refused chunks');
      assert.ok(status.headers.get('location'));

      const mismatch = await api.request('PATCH', location, { body: blob.subarray(1000, 1500), headers: { 'content-range': '1000-1999' } });
      assert.equal(mismatch.status, 400, 'Content-Length disagreeing with Content-Range');
      const second = await api.request('PATCH', location, { body: blob.subarray(1000, 2000), headers: { 'content-range': '1000-1999' } });
      assert.equal(second.headers.get('range'), '0-1999');
      const close = await api.request('PUT', `${location}?digest=${sha256(blob)}`, {
        body: blob.subarray(2000),
        headers: { 'content-range': '2000-2999' },
      });
      assert.equal(close.status, 201);
      assert.deepEqual((await api.request('GET', `/v2/${REPO}/blobs/${sha256(blob)}`)).body, blob);
    });

    it('refuses a wrong digest and stores nothing', async () => {
      const blob = randomBytes(512);
      const wrong = sha256('something else');
      const monolithic = await api.request('POST', `/v2/${REPO}/blobs/uploads/?digest=${wrong}`, { body: blob });
      assert.equal(monolithic.status, 400);
      assert.equal(monolithic.json<{ errors: { code: string }[] }>().errors[0]?.code, 'DIGEST_INVALID');
      assert.equal((await api.request('HEAD', `/v2/${REPO}/blobs/${wrong}`)).status, 404);
      assert.equal((await api.request('HEAD', `/v2/${REPO}/blobs/${sha256(blob)}`)).status, 404);

      const location = await start();
      await api.request('PATCH', location, { body: blob });
      const close = await api.request('PUT', `${location}?digest=${wrong}`);
      assert.equal(close.status, 400);
      assert.equal(close.json<{ errors: { code: string }[] }>().errors[0]?.code, 'DIGEST_INVALID');
      assert.equal((await api.request('HEAD', `/v2/${REPO}/blobs/${sha256(blob)}`)).status, 404);
      const malformed = await api.request('PUT', `${location}?digest=sha256:xyz`);
      assert.equal(malformed.status, 400);
      assert.equal((await api.request('PUT', `${location}?digest=${sha256(blob)}`)).status, 201, 'the session survives a wrong digest');
    });

    it('loses nothing to a truncated upload', async () => {
      const blob = randomBytes(200_000);
      const location = await start();
      await api.request('PATCH', location, { body: blob.subarray(0, 50_000), headers: { 'content-range': '0-49999' } });
      const auth = { authorization: `Bearer ${await api.login('admin', slipway.adminPassword, [`repository:${REPO}:pull,push`])}` };
      await sendTruncated(api.base, 'PATCH', location, { ...auth, 'content-range': '50000-199999' }, blob.subarray(50_000), 60_000);
      await waitFor(async () => (await api.request('GET', location)).headers.get('range') === '0-49999');
      const resumed = await api.request('PATCH', location, { body: blob.subarray(50_000), headers: { 'content-range': '50000-199999' } });
      assert.equal(resumed.status, 202);
      assert.equal((await api.request('PUT', `${location}?digest=${sha256(blob)}`)).status, 201);

      const other = randomBytes(100_000);
      await sendTruncated(api.base, 'POST', `/v2/${REPO}/blobs/uploads/?digest=${sha256(other)}`, auth, other, 30_000);
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal((await api.request('HEAD', `/v2/${REPO}/blobs/${sha256(other)}`)).status, 404, 'a cut monolithic upload stores nothing');
    });

    it('answers unknown upload ids with BLOB_UPLOAD_UNKNOWN', async () => {
      for (const method of ['GET', 'PATCH', 'PUT', 'DELETE']) {
        const res = await api.request(method, `/v2/${REPO}/blobs/uploads/00000000-0000-4000-8000-000000000000?digest=${sha256('')}`);
        assert.equal(res.status, 404, method);
        assert.equal(res.json<{ errors: { code: string }[] }>().errors[0]?.code, 'BLOB_UPLOAD_UNKNOWN', method);
      }
    });

    it('cancels an upload and removes its data', async () => {
      const location = await start();
      await api.request('PATCH', location, { body: randomBytes(1000) });
      assert.equal((await api.request('DELETE', location)).status, 204);
      assert.equal((await api.request('GET', location)).status, 404);
    });

    it('expires abandoned uploads with their temporary data', async () => {
      const location = await start();
      await api.request('PATCH', location, { body: randomBytes(1000) });
      const id = location.split('/').at(-1) ?? '';
      assert.ok((await readdir(join(slipway.blobRoot, 'uploads'))).includes(id));
      await new Promise((resolve) => setTimeout(resolve, 20));
      assert.ok((await slipway.app.registry.blobs.expireUploads(10)) >= 1);
      assert.equal((await api.request('GET', location)).status, 404);
      assert.ok(!(await readdir(join(slipway.blobRoot, 'uploads'))).includes(id), 'temporary data removed');
    });

    it('uploads empty and sha512 blobs', async () => {
      const empty = sha256('');
      assert.equal((await api.request('POST', `/v2/${REPO}/blobs/uploads/?digest=${empty}`, { body: '' })).status, 201);
      assert.equal((await api.request('HEAD', `/v2/${REPO}/blobs/${empty}`)).headers.get('content-length'), '0');
      const blob = randomBytes(4096);
      const digest512 = `sha512:${(await import('node:crypto')).createHash('sha512').update(blob).digest('hex')}`;
      const location = await start();
      assert.equal((await api.request('PUT', `${location}?digest=${digest512}`, { body: blob })).status, 201);
      assert.deepEqual((await api.request('GET', `/v2/${REPO}/blobs/${digest512}`)).body, blob);
    });

    it('mounts across repositories only when the caller may pull the source', async () => {
      const blob = randomBytes(1024);
      const digest = sha256(blob);
      await api.request('POST', `/v2/${REPO}/blobs/uploads/?digest=${digest}`, { body: blob });
      const target = 'platform-staging/uploads';
      const narrow = api.withToken(await api.login('admin', slipway.adminPassword, [`repository:${target}:pull,push`]));
      const refused = await narrow.request('POST', `/v2/${target}/blobs/uploads/?mount=${digest}&from=${REPO}`);
      assert.equal(refused.status, 202, 'without pull on the source, a normal upload starts');
      assert.ok(refused.headers.get('location')?.startsWith(`/v2/${target}/blobs/uploads/`));
      assert.equal((await narrow.request('HEAD', `/v2/${target}/blobs/${digest}`)).status, 404);

      const wide = api.withToken(await api.login('admin', slipway.adminPassword, [`repository:${target}:pull,push`, `repository:${REPO}:pull`]));
      const mounted = await wide.request('POST', `/v2/${target}/blobs/uploads/?mount=${digest}&from=${REPO}`);
      assert.equal(mounted.status, 201);
      assert.equal(mounted.headers.get('location'), `/v2/${target}/blobs/${digest}`);
      assert.deepEqual((await wide.request('GET', `/v2/${target}/blobs/${digest}`)).body, blob);
      const missing = await wide.request('POST', `/v2/${target}/blobs/uploads/?mount=${sha256('absent')}&from=${REPO}`);
      assert.equal(missing.status, 202, 'a blob the source does not have: a normal upload');
    });

    it('keeps one intact blob when the same blob is uploaded concurrently', async () => {
      const blob = randomBytes(300_000);
      const results = await Promise.all(
        Array.from({ length: 6 }, () => api.request('POST', `/v2/${REPO}/blobs/uploads/?digest=${sha256(blob)}`, { body: blob })),
      );
      assert.deepEqual(results.map((r) => r.status), [201, 201, 201, 201, 201, 201]);
      assert.deepEqual((await api.request('GET', `/v2/${REPO}/blobs/${sha256(blob)}`)).body, blob);
    });

    it('unlinks a deleted blob from the repository', async () => {
      const blob = randomBytes(64);
      await api.request('POST', `/v2/${REPO}/blobs/uploads/?digest=${sha256(blob)}`, { body: blob });
      assert.equal((await api.request('DELETE', `/v2/${REPO}/blobs/${sha256(blob)}`)).status, 202);
      assert.equal((await api.request('GET', `/v2/${REPO}/blobs/${sha256(blob)}`)).status, 404);
      assert.equal((await api.request('DELETE', `/v2/${REPO}/blobs/${sha256(blob)}`)).status, 404);
    });
  });
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
