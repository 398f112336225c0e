import { sql } from 'kysely';
import type { MetadataDatabase } from '../storage/metadata/database.ts';
import { nextCronTime, parseCron } from './cron.ts';
import { JobError } from './job-error.ts';
import { encodeJson, type JobQueue } from './job-queue.ts';

/**
 * Recurring work (retention, GC, audit purge): named cron schedules in the metadata database, each
 * enqueuing one job of its kind whenever it comes due. Every node may tick: a schedule's
 * `next_run_at` is advanced with `UPDATE … WHERE name = ? AND next_run_at = <old>` in the same
 * transaction that enqueues the job, so exactly one node enqueues each run. Runs missed while no
 * node was ticking collapse into one.
 */
export interface ScheduleRecord {
  readonly name: string;
  readonly cron: string;
  readonly jobKind: string;
  readonly payload: unknown;
  readonly nextRunAt: number;
}

export interface Scheduler {
  /**
   * Creates or replaces a schedule (throws `CRON_INVALID` for a bad expression). Its next run is
   * kept when the cron expression is unchanged, and computed from now otherwise.
   */
  upsert(name: string, cron: string, jobKind: string, payload: unknown, options?: { signal?: AbortSignal }): Promise<ScheduleRecord>;
  /** Whether a schedule of that name existed. */
  remove(name: string, options?: { signal?: AbortSignal }): Promise<boolean>;
  /** By name. */
  list(options?: { signal?: AbortSignal }): Promise<ScheduleRecord[]>;
  /** Enqueues one job for each schedule due at `now` and advances it; resolves with the ids of the jobs this call enqueued. */
  tick(now?: number, options?: { signal?: AbortSignal }): Promise<number[]>;
}

export function createScheduler(database: MetadataDatabase, queue: JobQueue, options: { clock?: () => number } = {}): Scheduler {
  const { db } = database;
  const clock = options.clock ?? Date.now;

  return {
    async upsert(name, cron, jobKind, payload, upsertOptions = {}) {
      upsertOptions.signal?.throwIfAborted();
      const nextRunAt = nextCronTime(parseCron(cron), clock());
      const text = encodeJson(payload, 'payload');
      const row = await db
        .insertInto('schedules')
        .values({ name, cron, job_kind: jobKind, payload: text, next_run_at: nextRunAt })
        .onConflict((conflict) =>
          conflict.column('name').doUpdateSet((eb) => ({
            cron: eb.ref('excluded.cron'),
            job_kind: eb.ref('excluded.job_kind'),
            payload: eb.ref('excluded.payload'),
            next_run_at: sql<number>`case when ${sql.ref('schedules.cron')} = ${sql.ref('excluded.cron')} then ${sql.ref('schedules.next_run_at')} else ${sql.ref('excluded.next_run_at')} end`,
          })),
        )
        .returningAll()
        .executeTakeFirstOrThrow();
      return toRecord(row);
    },

    async remove(name, removeOptions = {}) {
      removeOptions.signal?.throwIfAborted();
      const result = await db.deleteFrom('schedules').where('name', '=', name).executeTakeFirst();
      return result.numDeletedRows > 0n;
    },

    async list(listOptions = {}) {
      listOptions.signal?.throwIfAborted();
      const rows = await db.selectFrom('schedules').selectAll().orderBy('name').execute();
      return rows.map(toRecord);
    },

    async tick(now = clock(), tickOptions = {}) {
      tickOptions.signal?.throwIfAborted();
      const due = await db.selectFrom('schedules').selectAll().where('next_run_at', '<=', now).orderBy('next_run_at').orderBy('name').execute();
      const enqueued: number[] = [];
      for (const schedule of due) {
        tickOptions.signal?.throwIfAborted();
        let next: number;
        try {
          next = nextCronTime(schedule.cron, now);
        } catch (error) {
          // Only a row written around `upsert` can hold a bad expression; skip it rather than block the others.
          if (error instanceof JobError) continue;
          throw error;
        }
        const id = await db.transaction().execute(async (trx) => {
          const advanced = await trx
            .updateTable('schedules')
            .set({ next_run_at: next })
            .where('name', '=', schedule.name)
            .where('next_run_at', '=', schedule.next_run_at)
            .executeTakeFirst();
          if (advanced.numUpdatedRows === 0n) return undefined;
          return queue.enqueue(schedule.job_kind, JSON.parse(schedule.payload), { transaction: trx, runAt: schedule.next_run_at });
        });
        if (id !== undefined) enqueued.push(id);
      }
      return enqueued;
    },
  };
}

function toRecord(row: { name: string; cron: string; job_kind: string; payload: string; next_run_at: number }): ScheduleRecord {
  return { name: row.name, cron: row.cron, jobKind: row.job_kind, payload: JSON.parse(row.payload) as unknown, nextRunAt: row.next_run_at };
}
