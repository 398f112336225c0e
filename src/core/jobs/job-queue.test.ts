import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { MetadataDatabase } from '../storage/metadata/database.ts';
import { describeEachDatabase, twoPostgresNodes } from '../../testing/databases.ts';
import { JobError } from './job-error.ts';
import { createJobQueue, defaultRetryDelayMs, type ClaimedJob, type JobQueue } from './job-queue.ts';

const T = Date.parse('2030-01-01T00:00:00Z');

const isJobError = (code: JobError['code']) => (error: unknown) => error instanceof JobError && error.code === code;

describeEachDatabase('job queue', (open) => {
  let database: MetadataDatabase;
  let queue: JobQueue;
  let now = T;

  before(async () => {
    database = await open();
    queue = createJobQueue(database, { clock: () => now });
  });
  after(() => database.close());

  it('enqueues, claims and completes a job', async () => {
    const id = await queue.enqueue('scan', { digest: 'sha256:abc', huge: 2 ** 40 });
    assert.equal((await queue.get(id))?.status, 'queued');
    const later = await queue.enqueue('scan', {}, { runAt: T + 60_000 });
    await queue.enqueue('other', {});

    const [job, ...rest] = await queue.claim('w1', ['scan'], { leaseMs: 30_000, now: T });
    assert.deepEqual(rest, [], 'neither the job not yet due nor another kind is claimed');
    assert.equal(job?.id, id);
    assert.deepEqual(job.payload, { digest: 'sha256:abc', huge: 2 ** 40 });
    assert.equal(job.status, 'running');
    assert.equal(job.attempts, 1);
    assert.equal(job.maxAttempts, 5);
    assert.equal(job.lockedBy, 'w1');
    assert.equal(job.lockedUntil, T + 30_000);
    assert.deepEqual(await queue.claim('w2', ['scan'], { now: T + 1000 }), [], 'a leased job is not claimed again');

    await queue.complete(id, 'w1', { findings: 3 });
    const done = await queue.get(id);
    assert.equal(done?.status, 'succeeded');
    assert.deepEqual(done.result, { findings: 3 });
    await assert.rejects(queue.complete(id, 'w1'), isJobError('NOT_LOCKED'), 'a job completes once');
    assert.equal((await queue.get(later))?.status, 'queued');
    assert.equal(await queue.get(987_654), undefined);
  });

  it('claims the oldest due jobs first, up to the limit', async () => {
    const ids = [];
    for (const offset of [3, 1, 2, 1]) ids.push(await queue.enqueue('order', { offset }, { runAt: T - offset * 1000 }));
    const claimed = await queue.claim('w1', ['order'], { limit: 3, now: T });
    assert.deepEqual(
      claimed.map((job) => job.id),
      [ids[0], ids[2], ids[1]],
    );
    assert.deepEqual(
      (await queue.claim('w1', ['order'], { now: T })).map((job) => job.id),
      [ids[3]],
    );
    assert.deepEqual(await queue.claim('w1', [], { now: T }), []);
  });

  it('never gives the same job to two claimers running at once', async () => {
    const other = createJobQueue(database, { clock: () => now });
    const ids = new Set<number>();
    for (let i = 0; i < 25; i++) ids.add(await queue.enqueue('race', { i }));
    const seen: number[] = [];
    for (let round = 0; round < 10 && seen.length < ids.size; round++) {
      const batches = await Promise.all([
        queue.claim('a', ['race'], { limit: 3, now: T }),
        other.claim('b', ['race'], { limit: 3, now: T }),
        queue.claim('c', ['race'], { limit: 2, now: T }),
        other.claim('d', ['race'], { limit: 4, now: T }),
      ]);
      for (const job of batches.flat()) seen.push(job.id);
    }
    assert.equal(seen.length, ids.size, 'every job claimed exactly once');
    assert.deepEqual(new Set(seen), ids);
  });

  it("lets another worker take a job whose lease expired, and refuses the first worker's outcome", async () => {
    const id = await queue.enqueue('lease', {});
    assert.equal((await queue.claim('w1', ['lease'], { leaseMs: 1000, now: T })).length, 1);
    assert.deepEqual(await queue.claim('w2', ['lease'], { now: T + 1000 }), [], 'the lease still holds at its last millisecond');
    const [taken] = await queue.claim('w2', ['lease'], { leaseMs: 1000, now: T + 1001 });
    assert.equal(taken?.id, id);
    assert.equal(taken.attempts, 2);
    assert.equal(taken.lockedBy, 'w2');

    await assert.rejects(queue.complete(id, 'w1', 'stale'), isJobError('NOT_LOCKED'));
    await assert.rejects(queue.fail(id, 'w1', 'stale'), isJobError('NOT_LOCKED'));
    await assert.rejects(queue.renew(id, 'w1', 1000), isJobError('NOT_LOCKED'));
    assert.equal((await queue.get(id))?.lockedBy, 'w2', 'nothing changed');

    await queue.renew(id, 'w2', 60_000, { now: T + 2000 });
    assert.equal((await queue.get(id))?.lockedUntil, T + 62_000);
    assert.deepEqual(await queue.claim('w3', ['lease'], { now: T + 30_000 }), [], 'a renewed lease holds');
    await queue.complete(id, 'w2', 'fresh');
    assert.equal((await queue.get(id))?.result, 'fresh');
  });

  it('retries a failed job with back-off, then fails it for good after its last attempt', async () => {
    const id = await queue.enqueue('flaky', {}, { maxAttempts: 3 });
    const claimAt = async (at: number): Promise<ClaimedJob[]> => queue.claim('w1', ['flaky'], { now: at });

    assert.equal((await claimAt(T)).length, 1);
    assert.equal(await queue.fail(id, 'w1', 'registry unreachable', { now: T }), 'retrying');
    let job = await queue.get(id);
    assert.equal(job?.status, 'queued');
    assert.equal(job.runAt, T + 1000);
    assert.equal(job.lockedBy, null);
    assert.equal(job.lastError, 'registry unreachable');
    assert.deepEqual(await claimAt(T + 999), [], 'not before the back-off has passed');

    assert.equal((await claimAt(T + 1000))[0]?.attempts, 2);
    assert.equal(await queue.fail(id, 'w1', 'timeout', { now: T + 1000 }), 'retrying');
    assert.equal((await queue.get(id))?.runAt, T + 3000, 'the second back-off is twice the first');

    assert.equal((await claimAt(T + 3000))[0]?.attempts, 3);
    assert.equal(await queue.fail(id, 'w1', 'still broken', { now: T + 3000 }), 'failed');
    job = await queue.get(id);
    assert.equal(job?.status, 'failed');
    assert.equal(job.attempts, 3);
    assert.equal(job.lastError, 'still broken');
    assert.deepEqual(await claimAt(T + 3_600_000), []);
    assert.deepEqual([1, 2, 3, 12, 13, 40].map(defaultRetryDelayMs), [1000, 2000, 4000, 2_048_000, 3_600_000, 3_600_000]);
  });

  it('fails a job whose lease expired on its last attempt instead of running it again', async () => {
    const id = await queue.enqueue('dies', {}, { maxAttempts: 1 });
    assert.equal((await queue.claim('w1', ['dies'], { leaseMs: 1000, now: T })).length, 1);
    assert.deepEqual(await queue.claim('w2', ['dies'], { now: T + 5000 }), []);
    const job = await queue.get(id);
    assert.equal(job?.status, 'failed');
    assert.match(job.lastError ?? '', /lease expired/);
  });

  it('enqueues inside the caller transaction, and lists and counts by kind and status', async () => {
    await database.db
      .transaction()
      .execute(async (trx) => {
        await queue.enqueue('tx', { n: 1 }, { transaction: trx });
        throw new Error('roll back');
      })
      .catch(() => undefined);
    assert.deepEqual(await queue.list({ kind: 'tx' }), [], 'a rolled-back transaction takes its job with it');
    await database.db.transaction().execute((trx) => queue.enqueue('tx', { n: 2 }, { transaction: trx }));
    const second = await queue.enqueue('tx', { n: 3 });
    const listed = await queue.list({ kind: 'tx', status: 'queued' });
    assert.deepEqual(
      listed.map((job) => job.payload),
      [{ n: 3 }, { n: 2 }],
      'newest first',
    );
    assert.deepEqual(
      (await queue.list({ kind: 'tx', limit: 1 })).map((job) => job.id),
      [second],
    );
    assert.deepEqual(await queue.list({ kind: 'tx', status: 'failed' }), []);
    assert.equal(await queue.count({ kind: 'tx', status: 'queued' }), 2);
    assert.equal(await queue.count({ kind: 'tx', status: 'queued', createdAfter: now - 1 }), 2, 'made after that instant');
    assert.equal(await queue.count({ kind: 'tx', status: 'queued', createdAfter: now }), 0, 'made at that instant is not after it');
    assert.equal(await queue.count({ kind: 'tx', status: 'failed' }), 0);
  });

  it('purges finished jobs by age and kind, never a running one', async () => {
    now = T + 1_000_000;
    const done = await queue.enqueue('purge-a', {});
    const running = await queue.enqueue('purge-a', {});
    const waiting = await queue.enqueue('purge-a', {});
    const other = await queue.enqueue('purge-b', {});
    const claimed = await queue.claim('w', ['purge-a', 'purge-b'], { limit: 3, now });
    assert.deepEqual(claimed.map((job) => job.id), [done, running, waiting]);
    await queue.complete(done, 'w');
    await queue.fail(waiting, 'w', 'try again');
    await queue.claim('w', ['purge-b'], { now });
    await queue.complete(other, 'w');
    now += 10;
    assert.equal(await queue.purge({ updatedBefore: now - 10, kinds: ['purge-a'] }), 0, 'nothing that old');
    assert.equal(await queue.purge({ updatedBefore: now, kinds: ['purge-a'] }), 1, 'the finished one');
    assert.equal(await queue.get(done), undefined);
    assert.equal(await queue.purge({ createdBefore: now, kinds: ['purge-a'], statuses: ['queued', 'succeeded', 'failed'] }), 1, 'and, when asked, a queued one');
    assert.equal((await queue.get(running))?.status, 'running');
    assert.equal((await queue.get(other))?.status, 'succeeded', 'another kind stays');
    await assert.rejects(queue.purge({}), isJobError('OPTION_INVALID'));
  });

  it('rejects payloads JSON cannot hold and options out of range', async () => {
    await assert.rejects(queue.enqueue('bad', { size: 1n }), isJobError('PAYLOAD_INVALID'));
    await assert.rejects(queue.enqueue('bad', {}, { maxAttempts: 0 }), isJobError('OPTION_INVALID'));
    await assert.rejects(queue.claim('w', ['bad'], { limit: 0 }), isJobError('OPTION_INVALID'));
    await assert.rejects(queue.get(1, { signal: AbortSignal.abort() }), { name: 'AbortError' });
  });
});

void describe('job queue across two nodes [postgres]', () => {
  const nodes = twoPostgresNodes();

  it('never gives the same job to workers on two connection pools', async () => {
    const [a, b] = nodes.map((node) => createJobQueue(node, { clock: () => T }));
    assert.ok(a !== undefined && b !== undefined);
    for (let i = 0; i < 40; i++) await a.enqueue('race', { i });
    const seen: number[] = [];
    for (let round = 0; round < 20 && seen.length < 40; round++) {
      const batches = await Promise.all([
        a.claim('a1', ['race'], { limit: 3, now: T }),
        a.claim('a2', ['race'], { limit: 3, now: T }),
        b.claim('b1', ['race'], { limit: 3, now: T }),
        b.claim('b2', ['race'], { limit: 3, now: T }),
      ]);
      for (const job of batches.flat()) seen.push(job.id);
    }
    assert.equal(seen.length, 40);
    assert.equal(new Set(seen).size, 40, 'no job claimed twice');
  });
});
