import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { MetadataDatabase } from '../storage/metadata/database.ts';
import { describeEachDatabase } from '../../testing/databases.ts';
import { createAuditLog, isSecretKey, stripSecrets, type AuditLog } from './audit-log.ts';
import { EventError } from './event-error.ts';

const T0 = Date.UTC(2025, 0, 10, 6, 0, 0);

describeEachDatabase('audit log', (open) => {
  let database: MetadataDatabase;
  let log: AuditLog;
  let now = T0;

  before(async () => {
    database = await open();
    log = createAuditLog(database, { clock: () => now });
    const entries = [
      { username: 'alice', project: 'team-a', resource: 'team-a/api:1.0', resourceType: 'artifact', operation: 'push', result: 'success' },
      { username: 'bob', project: 'team-a', resource: 'team-a/api:1.0', resourceType: 'artifact', operation: 'pull', result: 'success' },
      { username: 'alice', project: 'team-b', resource: 'team-b/web:2', resourceType: 'artifact', operation: 'delete', result: 'failure' },
      { username: 'admin', resource: 'alice', resourceType: 'user', operation: 'login', result: 'success' },
      { username: 'alice', project: 'team-a', resource: 'team-a', resourceType: 'project', operation: 'update', result: 'success' },
    ] as const;
    for (const entry of entries) {
      now += 60_000;
      await log.record(entry);
    }
  });
  after(() => database.close());

  it('reads entries back in Harbor audit-log-ext shape, newest first', async () => {
    const page = await log.query();
    assert.equal(page.total, 5);
    assert.deepEqual(
      page.items.map((item) => item.operation),
      ['update', 'login', 'delete', 'pull', 'push'],
    );
    const [, login, deleted] = page.items;
    assert.ok(login !== undefined && deleted !== undefined);
    assert.equal(typeof login.id, 'number');
    assert.deepEqual({ ...login, id: 0 }, {
      id: 0,
      username: 'admin',
      resource: 'alice',
      resource_type: 'user',
      operation: 'login',
      operation_result: true,
      op_time: new Date(T0 + 4 * 60_000).toISOString(),
      project: null,
      reason: null,
    });
    assert.equal(deleted.operation_result, false);
    assert.equal(deleted.op_time, '2025-01-10T06:03:00.000Z');
  });

  it('filters by project, user, operation, resource type and time', async () => {
    const names = async (filter: Parameters<AuditLog['query']>[0]) => (await log.query(filter)).items.map((item) => item.resource);
    assert.deepEqual(await names({ project: 'team-a' }), ['team-a', 'team-a/api:1.0', 'team-a/api:1.0']);
    assert.deepEqual(await names({ username: 'alice' }), ['team-a', 'team-b/web:2', 'team-a/api:1.0']);
    assert.deepEqual(await names({ username: 'alice', project: 'team-a', operation: 'push' }), ['team-a/api:1.0']);
    assert.deepEqual(await names({ resourceType: 'user' }), ['alice']);
    assert.deepEqual(await names({ from: T0 + 2 * 60_000, to: T0 + 3 * 60_000 }), ['team-b/web:2', 'team-a/api:1.0']);
    const none = await log.query({ username: 'mallory' });
    assert.deepEqual(none, { total: 0, items: [] });
  });

  it('pages through the matches, counting them all', async () => {
    const first = await log.query({ pageSize: 2 });
    const third = await log.query({ pageSize: 2, page: 3 });
    const beyond = await log.query({ pageSize: 2, page: 4 });
    assert.equal(first.total, 5);
    assert.deepEqual(first.items.map((item) => item.operation), ['update', 'login']);
    assert.deepEqual(third.items.map((item) => item.operation), ['push']);
    assert.equal(third.total, 5);
    assert.deepEqual(beyond.items, []);
    const filtered = await log.query({ project: 'team-a', pageSize: 1, page: 2 });
    assert.equal(filtered.total, 3);
    assert.deepEqual(filtered.items.map((item) => item.operation), ['pull']);
  });

  it('refuses pages that are not positive integers and page sizes above 100', async () => {
    for (const filter of [{ page: 0 }, { page: 1.5 }, { pageSize: 0 }, { pageSize: 101 }]) {
      await assert.rejects(log.query(filter), (error) => error instanceof EventError && error.code === 'QUERY_INVALID');
    }
    assert.equal((await log.query({ pageSize: 100 })).items.length, 5);
  });

  it('stores details without any secret, at any depth', async () => {
    await log.record({
      username: 'alice',
      project: 'team-a',
      resource: 'ci-notify',
      resourceType: 'webhook_policy',
      operation: 'create',
      result: 'success',
      detail: {
        name: 'ci-notify',
        Password: 'hunter2',
        targets: [{ address: 'https://hooks.example.com', auth_header: 'Bearer s3cr3t', secret: 'shh' }],
        nested: { AUTHORIZATION: 'Basic eA==', accessToken: 'tok', token_count: 3, keep: true },
      },
    });
    const row = await database.db.selectFrom('audit_log').select('detail').where('resource', '=', 'ci-notify').executeTakeFirstOrThrow();
    assert.ok(row.detail !== null);
    assert.deepEqual(JSON.parse(row.detail), { name: 'ci-notify', targets: [{ address: 'https://hooks.example.com' }], nested: { keep: true } });
    for (const secret of ['hunter2', 's3cr3t', 'shh', 'eA==', 'tok']) assert.ok(!row.detail.includes(secret), secret);
  });

  it('purges entries older than the retention period', async () => {
    now = T0 + 10 * 60_000;
    // Entries are at T0+1…T0+5 minutes, plus the webhook policy one at T0+5: the cut-off is T0+3.
    assert.equal(await log.purge(7 * 60_000), 2, 'entries at T0+1 and T0+2 minutes are older than 7 minutes');
    assert.equal((await log.query()).total, 4);
    assert.equal(await log.purge(7 * 60_000), 0);
    await assert.rejects(log.purge(-1), (error) => error instanceof EventError && error.code === 'QUERY_INVALID');
  });

  it('reads back a detail’s reason, and nothing else of the detail', async () => {
    const login = { username: 'carol', resource: 'carol', resourceType: 'user', operation: 'login', result: 'failure' } as const;
    await log.record({ ...login, detail: { reason: 'wrong password' } });
    await log.record({ ...login, detail: { reason: { nested: true }, note: 'not a reason' } });
    const [odd, refused] = (await log.query({ username: 'carol' })).items;
    assert.equal(refused?.reason, 'wrong password');
    assert.equal(odd?.reason, null, 'a reason that is not a string is not shown');
    const [policy] = (await log.query({ resourceType: 'webhook_policy' })).items;
    assert.deepEqual(Object.keys(policy ?? {}).toSorted(), ['id', 'op_time', 'operation', 'operation_result', 'project', 'reason', 'resource', 'resource_type', 'username']);
    assert.equal(policy?.reason, null);
    await log.record({ username: 'carol', resource: 'robot$x', resourceType: 'robot', operation: 'update', result: 'success', detail: { reason: 'approved by the CISO' } });
    const [update] = (await log.query({ username: 'carol', operation: 'update' })).items;
    assert.equal(update?.reason, null, 'a request body’s own `reason` is the caller’s word, not the log’s');
  });
});

describe('stripSecrets', () => {
  it('drops keys that name secrets, in any case and spelling', () => {
    for (const key of ['password', 'PASSWORD', 'secret', 'client_secret', 'token', 'refreshToken', 'Authorization', 'auth_header', 'authHeader', 'access-credential']) {
      assert.ok(isSecretKey(key), key);
    }
    for (const key of ['name', 'tokens', 'author', 'secretary', 'digest']) assert.ok(!isSecretKey(key), key);
  });

  it('copies without following cycles and strips what toJSON writes', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic['self'] = cyclic;
    const withToJson = { toJSON: () => ({ password: 'x', ok: 1 }) };
    assert.deepEqual(stripSecrets({ cyclic, list: [cyclic], withToJson, when: new Date(0) }), {
      cyclic: { a: 1 },
      list: [{ a: 1 }],
      withToJson: { ok: 1 },
      when: '1970-01-01T00:00:00.000Z',
    });
  });
});
