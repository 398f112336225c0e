import type { JobQueue, JobRecord } from '../core/jobs/job-queue.ts';
import { until } from './until.ts';

/**
 * What the per-minute schedule does after a vulnerability data import, done now: the watch job
 * notices the import and rescans everything once. Resolves with that rescan's finished job, so
 * that a test's later pushes are not rescanned behind its back when the minute turns.
 */
export async function rescanAfterImport(jobs: JobQueue, importId: number): Promise<JobRecord> {
  await jobs.enqueue('vulndb-watch', {});
  const trigger = `vulnerability data import ${importId}`;
  // The rescan for this import (the schedule may also have rescanned for an earlier one).
  const found = await until(
    async () => (await jobs.list({ kind: 'rescan', status: 'succeeded' })).find((job) => (job.result as { trigger?: string } | null)?.trigger === trigger),
    (job) => job !== undefined,
    `the rescan after import ${importId}`,
  );
  if (found === undefined) throw new Error(`no rescan after import ${importId}`);
  return found;
}
