import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fixedCredentials } from '../../core/oci/client/credentials.ts';
import { createRegistryClient, type RegistryClient } from '../../core/oci/client/registry-client.ts';
import { digestOf } from '../../core/oci/digest.ts';
import { MediaType } from '../../core/oci/media-types.ts';
import { databaseKinds } from '../../testing/databases.ts';
import { apiCaller, type ApiCaller } from '../../testing/management-api.ts';
import { registryHttp } from '../../testing/registry-http.ts';
import { startSlipway, type TestSlipway } from '../../testing/slipway-server.ts';
import { buildArtifact, buildImage, pushToRegistry } from '../../testing/test-images.ts';

/**
 * Harbor's permission matrix, exhaustively, over the real registry API and the real management
 * API. The expectations are written out by hand from Harbor's rbac_role.go (not derived from
 * Slipway's own table), for each role, a signed-in non-member and an anonymous caller, against a
 * private project.
 */
type Who = 'projectAdmin' | 'maintainer' | 'developer' | 'guest' | 'limitedGuest' | 'nonMember' | 'anonymous';
const WHO: readonly Who[] = ['projectAdmin', 'maintainer', 'developer', 'guest', 'limitedGuest', 'nonMember', 'anonymous'];
const ROLE_IDS: Readonly<Record<string, number>> = { projectAdmin: 1, developer: 2, guest: 3, maintainer: 4, limitedGuest: 5 };
const PASSWORD = 'Matrix-Password-1';
const PROJECT = 'matrix';

/** Columns: projectAdmin maintainer developer guest limitedGuest nonMember anonymous. */
const MATRIX: Readonly<Record<string, string>> = {
  'registry pull': 'YYYYYNN',
  'registry push': 'YYYNNNN',
  'registry delete': 'YYNNNNN',
  'project read': 'YYYYYNN',
  'project update': 'YNNNNNN',
  'project delete': 'YNNNNNN',
  'summary (quota read)': 'YYYYYNN',
  'member list': 'YYYYNNN',
  'member create': 'YNNNNNN',
  'repository list': 'YYYYYNN',
  'artifact list': 'YYYYYNN',
  'artifact delete': 'YYNNNNN',
  'tag create': 'YYYNNNN',
  'tag delete': 'YYNNNNN',
  'immutable-tag list': 'YYNNNNN',
  'immutable-tag create': 'YYNNNNN',
  'tag-retention read': 'YYYNNNN',
  'tag-retention operate': 'YYYNNNN',
  'robot list': 'YYYYNNN',
  'robot list (Harbor q)': 'YYYYNNN',
  'robot create': 'YNNNNNN',
  'notification-policy list': 'YYNNNNN',
  'notification-policy create': 'YNNNNNN',
  'log list (audit)': 'YNNNNNN',
};

interface Context {
  readonly who: Who;
  readonly api: ApiCaller;
  readonly admin: ApiCaller;
  /** A registry token for `scope`, as this caller gets it from the token endpoint. */
  token(scope: string): Promise<string>;
  /** Pushes a throwaway artifact as admin and returns its digest. */
  victim(tag: string): Promise<string>;
}

/** Each operation returns the status it got; `allowed` lists what success looks like. */
const OPERATIONS: Readonly<Record<string, { allowed: readonly number[]; run: (c: Context) => Promise<number> }>> = {
  'registry pull': { allowed: [200], run: async (c) => (await (await registry(c, 'pull')).request('GET', `/v2/${PROJECT}/app/manifests/v1`, { headers: { accept: MediaType.ociManifest } })).status },
  'registry push': {
    allowed: [201],
    async run(c) {
      const http = await registry(c, 'pull,push');
      const blob = `pushed by ${c.who}`;
      const upload = await http.request('POST', `/v2/${PROJECT}/app/blobs/uploads/?digest=${digestOf(blob)}`, { body: blob, headers: { 'content-type': 'application/octet-stream' } });
      if (upload.status !== 201) return upload.status;
      const empty = await http.request('POST', `/v2/${PROJECT}/app/blobs/uploads/?digest=${digestOf('{}')}`, { body: '{}' });
      if (empty.status !== 201) return empty.status;
      const manifest = JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.ociManifest,
        artifactType: 'application/vnd.example.note',
        config: { mediaType: MediaType.ociEmpty, digest: digestOf('{}'), size: 2 },
        layers: [{ mediaType: 'text/plain', digest: digestOf(blob), size: Buffer.byteLength(blob) }],
      });
      return (await http.request('PUT', `/v2/${PROJECT}/app/manifests/pushed-${c.who}`, { body: manifest, headers: { 'content-type': MediaType.ociManifest } })).status;
    },
  },
  'registry delete': {
    allowed: [202],
    async run(c) {
      const digest = await c.victim(`rd-${c.who}`);
      return (await (await registry(c, 'delete')).request('DELETE', `/v2/${PROJECT}/app/manifests/${digest}`)).status;
    },
  },
  'project read': { allowed: [200], run: async (c) => (await c.api.call('GET', `/projects/${PROJECT}`)).status },
  'project update': { allowed: [200], run: async (c) => (await c.api.call('PUT', `/projects/${PROJECT}`, { metadata: { auto_scan: 'false' } })).status },
  // The project holds artifacts, so a permitted delete is refused with 412 and nothing is lost.
  'project delete': { allowed: [412], run: async (c) => (await c.api.call('DELETE', `/projects/${PROJECT}`)).status },
  'summary (quota read)': { allowed: [200], run: async (c) => (await c.api.call('GET', `/projects/${PROJECT}/summary`)).status },
  'member list': { allowed: [200], run: async (c) => (await c.api.call('GET', `/projects/${PROJECT}/members`)).status },
  'member create': { allowed: [201], run: async (c) => (await c.api.call('POST', `/projects/${PROJECT}/members`, { role_id: 3, member_user: { username: `extra-${c.who.toLowerCase()}` } })).status },
  'repository list': { allowed: [200], run: async (c) => (await c.api.call('GET', `/projects/${PROJECT}/repositories`)).status },
  'artifact list': { allowed: [200], run: async (c) => (await c.api.call('GET', `/projects/${PROJECT}/repositories/app/artifacts`)).status },
  'artifact delete': {
    allowed: [200],
    async run(c) {
      const digest = await c.victim(`ad-${c.who}`);
      return (await c.api.call('DELETE', `/projects/${PROJECT}/repositories/app/artifacts/${digest}`)).status;
    },
  },
  'tag create': { allowed: [201], run: async (c) => (await c.api.call('POST', `/projects/${PROJECT}/repositories/app/artifacts/v1/tags`, { name: `tc-${c.who}` })).status },
  'tag delete': {
    allowed: [200],
    async run(c) {
      await c.admin.ok('POST', `/projects/${PROJECT}/repositories/app/artifacts/v1/tags`, { name: `td-${c.who}` });
      return (await c.api.call('DELETE', `/projects/${PROJECT}/repositories/app/artifacts/v1/tags/td-${c.who}`)).status;
    },
  },
  'immutable-tag list': { allowed: [200], run: async (c) => (await c.api.call('GET', `/projects/${PROJECT}/immutabletagrules`)).status },
  'immutable-tag create': {
    allowed: [201],
    run: async (c) =>
      (await c.api.call('POST', `/projects/${PROJECT}/immutabletagrules`, { tag_selectors: [{ kind: 'doublestar', decoration: 'matches', pattern: `never-${c.who}-*` }], scope_selectors: { repository: [{ kind: 'doublestar', decoration: 'repoMatches', pattern: '**' }] } })).status,
  },
  'tag-retention read': { allowed: [200], run: async (c) => (await c.api.call('GET', `/projects/${PROJECT}/retention`)).status },
  'tag-retention operate': {
    allowed: [201],
    async run(c) {
      const policy = await c.admin.ok<{ id: number }>('GET', `/projects/${PROJECT}/retention`);
      return (await c.api.call('POST', `/retentions/${policy.id}/executions`, { dry_run: true })).status;
    },
  },
  'robot list': { allowed: [200], run: async (c) => (await c.api.call('GET', `/robots?project=${PROJECT}`)).status },
  'robot list (Harbor q)': {
    allowed: [200],
    async run(c) {
      const project = await c.admin.ok<{ project_id: number }>('GET', `/projects/${PROJECT}`);
      return (await c.api.call('GET', `/robots?q=Level=project,ProjectID=${project.project_id}`)).status;
    },
  },
  'robot create': {
    allowed: [201],
    run: async (c) =>
      (await c.api.call('POST', '/robots', { name: `r-${c.who.toLowerCase()}`, level: 'project', duration: -1, permissions: [{ kind: 'project', namespace: PROJECT, access: [{ resource: 'repository', action: 'pull' }] }] })).status,
  },
  'notification-policy list': { allowed: [200], run: async (c) => (await c.api.call('GET', `/projects/${PROJECT}/webhook/policies`)).status },
  'notification-policy create': {
    allowed: [201],
    run: async (c) => (await c.api.call('POST', `/projects/${PROJECT}/webhook/policies`, { name: `hook-${c.who}`, event_types: ['PUSH_ARTIFACT'], targets: [{ type: 'http', address: 'http://127.0.0.1:9/hook' }] })).status,
  },
  'log list (audit)': { allowed: [200], run: async (c) => (await c.api.call('GET', `/projects/${PROJECT}/audit-logs`)).status },
};

async function registry(c: Context, actions: string) {
  const base = registryHttp(SERVER.url);
  return base.withToken(await c.token(`repository:${PROJECT}/app:${actions}`));
}

let SERVER: TestSlipway;

for (const kind of databaseKinds) {
  describe(`role × action matrix (${kind})`, () => {
    let server: TestSlipway;
    let client: RegistryClient;
    const callers = new Map<Who, ApiCaller>();
    let admin: ApiCaller;

    before(async () => {
      server = await startSlipway({ database: kind, projects: [] });
      SERVER = server;
      admin = apiCaller(server.url, { username: 'admin', password: server.adminPassword });
      await admin.ok('POST', '/projects', { project_name: PROJECT, metadata: { public: 'false' } });
      for (const who of WHO) {
        if (who === 'anonymous') {
          callers.set(who, apiCaller(server.url));
          continue;
        }
        const username = who.toLowerCase();
        await admin.ok('POST', '/users', { username, password: PASSWORD });
        await admin.ok('POST', '/users', { username: `extra-${username}`, password: PASSWORD });
        const role = ROLE_IDS[who];
        if (role !== undefined) await admin.ok('POST', `/projects/${PROJECT}/members`, { role_id: role, member_user: { username } });
        callers.set(who, apiCaller(server.url, { username, password: PASSWORD }));
      }
      client = createRegistryClient({ insecure: true, credentials: fixedCredentials({ kind: 'basic', username: 'admin', password: server.adminPassword }) });
      const image = buildImage({ seed: `matrix-${kind}` });
      await pushToRegistry(client.repository(server.host, `${PROJECT}/app`), [image.config, ...image.layers], image.manifest, 'v1');
      await admin.ok('POST', '/retentions', {
        algorithm: 'or',
        scope: { level: 'project', ref: PROJECT },
        rules: [{ action: 'retain', template: 'always', params: {}, tag_selectors: [{ kind: 'doublestar', decoration: 'matches', pattern: '**' }], scope_selectors: { repository: [{ kind: 'doublestar', decoration: 'repoMatches', pattern: '**' }] } }],
      });
    });
    after(async () => {
      client.close();
      await server.stop();
    });

    for (const [operation, row] of Object.entries(MATRIX)) {
      it(operation, async () => {
        const op = OPERATIONS[operation];
        assert.ok(op !== undefined);
        for (const [i, who] of WHO.entries()) {
          const api = callers.get(who);
          assert.ok(api !== undefined);
          const context: Context = {
            who,
            api,
            admin,
            token: (scope) =>
              who === 'anonymous' ? anonymousToken(server.url, scope) : registryHttp(server.url).login(who.toLowerCase(), PASSWORD, [scope]),
            async victim(tag) {
              const note = buildArtifact({ subject: { mediaType: MediaType.ociManifest, digest: digestOf(tag), size: 1 }, artifactType: 'application/vnd.example.victim', payload: tag });
              const { subject: _s, ...standalone } = JSON.parse(note.manifest.bytes.toString()) as Record<string, unknown>;
              const bytes = Buffer.from(JSON.stringify(standalone));
              await pushToRegistry(client.repository(server.host, `${PROJECT}/app`), note.blobs, { bytes, descriptor: { mediaType: MediaType.ociManifest, digest: digestOf(bytes), size: bytes.byteLength } }, tag);
              return digestOf(bytes);
            },
          };
          const status = await op.run(context);
          if (row[i] === 'Y') assert.ok(op.allowed.includes(status), `${who} may ${operation}: expected ${op.allowed.join('/')}, got ${status}`);
          else assert.ok(who === 'anonymous' ? status === 401 : status === 403 || status === 401, `${who} may not ${operation}: expected ${who === 'anonymous' ? 401 : 403}, got ${status}`);
        }
      });
    }

    it('a guest pushing gets 403 DENIED naming the missing push permission', async () => {
      const http = registryHttp(server.url).withToken(await registryHttp(server.url).login('guest', PASSWORD, [`repository:${PROJECT}/app:pull,push`]));
      const response = await http.request('POST', `/v2/${PROJECT}/app/blobs/uploads/`);
      assert.equal(response.status, 403);
      const error = response.json<{ errors: { code: string; message: string }[] }>().errors[0];
      assert.equal(error?.code, 'DENIED');
      assert.match(error?.message ?? '', /guest lacks push permission on repository matrix\/app/);
    });

    it('the token service grants the intersection of the requested scope and the role', async () => {
      const token = await registryHttp(server.url).login('developer', PASSWORD, [`repository:${PROJECT}/app:pull,push,delete`, 'registry:catalog:*']);
      const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as { access: { type: string; name: string; actions: string[] }[] };
      assert.deepEqual(claims.access, [{ type: 'repository', name: `${PROJECT}/app`, actions: ['pull', 'push'] }]);
    });
  });
}

async function anonymousToken(base: string, scope: string): Promise<string> {
  const url = new URL('/service/token', base);
  url.searchParams.set('service', 'slipway-registry');
  url.searchParams.set('scope', scope);
  const response = await fetch(url);
  return ((await response.json()) as { token: string }).token;
}
