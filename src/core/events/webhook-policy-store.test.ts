import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { MetadataDatabase } from '../storage/metadata/database.ts';
import { describeEachDatabase } from '../../testing/databases.ts';
import { EventError } from './event-error.ts';
import { createWebhookPolicyStore, type WebhookPolicyStore } from './webhook-policy-store.ts';
import type { WebhookPolicyInput } from './webhook-policy.ts';

const T0 = Date.UTC(2025, 0, 10);

function policy(name: string, overrides: Partial<WebhookPolicyInput> = {}): WebhookPolicyInput {
  return {
    name,
    description: '',
    enabled: true,
    event_types: ['PUSH_ARTIFACT'],
    targets: [{ type: 'http', address: `https://hooks.example.com/${name}`, skip_cert_verify: false, payload_format: 'Default', secret: 'k' }],
    ...overrides,
  };
}

describeEachDatabase('webhook policy store', (open) => {
  let database: MetadataDatabase;
  let store: WebhookPolicyStore;
  let now = T0;
  let teamA: number;
  let teamB: number;

  before(async () => {
    database = await open();
    store = createWebhookPolicyStore(database, { clock: () => now });
    const insert = async (name: string) =>
      (await database.db.insertInto('projects').values({ name, created_at: T0 }).returning('id').executeTakeFirstOrThrow()).id;
    teamA = await insert('team-a');
    teamB = await insert('team-b');
  });
  after(() => database.close());

  it('creates, reads, lists, updates and deletes policies', async () => {
    const created = await store.create(teamA, policy('ci'), { creator: 'alice' });
    assert.deepEqual(created, {
      id: created.id,
      project_id: teamA,
      ...policy('ci'),
      creator: 'alice',
      creation_time: '2025-01-10T00:00:00.000Z',
      update_time: '2025-01-10T00:00:00.000Z',
    });
    assert.deepEqual(await store.get(created.id), created);
    assert.equal(await store.get(created.id + 1000), undefined);

    now += 5000;
    const changed = await store.update(created.id, policy('ci', { enabled: false, description: 'off for now', event_types: ['PULL_ARTIFACT'] }));
    assert.equal(changed?.enabled, false);
    assert.equal(changed?.description, 'off for now');
    assert.deepEqual(changed?.event_types, ['PULL_ARTIFACT']);
    assert.equal(changed?.creation_time, '2025-01-10T00:00:00.000Z');
    assert.equal(changed?.update_time, '2025-01-10T00:00:05.000Z');
    assert.equal(await store.update(created.id + 1000, policy('x')), undefined);

    assert.deepEqual((await store.list(teamA)).map((p) => p.name), ['ci']);
    assert.deepEqual(await store.list(teamB), []);
    assert.equal(await store.delete(created.id), true);
    assert.equal(await store.delete(created.id), false);
    assert.deepEqual(await store.list(teamA), []);
  });

  it('refuses a second policy of the same name in the same scope', async () => {
    const first = await store.create(teamA, policy('dup'), { creator: 'alice' });
    await assert.rejects(store.create(teamA, policy('dup'), { creator: 'bob' }), (error) => error instanceof EventError && error.code === 'POLICY_CONFLICT');
    const other = await store.create(teamB, policy('dup'), { creator: 'bob' });
    const second = await store.create(teamA, policy('dup2'), { creator: 'alice' });
    await assert.rejects(store.update(second.id, policy('dup')), (error) => error instanceof EventError && error.code === 'POLICY_CONFLICT');
    assert.equal((await store.update(first.id, policy('dup', { description: 'same name, same policy' })))?.description, 'same name, same policy');
    for (const id of [first.id, other.id, second.id]) await store.delete(id);
  });

  it("finds the enabled policies of a project and the system-wide ones that subscribe to an event", async () => {
    const pushA = await store.create(teamA, policy('push-a', { event_types: ['PUSH_ARTIFACT', 'SCANNING_FAILED'] }), { creator: 'alice' });
    await store.create(teamA, policy('pull-a', { event_types: ['PULL_ARTIFACT'] }), { creator: 'alice' });
    await store.create(teamA, policy('disabled-a', { enabled: false }), { creator: 'alice' });
    const pushB = await store.create(teamB, policy('push-b'), { creator: 'bob' });
    const system = await store.create(null, policy('everything', { event_types: ['PUSH_ARTIFACT', 'QUOTA_EXCEED'] }), { creator: 'admin' });
    await store.create(null, policy('system-off', { enabled: false }), { creator: 'admin' });

    const names = async (project: number, type: Parameters<WebhookPolicyStore['policiesFor']>[1]) =>
      (await store.policiesFor(project, type)).map((p) => p.name);
    assert.deepEqual(await names(teamA, 'PUSH_ARTIFACT'), ['push-a', 'everything']);
    assert.deepEqual(await names(teamB, 'PUSH_ARTIFACT'), ['push-b', 'everything']);
    assert.deepEqual(await names(teamA, 'QUOTA_EXCEED'), ['everything']);
    assert.deepEqual(await names(teamB, 'SCANNING_FAILED'), []);
    assert.deepEqual(await names(teamA, 'TAG_RETENTION'), []);

    const [found] = await store.policiesFor(teamA, 'SCANNING_FAILED');
    assert.deepEqual(found, pushA, 'policies come back whole, targets and secrets included');
    assert.deepEqual((await store.list(null)).map((p) => p.name), ['everything', 'system-off']);
    assert.equal(system.project_id, null);
    assert.equal(pushB.project_id, teamB);
  });

  it('deletes a project’s policies with the project', async () => {
    await database.db.deleteFrom('projects').where('id', '=', teamB).execute();
    assert.deepEqual(await store.list(teamB), []);
  });
});
