import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { databaseKinds } from '../testing/databases.ts';
import { registryHttp, sha256, type RegistryHttp } from '../testing/registry-http.ts';
import { startSlipway, type TestSlipway } from '../testing/slipway-server.ts';

const REPO = 'platform-dev/manifests';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

interface Errors {
  errors: { code: string; message: string; detail?: unknown }[];
}

for (const kind of databaseKinds) {
  describe(`manifests, tags and referrers over HTTP (${kind})`, () => {
    let slipway: TestSlipway;
    let api: RegistryHttp;

    before(async () => {
      slipway = await startSlipway({ database: kind });
      api = registryHttp(slipway.url);
      api = api.withToken(await api.login('admin', slipway.adminPassword, [`repository:${REPO}:pull,push,delete`, 'registry:catalog:*']));
    });
    after(() => slipway.stop());

    async function blob(content: Buffer | string, repo = REPO, client = api): Promise<{ mediaType: string; digest: string; size: number }> {
      const res = await client.request('POST', `/v2/${repo}/blobs/uploads/?digest=${sha256(content)}`, { body: content });
      assert.equal(res.status, 201);
      return { mediaType: 'application/octet-stream', digest: sha256(content), size: Buffer.byteLength(content) };
    }

    async function image(tag: string, extra: Record<string, unknown> = {}): Promise<{ bytes: string; digest: string; size: number }> {
      const config = await blob(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, tag }));
      const layer = await blob(randomBytes(256));
      const bytes = JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: { ...config, mediaType: 'application/vnd.oci.image.config.v1+json' },
        layers: [{ ...layer, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' }],
        ...extra,
      });
      const res = await api.request('PUT', `/v2/${REPO}/manifests/${tag}`, { body: bytes, headers: { 'content-type': OCI_MANIFEST } });
      assert.equal(res.status, 201, res.body.toString());
      return { bytes, digest: sha256(bytes), size: Buffer.byteLength(bytes) };
    }

    it('stores a manifest verbatim and serves it by tag and by digest', async () => {
      const pushed = await image('1.0.0');
      for (const reference of ['1.0.0', pushed.digest]) {
        const get = await api.request('GET', `/v2/${REPO}/manifests/${reference}`, { headers: { accept: OCI_MANIFEST } });
        assert.equal(get.status, 200);
        assert.equal(get.body.toString(), pushed.bytes);
        assert.equal(get.headers.get('content-type'), OCI_MANIFEST);
        assert.equal(get.headers.get('docker-content-digest'), pushed.digest);
        const head = await api.request('HEAD', `/v2/${REPO}/manifests/${reference}`);
        assert.equal(head.headers.get('content-length'), String(pushed.size));
        assert.equal(head.headers.get('docker-content-digest'), pushed.digest);
      }
      const byDigest = await api.request('PUT', `/v2/${REPO}/manifests/${pushed.digest}`, { body: pushed.bytes, headers: { 'content-type': OCI_MANIFEST } });
      assert.equal(byDigest.status, 201);
      assert.equal(byDigest.headers.get('location'), `/v2/${REPO}/manifests/${pushed.digest}`);
    });

    it('keeps unusual but valid JSON byte for byte', async () => {
      const config = await blob('{}');
      const bytes = `{\n  "schemaVersion": 2,  "mediaType": "${OCI_MANIFEST}",\n  "config": {"mediaType":"application/vnd.oci.empty.v1+json","digest":"${config.digest}","size":2},\n  "layers": [], "x-unknown": {"kept": true}\n}\n`;
      const res = await api.request('PUT', `/v2/${REPO}/manifests/odd`, { body: bytes, headers: { 'content-type': OCI_MANIFEST } });
      assert.equal(res.status, 201);
      assert.equal((await api.request('GET', `/v2/${REPO}/manifests/odd`)).body.toString(), bytes);
    });

    it('refuses a manifest whose blobs are missing, naming each, and stores nothing', async () => {
      const missing = [sha256('missing config'), sha256('missing layer')];
      const bytes = JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: missing[0], size: 10 },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: missing[1], size: 10 }],
      });
      const res = await api.request('PUT', `/v2/${REPO}/manifests/broken`, { body: bytes, headers: { 'content-type': OCI_MANIFEST } });
      assert.equal(res.status, 400);
      const { errors } = res.json<Errors>();
      assert.deepEqual(errors.map((e) => e.code), ['MANIFEST_BLOB_UNKNOWN', 'MANIFEST_BLOB_UNKNOWN']);
      assert.deepEqual(errors.map((e) => (e.detail as { digest: string }).digest), missing);
      assert.equal((await api.request('GET', `/v2/${REPO}/manifests/broken`)).status, 404);
      assert.equal((await api.request('GET', `/v2/${REPO}/manifests/${sha256(bytes)}`)).status, 404);
    });

    it('refuses an index whose children are missing', async () => {
      const bytes = JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ mediaType: OCI_MANIFEST, digest: sha256('nope'), size: 4 }] });
      const res = await api.request('PUT', `/v2/${REPO}/manifests/idx`, { body: bytes, headers: { 'content-type': OCI_INDEX } });
      assert.equal(res.status, 400);
      assert.equal(res.json<Errors>().errors[0]?.code, 'MANIFEST_BLOB_UNKNOWN');
    });

    it('refuses invalid, mismatched, schema 1 and oversize manifests', async () => {
      const pushed = await image('valid');
      const cases: [string, string, string | Buffer, string, number, string][] = [
        ['not JSON', 'x1', '{nope', OCI_MANIFEST, 400, 'MANIFEST_INVALID'],
        ['digest in URL differs', sha256('other'), pushed.bytes, OCI_MANIFEST, 400, 'DIGEST_INVALID'],
        ['malformed digest in URL', 'sha256:baddigeststring', pushed.bytes, OCI_MANIFEST, 400, 'DIGEST_INVALID'],
        ['content type differs', 'x2', pushed.bytes, OCI_INDEX, 400, 'MANIFEST_INVALID'],
        ['schema 1', 'x3', JSON.stringify({ schemaVersion: 1, name: 'a', tag: 'b', fsLayers: [] }), 'application/vnd.docker.distribution.manifest.v1+prettyjws', 400, 'MANIFEST_INVALID'],
        ['bad tag', 'bad+tag', pushed.bytes, OCI_MANIFEST, 400, 'TAG_INVALID'],
        ['over 4 MiB', 'big', Buffer.alloc(4 * 1024 * 1024 + 1, 0x20), OCI_MANIFEST, 413, 'SIZE_INVALID'],
      ];
      for (const [what, reference, body, contentType, status, code] of cases) {
        const res = await api.request('PUT', `/v2/${REPO}/manifests/${reference}`, { body, headers: { 'content-type': contentType } });
        assert.equal(res.status, status, what);
        assert.equal(res.json<Errors>().errors[0]?.code, code, what);
      }
      const schema1 = await api.request('PUT', `/v2/${REPO}/manifests/x3`, {
        body: JSON.stringify({ schemaVersion: 1 }),
        headers: { 'content-type': 'application/vnd.docker.distribution.manifest.v1+json' },
      });
      assert.match(schema1.json<Errors>().errors[0]?.message ?? '', /schema 1/);
      assert.equal((await api.request('GET', `/v2/${REPO}/manifests/big`)).status, 404);
    });

    it('refuses bad names and pushes to projects that do not exist', async () => {
      const bad = await api.request('GET', '/v2/Platform-Dev/App/tags/list');
      assert.equal(bad.status, 400);
      assert.equal(bad.json<Errors>().errors[0]?.code, 'NAME_INVALID');
      const single = await api.request('GET', '/v2/lonely/tags/list');
      assert.equal(single.json<Errors>().errors[0]?.code, 'NAME_INVALID');
      const admin = api.withToken(await api.login('admin', slipway.adminPassword, ['repository:no-such-project/app:pull,push']));
      const res = await admin.request('POST', '/v2/no-such-project/app/blobs/uploads/');
      assert.equal(res.status, 404);
      const error = res.json<Errors>().errors[0];
      assert.equal(error?.code, 'NAME_UNKNOWN');
      assert.match(error?.message ?? '', /project no-such-project does not exist/);
    });

    it('indexes referrers, answers OCI-Subject and filters by artifact type', async () => {
      const subject = await image('with-referrers');
      const empty = await blob('{}');
      const referrer = async (artifactType: string, payload: string) => {
        const layer = await blob(payload);
        const bytes = JSON.stringify({
          schemaVersion: 2,
          mediaType: OCI_MANIFEST,
          artifactType,
          config: { ...empty, mediaType: 'application/vnd.oci.empty.v1+json' },
          layers: [{ ...layer, mediaType: artifactType }],
          subject: { mediaType: OCI_MANIFEST, digest: subject.digest, size: subject.size },
          annotations: { 'org.opencontainers.image.created': '2026-11-23T00:00:00Z' },
        });
        const res = await api.request('PUT', `/v2/${REPO}/manifests/${sha256(bytes)}`, { body: bytes, headers: { 'content-type': OCI_MANIFEST } });
        assert.equal(res.status, 201);
        assert.equal(res.headers.get('oci-subject'), subject.digest);
        return { digest: sha256(bytes), size: Buffer.byteLength(bytes) };
      };
      const sbom = await referrer('application/spdx+json', '{"spdxVersion":"SPDX-2.3"}');
      const sig = await referrer('application/vnd.dev.sigstore.bundle.v0.3+json', '{"bundle":1}');

      const all = await api.request('GET', `/v2/${REPO}/referrers/${subject.digest}`);
      assert.equal(all.status, 200);
      assert.equal(all.headers.get('content-type'), OCI_INDEX);
      assert.equal(all.headers.get('oci-filters-applied'), null);
      const index = all.json<{ manifests: { digest: string; artifactType: string; size: number; annotations: Record<string, string> }[] }>();
      assert.deepEqual(index.manifests.map((m) => m.digest).sort(), [sbom.digest, sig.digest].sort());
      assert.deepEqual(index.manifests.find((m) => m.digest === sbom.digest), {
        mediaType: OCI_MANIFEST,
        digest: sbom.digest,
        size: sbom.size,
        artifactType: 'application/spdx+json',
        annotations: { 'org.opencontainers.image.created': '2026-11-23T00:00:00Z' },
      });
      const filtered = await api.request('GET', `/v2/${REPO}/referrers/${subject.digest}?artifactType=application/spdx%2Bjson`);
      assert.equal(filtered.headers.get('oci-filters-applied'), 'artifactType');
      assert.deepEqual(filtered.json<{ manifests: { digest: string }[] }>().manifests.map((m) => m.digest), [sbom.digest]);

      const none = await api.request('GET', `/v2/${REPO}/referrers/${sha256('nothing refers to this')}`);
      assert.equal(none.status, 200);
      assert.deepEqual(none.json(), { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [] });
      assert.equal((await api.request('GET', `/v2/${REPO}/referrers/sha256:nothex`)).status, 400);
    });

    it('accepts a referrer whose subject is absent', async () => {
      const empty = await blob('{}');
      const bytes = JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        artifactType: 'application/vnd.example+type',
        config: { ...empty, mediaType: 'application/vnd.oci.empty.v1+json' },
        layers: [{ ...empty, mediaType: 'application/vnd.oci.empty.v1+json' }],
        subject: { mediaType: OCI_MANIFEST, digest: sha256('never pushed'), size: 12 },
      });
      const res = await api.request('PUT', `/v2/${REPO}/manifests/${sha256(bytes)}`, { body: bytes, headers: { 'content-type': OCI_MANIFEST } });
      assert.equal(res.status, 201);
      assert.equal(res.headers.get('oci-subject'), sha256('never pushed'));
    });

    it('pages tags with n, last and Link', async () => {
      const repo = 'platform-dev/paged';
      const api2 = api.withToken(await api.login('admin', slipway.adminPassword, [`repository:${repo}:pull,push`]));
      const config = await blob('{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}', repo, api2);
      const bytes = JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: { ...config, mediaType: 'application/vnd.oci.image.config.v1+json' }, layers: [] });
      for (const tag of ['v3', 'v1', 'v2', 'latest', 'V4']) {
        await api2.request('PUT', `/v2/${repo}/manifests/${tag}`, { body: bytes, headers: { 'content-type': OCI_MANIFEST } });
      }
      const first = await api2.request('GET', `/v2/${repo}/tags/list?n=2`);
      assert.deepEqual(first.json(), { name: repo, tags: ['V4', 'latest'] });
      assert.equal(first.headers.get('link'), `</v2/${repo}/tags/list?last=latest&n=2>; rel="next"`);
      const second = await api2.request('GET', `/v2/${repo}/tags/list?last=latest&n=2`);
      assert.deepEqual(second.json<{ tags: string[] }>().tags, ['v1', 'v2']);
      const last = await api2.request('GET', `/v2/${repo}/tags/list?last=v2&n=2`);
      assert.deepEqual(last.json<{ tags: string[] }>().tags, ['v3']);
      assert.equal(last.headers.get('link'), null);
      assert.deepEqual((await api2.request('GET', `/v2/${repo}/tags/list?n=0`)).json<{ tags: string[] }>().tags, []);
      const bad = await api2.request('GET', `/v2/${repo}/tags/list?n=-1`);
      assert.equal(bad.json<Errors>().errors[0]?.code, 'PAGINATION_NUMBER_INVALID');
      const unknown = api.withToken(await api.login('admin', slipway.adminPassword, ['repository:platform-dev/never-pushed:pull']));
      const missing = await unknown.request('GET', '/v2/platform-dev/never-pushed/tags/list');
      assert.equal(missing.status, 404);
      assert.equal(missing.json<Errors>().errors[0]?.code, 'NAME_UNKNOWN');
    });

    it('deletes tags and manifests, but not a manifest an index still needs', async () => {
      const child = await image('child');
      const indexBytes = JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_INDEX,
        manifests: [{ mediaType: OCI_MANIFEST, digest: child.digest, size: child.size, platform: { architecture: 'amd64', os: 'linux' } }],
      });
      assert.equal((await api.request('PUT', `/v2/${REPO}/manifests/multi`, { body: indexBytes, headers: { 'content-type': OCI_INDEX } })).status, 201);
      const refused = await api.request('DELETE', `/v2/${REPO}/manifests/${child.digest}`);
      assert.equal(refused.status, 409);
      assert.match(refused.json<Errors>().errors[0]?.message ?? '', /delete the index first/);

      assert.equal((await api.request('DELETE', `/v2/${REPO}/manifests/multi`)).status, 202, 'untag');
      assert.equal((await api.request('GET', `/v2/${REPO}/manifests/multi`)).status, 404);
      assert.equal((await api.request('GET', `/v2/${REPO}/manifests/${sha256(indexBytes)}`)).status, 200, 'untagging keeps the index');
      assert.equal((await api.request('DELETE', `/v2/${REPO}/manifests/${sha256(indexBytes)}`)).status, 202);
      assert.equal((await api.request('DELETE', `/v2/${REPO}/manifests/${child.digest}`)).status, 202);
      for (const reference of ['child', child.digest]) assert.equal((await api.request('GET', `/v2/${REPO}/manifests/${reference}`)).status, 404);
      assert.equal((await api.request('DELETE', `/v2/${REPO}/manifests/${child.digest}`)).status, 404);
    });

    it('leaves one winner when the same tag is pushed concurrently', async () => {
      const pushed = await Promise.all(Array.from({ length: 5 }, (_, i) => image(`race-${i}`)));
      const results = await Promise.all(
        pushed.map((p) => api.request('PUT', `/v2/${REPO}/manifests/race`, { body: p.bytes, headers: { 'content-type': OCI_MANIFEST } })),
      );
      assert.ok(results.every((r) => r.status === 201));
      const winner = (await api.request('GET', `/v2/${REPO}/manifests/race`)).headers.get('docker-content-digest');
      assert.ok(pushed.some((p) => p.digest === winner));
    });

    it('honours conditional PUTs by tag: If-None-Match: * and If-Match the ETag; exactly one racer wins, the others get 412', async () => {
      const [a, b, c] = await Promise.all([image('cond-a'), image('cond-b'), image('cond-c')]);
      const put = (bytes: string, headers: Record<string, string>) =>
        api.request('PUT', `/v2/${REPO}/manifests/cond`, { body: bytes, headers: { 'content-type': OCI_MANIFEST, ...headers } });
      const tagged = async () => (await api.request('GET', `/v2/${REPO}/manifests/cond`, { headers: { accept: OCI_MANIFEST } })).headers.get('etag');
      assert.equal((await put(a?.bytes ?? '', { 'if-none-match': '*' })).status, 201, 'a new tag');
      const again = await put(b?.bytes ?? '', { 'if-none-match': '*' });
      assert.equal(again.status, 412, 'the tag exists now');
      assert.equal(again.json<Errors>().errors[0]?.code, 'PRECONDITION');
      assert.equal(await tagged(), `"${a?.digest}"`, 'a refused PUT moves nothing');
      const etag = (await tagged()) ?? '';
      const racers = await Promise.all([b, c].map((m) => put(m?.bytes ?? '', { 'if-match': etag })));
      assert.deepEqual(racers.map((r) => r.status).toSorted((x, y) => x - y), [201, 412], 'one of two writers that read the same ETag wins');
      const winner = racers[0]?.status === 201 ? b : c;
      assert.equal(await tagged(), `"${winner?.digest}"`);
      assert.equal((await put(a?.bytes ?? '', { 'if-match': 'W/"weak"' })).status, 400, 'what is not a manifest ETag is refused, not ignored');
      assert.equal((await api.request('PUT', `/v2/${REPO}/manifests/${a?.digest}`, { body: a?.bytes ?? '', headers: { 'content-type': OCI_MANIFEST, 'if-match': etag } })).status, 400, 'by digest: no tag to condition on');
    });

    it('lists the catalog to those holding the catalog scope, page by page', async () => {
      const first = await api.request('GET', '/v2/_catalog?n=1');
      assert.equal(first.status, 200);
      assert.equal(first.json<{ repositories: string[] }>().repositories.length, 1);
      assert.match(first.headers.get('link') ?? '', /^<\/v2\/_catalog\?last=.+&n=1>; rel="next"$/);
      const anonymous = registryHttp(slipway.url);
      assert.equal((await anonymous.request('GET', '/v2/_catalog')).status, 401);
    });
  });
}
