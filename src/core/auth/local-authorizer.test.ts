import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { MetadataDatabase } from '../storage/metadata/database.ts';
import { describeEachDatabase } from '../../testing/databases.ts';
import { createAccessControl } from './access-control.ts';
import type { Authorizer } from './authorizer.ts';
import { createLocalAuthorizer, LOCKOUT_THRESHOLD } from './local-authorizer.ts';
import { createRobots, type Robots } from './robots.ts';
import { createUsers } from './users.ts';

describeEachDatabase('local accounts', (open) => {
  let database: MetadataDatabase;
  let now = Date.parse('2026-12-01T00:00:00Z');
  const clock = () => now;
  let authorizer: Authorizer;
  let robots: Robots;
  const logins: { username: string; success: boolean; reason?: string }[] = [];

  before(async () => {
    database = await open();
    await database.db.insertInto('projects').values({ name: 'team-a', created_at: now }).execute();
    await database.db.insertInto('projects').values({ name: 'team-b', created_at: now }).execute();
    await createUsers(database, { clock }).create({ username: 'carol', password: 'Carol-Password-1' });
    robots = createRobots(database, { clock });
    authorizer = createLocalAuthorizer(database, { access: createAccessControl(database, clock), clock, onLogin: (e) => logins.push(e) });
  });
  after(() => database.close());

  it('locks a user out after repeated failures, for a time that doubles, then lets the right password in', async () => {
    for (let i = 0; i < LOCKOUT_THRESHOLD; i++) assert.equal(await authorizer.authenticate('carol', 'wrong'), undefined);
    assert.equal(await authorizer.authenticate('carol', 'Carol-Password-1'), undefined, 'locked');
    assert.equal(logins.at(-1)?.reason, 'account locked after repeated failures');
    now += 31_000;
    assert.equal(await authorizer.authenticate('carol', 'wrong'), undefined, 'a sixth failure');
    now += 31_000;
    assert.equal(await authorizer.authenticate('carol', 'Carol-Password-1'), undefined, 'the second lock lasts 60 s');
    now += 30_000;
    assert.equal((await authorizer.authenticate('carol', 'Carol-Password-1'))?.name, 'carol');
    assert.equal((await database.db.selectFrom('users').select('failed_logins').where('username', '=', 'carol').executeTakeFirstOrThrow()).failed_logins, 0);
  });

  it('a robot gets exactly its permissions, and nothing once expired or disabled', async () => {
    const robot = await robots.create(
      { name: 'ci', level: 'project', duration: 1, permissions: [{ kind: 'project', namespace: 'team-a', access: [{ resource: 'repository', action: 'pull' }, { resource: 'repository', action: 'push' }] }] },
      'admin',
    );
    assert.equal(robot.name, 'robot$team-a+ci');
    const principal = await authorizer.authenticate(robot.name, robot.secret);
    assert.deepEqual(principal, { kind: 'robot', name: 'robot$team-a+ci', admin: false });
    const ask = [
      { type: 'repository' as const, name: 'team-a/app', actions: ['pull', 'push', 'delete'] },
      { type: 'repository' as const, name: 'team-b/app', actions: ['pull'] },
    ];
    assert.deepEqual(await authorizer.grant(principal ?? { kind: 'anonymous', name: '', admin: false }, ask), [{ type: 'repository', name: 'team-a/app', actions: ['pull', 'push'] }]);
    assert.equal(await authorizer.authenticate(robot.name, 'not-the-secret'), undefined);

    const fresh = await robots.refreshSecret(robot.id);
    assert.equal(await authorizer.authenticate(robot.name, robot.secret), undefined, 'the old secret stops working');
    assert.ok((await authorizer.authenticate(robot.name, fresh)) !== undefined);

    await robots.update(robot.id, { disable: true });
    assert.equal(await authorizer.authenticate(robot.name, fresh), undefined);
    assert.equal(logins.at(-1)?.reason, 'robot disabled');
    await robots.update(robot.id, { disable: false });
    now += 2 * 86_400_000;
    assert.equal(await authorizer.authenticate(robot.name, fresh), undefined, 'expired after its one day');
    assert.equal(logins.at(-1)?.reason, 'robot expired');
  });

  it('a project robot whose stored permissions name other projects (widened before updates were checked) holds rights in its own project only, and can be narrowed again', async () => {
    const robot = await robots.create({ name: 'widened', level: 'project', duration: -1, permissions: [{ kind: 'project', namespace: 'team-a', access: [{ resource: 'repository', action: 'pull' }] }] }, 'admin');
    const wide = [{ kind: 'project', namespace: '*', access: [{ resource: 'repository', action: 'pull', effect: 'allow' }] }, { kind: 'project', namespace: 'team-b', access: [{ resource: 'repository', action: 'push', effect: 'allow' }] }];
    await database.db.updateTable('robots').set({ permissions: JSON.stringify(wide) }).where('id', '=', robot.id).execute();
    const principal = await authorizer.authenticate(robot.name, robot.secret);
    assert.ok(principal !== undefined);
    const ask = [
      { type: 'repository' as const, name: 'team-b/app', actions: ['pull', 'push'] },
      { type: 'repository' as const, name: 'team-a/app', actions: ['pull'] },
    ];
    assert.deepEqual(await authorizer.grant(principal, ask), [], 'nothing outside team-a, and team-a only through a permission naming it');
    await robots.update(robot.id, { permissions: [{ kind: 'project', namespace: 'team-a', access: [{ resource: 'repository', action: 'pull' }] }] });
    assert.deepEqual(await authorizer.grant(principal, ask), [{ type: 'repository', name: 'team-a/app', actions: ['pull'] }], 'its project admin narrows it back');
  });

  it('refuses permissions Harbor never grants a robot', async () => {
    await assert.rejects(
      robots.create({ name: 'bad', level: 'project', duration: -1, permissions: [{ kind: 'project', namespace: 'team-a', access: [{ resource: 'repository', action: 'scanner-pull' }] }] }, 'admin'),
      { code: 'PERMISSION_INVALID', message: 'bad request permission: repository:scanner-pull' },
    );
    await assert.rejects(robots.create({ name: 'bad', level: 'project', duration: 0, permissions: [] }, 'admin'), { code: 'PERMISSION_INVALID' });
    await assert.rejects(
      robots.create({ name: 'bad', level: 'project', duration: 0, permissions: [{ kind: 'project', namespace: 'team-a', access: [{ resource: 'repository', action: 'pull' }] }] }, 'admin'),
      { code: 'ACCOUNT_INVALID', message: 'duration must be either -1(Never) or a positive integer' },
    );
  });
});
