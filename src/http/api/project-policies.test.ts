import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { fixedCredentials } from '../../core/oci/client/credentials.ts';
import { createRegistryClient, type RegistryClient, type RepositoryClient } from '../../core/oci/client/registry-client.ts';
import { digestHex } from '../../core/oci/digest.ts';
import { MediaType } from '../../core/oci/media-types.ts';
import { databaseKinds } from '../../testing/databases.ts';
import { apiCaller, type ApiCaller } from '../../testing/management-api.ts';
import { registryHttp, type RegistryHttp } from '../../testing/registry-http.ts';
import { startSlipway, type TestSlipway } from '../../testing/slipway-server.ts';
import { until } from '../../testing/until.ts';
import { buildCosignSignatureManifest, buildImage, buildIndex, pushIndexToRegistry, pushToRegistry, type TestImage } from '../../testing/test-images.ts';

const repoSelector = { repository: [{ kind: 'doublestar', decoration: 'repoMatches', pattern: '**' }] };
type Errors = { errors: { code: string; message: string }[] };

/** Project policies as users meet them, through the real registry and management APIs, on both databases. */
for (const kind of databaseKinds) {
  describe(`project policies (${kind})`, () => {
    let server: TestSlipway;
    let admin: ApiCaller;
    let client: RegistryClient;
    let http: RegistryHttp;

    const repo = (name: string): RepositoryClient => client.repository(server.host, name);
    const push = (name: string, image: TestImage, tag: string) => pushToRegistry(repo(name), [image.config, ...image.layers], image.manifest, tag);
    const adminHttp = async (name: string) => http.withToken(await http.login('admin', server.adminPassword, [`repository:${name}:pull,push,delete`]));

    before(async () => {
      server = await startSlipway({ database: kind, projects: [] });
      admin = apiCaller(server.url, { username: 'admin', password: server.adminPassword });
      client = createRegistryClient({ insecure: true, credentials: fixedCredentials({ kind: 'basic', username: 'admin', password: server.adminPassword }), retry: { attempts: 1 } });
      http = registryHttp(server.url);
    });
    after(async () => {
      client.close();
      await server.stop();
    });

    it('refuses a push into a project that does not exist, naming it', async () => {
      await admin.ok('POST', '/projects', { project_name: 'existing' });
      await assert.rejects(push('nowhere/app', buildImage({ seed: 'nowhere' }), 'v1'), /project nowhere does not exist/);
    });

    it('immutability blocks overwrite and delete of a matching tag and allows the others', async () => {
      await admin.ok('POST', '/projects', { project_name: 'immutable' });
      await admin.ok('POST', '/projects/immutable/immutabletagrules', { tag_selectors: [{ kind: 'doublestar', decoration: 'matches', pattern: 'release-*' }], scope_selectors: repoSelector });
      const first = buildImage({ seed: `imm-1-${kind}` });
      const second = buildImage({ seed: `imm-2-${kind}` });
      await push('immutable/app', first, 'release-1');
      await push('immutable/app', first, 'release-1'); // the very same manifest again changes nothing: allowed
      await push('immutable/app', first, 'dev-1');
      const raw = await adminHttp('immutable/app');
      for (const image of [first, second]) for (const blob of [image.config, ...image.layers]) await repo('immutable/app').uploadBlob(blob.descriptor, () => Promise.resolve(Readable.from([blob.bytes])));

      const overwrite = await raw.request('PUT', '/v2/immutable/app/manifests/release-1', { body: second.manifest.bytes, headers: { 'content-type': MediaType.ociManifest } });
      assert.equal(overwrite.status, 412);
      assert.equal(overwrite.json<Errors>().errors[0]?.code, 'PRECONDITION');
      assert.equal(overwrite.json<Errors>().errors[0]?.message, "Failed to process request due to 'app:release-1' configured as immutable.");
      const untag = await raw.request('DELETE', '/v2/immutable/app/manifests/release-1');
      assert.equal(untag.status, 412);
      assert.equal(untag.json<Errors>().errors[0]?.message, 'the tag release-1 configured as immutable, cannot be deleted');
      const byDigest = await raw.request('DELETE', `/v2/immutable/app/manifests/${first.manifest.descriptor.digest}`);
      assert.equal(byDigest.status, 412, 'deleting the manifest would delete the immutable tag');
      const viaApi = await admin.call('DELETE', `/projects/immutable/repositories/app/artifacts/release-1/tags/release-1`);
      assert.equal(viaApi.status, 412);
      assert.equal((await repo('immutable/app').getManifest('release-1'))?.digest, first.manifest.descriptor.digest, 'release-1 still names the first image');

      const moved = await raw.request('PUT', '/v2/immutable/app/manifests/dev-1', { body: second.manifest.bytes, headers: { 'content-type': MediaType.ociManifest } });
      assert.equal(moved.status, 201, 'a tag outside the rule moves freely');
      assert.equal((await raw.request('DELETE', '/v2/immutable/app/manifests/dev-1')).status, 202);
      await push('immutable/app', second, 'release-2');
      assert.equal((await repo('immutable/app').getManifest('release-2'))?.digest, second.manifest.descriptor.digest, 'a new matching tag is pushed once');
    });

    it('a push over the storage quota is refused with the figures and leaves the existing content untouched', async () => {
      const small = buildImage({ seed: `quota-small-${kind}`, layers: 1, layerBytes: 20_000 });
      const big = buildImage({ seed: `quota-big-${kind}`, layers: 2, layerBytes: 60_000 });
      await admin.ok('POST', '/projects', { project_name: 'quota', storage_limit: 80_000 });
      await push('quota/app', small, 'v1');
      // The same layer in a second repository of the project is counted once.
      await push('quota/other', small, 'v1');
      const usage = await admin.ok<Record<string, unknown> & { quota: { used: { storage: number; count: number } } }>('GET', '/projects/quota/summary');
      const smallBytes = [small.config, ...small.layers, small.manifest].reduce((n, b) => n + b.bytes.byteLength, 0);
      assert.deepEqual(usage.quota.used, { storage: smallBytes, count: 1 });
      // Harbor's ProjectSummary fields: the creator is the project's admin.
      const { repo_count, project_admin_count, maintainer_count, developer_count, guest_count, limited_guest_count } = usage;
      assert.deepEqual({ repo_count, project_admin_count, maintainer_count, developer_count, guest_count, limited_guest_count }, {
        repo_count: 2,
        project_admin_count: 1,
        maintainer_count: 0,
        developer_count: 0,
        guest_count: 0,
        limited_guest_count: 0,
      });

      const raw = await adminHttp('quota/app');
      const layer = big.layers[1];
      assert.ok(layer !== undefined);
      const refused = await raw.request('POST', `/v2/quota/app/blobs/uploads/?digest=${layer.descriptor.digest}`, { body: layer.bytes, headers: { 'content-type': 'application/octet-stream' } });
      assert.equal(refused.status, 403);
      const error = refused.json<Errors>().errors[0];
      assert.equal(error?.code, 'DENIED');
      assert.match(error?.message ?? '', /^Quota exceeded when processing the request of adding [\d.]+ KiB of storage resource, which when updated to current usage of [\d.]+ KiB will exceed the configured upper limit of 78\.1 KiB\.$/);
      assert.equal((await raw.request('HEAD', `/v2/quota/app/blobs/${layer.descriptor.digest}`)).status, 404, 'the refused blob is not in the repository');
      assert.equal((await repo('quota/app').getManifest('v1'))?.digest, small.manifest.descriptor.digest, 'v1 is still served');
      const pulled = await repo('quota/app').openBlob(small.layers[0]?.descriptor.digest ?? small.config.descriptor.digest);
      let bytes = 0;
      for await (const chunk of pulled) bytes += (chunk as Buffer).byteLength;
      assert.equal(bytes, small.layers[0]?.bytes.byteLength);

      await admin.ok('PUT', '/projects/quota', { count_limit: 1 });
      const other = buildImage({ seed: `quota-count-${kind}`, layers: 1, layerBytes: 100 });
      await assert.rejects(push('quota/app', other, 'v2'), /Quota exceeded .* count resource/);
      // Refusals reach the audit log from the event bus, just after the answer.
      const audit = await until(() => admin.ok<{ username: string; operation_result: boolean }[]>('GET', '/audit-logs?resource_type=quota'), (entries) => entries.length >= 2, 'the quota refusals in the audit log');
      assert.ok(audit.every((e) => !e.operation_result), 'every refusal is in the audit log');
      assert.deepEqual([...new Set(audit.map((e) => e.username))], ['admin'], 'each names who pushed');

      const refusedRepo = await adminHttp('quota/refused');
      const noRoom = big.layers[0];
      assert.equal((await refusedRepo.request('POST', `/v2/quota/refused/blobs/uploads/?digest=${noRoom?.descriptor.digest ?? ''}`, { body: noRoom?.bytes ?? Buffer.alloc(0), headers: { 'content-type': 'application/octet-stream' } })).status, 403);
      const project = await admin.ok<{ repo_count: number }>('GET', '/projects/quota');
      assert.equal(project.repo_count, 2, 'a push refused outright leaves no repository behind');
      const listed = await admin.ok<{ name: string }[]>('GET', '/projects/quota/repositories');
      assert.deepEqual(listed.map((r) => r.name).toSorted((a, b) => a.localeCompare(b)), ['quota/app', 'quota/other']);
    });

    it('fails closed: prevent_vul without scan facts, and a signature requirement without a trusted signature, refuse pulls with 412', async () => {
      await admin.ok('POST', '/projects', { project_name: 'gated', metadata: { prevent_vul: 'true', severity: 'high' } });
      const image = buildImage({ seed: `gated-${kind}` });
      const index = buildIndex([buildImage({ seed: `gated-child-${kind}` })]);
      await push('gated/app', image, 'v1');
      await pushIndexToRegistry(repo('gated/app'), index, 'multi');
      const signature = buildCosignSignatureManifest({ subject: image.manifest.descriptor, dockerReference: `${server.host}/gated/app` });
      await pushToRegistry(repo('gated/app'), signature.blobs, signature.manifest, signature.tag);
      const raw = await adminHttp('gated/app');

      await admin.ok('POST', '/users', { username: `gate-guest-${kind}`, password: 'Gate-Guest-Password-1' });
      await admin.ok('POST', '/projects/gated/members', { role_id: 3, member_user: { username: `gate-guest-${kind}` } });
      const guest = http.withToken(await http.login(`gate-guest-${kind}`, 'Gate-Guest-Password-1', ['repository:gated/app:pull']));
      for (const method of ['GET', 'HEAD'] as const) {
        const blocked = await guest.request(method, '/v2/gated/app/manifests/v1', { headers: { accept: MediaType.ociManifest } });
        assert.equal(blocked.status, 412, `${method} is gated too`);
      }
      assert.equal((await raw.request('GET', '/v2/gated/app/manifests/v1', { headers: { accept: MediaType.ociManifest } })).status, 412, 'a pusher’s GET is gated');
      assert.equal((await raw.request('HEAD', '/v2/gated/app/manifests/v1', { headers: { accept: MediaType.ociManifest } })).status, 200, 'a pusher may HEAD it (to sign it)');
      const body = (await raw.request('GET', '/v2/gated/app/manifests/v1', { headers: { accept: MediaType.ociManifest } })).json<Errors>();
      assert.equal(body.errors[0]?.code, 'PROJECTPOLICYVIOLATION');
      assert.equal(
        body.errors[0]?.message,
        `current image without vulnerability scanning cannot be pulled due to configured policy in 'Prevent images with vulnerability severity of "High" or higher from running.' To continue with pull, please contact your project administrator for help.`,
      );
      assert.equal((await raw.request('GET', '/v2/gated/app/manifests/multi', { headers: { accept: MediaType.ociIndex } })).status, 200, 'an index passes; its children are checked when pulled');
      const child = index.images[0]?.manifest.descriptor.digest ?? '';
      assert.equal((await raw.request('GET', `/v2/gated/app/manifests/${child}`, { headers: { accept: MediaType.ociManifest } })).status, 412);
      assert.equal((await raw.request('GET', `/v2/gated/app/manifests/${signature.tag}`, { headers: { accept: MediaType.ociManifest } })).status, 200, 'signatures stay fetchable for verifiers');
      // A runnable image is gated whatever its pusher dresses it as: a subject, or a cosign-looking tag.
      const dressed = buildImage({ seed: `gated-dressed-${kind}`, subject: image.manifest.descriptor });
      await push('gated/app', dressed, 'dressed');
      assert.equal((await raw.request('GET', '/v2/gated/app/manifests/dressed', { headers: { accept: MediaType.ociManifest } })).status, 412, 'an image with a subject is still an image');
      // Layer types Slipway has no name for are still run by Docker (any application/vnd.docker.*) and containerd.
      for (const [i, layerMediaType] of ['application/vnd.docker.image.rootfs.diff.tar.zstd', 'application/vnd.oci.image.layer.v1.tar+gzip+encrypted'].entries()) {
        await push('gated/app', buildImage({ seed: `gated-odd-${i}-${kind}`, subject: image.manifest.descriptor, layerMediaType }), `odd-${i}`);
        assert.equal((await raw.request('GET', `/v2/gated/app/manifests/odd-${i}`, { headers: { accept: MediaType.ociManifest } })).status, 412, layerMediaType);
      }
      await push('gated/disguise', image, signature.tag);
      assert.equal((await (await adminHttp('gated/disguise')).request('GET', `/v2/gated/disguise/manifests/${signature.tag}`, { headers: { accept: MediaType.ociManifest } })).status, 412, 'an image tagged like a signature is still an image');

      await admin.ok('PUT', '/projects/gated', { metadata: { prevent_vul: 'false', enable_content_trust_cosign: 'true' } });
      const unsigned = await raw.request('GET', '/v2/gated/app/manifests/v1', { headers: { accept: MediaType.ociManifest } });
      assert.equal(unsigned.status, 412);
      assert.match(unsigned.json<Errors>().errors[0]?.message ?? '', /^The project requires a trusted signature: the trust policy names no keys or identities/);
      await admin.ok('PUT', '/projects/gated', { metadata: { enable_content_trust_cosign: 'false' } });
      assert.equal((await raw.request('GET', '/v2/gated/app/manifests/v1', { headers: { accept: MediaType.ociManifest } })).status, 200);
      assert.equal(signature.tag, `sha256-${digestHex(image.manifest.descriptor.digest)}.sig`);
    });

    it('records pushes, pulls, deletes and logins in the audit log, and locks an account out after repeated failures', async () => {
      await admin.ok('POST', '/users', { username: 'auditee', password: 'Auditee-Password-1' });
      const token = async (password: string) =>
        (await fetch(`${server.url}/service/token?service=slipway-registry`, { headers: { authorization: `Basic ${Buffer.from(`auditee:${password}`).toString('base64')}` } })).status;
      assert.equal(await token('Auditee-Password-1'), 200);
      for (let i = 0; i < 5; i++) assert.equal(await token('wrong-password'), 401);
      assert.equal(await token('Auditee-Password-1'), 401, 'locked out: even the right password is refused for now');
      const logins = await admin.ok<{ username: string; operation: string; operation_result: boolean }[]>('GET', '/audit-logs?username=auditee&operation=login&page_size=20');
      assert.deepEqual(logins.map((e) => e.operation_result), [false, false, false, false, false, false, true]);

      const pushes = await admin.call('GET', '/audit-logs?operation=push&project=immutable&page_size=2');
      assert.equal(pushes.status, 200);
      assert.equal((pushes.body as unknown[]).length, 2);
      assert.ok(Number(pushes.headers.get('x-total-count')) >= 3);
      assert.match(pushes.headers.get("link") ?? "", /^<\/api\/v2.0\/audit-logs\?page=2&page_size=2&operation=push&project=immutable>; rel="next"$/);
      const projectLog = await admin.ok<{ resource_type: string; operation: string }[]>('GET', '/projects/immutable/audit-logs?page_size=100');
      assert.ok(projectLog.some((e) => e.resource_type === 'immutable_rule' && e.operation === 'create'), 'policy changes are recorded');
      assert.ok(projectLog.some((e) => e.resource_type === 'tag' && e.operation === 'delete'), 'tag deletes are recorded');
    });

    it('labels artifacts with global and project labels, and reports every quota', async () => {
      await admin.ok('POST', '/projects', { project_name: 'labelled', storage_limit: 5_000_000 });
      const image = buildImage({ seed: `labelled-${kind}` });
      await push('labelled/app', image, 'v1');
      const project = await admin.ok<{ project_id: number }>('GET', '/projects/labelled');
      const global = await admin.ok<{ id: number; scope: string }>('POST', '/labels', { name: 'approved', color: '#00AA00', scope: 'g' });
      const local = await admin.ok<{ id: number; scope: string }>('POST', '/labels', { name: 'qa-passed', scope: 'p', project_id: project.project_id });
      assert.deepEqual([global.scope, local.scope], ['g', 'p']);
      assert.equal((await admin.call('POST', '/labels', { name: 'approved', scope: 'g' })).status, 409);
      for (const id of [global.id, local.id]) assert.equal((await admin.call('POST', '/projects/labelled/repositories/app/artifacts/v1/labels', { id })).status, 201);
      const [artifact] = await admin.ok<{ labels: { name: string }[] }[]>('GET', '/projects/labelled/repositories/app/artifacts');
      assert.deepEqual(artifact?.labels.map((l) => l.name), ['approved', 'qa-passed']);
      assert.equal((await admin.call('DELETE', `/projects/labelled/repositories/app/artifacts/v1/labels/${global.id}`)).status, 200);
      await admin.ok('POST', '/users', { username: 'labeller', password: 'Labeller-Password-1' });
      await admin.ok('POST', '/projects/labelled/members', { role_id: 2, member_user: { username: 'labeller' } });
      const developer = apiCaller(server.url, { username: 'labeller', password: 'Labeller-Password-1' });
      assert.equal((await developer.call('POST', '/labels', { name: 'mine', scope: 'p', project_id: project.project_id })).status, 403, 'developers may not create labels');
      assert.equal((await developer.call('POST', '/projects/labelled/repositories/app/artifacts/v1/labels', { id: global.id })).status, 201, 'but may attach them');

      const quotas = await admin.ok<{ ref: { name: string }; hard: { storage: number }; used: { storage: number; count: number } }[]>('GET', '/quotas');
      const mine = quotas.find((q) => q.ref.name === 'labelled');
      const bytes = [image.config, ...image.layers, image.manifest].reduce((n, b) => n + b.bytes.byteLength, 0);
      assert.deepEqual(mine?.used, { storage: bytes, count: 1 });
      assert.equal(mine?.hard.storage, 5_000_000);
      assert.equal((await developer.call('GET', '/quotas')).status, 403);
    });

    it('serves its OpenAPI 3.1 document and validates requests against it', async () => {
      const doc = (await (await fetch(`${server.url}/api/v2.0/openapi.json`)).json()) as { openapi: string; paths: Record<string, Record<string, { operationId: string }>> };
      assert.equal(doc.openapi, '3.1.0');
      assert.equal(doc.paths['/projects']?.['post']?.operationId, 'createProject');
      assert.equal(doc.paths['/retentions/{id}/executions']?.['post']?.operationId, 'triggerRetentionExecution');
      const bad = await admin.call('POST', '/projects', { project_name: 5 });
      assert.equal(bad.status, 400);
      assert.match(JSON.stringify(bad.body), /request body: \/project_name must be string/);
      const unknown = await admin.call('POST', '/projects', { project_name: 'typo', metadta: {} });
      assert.equal(unknown.status, 400);
      assert.match(JSON.stringify(unknown.body), /must NOT have additional properties \(\\"metadta\\"\)/);
      assert.equal((await admin.call('GET', '/projects?page_size=1000')).status, 400);
    });
  });
}

