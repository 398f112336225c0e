import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { databaseKinds } from '../../testing/databases.ts';
import { apiCaller, type ApiCaller } from '../../testing/management-api.ts';
import { registryHttp } from '../../testing/registry-http.ts';
import { startSlipway, type TestSlipway } from '../../testing/slipway-server.ts';

const PASSWORD = 'Escalate-Password-1';
type Errors = { errors: { code: string; message: string }[] };
const message = (body: unknown) => (body as Errors).errors[0]?.message ?? '';
const pull = { resource: 'repository', action: 'pull' };

/**
 * No account gets more than it was given: the ways a project admin, a robot or a leaked registry
 * token could widen their rights through the management API, each refused, each leaving the
 * stored state as it was.
 */
for (const kind of databaseKinds) {
  describe(`accounts cannot escalate (${kind})`, () => {
    let server: TestSlipway;
    let admin: ApiCaller;
    let alice: ApiCaller;

    /** Creates a robot as `creator` and answers its id and a caller signed in as it. */
    async function robot(creator: ApiCaller, body: Record<string, unknown>): Promise<{ id: number; api: ApiCaller; name: string }> {
      const made = await creator.ok<{ id: number; name: string; secret: string }>('POST', '/robots', { duration: 30, ...body });
      return { id: made.id, name: made.name, api: apiCaller(server.url, { username: made.name, password: made.secret }) };
    }

    before(async () => {
      server = await startSlipway({ database: kind, projects: [] });
      admin = apiCaller(server.url, { username: 'admin', password: server.adminPassword });
      for (const name of ['secret', 'alpha', 'team_a', 'team-a']) await admin.ok('POST', '/projects', { project_name: name });
      for (const username of ['alice', 'gina']) await admin.ok('POST', '/users', { username, password: PASSWORD });
      await admin.ok('POST', '/projects/alpha/members', { role_id: 1, member_user: { username: 'alice' } });
      await admin.ok('POST', '/projects/team_a/members', { role_id: 1, member_user: { username: 'gina' } });
      alice = apiCaller(server.url, { username: 'alice', password: PASSWORD });
    });
    after(async () => {
      await server.stop();
    });

    it('a project robot stays in its project: a project admin cannot move it to "*" or to another project', async () => {
      const ci = await robot(alice, { name: 'ci', level: 'project', permissions: [{ kind: 'project', namespace: 'alpha', access: [pull] }] });
      for (const namespace of ['*', 'secret']) {
        const moved = await alice.call('PUT', `/robots/${ci.id}`, { permissions: [{ kind: 'project', namespace, access: [pull, { resource: 'member', action: 'create' }] }] });
        assert.equal(moved.status, 400, `moving to ${namespace}`);
        assert.match(message(moved.body), namespace === '*' ? /names one project, not "\*"/ : /cannot be moved to secret/);
      }
      assert.equal((await ci.api.call('GET', '/projects/secret/repositories')).status, 403);
      const stored = await admin.ok<{ permissions: { namespace: string; access: unknown[] }[] }>('GET', `/robots/${ci.id}`);
      assert.deepEqual(stored.permissions, [{ kind: 'project', namespace: 'alpha', access: [{ ...pull, effect: 'allow' }] }]);
      assert.equal((await alice.call('PUT', `/robots/${ci.id}`, { permissions: [{ kind: 'project', namespace: 'alpha', access: [pull, { resource: 'repository', action: 'push' }] }] })).status, 200, 'within its project it may change');
    });

    it('a robot grants only what it holds', async () => {
      const maker = await robot(alice, { name: 'maker', level: 'project', permissions: [{ kind: 'project', namespace: 'alpha', access: [{ resource: 'robot', action: 'create' }, pull] }] });
      const wider = await maker.api.call('POST', '/robots', { name: 'child', level: 'project', duration: -1, permissions: [{ kind: 'project', namespace: 'alpha', access: [pull, { resource: 'repository', action: 'push' }] }] });
      assert.equal(wider.status, 403);
      assert.match(message(wider.body), /cannot grant repository:push in project alpha: a robot grants only what it holds/);
      assert.equal((await maker.api.call('POST', '/robots', { name: 'child', level: 'project', duration: 30, permissions: [{ kind: 'project', namespace: 'alpha', access: [pull] }] })).status, 201);

      const system = await robot(admin, { name: 'sys-maker', level: 'system', permissions: [{ kind: 'system', namespace: '/', access: [{ resource: 'robot', action: 'create' }] }, { kind: 'project', namespace: 'alpha', access: [pull] }] });
      const everywhere = await system.api.call('POST', '/robots', { name: 'everywhere', level: 'system', duration: 30, permissions: [{ kind: 'project', namespace: '*', access: [pull] }] });
      assert.equal(everywhere.status, 403, 'alpha pull does not make "*" pull');
      const names = (await admin.ok<{ name: string }[]>('GET', '/robots')).map((r) => r.name);
      assert.equal(names.filter((n) => n === 'robot$alpha+child').length, 1, 'only the robot within its maker’s rights exists');
      assert.ok(!names.includes('robot$everywhere'));
    });

    it('a robot manages only robots it could have made: no taking over a stronger one, no extending itself', async () => {
      const manager = await robot(admin, { name: 'manager', level: 'system', permissions: [{ kind: 'system', namespace: '/', access: [{ resource: 'robot', action: 'create' }] }, { kind: 'project', namespace: 'alpha', access: [pull] }] });
      const strong = await robot(admin, { name: 'strong', level: 'system', permissions: [{ kind: 'project', namespace: '*', access: [pull, { resource: 'repository', action: 'push' }] }] });
      for (const [method, body] of [
        ['PATCH', { secret: 'Attacker-Chosen-1' }],
        ['PUT', { disable: true }],
        ['DELETE', undefined],
      ] as const) {
        const taken = await manager.api.call(method, `/robots/${strong.id}`, body);
        assert.equal(taken.status, 403, `${method} a stronger robot`);
      }
      assert.equal((await strong.api.call('GET', '/users/current')).status, 200, 'its secret is unchanged');
      const weak = await robot(admin, { name: 'weak', level: 'system', permissions: [{ kind: 'project', namespace: 'alpha', access: [pull] }] });
      assert.equal((await manager.api.call('PATCH', `/robots/${weak.id}`, { secret: 'Rotated-Secret-1' })).status, 200, 'a robot within its own rights it may manage');
      const extended = await manager.api.call('PUT', `/robots/${manager.id}`, { duration: -1 });
      assert.equal(extended.status, 403);
      assert.match(message(extended.body), /cannot change its own expiry or enable itself/);
    });

    it('a robot denied an access in one project cannot grant it in "*"', async () => {
      const fenced = await robot(admin, {
        name: 'fenced',
        level: 'system',
        permissions: [
          { kind: 'system', namespace: '/', access: [{ resource: 'robot', action: 'create' }] },
          { kind: 'project', namespace: '*', access: [pull] },
          { kind: 'project', namespace: 'secret', access: [{ ...pull, effect: 'deny' }] },
        ],
      });
      const everywhere = await fenced.api.call('POST', '/robots', { name: 'fence-jumper', level: 'system', duration: 30, permissions: [{ kind: 'project', namespace: '*', access: [pull] }] });
      assert.equal(everywhere.status, 403);
      assert.equal((await fenced.api.call('POST', '/robots', { name: 'alpha-only', level: 'system', duration: 30, permissions: [{ kind: 'project', namespace: 'alpha', access: [pull] }] })).status, 201);
    });

    it('granting system admin, and changing an admin’s account or another user’s password, take a system admin', async () => {
      const users = await robot(admin, { name: 'users', level: 'system', permissions: [{ kind: 'system', namespace: '/', access: ['create', 'update', 'delete', 'read'].map((action) => ({ resource: 'user', action })) }] });
      const made = await users.api.call('POST', '/users', { username: 'eviladmin', password: PASSWORD, sysadmin_flag: true });
      assert.equal(made.status, 403);
      assert.match(message(made.body), /only a system admin may create a system admin/);
      assert.equal((await users.api.call('POST', '/users', { username: 'plain', password: PASSWORD })).status, 201, 'user:create still creates ordinary users');
      assert.equal((await users.api.call('PUT', '/users/plain', { sysadmin_flag: true })).status, 403);
      assert.equal((await users.api.call('PUT', '/users/admin', { disabled: true })).status, 403);
      assert.equal((await users.api.call('DELETE', '/users/admin')).status, 403);
      assert.equal((await users.api.call('PUT', '/users/admin/password', { new_password: 'Hijacked-Password-1' })).status, 403);
      assert.equal((await alice.call('PUT', '/users/gina/password', { new_password: 'Hijacked-Password-1' })).status, 403);
      const accounts = await admin.ok<{ username: string; sysadmin_flag: boolean; disabled: boolean }[]>('GET', '/users');
      assert.deepEqual(accounts.filter((u) => u.sysadmin_flag).map((u) => [u.username, u.disabled]), [['admin', false]]);
      assert.equal((await apiCaller(server.url, { username: 'admin', password: server.adminPassword }).call('GET', '/users/current')).status, 200, 'the admin password is unchanged');
    });

    it('changing one’s own password takes the current one', async () => {
      const gina = apiCaller(server.url, { username: 'gina', password: PASSWORD });
      const bare = await gina.call('PUT', '/users/gina/password', { new_password: 'Gina-New-Password-1' });
      assert.equal(bare.status, 400);
      assert.match(message(bare.body), /takes the current one as old_password/);
      assert.equal((await gina.call('PUT', '/users/gina/password', { old_password: 'not-it-at-all', new_password: 'Gina-New-Password-1' })).status, 403);
      assert.equal((await gina.call('GET', '/users/current')).status, 200, 'the password is unchanged');
      assert.equal((await gina.call('PUT', '/users/gina/password', { old_password: PASSWORD, new_password: 'Gina-New-Password-1' })).status, 200);
      assert.equal((await apiCaller(server.url, { username: 'gina', password: 'Gina-New-Password-1' }).call('GET', '/users/current')).status, 200);
      assert.equal((await admin.call('PUT', '/users/gina/password', { new_password: PASSWORD })).status, 200, 'an admin resets it without the old one');
    });

    it('a registry token does not work on the management API', async () => {
      const token = await registryHttp(server.url).login('alice', PASSWORD, ['repository:alpha/app:pull']);
      for (const [method, path] of [
        ['DELETE', '/projects/alpha'],
        ['GET', '/users/current'],
      ] as const) {
        const response = await fetch(new URL(`/api/v2.0${path}`, server.url), { method, headers: { authorization: `Bearer ${token}` } });
        assert.equal(response.status, 401, `${method} ${path}`);
        assert.match(message(await response.json()), /registry tokens are for \/v2\/ only/);
      }
      assert.equal((await admin.call('GET', '/projects/alpha')).status, 200, 'the project is still there');
      const document = await fetch(new URL('/api/v2.0/openapi.json', server.url), { headers: { authorization: `Bearer ${token}` } });
      assert.equal(document.status, 200, 'an anonymous route still answers, as to anyone');
    });

    it('a project admin cannot lift the project’s quota', async () => {
      await admin.ok('PUT', '/projects/alpha', { storage_limit: 1000, count_limit: 1 });
      for (const body of [{ storage_limit: -1 }, { count_limit: -1, public: true }]) {
        const lifted = await alice.call('PUT', '/projects/alpha', body);
        assert.equal(lifted.status, 403, JSON.stringify(body));
        assert.match(message(lifted.body), /quota:update/);
      }
      const summary = await alice.ok<{ quota: { hard: { storage: number; count: number } } }>('GET', '/projects/alpha/summary');
      assert.deepEqual(summary.quota.hard, { storage: 1000, count: 1 });
      const project = await alice.ok<{ metadata: Record<string, string> }>('GET', '/projects/alpha');
      assert.notEqual(project.metadata['public'], 'true', 'nothing of a refused update is applied');
      assert.equal((await alice.call('PUT', '/projects/alpha', { metadata: { auto_scan: 'true' } })).status, 200, 'the rest of the project is still hers to change');
      assert.equal((await alice.call('PUT', '/projects/alpha', { storage_limit: 1000, count_limit: 1, public: false })).status, 200, 'repeating the limits as they are changes nothing');
      assert.equal((await admin.call('PUT', '/projects/alpha', { storage_limit: -1, count_limit: -1 })).status, 200);
    });

    it('Harbor’s q=Level=project,ProjectID=<id> lists one project’s robots to whoever may list them there, and no other project’s', async () => {
      await admin.ok('POST', '/users', { username: 'mona', password: PASSWORD });
      await admin.ok('POST', '/projects/alpha/members', { role_id: 4, member_user: { username: 'mona' } });
      const mona = apiCaller(server.url, { username: 'mona', password: PASSWORD });
      await robot(admin, { name: 'listed', level: 'project', permissions: [{ kind: 'project', namespace: 'alpha', access: [pull] }] });
      await robot(admin, { name: 'unlisted', level: 'project', permissions: [{ kind: 'project', namespace: 'secret', access: [pull] }] });
      await robot(admin, { name: 'sys-listed', level: 'system', permissions: [{ kind: 'project', namespace: 'alpha', access: [pull] }] });
      const idOf = async (name: string) => (await admin.ok<{ project_id: number }>('GET', `/projects/${name}`)).project_id;
      const [alphaId, secretId] = [await idOf('alpha'), await idOf('secret')];
      const names = (robots: { name: string }[]) => robots.map((r) => r.name);

      const byName = names(await mona.ok<{ name: string }[]>('GET', '/robots?project=alpha'));
      assert.ok(byName.includes('robot$alpha+listed'), JSON.stringify(byName));
      for (const query of [`q=Level=project,ProjectID=${alphaId}`, `q=${encodeURIComponent(`Level=project,ProjectID=${alphaId}`)}`, `q=ProjectID%3D${alphaId}%2CLevel%3Dproject`]) {
        const listed = names(await mona.ok<{ name: string }[]>('GET', `/robots?${query}`));
        assert.deepEqual(listed, byName, `a maintainer of alpha, ${query}`);
        assert.ok(listed.every((name) => name.startsWith('robot$alpha+')), `only alpha’s project robots: ${JSON.stringify(listed)}`);
      }

      const other = await mona.call('GET', `/robots?q=Level=project,ProjectID=${secretId}`);
      assert.equal(other.status, 403);
      assert.match(message(other.body), /mona lacks the permission robot:list in project secret/);
      for (const query of ['', '?q=Level=system']) {
        const system = await mona.call('GET', `/robots${query}`);
        assert.equal(system.status, 403, `a maintainer cannot list all robots: /robots${query}`);
        assert.match(message(system.body), /lacks the permission system robot:list/);
      }
      for (const [query, reason] of [
        ['q=Level=project', /Level=project needs ProjectID/],
        [`q=Level=project,ProjectID=${alphaId},Name=x`, /Name is not a filter here/],
        [`q=Level=project,ProjectID=${alphaId},ProjectID=${secretId}`, /ProjectID is given twice/],
        [`q=Level=system,ProjectID=${secretId}`, /takes no ProjectID/],
        ['q=Level=project,ProjectID=~1', /ProjectID must be a positive integer/],
        [`project=alpha&q=Level=project,ProjectID=${secretId}`, /either project or q/],
      ] as const) {
        const refused = await mona.call('GET', `/robots?${query}`);
        assert.equal(refused.status, 400, query);
        assert.match(message(refused.body), reason);
      }

      const all = names(await admin.ok<{ name: string }[]>('GET', '/robots?page_size=100'));
      for (const name of ['robot$alpha+listed', 'robot$secret+unlisted', 'robot$sys-listed']) assert.ok(all.includes(name), `the admin lists every robot: ${name}`);
      assert.deepEqual(names(await admin.ok<{ name: string }[]>('GET', `/robots?q=Level=project,ProjectID=${secretId}`)), ['robot$secret+unlisted']);
      const system = await admin.ok<{ name: string; level: string }[]>('GET', `/robots?q=${encodeURIComponent('Level=system')}`);
      assert.ok(names(system).includes('robot$sys-listed'));
      assert.ok(system.every((r) => r.level === 'system'), 'Level=system lists the system robots only');
      const document = (await (await fetch(new URL('/api/v2.0/openapi.json', server.url))).json()) as { paths: Record<string, Record<string, { parameters: { name: string }[] }>> };
      assert.deepEqual(document.paths['/robots']?.['get']?.parameters.map((p) => p.name), ['page', 'page_size', 'project', 'q'], 'the document names q and the paging');
    });

    it('listing a project’s robots matches its name exactly (no LIKE wildcards)', async () => {
      await robot(admin, { name: 'deploy', level: 'project', permissions: [{ kind: 'project', namespace: 'team-a', access: [pull] }] });
      const gina = apiCaller(server.url, { username: 'gina', password: PASSWORD });
      const listed = await gina.ok<{ name: string }[]>('GET', '/robots?project=team_a');
      assert.deepEqual(listed.map((r) => r.name), []);
      assert.deepEqual((await admin.ok<{ name: string }[]>('GET', '/robots?project=team-a')).map((r) => r.name), ['robot$team-a+deploy']);
    });
  });
}
