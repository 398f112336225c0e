import type { ExpressionBuilder, Kysely, Selectable, SelectQueryBuilder, Transaction } from 'kysely';
import type { MetadataDatabase } from '../storage/metadata/database.ts';
import type { JobsTable, JobStatus, Schema } from '../storage/metadata/schema.ts';
import { JobError } from './job-error.ts';

/**
 * The durable job queue (scans, rescans, retention, GC, webhooks), in the metadata database so that
 * every node of a deployment shares it. A worker claims due jobs for a lease; a job whose lease
 * passes while it is still running (its worker died) is due again and another worker takes it.
 * On PostgreSQL one `UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED)` claims, so workers
 * on several nodes never take the same job; on SQLite the claim is one `begin immediate`
 * transaction, which serializes writers.
 *
 * `complete`, `fail` and `renew` act only while the job is still running under that worker's id;
 * otherwise (the lease passed to another worker, or the job is done) they throw `NOT_LOCKED` and
 * change nothing. Payloads and results are stored as JSON.
 */
export type { JobStatus } from '../storage/metadata/schema.ts';

export interface JobRecord {
  readonly id: number;
  readonly kind: string;
  readonly payload: unknown;
  readonly status: JobStatus;
  /** Attempts started so far (counted when claimed). */
  readonly attempts: number;
  readonly maxAttempts: number;
  readonly runAt: number;
  readonly lockedBy: string | null;
  readonly lockedUntil: number | null;
  readonly lastError: string | null;
  readonly result: unknown;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface ClaimedJob extends JobRecord {
  readonly status: 'running';
  readonly lockedBy: string;
  readonly lockedUntil: number;
}

export interface EnqueueOptions {
  /** Not before then (milliseconds since the epoch); now by default. */
  readonly runAt?: number;
  /** 5 by default. */
  readonly maxAttempts?: number;
  /** Enqueue inside the caller's transaction, so the job commits (or not) with its other changes. */
  readonly transaction?: Transaction<Schema>;
  readonly signal?: AbortSignal;
}

export interface ClaimOptions {
  /** 10 by default. */
  readonly limit?: number;
  /** 5 minutes by default. */
  readonly leaseMs?: number;
  readonly now?: number;
  readonly signal?: AbortSignal;
}

export interface JobFilter {
  readonly kind?: string;
  readonly status?: JobStatus;
  /** 100 by default. */
  readonly limit?: number;
}

export interface PurgeFilter {
  /** Jobs last changed (finished, for finished ones) before then, in milliseconds since the epoch. */
  readonly updatedBefore?: number;
  /** Jobs made before then. */
  readonly createdBefore?: number;
  /** Every kind by default. */
  readonly kinds?: readonly string[];
  /** The finished ones (`succeeded`, `failed`) by default; a running job is never purged. */
  readonly statuses?: readonly Exclude<JobStatus, 'running'>[];
}

export interface JobQueue {
  enqueue(kind: string, payload: unknown, options?: EnqueueOptions): Promise<number>;
  /**
   * Claims up to `limit` due jobs of `kinds` for `worker`: queued ones whose `run_at` has come, and
   * running ones whose lease has passed (a dead worker's), oldest `run_at` first. Each claim counts
   * an attempt. A running job whose lease passed on its last attempt is marked failed instead.
   */
  claim(worker: string, kinds: readonly string[], options?: ClaimOptions): Promise<ClaimedJob[]>;
  /** Extends the lease of a job `worker` still holds to `leaseMs` from now; throws `NOT_LOCKED` otherwise. */
  renew(id: number, worker: string, leaseMs: number, options?: { now?: number; signal?: AbortSignal }): Promise<void>;
  /** Marks the job succeeded with `result`; throws `NOT_LOCKED` when `worker` no longer holds it. */
  complete(id: number, worker: string, result?: unknown, options?: { now?: number; signal?: AbortSignal }): Promise<void>;
  /**
   * Records a failed attempt (`error` in `last_error`): queued again after `retryDelayMs(attempts)`,
   * or failed for good once `attempts` reached `max_attempts`. Throws `NOT_LOCKED` when `worker` no
   * longer holds the job.
   */
  fail(id: number, worker: string, error: string, options?: { now?: number; signal?: AbortSignal }): Promise<'retrying' | 'failed'>;
  /**
   * Gives a job `worker` holds back to the queue, due now, its attempt not counted: the worker
   * stopped it (a shutdown), the job did not fail. Throws `NOT_LOCKED` when `worker` no longer holds it.
   */
  release(id: number, worker: string, options?: { now?: number; signal?: AbortSignal }): Promise<void>;
  get(id: number, options?: { signal?: AbortSignal }): Promise<JobRecord | undefined>;
  /** Newest first. */
  list(filter?: JobFilter, options?: { signal?: AbortSignal }): Promise<JobRecord[]>;
  /** How many jobs of `kind` are in `status`, counting only those made after `createdAfter` when given. */
  count(filter: { readonly kind: string; readonly status: JobStatus; readonly createdAfter?: number }, options?: { signal?: AbortSignal }): Promise<number>;
  /** Deletes the jobs `filter` selects (with their payloads and results); returns how many. */
  purge(filter: PurgeFilter, options?: { signal?: AbortSignal }): Promise<number>;
}

export interface JobQueueOptions {
  readonly clock?: () => number;
  /** The back-off after failed attempt number `attempt` (1 first): 1 s, 2 s, 4 s … capped at 1 h by default. */
  readonly retryDelayMs?: (attempt: number) => number;
}

const DEFAULT_MAX_ATTEMPTS = 5;
const DEFAULT_CLAIM_LIMIT = 10;
const DEFAULT_LEASE_MS = 5 * 60_000;
const DEFAULT_LIST_LIMIT = 100;
const MAX_ERROR_LENGTH = 4000;

export function defaultRetryDelayMs(attempt: number): number {
  return Math.min(1000 * 2 ** Math.max(0, attempt - 1), 3_600_000);
}

type JobRow = Selectable<JobsTable>;

export function createJobQueue(database: MetadataDatabase, options: JobQueueOptions = {}): JobQueue {
  const { db } = database;
  const clock = options.clock ?? Date.now;
  const retryDelayMs = options.retryDelayMs ?? defaultRetryDelayMs;

  const held = (id: number, worker: string) => (eb: ExpressionBuilder<Schema, 'jobs'>) =>
    eb.and([eb('id', '=', id), eb('status', '=', 'running'), eb('locked_by', '=', worker)]);

  const notLocked = (id: number, worker: string): JobError =>
    new JobError('NOT_LOCKED', `job ${id} is not running under worker ${worker} (its lease passed to another worker, or it is done)`);

  return {
    async enqueue(kind, payload, enqueueOptions = {}) {
      enqueueOptions.signal?.throwIfAborted();
      const maxAttempts = enqueueOptions.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
      positiveInteger('maxAttempts', maxAttempts);
      const now = clock();
      const row = await (enqueueOptions.transaction ?? db)
        .insertInto('jobs')
        .values({
          kind,
          payload: encodeJson(payload, 'payload'),
          status: 'queued',
          max_attempts: maxAttempts,
          run_at: enqueueOptions.runAt ?? now,
          created_at: now,
          updated_at: now,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      return row.id;
    },

    async claim(worker, kinds, claimOptions = {}) {
      claimOptions.signal?.throwIfAborted();
      const limit = claimOptions.limit ?? DEFAULT_CLAIM_LIMIT;
      const leaseMs = claimOptions.leaseMs ?? DEFAULT_LEASE_MS;
      positiveInteger('limit', limit);
      positiveInteger('leaseMs', leaseMs);
      if (kinds.length === 0) return [];
      const now = claimOptions.now ?? clock();
      await db
        .updateTable('jobs')
        .set({ status: 'failed', last_error: 'the lease expired on the last attempt (the worker stopped or died)', locked_until: null, updated_at: now })
        .where('kind', 'in', kinds)
        .where('status', '=', 'running')
        .where('locked_until', '<', now)
        .whereRef('attempts', '>=', 'max_attempts')
        .execute();
      const due = (from: Kysely<Schema>) =>
        from
          .selectFrom('jobs')
          .select('id')
          .where('kind', 'in', kinds)
          .where((eb) =>
            eb.or([
              eb.and([eb('status', '=', 'queued'), eb('run_at', '<=', now)]),
              eb.and([eb('status', '=', 'running'), eb('locked_until', '<', now), eb('attempts', '<', eb.ref('max_attempts'))]),
            ]),
          )
          .orderBy('run_at')
          .orderBy('id')
          .limit(limit);
      const take = (from: Kysely<Schema>, ids: SelectQueryBuilder<Schema, 'jobs', { id: number }> | readonly number[]) =>
        from
          .updateTable('jobs')
          .set((eb) => ({
            status: 'running',
            attempts: eb('attempts', '+', 1),
            locked_by: worker,
            locked_until: now + leaseMs,
            updated_at: now,
          }))
          .where('id', 'in', ids)
          .returningAll()
          .execute();
      const rows =
        database.kind === 'postgres'
          ? await take(db, due(db).forUpdate().skipLocked())
          : await db.transaction().execute(async (trx) => {
              const ids = (await due(trx).execute()).map((row) => row.id);
              return ids.length === 0 ? [] : take(trx, ids);
            });
      return rows.toSorted((a, b) => a.run_at - b.run_at || a.id - b.id).map((row) => toRecord(row) as ClaimedJob);
    },

    async renew(id, worker, leaseMs, renewOptions = {}) {
      renewOptions.signal?.throwIfAborted();
      positiveInteger('leaseMs', leaseMs);
      const now = renewOptions.now ?? clock();
      const result = await db.updateTable('jobs').set({ locked_until: now + leaseMs, updated_at: now }).where(held(id, worker)).executeTakeFirst();
      if (result.numUpdatedRows === 0n) throw notLocked(id, worker);
    },

    async complete(id, worker, result, completeOptions = {}) {
      completeOptions.signal?.throwIfAborted();
      const now = completeOptions.now ?? clock();
      const updated = await db
        .updateTable('jobs')
        .set({ status: 'succeeded', result: result === undefined ? null : encodeJson(result, 'result'), locked_until: null, updated_at: now })
        .where(held(id, worker))
        .executeTakeFirst();
      if (updated.numUpdatedRows === 0n) throw notLocked(id, worker);
    },

    async fail(id, worker, error, failOptions = {}) {
      failOptions.signal?.throwIfAborted();
      const now = failOptions.now ?? clock();
      const row = await db.selectFrom('jobs').select(['attempts', 'max_attempts']).where(held(id, worker)).executeTakeFirst();
      if (row === undefined) throw notLocked(id, worker);
      const outcome = row.attempts >= row.max_attempts ? 'failed' : 'retrying';
      const lastError = error.length > MAX_ERROR_LENGTH ? `${error.slice(0, MAX_ERROR_LENGTH)}…` : error;
      const changes =
        outcome === 'failed'
          ? { status: 'failed' as const, last_error: lastError, locked_until: null, updated_at: now }
          : { status: 'queued' as const, last_error: lastError, run_at: now + retryDelayMs(row.attempts), locked_by: null, locked_until: null, updated_at: now };
      // `attempts` unchanged means no other worker claimed the job between the read and this write.
      const updated = await db.updateTable('jobs').set(changes).where(held(id, worker)).where('attempts', '=', row.attempts).executeTakeFirst();
      if (updated.numUpdatedRows === 0n) throw notLocked(id, worker);
      return outcome;
    },

    async release(id, worker, releaseOptions = {}) {
      releaseOptions.signal?.throwIfAborted();
      const now = releaseOptions.now ?? clock();
      const updated = await db
        .updateTable('jobs')
        .set((eb) => ({ status: 'queued' as const, attempts: eb('attempts', '-', 1), run_at: now, locked_by: null, locked_until: null, updated_at: now }))
        .where(held(id, worker))
        .executeTakeFirst();
      if (updated.numUpdatedRows === 0n) throw notLocked(id, worker);
    },

    async get(id, getOptions = {}) {
      getOptions.signal?.throwIfAborted();
      const row = await db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
      return row === undefined ? undefined : toRecord(row);
    },

    async list(filter = {}, listOptions = {}) {
      listOptions.signal?.throwIfAborted();
      const limit = filter.limit ?? DEFAULT_LIST_LIMIT;
      positiveInteger('limit', limit);
      let query = db.selectFrom('jobs').selectAll();
      if (filter.kind !== undefined) query = query.where('kind', '=', filter.kind);
      if (filter.status !== undefined) query = query.where('status', '=', filter.status);
      const rows = await query.orderBy('id', 'desc').limit(limit).execute();
      return rows.map(toRecord);
    },

    async count(filter, countOptions = {}) {
      countOptions.signal?.throwIfAborted();
      let query = db.selectFrom('jobs').select((eb) => eb.fn.countAll<number | string | bigint>().as('n')).where('kind', '=', filter.kind).where('status', '=', filter.status);
      if (filter.createdAfter !== undefined) query = query.where('created_at', '>', filter.createdAfter);
      return Number((await query.executeTakeFirstOrThrow()).n);
    },

    async purge(filter, purgeOptions = {}) {
      purgeOptions.signal?.throwIfAborted();
      const statuses = filter.statuses ?? ['succeeded', 'failed'];
      if (filter.updatedBefore === undefined && filter.createdBefore === undefined) throw new JobError('OPTION_INVALID', 'purge needs updatedBefore or createdBefore');
      if (statuses.length === 0 || filter.kinds?.length === 0) return 0;
      let query = db.deleteFrom('jobs').where('status', 'in', statuses);
      if (filter.updatedBefore !== undefined) query = query.where('updated_at', '<', filter.updatedBefore);
      if (filter.createdBefore !== undefined) query = query.where('created_at', '<', filter.createdBefore);
      if (filter.kinds !== undefined) query = query.where('kind', 'in', filter.kinds);
      const result = await query.executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

function toRecord(row: JobRow): JobRecord {
  return {
    id: row.id,
    kind: row.kind,
    payload: JSON.parse(row.payload) as unknown,
    status: row.status,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    runAt: row.run_at,
    lockedBy: row.locked_by,
    lockedUntil: row.locked_until,
    lastError: row.last_error,
    result: row.result === null ? undefined : (JSON.parse(row.result) as unknown),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** `value` as JSON text (`null` for undefined); throws `PAYLOAD_INVALID` for what JSON cannot hold. */
export function encodeJson(value: unknown, what: string): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    throw new JobError('PAYLOAD_INVALID', `the job ${what} cannot be stored as JSON`, { cause: error });
  }
  // `undefined`, a function or a symbol: stored as null, which is what JSON would make of it in an object.
  return text ?? 'null';
}

function positiveInteger(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 1) throw new JobError('OPTION_INVALID', `${name} must be a positive integer, not ${value}`);
}
