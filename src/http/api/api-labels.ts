import { HttpError } from '../http-error.ts';
import { API_PREFIX, type ApiRequest, type ApiRoute, type JsonSchema } from './api-route.ts';
import { audit, created, done, intParam, ok, projectOf, requireProject, requireSystem } from './api-guards.ts';
import { PAGING_QUERY, pagedOk, pageHeaders, pagingOf } from './paging.ts';

const LABEL: JsonSchema = {
  type: 'object',
  required: ['name'],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 128 },
    description: { type: 'string' },
    color: { type: 'string' },
    scope: { enum: ['g', 'p'] },
    project_id: { type: 'integer', minimum: 0 },
  },
};
const R = '/projects/{project_name_or_id}/repositories/{repository_name}/artifacts/{reference}';

/** Global labels need the system's label permission; project labels the project's. */
async function requireLabel(req: ApiRequest, scope: { scope: 'g' | 'p'; project_id: number }, action: 'create' | 'read' | 'update' | 'delete' | 'list'): Promise<string | undefined> {
  if (scope.scope === 'g') {
    if (action !== 'read' && action !== 'list') await requireSystem(req, 'label', action);
    return undefined;
  }
  const project = await req.services.registry.projects.get(scope.project_id);
  await requireProject(req, project.name, 'label', action);
  return project.name;
}

async function artifactOf(req: ApiRequest, action: 'create' | 'delete') {
  const project = await projectOf(req, 'artifact-label', action);
  const repo = { name: `${project.name}/${req.params['repository_name'] ?? ''}`, project: project.name };
  const artifact = await req.services.registry.artifacts.get(repo, req.params['reference'] ?? '');
  return { project, repo, artifact };
}

export const labelRoutes: readonly ApiRoute[] = [
  {
    operationId: 'listLabels',
    method: 'GET',
    path: '/labels',
    tag: 'label',
    summary: 'Global labels (`scope=g`) or those of a project (`scope=p&project_id=N`), by name, paged.',
    query: { ...PAGING_QUERY, scope: { enum: ['g', 'p'], default: 'g' }, project_id: { type: 'integer', minimum: 1 } },
    async handle(req) {
      const scope = req.query.get('scope') === 'p' ? 'p' : 'g';
      const projectId = Number(req.query.get('project_id') ?? 0);
      if (scope === 'p' && projectId === 0) throw new HttpError('BAD_REQUEST', 'scope=p needs project_id');
      await requireLabel(req, { scope, project_id: projectId }, 'list');
      return pagedOk(req, await req.services.registry.labels.list(scope === 'g' ? null : projectId));
    },
  },
  {
    operationId: 'createLabel',
    method: 'POST',
    path: '/labels',
    tag: 'label',
    summary: 'Creates a global label (system admins) or a project label (project admins and maintainers).',
    body: LABEL,
    async handle(req) {
      const body = req.body as { name: string; description?: string; color?: string; scope?: 'g' | 'p'; project_id?: number };
      const scope = { scope: body.scope ?? 'g', project_id: body.project_id ?? 0 };
      if (scope.scope === 'p' && scope.project_id === 0) throw new HttpError('BAD_REQUEST', 'a project label needs project_id');
      const project = await requireLabel(req, scope, 'create');
      const label = await req.services.registry.labels.create(scope.scope === 'g' ? null : scope.project_id, body);
      await audit(req, { ...(project === undefined ? {} : { project }), resource: label.name, resourceType: 'label', operation: 'create' });
      return created(`${API_PREFIX}/labels/${label.id}`, label);
    },
  },
  {
    operationId: 'getLabel',
    method: 'GET',
    path: '/labels/{label_id}',
    tag: 'label',
    summary: 'One label.',
    async handle(req) {
      const label = await req.services.registry.labels.get(intParam(req, 'label_id'));
      await requireLabel(req, label, 'read');
      return ok(label);
    },
  },
  {
    operationId: 'updateLabel',
    method: 'PUT',
    path: '/labels/{label_id}',
    tag: 'label',
    summary: "Renames or recolours a label.",
    body: LABEL,
    async handle(req) {
      const current = await req.services.registry.labels.get(intParam(req, 'label_id'));
      const project = await requireLabel(req, current, 'update');
      const label = await req.services.registry.labels.update(current.id, req.body as { name: string });
      await audit(req, { ...(project === undefined ? {} : { project }), resource: label.name, resourceType: 'label', operation: 'update' });
      return ok(label);
    },
  },
  {
    operationId: 'deleteLabel',
    method: 'DELETE',
    path: '/labels/{label_id}',
    tag: 'label',
    summary: 'Deletes a label (and detaches it everywhere).',
    async handle(req) {
      const current = await req.services.registry.labels.get(intParam(req, 'label_id'));
      const project = await requireLabel(req, current, 'delete');
      await req.services.registry.labels.delete(current.id);
      await audit(req, { ...(project === undefined ? {} : { project }), resource: current.name, resourceType: 'label', operation: 'delete' });
      return done;
    },
  },
  {
    operationId: 'addLabel',
    method: 'POST',
    path: `${R}/labels`,
    tag: 'artifact',
    summary: 'Attaches a label to an artifact.',
    body: { type: 'object', required: ['id'], properties: { id: { type: 'integer', minimum: 1 } } },
    async handle(req) {
      const { project, repo, artifact } = await artifactOf(req, 'create');
      const labelId = (req.body as { id: number }).id;
      await req.services.registry.labels.attach(artifact.id, project.project_id, labelId);
      await audit(req, { project: project.name, resource: `${repo.name}@${artifact.digest}`, resourceType: 'artifact_label', operation: 'create', detail: { label: labelId } });
      return { status: 201 };
    },
  },
  {
    operationId: 'removeLabel',
    method: 'DELETE',
    path: `${R}/labels/{label_id}`,
    tag: 'artifact',
    summary: 'Detaches a label from an artifact.',
    async handle(req) {
      const { project, repo, artifact } = await artifactOf(req, 'delete');
      await req.services.registry.labels.detach(artifact.id, intParam(req, 'label_id'));
      await audit(req, { project: project.name, resource: `${repo.name}@${artifact.digest}`, resourceType: 'artifact_label', operation: 'delete', detail: { label: intParam(req, 'label_id') } });
      return done;
    },
  },
  {
    operationId: 'listQuotas',
    method: 'GET',
    path: '/quotas',
    tag: 'quota',
    summary: "Every project's quota, by project name, paged: limits (`hard`, -1 unlimited) and usage (system admins).",
    query: PAGING_QUERY,
    async handle(req) {
      const paging = pagingOf(req.query);
      await requireSystem(req, 'quota', 'list');
      const { items, total } = await req.services.registry.projects.list(paging, () => Promise.resolve(true));
      const quotas = [];
      for (const project of items) {
        const summary = await req.services.registry.projects.summary(project.project_id);
        quotas.push({ id: project.project_id, ref: { id: project.project_id, name: project.name }, hard: summary.quota.hard, used: summary.quota.used });
      }
      return ok(quotas, pageHeaders(req.ctx.url, paging, total));
    },
  },
  {
    operationId: 'updateQuota',
    method: 'PUT',
    path: '/quotas/{id}',
    tag: 'quota',
    summary: "Sets a project's limits (`hard.storage` bytes, `hard.count` artifacts; -1 unlimited).",
    body: { type: 'object', required: ['hard'], properties: { hard: { type: 'object', properties: { storage: { type: 'integer', minimum: -1 }, count: { type: 'integer', minimum: -1 } } } } },
    async handle(req) {
      await requireSystem(req, 'quota', 'update');
      const hard = (req.body as { hard: { storage?: number; count?: number } }).hard;
      const project = await req.services.registry.projects.update(intParam(req, 'id'), {
        ...(hard.storage === undefined ? {} : { storage_limit: hard.storage }),
        ...(hard.count === undefined ? {} : { count_limit: hard.count }),
      });
      await audit(req, { project: project.name, resource: project.name, resourceType: 'quota', operation: 'update', detail: hard });
      return ok({ id: project.project_id, hard: { storage: project.storage_limit, count: project.count_limit } });
    },
  },
];
