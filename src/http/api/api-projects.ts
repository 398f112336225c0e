import type { RoleId } from '../../core/auth/roles.ts';
import { API_PREFIX, type ApiRequest, type ApiRoute, type JsonSchema } from './api-route.ts';
import { audit, created, done, intParam, ok, projectOf, requireSystem } from './api-guards.ts';
import { PAGING_QUERY, pagedOk, pageHeaders, pagingOf } from './paging.ts';

const METADATA: JsonSchema = { type: 'object', additionalProperties: { type: 'string' } };
const ALLOWLIST: JsonSchema = {
  type: 'object',
  properties: { items: { type: 'array', items: { type: 'object', required: ['cve_id'], properties: { cve_id: { type: 'string' } } } }, expires_at: { type: ['integer', 'null'] } },
};
const PROJECT_FIELDS = {
  public: { type: 'boolean' },
  metadata: METADATA,
  storage_limit: { type: 'integer', minimum: -1 },
  count_limit: { type: 'integer', minimum: -1 },
  cve_allowlist: ALLOWLIST,
};
const PROJECT_REQ: JsonSchema = { type: 'object', required: ['project_name'], additionalProperties: false, properties: { project_name: { type: 'string', minLength: 1, maxLength: 255 }, ...PROJECT_FIELDS } };
const PROJECT_UPDATE: JsonSchema = { type: 'object', additionalProperties: false, properties: PROJECT_FIELDS };
const MEMBER_REQ: JsonSchema = {
  type: 'object',
  required: ['role_id', 'member_user'],
  properties: { role_id: { type: 'integer', minimum: 1, maximum: 5 }, member_user: { type: 'object', required: ['username'], properties: { username: { type: 'string', minLength: 1 } } } },
};
const ROLE_REQ: JsonSchema = { type: 'object', required: ['role_id'], properties: { role_id: { type: 'integer', minimum: 1, maximum: 5 } } };
const P = '/projects/{project_name_or_id}';

/**
 * Quotas are the system's to set (`quota:update`, as on /quotas): a project admin may change the
 * rest of the project, not lift its own limits. A body that repeats the limits as they are (a
 * Harbor client sending the whole project back, or -1 on create) changes nothing and passes.
 */
async function requireQuotaRight(req: ApiRequest, current: { storage_limit: number; count_limit: number }): Promise<void> {
  const body = req.body as { storage_limit?: number; count_limit?: number };
  const changes = (value: number | undefined, now: number) => value !== undefined && (value === 0 ? -1 : value) !== now;
  if (changes(body.storage_limit, current.storage_limit) || changes(body.count_limit, current.count_limit)) await requireSystem(req, 'quota', 'update');
}

const UNLIMITED = { storage_limit: -1, count_limit: -1 };

export const projectRoutes: readonly ApiRoute[] = [
  {
    operationId: 'listProjects',
    method: 'GET',
    path: '/projects',
    tag: 'project',
    summary: 'Projects the caller may see (public ones, and those it is a member of), paged.',
    query: { ...PAGING_QUERY, name: { type: 'string' }, public: { type: 'boolean' } },
    anonymous: true,
    async handle(req) {
      const paging = pagingOf(req.query);
      const name = req.query.get('name') ?? undefined;
      const pub = req.query.get('public');
      const result = await req.services.registry.projects.list(
        { ...paging, ...(name === undefined ? {} : { name }), ...(pub === null ? {} : { public: pub === 'true' }) },
        (project) => req.services.access.can(req.principal, project, 'project', 'read'),
      );
      return ok(result.items, pageHeaders(req.ctx.url, paging, result.total));
    },
  },
  {
    operationId: 'createProject',
    method: 'POST',
    path: '/projects',
    tag: 'project',
    summary: 'Creates a project; its creator becomes its project admin.',
    body: PROJECT_REQ,
    async handle(req) {
      await requireSystem(req, 'project', 'create');
      await requireQuotaRight(req, UNLIMITED);
      const project = await req.services.registry.projects.create(req.body as { project_name: string }, req.principal);
      await audit(req, { project: project.name, resource: project.name, resourceType: 'project', operation: 'create' });
      return created(`${API_PREFIX}/projects/${project.project_id}`, project);
    },
  },
  {
    operationId: 'getProject',
    method: 'GET',
    path: P,
    tag: 'project',
    summary: 'One project, by name or id.',
    anonymous: true,
    handle: async (req) => ok(await projectOf(req)),
  },
  {
    operationId: 'updateProject',
    method: 'PUT',
    path: P,
    tag: 'project',
    summary: 'Changes visibility, metadata (policies), quotas or the CVE allowlist.',
    body: PROJECT_UPDATE,
    async handle(req) {
      const project = await projectOf(req, 'project', 'update');
      await requireQuotaRight(req, project);
      const updated = await req.services.registry.projects.update(project.project_id, req.body as object);
      await audit(req, { project: project.name, resource: project.name, resourceType: 'project_policy', operation: 'update', detail: req.body as Record<string, unknown> });
      return ok(updated);
    },
  },
  {
    operationId: 'deleteProject',
    method: 'DELETE',
    path: P,
    tag: 'project',
    summary: 'Deletes an empty project (412 while it holds artifacts).',
    async handle(req) {
      const project = await projectOf(req, 'project', 'delete');
      await req.services.registry.projects.delete(project.project_id);
      await audit(req, { project: project.name, resource: project.name, resourceType: 'project', operation: 'delete' });
      return done;
    },
  },
  {
    operationId: 'getProjectSummary',
    method: 'GET',
    path: `${P}/summary`,
    tag: 'project',
    summary: 'Repository count, quota limits and usage, members per role.',
    anonymous: true,
    async handle(req) {
      const project = await projectOf(req, 'quota', 'read');
      return ok(await req.services.registry.projects.summary(project.project_id));
    },
  },
  {
    operationId: 'listProjectMembers',
    method: 'GET',
    path: `${P}/members`,
    tag: 'member',
    summary: 'Members of a project with their roles, by username, paged.',
    query: PAGING_QUERY,
    async handle(req) {
      const project = await projectOf(req, 'member', 'list');
      return pagedOk(req, await req.services.registry.projects.members(project.project_id));
    },
  },
  {
    operationId: 'createProjectMember',
    method: 'POST',
    path: `${P}/members`,
    tag: 'member',
    summary: 'Adds a user with a role (1 projectAdmin, 2 developer, 3 guest, 4 maintainer, 5 limitedGuest).',
    body: MEMBER_REQ,
    async handle(req) {
      const project = await projectOf(req, 'member', 'create');
      const body = req.body as { role_id: RoleId; member_user: { username: string } };
      const member = await req.services.registry.projects.addMember(project.project_id, body.member_user.username, body.role_id);
      await audit(req, { project: project.name, resource: body.member_user.username, resourceType: 'member', operation: 'create', detail: { role_id: body.role_id } });
      return created(`${API_PREFIX}/projects/${project.project_id}/members/${member.id}`, member);
    },
  },
  {
    operationId: 'updateProjectMember',
    method: 'PUT',
    path: `${P}/members/{mid}`,
    tag: 'member',
    summary: "Changes a member's role.",
    body: ROLE_REQ,
    async handle(req) {
      const project = await projectOf(req, 'member', 'update');
      const role = (req.body as { role_id: number }).role_id;
      await req.services.registry.projects.updateMember(project.project_id, intParam(req, 'mid'), role);
      await audit(req, { project: project.name, resource: `member ${intParam(req, 'mid')}`, resourceType: 'member', operation: 'update', detail: { role_id: role } });
      return done;
    },
  },
  {
    operationId: 'deleteProjectMember',
    method: 'DELETE',
    path: `${P}/members/{mid}`,
    tag: 'member',
    summary: 'Removes a member.',
    async handle(req) {
      const project = await projectOf(req, 'member', 'delete');
      await req.services.registry.projects.removeMember(project.project_id, intParam(req, 'mid'));
      await audit(req, { project: project.name, resource: `member ${intParam(req, 'mid')}`, resourceType: 'member', operation: 'delete' });
      return done;
    },
  },
  {
    operationId: 'getProjectRole',
    method: 'GET',
    path: `${P}/permissions`,
    tag: 'member',
    summary: "The caller's role in the project, and whether it may push and delete.",
    anonymous: true,
    async handle(req) {
      const project = await projectOf(req);
      const can = (resource: 'repository' | 'artifact', action: 'pull' | 'push' | 'delete') => req.services.access.can(req.principal, project.name, resource, action);
      return ok({
        role_id: (await req.services.access.roleIn(req.principal, project.name)) ?? null,
        pull: await can('repository', 'pull'),
        push: await can('repository', 'push'),
        delete: await can('artifact', 'delete'),
      });
    },
  },
];

