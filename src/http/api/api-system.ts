import type { JobRecord } from '../../core/jobs/job-queue.ts';
import { HttpError } from '../http-error.ts';
import { API_PREFIX, type ApiRoute } from './api-route.ts';
import { audit, created, intParam, ok, requireSystem } from './api-guards.ts';
import { PAGING_QUERY, pagedOk } from './paging.ts';

/** A GC run as the API shows it: the job's state and, once done, its report. */
function gcView(job: JobRecord): unknown {
  return {
    id: job.id,
    job_status: job.status,
    attempts: job.attempts,
    creation_time: new Date(job.createdAt).toISOString(),
    update_time: new Date(job.updatedAt).toISOString(),
    parameters: job.payload,
    report: job.result ?? null,
    error: job.lastError ?? null,
  };
}

export const systemRoutes: readonly ApiRoute[] = [
  {
    operationId: 'createGCJob',
    method: 'POST',
    path: '/system/gc',
    tag: 'gc',
    summary: 'Starts garbage collection as a durable job (online; `dry_run` reports what would be freed).',
    body: { type: 'object', properties: { dry_run: { type: 'boolean' }, grace_period_seconds: { type: 'integer', minimum: 0 } } },
    async handle(req) {
      await requireSystem(req, 'garbage-collection', 'create');
      const body = req.body as { dry_run?: boolean; grace_period_seconds?: number };
      const payload = { dryRun: body.dry_run === true, gracePeriodMs: body.grace_period_seconds === undefined ? req.services.system.gcGracePeriodMs : body.grace_period_seconds * 1000 };
      const id = await req.services.start.gc(payload);
      await audit(req, { resource: `gc ${id}`, resourceType: 'garbage_collection', operation: payload.dryRun ? 'dry_run' : 'execute' });
      const job = await req.services.jobs.get(id);
      return created(`${API_PREFIX}/system/gc/${id}`, job === undefined ? { id } : gcView(job));
    },
  },
  {
    operationId: 'listGCJobs',
    method: 'GET',
    path: '/system/gc',
    tag: 'gc',
    summary: 'The 50 most recent garbage collection runs with their reports, newest first, paged.',
    query: PAGING_QUERY,
    async handle(req) {
      await requireSystem(req, 'garbage-collection', 'list');
      return pagedOk(req, await req.services.jobs.list({ kind: req.services.jobKinds.gc, limit: 50 }), gcView);
    },
  },
  {
    operationId: 'getGCJob',
    method: 'GET',
    path: '/system/gc/{gc_id}',
    tag: 'gc',
    summary: 'One garbage collection run: status and report (blobs deleted, bytes freed).',
    async handle(req) {
      await requireSystem(req, 'garbage-collection', 'read');
      const job = await req.services.jobs.get(intParam(req, 'gc_id'));
      if (job === undefined || job.kind !== req.services.jobKinds.gc) throw new HttpError('NOT_FOUND', `gc run ${req.params['gc_id'] ?? ''} does not exist`);
      return ok(gcView(job));
    },
  },
  {
    operationId: 'getGCSchedule',
    method: 'GET',
    path: '/system/gc/schedule',
    tag: 'gc',
    summary: 'The garbage collection schedule, if any.',
    async handle(req) {
      await requireSystem(req, 'garbage-collection', 'read');
      return ok((await req.services.system.gcSchedule()) ?? null);
    },
  },
  {
    operationId: 'updateGCSchedule',
    method: 'PUT',
    path: '/system/gc/schedule',
    tag: 'gc',
    summary: 'Sets the schedule (cron, 5 fields or 6 with seconds first) or clears it (`cron: ""`).',
    body: { type: 'object', required: ['cron'], properties: { cron: { type: 'string' }, dry_run: { type: 'boolean' }, grace_period_seconds: { type: 'integer', minimum: 0 } } },
    async handle(req) {
      await requireSystem(req, 'garbage-collection', 'update');
      const body = req.body as { cron: string; dry_run?: boolean; grace_period_seconds?: number };
      await req.services.system.setGcSchedule(body.cron === '' ? undefined : body.cron, {
        dryRun: body.dry_run === true,
        gracePeriodMs: body.grace_period_seconds === undefined ? req.services.system.gcGracePeriodMs : body.grace_period_seconds * 1000,
      });
      await audit(req, { resource: 'gc schedule', resourceType: 'garbage_collection', operation: 'update', detail: body });
      return ok((await req.services.system.gcSchedule()) ?? null);
    },
  },
];
