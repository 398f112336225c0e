import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from '../log/logger.ts';
import { JobError } from './job-error.ts';
import type { ClaimedJob, JobQueue } from './job-queue.ts';

/**
 * Runs jobs from the queue: claims due jobs of the kinds it has handlers for, at most
 * `concurrency` at a time, renews their leases while the handlers run, and records each outcome
 * (the handler's return value, or its error message for a retry). Payloads are never logged:
 * they may hold secrets.
 */
export type JobHandler = (payload: unknown, job: ClaimedJob, options: { readonly signal: AbortSignal }) => Promise<unknown>;

export interface JobWorkerOptions {
  readonly queue: JobQueue;
  /** Handlers by job kind; only these kinds are claimed. */
  readonly handlers: Readonly<Record<string, JobHandler>>;
  readonly logger: Logger;
  /** How often to look for due jobs when there was nothing to do; 1000 ms by default. */
  readonly pollMs?: number;
  /** Handlers running at once; 2 by default. */
  readonly concurrency?: number;
  /** Unique per worker; `<host>-<pid>-<random>` by default. */
  readonly workerId?: string;
  /** The lease taken on each job, renewed every third of it while the handler runs; 5 minutes by default. */
  readonly leaseMs?: number;
  /** How long `stop` waits for running handlers before aborting their signals; 30 s by default. */
  readonly graceMs?: number;
}

export interface JobWorker {
  readonly id: string;
  /** Starts polling in the background (a no-op when already started, or once stopped). */
  start(): void;
  /**
   * Stops claiming, waits up to the grace period for running handlers, then aborts their signals and
   * waits one more grace period. A job still running after that is left for its lease to expire.
   */
  stop(): Promise<void>;
  /** Claims and runs what is due now, batch by batch, until nothing is due; resolves with the number of jobs run. For tests: do not mix with `start`. */
  runOnce(): Promise<number>;
}

const DEFAULT_POLL_MS = 1000;
const DEFAULT_CONCURRENCY = 2;
const DEFAULT_LEASE_MS = 5 * 60_000;
const DEFAULT_GRACE_MS = 30_000;

export function createJobWorker(options: JobWorkerOptions): JobWorker {
  const { queue, handlers } = options;
  const id = options.workerId ?? `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  const logger = options.logger.child({ component: 'job-worker', worker: id });
  const pollMs = options.pollMs ?? DEFAULT_POLL_MS;
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  const graceMs = options.graceMs ?? DEFAULT_GRACE_MS;
  for (const [name, value] of Object.entries({ pollMs, concurrency, leaseMs, graceMs })) {
    if (!Number.isSafeInteger(value) || value < 1) throw new JobError('OPTION_INVALID', `${name} must be a positive integer, not ${value}`);
  }
  const kinds = Object.keys(handlers);
  const abort = new AbortController();
  const active = new Set<Promise<void>>();
  let loop: Promise<void> | undefined;
  let stopping = false;
  let wake: () => void = () => undefined;

  async function run(job: ClaimedJob): Promise<void> {
    const handler = handlers[job.kind];
    const fields = { jobId: job.id, kind: job.kind, attempt: job.attempts };
    const lost = new AbortController();
    let renewing = Promise.resolve();
    const renewal = setInterval(() => {
      renewing = queue.renew(job.id, id, leaseMs).catch((error: unknown) => {
        logger.warn('could not renew a job lease', { ...fields, error });
        if (error instanceof JobError && error.code === 'NOT_LOCKED') lost.abort(error);
      });
    }, Math.max(1, Math.floor(leaseMs / 3)));
    let outcome: { readonly ok: true; readonly result: unknown } | { readonly ok: false; readonly error: unknown };
    try {
      if (handler === undefined) throw new Error(`no handler for job kind ${job.kind}`);
      logger.debug('job started', fields);
      outcome = { ok: true, result: await handler(job.payload, job, { signal: AbortSignal.any([abort.signal, lost.signal]) }) };
    } catch (error) {
      outcome = { ok: false, error };
    } finally {
      clearInterval(renewal);
    }
    await renewing;
    // Stopped by a shutdown, not failed: back to the queue, for this node after a restart or another now.
    if (!outcome.ok && abort.signal.aborted) return release(job, fields);
    if (!outcome.ok) return record(job, outcome.error, fields);
    try {
      await queue.complete(job.id, id, outcome.result);
      logger.info('job succeeded', fields);
    } catch (error) {
      await record(job, error, fields);
    }
  }

  async function record(job: ClaimedJob, error: unknown, fields: Readonly<Record<string, unknown>>): Promise<void> {
    if (error instanceof JobError && error.code === 'NOT_LOCKED') {
      logger.warn('job finished after its lease passed to another worker; outcome dropped', fields);
      return;
    }
    const message = error instanceof Error ? error.message : String(error);
    try {
      const outcome = await queue.fail(job.id, id, message);
      logger.warn(outcome === 'failed' ? 'job failed for good' : 'job failed; will retry', { ...fields, error: message, maxAttempts: job.maxAttempts });
    } catch (failError) {
      logger.error('could not record a failed job', { ...fields, error: failError });
    }
  }

  async function release(job: ClaimedJob, fields: Readonly<Record<string, unknown>>): Promise<void> {
    try {
      await queue.release(job.id, id);
      logger.info('job stopped by the shutdown; queued again', fields);
    } catch (error) {
      logger.warn('could not give a stopped job back to the queue; its lease will run out', { ...fields, error });
    }
  }

  function track(job: ClaimedJob): Promise<void> {
    const running = run(job).finally(() => {
      active.delete(running);
      wake();
    });
    active.add(running);
    return running;
  }

  async function claim(limit: number): Promise<ClaimedJob[]> {
    if (kinds.length === 0 || limit < 1) return [];
    try {
      return await queue.claim(id, kinds, { limit, leaseMs });
    } catch (error) {
      logger.error('could not claim jobs', { error });
      return [];
    }
  }

  async function poll(): Promise<void> {
    for (;;) {
      if (stopping) return;
      // Armed before claiming, so that a handler finishing meanwhile still cuts the wait short.
      const { promise, resolve } = Promise.withResolvers<void>();
      wake = resolve;
      const free = concurrency - active.size;
      const jobs = await claim(free);
      for (const job of jobs) void track(job);
      if (free > 0 && jobs.length === free) continue;
      const timer = setTimeout(resolve, pollMs);
      await promise;
      clearTimeout(timer);
    }
  }

  return {
    id,
    start() {
      if (loop !== undefined || stopping) return;
      logger.info('job worker started', { kinds, concurrency });
      loop = poll();
    },

    async stop() {
      stopping = true;
      wake();
      await loop;
      if (!(await settlesWithin(active, graceMs))) {
        logger.warn('aborting running jobs', { running: active.size });
        abort.abort(new Error('the job worker is stopping'));
        await settlesWithin(active, graceMs);
      }
      if (loop !== undefined) logger.info('job worker stopped');
    },

    async runOnce() {
      let count = 0;
      for (;;) {
        const jobs = await claim(concurrency);
        await Promise.all(jobs.map(track));
        count += jobs.length;
        if (jobs.length === 0) return count;
      }
    },
  };
}

/** Whether every promise in `running` settles within `ms`. */
async function settlesWithin(running: ReadonlySet<Promise<void>>, ms: number): Promise<boolean> {
  if (running.size === 0) return true;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(resolve, ms, false);
  });
  try {
    return await Promise.race([Promise.allSettled(running).then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
