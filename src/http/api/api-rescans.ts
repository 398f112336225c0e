import type { JobRecord } from '../../core/jobs/job-queue.ts';
import { HttpError } from '../http-error.ts';
import { API_PREFIX, type ApiRoute } from './api-route.ts';
import { audit, created, intParam, ok, projectOf, requireSystem } from './api-guards.ts';
import { PAGING_QUERY, pagedOk } from './paging.ts';


/**
 * A rescan as the API shows it: the job's state and, once done, which verdicts changed — each
 * `{ repository, digest, before, after, change }`, a verdict being what the project's scan gate
 * says (`passed`, or `blocked: <reasons>`).
 */
function rescanView(job: JobRecord): unknown {
  return {
    id: job.id,
    job_status: job.status,
    creation_time: new Date(job.createdAt).toISOString(),
    update_time: new Date(job.updatedAt).toISOString(),
    parameters: job.payload,
    result: job.result ?? null,
    error: job.lastError ?? null,
  };
}

export const rescanRoutes: readonly ApiRoute[] = [
  {
    operationId: 'scanAll',
    method: 'POST',
    path: '/system/scan-all',
    tag: 'scan',
    summary: 'Rescans every image with the current vulnerability data; the result lists the artifacts whose verdict changed.',
    async handle(req) {
      await requireSystem(req, 'scan-all', 'create');
      const id = await req.services.start.rescan({ trigger: `manual by ${req.principal.name}` });
      await audit(req, { resource: 'all images', resourceType: 'scan', operation: 'rescan' });
      return created(`${API_PREFIX}/system/scan-all/${id}`, { id });
    },
  },
  {
    operationId: 'scanProject',
    method: 'POST',
    path: '/projects/{project_name_or_id}/scan-all',
    tag: 'scan',
    summary: "Rescans every image of a project; the result lists the artifacts whose verdict changed.",
    async handle(req) {
      const project = await projectOf(req, 'scan', 'create');
      const id = await req.services.start.rescan({ project: project.name, trigger: `manual by ${req.principal.name}` });
      await audit(req, { project: project.name, resource: project.name, resourceType: 'scan', operation: 'rescan' });
      return created(`${API_PREFIX}/system/scan-all/${id}`, { id });
    },
  },
  {
    operationId: 'listScanAll',
    method: 'GET',
    path: '/system/scan-all',
    tag: 'scan',
    summary: 'The latest rescans (asked for, scheduled, after a vulnerability data import), newest first, each with the verdicts it changed; at most the last 100.',
    query: PAGING_QUERY,
    async handle(req) {
      await requireSystem(req, 'scan-all', 'read');
      return pagedOk(req, await req.services.jobs.list({ kind: req.services.jobKinds.rescan, limit: 100 }), rescanView);
    },
  },
  {
    operationId: 'getScanAll',
    method: 'GET',
    path: '/system/scan-all/{id}',
    tag: 'scan',
    summary: 'One rescan: status and the verdicts it changed.',
    async handle(req) {
      const job = await req.services.jobs.get(intParam(req, 'id'));
      if (job === undefined || job.kind !== req.services.jobKinds.rescan) throw new HttpError('NOT_FOUND', `rescan ${req.params['id'] ?? ''} does not exist`);
      const project = (job.payload as { project?: string }).project;
      if (project === undefined) await requireSystem(req, 'scan-all', 'read');
      else await projectOf({ ...req, params: { project_name_or_id: project } }, 'scan', 'read');
      return ok(rescanView(job));
    },
  },
  {
    operationId: 'getScanAllSchedule',
    method: 'GET',
    path: '/system/scan-all/schedule',
    tag: 'scan',
    summary: 'The schedule of full rescans, if any (a vulnerability data import always triggers one).',
    async handle(req) {
      await requireSystem(req, 'scan-all', 'read');
      return ok((await req.services.system.rescanSchedule()) ?? null);
    },
  },
  {
    operationId: 'updateScanAllSchedule',
    method: 'PUT',
    path: '/system/scan-all/schedule',
    tag: 'scan',
    summary: 'Sets the schedule of full rescans (cron) or clears it (`cron: ""`).',
    body: { type: 'object', required: ['cron'], properties: { cron: { type: 'string' } } },
    async handle(req) {
      await requireSystem(req, 'scan-all', 'update');
      const cron = (req.body as { cron: string }).cron;
      await req.services.system.setRescanSchedule(cron === '' ? undefined : cron);
      await audit(req, { resource: 'rescan schedule', resourceType: 'scan', operation: 'update', detail: { cron } });
      return ok((await req.services.system.rescanSchedule()) ?? null);
    },
  },
];
