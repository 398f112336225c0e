import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { MetadataDatabase } from '../storage/metadata/database.ts';
import { describeEachDatabase, twoPostgresNodes } from '../../testing/databases.ts';
import { JobError } from './job-error.ts';
import { createJobQueue } from './job-queue.ts';
import { createScheduler } from './scheduler.ts';

const at = (iso: string): number => Date.parse(iso);

describeEachDatabase('scheduler', (open) => {
  let database: MetadataDatabase;
  let now = at('2030-01-01T10:07:00Z');
  const clock = (): number => now;

  before(async () => {
    database = await open();
  });
  after(() => database.close());

  it('creates, replaces, lists and removes schedules', async () => {
    const scheduler = createScheduler(database, createJobQueue(database, { clock }), { clock });
    await assert.rejects(scheduler.upsert('bad', '61 * * * *', 'gc', {}), (error: unknown) => {
      return error instanceof JobError && error.code === 'CRON_INVALID' && /minute/.test(error.message);
    });
    const gc = await scheduler.upsert('gc', '*/15 * * * *', 'gc', { dryRun: false });
    assert.deepEqual(gc, { name: 'gc', cron: '*/15 * * * *', jobKind: 'gc', payload: { dryRun: false }, nextRunAt: at('2030-01-01T10:15:00Z') });

    now = at('2030-01-01T10:20:00Z');
    const kept = await scheduler.upsert('gc', '*/15 * * * *', 'gc', { dryRun: true });
    assert.equal(kept.nextRunAt, at('2030-01-01T10:15:00Z'), 'the same cron keeps its pending run');
    assert.deepEqual(kept.payload, { dryRun: true });
    const moved = await scheduler.upsert('gc', '0 0 3 * * *', 'gc', { dryRun: true });
    assert.equal(moved.nextRunAt, at('2030-01-02T03:00:00Z'), 'a new cron is computed from now');

    await scheduler.upsert('audit-purge', '@daily', 'audit-purge', null);
    assert.deepEqual(
      (await scheduler.list()).map((schedule) => schedule.name),
      ['audit-purge', 'gc'],
    );
    assert.equal(await scheduler.remove('gc'), true);
    assert.equal(await scheduler.remove('gc'), false);
    assert.equal(await scheduler.remove('audit-purge'), true);
    assert.deepEqual(await scheduler.list(), []);
  });

  it('enqueues one job when a schedule comes due and advances it', async () => {
    now = at('2030-01-01T10:07:00Z');
    const queue = createJobQueue(database, { clock });
    const scheduler = createScheduler(database, queue, { clock });
    await scheduler.upsert('retention', '*/15 * * * *', 'retention', { project: 'dev' });

    assert.deepEqual(await scheduler.tick(at('2030-01-01T10:14:59Z')), []);
    const [id, ...more] = await scheduler.tick(at('2030-01-01T10:15:00Z'));
    assert.deepEqual(more, []);
    assert.ok(id !== undefined);
    const job = await queue.get(id);
    assert.equal(job?.kind, 'retention');
    assert.deepEqual(job.payload, { project: 'dev' });
    assert.equal(job.runAt, at('2030-01-01T10:15:00Z'));
    assert.deepEqual(await scheduler.tick(at('2030-01-01T10:15:00Z')), [], 'a run is enqueued once');
    assert.equal((await scheduler.list())[0]?.nextRunAt, at('2030-01-01T10:30:00Z'));

    assert.equal((await scheduler.tick(at('2030-01-01T12:01:00Z'))).length, 1, 'missed runs collapse into one');
    assert.equal((await scheduler.list())[0]?.nextRunAt, at('2030-01-01T12:15:00Z'));
    await scheduler.remove('retention');
  });

  it('enqueues exactly once when two schedulers tick at the same time', async () => {
    now = at('2030-01-01T10:07:00Z');
    const queue = createJobQueue(database, { clock });
    const [a, b] = [createScheduler(database, queue, { clock }), createScheduler(database, createJobQueue(database, { clock }), { clock })];
    for (let i = 0; i < 5; i++) await a.upsert(`race-${i}`, '0 * * * *', 'race', { i });
    const due = at('2030-01-01T11:00:00Z');
    const ids = (await Promise.all([a.tick(due), b.tick(due), a.tick(due), b.tick(due)])).flat();
    assert.equal(ids.length, 5);
    const jobs = await queue.list({ kind: 'race' });
    assert.deepEqual(jobs.map((job) => (job.payload as { i: number }).i).toSorted((x, y) => x - y), [0, 1, 2, 3, 4]);
  });
});

void describe('scheduler across two nodes [postgres]', () => {
  const nodes = twoPostgresNodes();

  it('enqueues each run exactly once when both nodes tick', async () => {
    const clock = (): number => at('2030-01-01T10:07:00Z');
    const [first, second] = nodes;
    assert.ok(first !== undefined && second !== undefined);
    const queue = createJobQueue(first, { clock });
    const [a, b] = [createScheduler(first, queue, { clock }), createScheduler(second, createJobQueue(second, { clock }), { clock })];
    for (let i = 0; i < 10; i++) await a.upsert(`race-${i}`, '0 0 * * * *', 'race', { i });
    let total = 0;
    for (const hour of ['11', '12', '13']) {
      const due = at(`2030-01-01T${hour}:00:00Z`);
      const ids = (await Promise.all([a.tick(due), b.tick(due), a.tick(due), b.tick(due)])).flat();
      assert.equal(ids.length, 10, `one job per schedule at ${hour}:00`);
      total += ids.length;
    }
    const jobs = await queue.list({ kind: 'race', limit: 100 });
    assert.equal(jobs.length, total);
  });
});
