import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, it } from 'node:test';
import { createLogger, silentLogger } from '../log/logger.ts';
import type { MetadataDatabase } from '../storage/metadata/database.ts';
import { describeEachDatabase } from '../../testing/databases.ts';
import { createJobQueue, type JobQueue, type JobStatus } from './job-queue.ts';
import { createJobWorker } from './job-worker.ts';

const SECRET = 'hunter2-registry-password';

describeEachDatabase('job worker', (open) => {
  let database: MetadataDatabase;
  let queue: JobQueue;

  before(async () => {
    database = await open();
    queue = createJobQueue(database, { retryDelayMs: () => 0 });
  });
  after(() => database.close());

  async function waitFor(id: number, status: JobStatus): Promise<void> {
    for (let i = 0; i < 500; i++) {
      if ((await queue.get(id))?.status === status) return;
      await sleep(10);
    }
    assert.fail(`job ${id} never became ${status}`);
  }

  it('runs handlers, records their results, and retries a handler that failed once', async () => {
    const lines: string[] = [];
    const logger = createLogger({
      level: 'debug',
      stream: new Writable({
        write(chunk: Buffer, _encoding, done) {
          lines.push(chunk.toString());
          done();
        },
      }),
    });
    let calls = 0;
    const worker = createJobWorker({
      queue,
      logger,
      workerId: 'w-once',
      handlers: {
        echo: async (payload) => ({ echoed: payload }),
        flaky: async (_payload, job) => {
          calls++;
          if (job.attempts === 1) throw new Error('registry unreachable');
          return 'ok';
        },
      },
    });
    const echo = await queue.enqueue('echo', { password: SECRET });
    const flaky = await queue.enqueue('flaky', { password: SECRET });
    const unrelated = await queue.enqueue('unrelated', {});

    assert.equal(await worker.runOnce(), 3, 'echo, flaky, and flaky again (no back-off here)');
    assert.deepEqual((await queue.get(echo))?.result, { echoed: { password: SECRET } });
    const retried = await queue.get(flaky);
    assert.equal(retried?.status, 'succeeded');
    assert.equal(retried.attempts, 2);
    assert.equal(retried.lastError, 'registry unreachable');
    assert.equal(calls, 2);
    assert.equal((await queue.get(unrelated))?.status, 'queued', 'kinds without a handler are left alone');
    assert.equal(await worker.runOnce(), 0);

    const log = lines.join('');
    assert.match(log, /job failed; will retry/);
    assert.match(log, /registry unreachable/);
    assert.ok(!log.includes(SECRET), 'payloads are never logged');
  });

  it('fails a job for good once its handler has failed every attempt', async () => {
    const worker = createJobWorker({ queue, logger: silentLogger, handlers: { broken: () => Promise.reject(new Error('bad manifest')) } });
    const id = await queue.enqueue('broken', {}, { maxAttempts: 2 });
    assert.equal(await worker.runOnce(), 2);
    const job = await queue.get(id);
    assert.equal(job?.status, 'failed');
    assert.equal(job.lastError, 'bad manifest');
  });

  it('polls in the background, at most `concurrency` handlers at a time', async () => {
    let running = 0;
    let most = 0;
    const worker = createJobWorker({
      queue,
      logger: silentLogger,
      pollMs: 20,
      concurrency: 2,
      handlers: {
        slow: async () => {
          most = Math.max(most, ++running);
          await sleep(30);
          running--;
        },
      },
    });
    worker.start();
    worker.start();
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push(await queue.enqueue('slow', { i }));
    for (const id of ids) await waitFor(id, 'succeeded');
    await worker.stop();
    assert.equal(most, 2);
    const late = await queue.enqueue('slow', {});
    await sleep(60);
    assert.equal((await queue.get(late))?.status, 'queued', 'a stopped worker claims nothing');
  });

  it('renews the lease of a long handler so that no other worker takes its job', async () => {
    const worker = createJobWorker({ queue, logger: silentLogger, leaseMs: 150, handlers: { long: () => sleep(500, 'done') } });
    const id = await queue.enqueue('long', {});
    const running = worker.runOnce();
    await sleep(300);
    assert.deepEqual(await queue.claim('thief', ['long']), [], 'the lease was renewed');
    assert.equal(await running, 1);
    const job = await queue.get(id);
    assert.equal(job?.status, 'succeeded');
    assert.equal(job.attempts, 1);
  });

  it('stop waits for running handlers, then aborts them after the grace period', async () => {
    let aborted = false;
    const worker = createJobWorker({
      queue,
      logger: silentLogger,
      pollMs: 10,
      graceMs: 50,
      handlers: {
        forever: (_payload, _job, { signal }) =>
          new Promise((_resolve, reject) => {
            signal.addEventListener('abort', () => {
              aborted = true;
              reject(signal.reason as Error);
            });
          }),
      },
    });
    // One attempt only (a rescan): a shutdown must not use it up.
    const id = await queue.enqueue('forever', {}, { maxAttempts: 1 });
    worker.start();
    await waitFor(id, 'running');
    const started = Date.now();
    await worker.stop();
    assert.ok(Date.now() - started >= 45, 'waited for the grace period first');
    assert.equal(aborted, true);
    const job = await queue.get(id);
    assert.deepEqual([job?.status, job?.attempts, job?.lastError], ['queued', 0, null], 'stopped, not failed: queued again, its attempt not counted');
    // The next worker (this node restarted, or another) runs it.
    const next = createJobWorker({ queue, logger: silentLogger, pollMs: 10, handlers: { forever: () => Promise.resolve('done') } });
    next.start();
    await waitFor(id, 'succeeded');
    await next.stop();
  });
});
