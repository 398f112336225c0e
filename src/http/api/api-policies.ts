import { HttpError } from '../http-error.ts';
import { API_PREFIX, type ApiRequest, type ApiRoute, type JsonSchema } from './api-route.ts';
import { audit, created, done, intParam, ok, projectOf, requireProject, requireSystem } from './api-guards.ts';
import { PAGING_QUERY, pagedOk } from './paging.ts';

const SELECTOR: JsonSchema = {
  type: 'object',
  required: ['kind', 'decoration'],
  properties: { kind: { enum: ['doublestar', 'regexp', 'semver'] }, decoration: { type: 'string' }, pattern: { type: 'string' }, extras: { type: 'string' } },
};
const SELECTORS: JsonSchema = {
  tag_selectors: { type: 'array', items: SELECTOR },
  scope_selectors: { type: 'object', properties: { repository: { type: 'array', items: SELECTOR } } },
};
const IMMUTABLE_RULE: JsonSchema = {
  type: 'object',
  required: ['tag_selectors'],
  properties: { id: { type: 'integer' }, disabled: { type: 'boolean' }, action: { const: 'immutable' }, template: { const: 'immutable_template' }, priority: { type: 'integer' }, ...SELECTORS },
};
const RETENTION_POLICY: JsonSchema = {
  type: 'object',
  required: ['rules'],
  properties: {
    algorithm: { const: 'or' },
    scope: { type: 'object', required: ['level', 'ref'], properties: { level: { const: 'project' }, ref: { type: ['integer', 'string'] } } },
    trigger: { type: 'object', properties: { kind: { type: 'string' }, settings: { type: 'object', properties: { cron: { type: 'string' } } }, references: { type: 'object' } } },
    rules: {
      type: 'array',
      maxItems: 15,
      items: {
        type: 'object',
        required: ['template'],
        properties: { id: { type: 'integer' }, priority: { type: 'integer' }, disabled: { type: 'boolean' }, action: { const: 'retain' }, template: { type: 'string' }, params: { type: 'object' }, ...SELECTORS },
      },
    },
  },
};
const ALLOWLIST: JsonSchema = {
  type: 'object',
  properties: { items: { type: 'array', items: { type: 'object', required: ['cve_id'], properties: { cve_id: { type: 'string' } } } }, expires_at: { type: ['integer', 'null'] } },
};
const P = '/projects/{project_name_or_id}';

/** The retention policy named in the path, with the caller's permission on its project checked. */
async function retentionOf(req: ApiRequest, action: 'read' | 'update' | 'delete' | 'operate' | 'list') {
  const policy = await req.services.registry.retention.get(intParam(req, 'id'));
  const project = await req.services.registry.projects.get(policy.scope.ref);
  await requireProject(req, project.name, 'tag-retention', action);
  return { policy, project };
}

/** The policy body without `scope`, which only names the project. */
function withoutScope(body: unknown): unknown {
  const { scope: _scope, ...rest } = body as Record<string, unknown>;
  return { algorithm: 'or', ...rest };
}

export const policyRoutes: readonly ApiRoute[] = [
  {
    operationId: 'listImmutableRules',
    method: 'GET',
    path: `${P}/immutabletagrules`,
    tag: 'immutable',
    summary: 'Tag immutability rules of a project, by id, paged.',
    query: PAGING_QUERY,
    async handle(req) {
      const project = await projectOf(req, 'immutable-tag', 'list');
      return pagedOk(req, await req.services.registry.immutableRules.list(project.project_id));
    },
  },
  {
    operationId: 'createImmutableRule',
    method: 'POST',
    path: `${P}/immutabletagrules`,
    tag: 'immutable',
    summary: 'Adds a rule: matching tags can be neither overwritten nor deleted.',
    body: IMMUTABLE_RULE,
    async handle(req) {
      const project = await projectOf(req, 'immutable-tag', 'create');
      const rule = await req.services.registry.immutableRules.create(project.project_id, req.body);
      await audit(req, { project: project.name, resource: `immutable rule ${rule.id}`, resourceType: 'immutable_rule', operation: 'create', detail: req.body as Record<string, unknown> });
      return created(`${API_PREFIX}/projects/${project.project_id}/immutabletagrules/${rule.id}`, rule);
    },
  },
  {
    operationId: 'updateImmutableRule',
    method: 'PUT',
    path: `${P}/immutabletagrules/{id}`,
    tag: 'immutable',
    summary: 'Replaces a rule (or disables it).',
    body: IMMUTABLE_RULE,
    async handle(req) {
      const project = await projectOf(req, 'immutable-tag', 'update');
      const rule = await req.services.registry.immutableRules.update(project.project_id, intParam(req, 'id'), req.body);
      await audit(req, { project: project.name, resource: `immutable rule ${rule.id}`, resourceType: 'immutable_rule', operation: 'update', detail: req.body as Record<string, unknown> });
      return ok(rule);
    },
  },
  {
    operationId: 'deleteImmutableRule',
    method: 'DELETE',
    path: `${P}/immutabletagrules/{id}`,
    tag: 'immutable',
    summary: 'Removes a rule.',
    async handle(req) {
      const project = await projectOf(req, 'immutable-tag', 'delete');
      await req.services.registry.immutableRules.delete(project.project_id, intParam(req, 'id'));
      await audit(req, { project: project.name, resource: `immutable rule ${intParam(req, 'id')}`, resourceType: 'immutable_rule', operation: 'delete' });
      return done;
    },
  },
  {
    operationId: 'createRetention',
    method: 'POST',
    path: '/retentions',
    tag: 'retention',
    summary: "Creates a project's retention policy (Harbor's grammar; patterns may be doublestar, regexp or semver).",
    body: { ...RETENTION_POLICY, required: ['rules', 'scope'] },
    async handle(req) {
      const ref = (req.body as { scope: { ref: number | string } }).scope.ref;
      const project = await req.services.registry.projects.get(ref);
      await requireProject(req, project.name, 'tag-retention', 'create');
      const policy = await req.services.registry.retention.create(project.project_id, withoutScope(req.body));
      await audit(req, { project: project.name, resource: `retention ${policy.id}`, resourceType: 'retention', operation: 'create', detail: req.body as Record<string, unknown> });
      return created(`${API_PREFIX}/retentions/${policy.id}`, policy);
    },
  },
  {
    operationId: 'getRetentionOfProject',
    method: 'GET',
    path: `${P}/retention`,
    tag: 'retention',
    summary: "A project's retention policy (404 when it has none).",
    async handle(req) {
      const project = await projectOf(req, 'tag-retention', 'read');
      const policy = await req.services.registry.retention.forProject(project.project_id);
      if (policy === undefined) throw new HttpError('NOT_FOUND', `project ${project.name} has no retention policy`);
      return ok(policy);
    },
  },
  {
    operationId: 'getRetention',
    method: 'GET',
    path: '/retentions/{id}',
    tag: 'retention',
    summary: 'One retention policy.',
    handle: async (req) => ok((await retentionOf(req, 'read')).policy),
  },
  {
    operationId: 'updateRetention',
    method: 'PUT',
    path: '/retentions/{id}',
    tag: 'retention',
    summary: 'Replaces the rules and trigger of a retention policy.',
    body: RETENTION_POLICY,
    async handle(req) {
      const { policy, project } = await retentionOf(req, 'update');
      const updated = await req.services.registry.retention.update(policy.id, withoutScope(req.body));
      await audit(req, { project: project.name, resource: `retention ${policy.id}`, resourceType: 'retention', operation: 'update', detail: req.body as Record<string, unknown> });
      return ok(updated);
    },
  },
  {
    operationId: 'deleteRetention',
    method: 'DELETE',
    path: '/retentions/{id}',
    tag: 'retention',
    summary: 'Deletes a retention policy and its schedule.',
    async handle(req) {
      const { policy, project } = await retentionOf(req, 'delete');
      await req.services.registry.retention.delete(policy.id);
      await audit(req, { project: project.name, resource: `retention ${policy.id}`, resourceType: 'retention', operation: 'delete' });
      return done;
    },
  },
  {
    operationId: 'triggerRetentionExecution',
    method: 'POST',
    path: '/retentions/{id}/executions',
    tag: 'retention',
    summary: 'Runs the policy now, as a durable job; `dry_run` lists what would go and deletes nothing.',
    body: { type: 'object', properties: { dry_run: { type: 'boolean' } } },
    async handle(req) {
      const { policy, project } = await retentionOf(req, 'operate');
      const dryRun = (req.body as { dry_run?: boolean }).dry_run === true;
      const execution = await req.services.registry.retention.startExecution(policy.id, dryRun, 'MANUAL');
      await req.services.start.retention(execution.id);
      await audit(req, { project: project.name, resource: `retention ${policy.id}`, resourceType: 'retention', operation: dryRun ? 'dry_run' : 'execute' });
      return created(`${API_PREFIX}/retentions/${policy.id}/executions/${execution.id}`, execution);
    },
  },
  {
    operationId: 'listRetentionExecutions',
    method: 'GET',
    path: '/retentions/{id}/executions',
    tag: 'retention',
    summary: 'Past runs of a policy, newest first, paged.',
    query: PAGING_QUERY,
    async handle(req) {
      const { policy } = await retentionOf(req, 'list');
      return pagedOk(req, await req.services.registry.retention.executions(policy.id));
    },
  },
  {
    operationId: 'getRetentionExecution',
    method: 'GET',
    path: '/retentions/{id}/executions/{eid}',
    tag: 'retention',
    summary: 'One run with its per-artifact decisions (RETAIN, DEL, IMMUTABLE, ERR) and reasons.',
    async handle(req) {
      const { policy } = await retentionOf(req, 'read');
      return ok(await req.services.registry.retention.execution(policy.id, intParam(req, 'eid')));
    },
  },
  {
    operationId: 'getSystemCVEAllowlist',
    method: 'GET',
    path: '/system/CVEAllowlist',
    tag: 'system',
    summary: 'The system-wide CVE allowlist.',
    handle: async (req) => ok(await req.services.system.getAllowlist()),
  },
  {
    operationId: 'putSystemCVEAllowlist',
    method: 'PUT',
    path: '/system/CVEAllowlist',
    tag: 'system',
    summary: 'Replaces the system-wide CVE allowlist (system admins).',
    body: ALLOWLIST,
    async handle(req) {
      await requireSystem(req, 'configuration', 'update');
      const list = await req.services.system.setAllowlist(req.body);
      await audit(req, { resource: 'system CVE allowlist', resourceType: 'cve_allowlist', operation: 'update', detail: req.body as Record<string, unknown> });
      return ok(list);
    },
  },
];
