import type { AuditRecord } from '../../core/events/audit-log.ts';
import type { Action, ProjectResource } from '../../core/auth/roles.ts';
import type { ProjectView } from '../../registry/index.ts';
import { HttpError } from '../http-error.ts';
import type { ApiRequest } from './api-route.ts';

/** Refuses unless the caller may take `action` on `resource` of the project: 401 for anonymous callers, 403 FORBIDDEN naming the permission otherwise. */
export async function requireProject(req: ApiRequest, project: string, resource: ProjectResource, action: Action): Promise<void> {
  if (await req.services.access.can(req.principal, project, resource, action)) return;
  throw refusal(req, `${resource}:${action} in project ${project}`);
}

/** Refuses unless the caller may take `action` on a system resource (admins; system robots granted it). */
export async function requireSystem(req: ApiRequest, resource: string, action: string): Promise<void> {
  if (await req.services.access.canSystem(req.principal, resource, action)) return;
  throw refusal(req, `system ${resource}:${action}`);
}

function refusal(req: ApiRequest, permission: string): HttpError {
  if (req.principal.kind === 'anonymous') return new HttpError('UNAUTHORIZED', `authentication required for ${permission}`);
  return new HttpError('FORBIDDEN', `${req.principal.name} lacks the permission ${permission}`, { detail: { missing: permission } });
}

/** The project named (or numbered) in the path, after a read check; 404 when it does not exist. */
export async function projectOf(req: ApiRequest, resource: ProjectResource = 'project', action: Action = 'read'): Promise<ProjectView> {
  const project = await req.services.registry.projects.get(req.params['project_name_or_id'] ?? '');
  await requireProject(req, project.name, resource, action);
  return project;
}

/** Records an audit entry for the caller; never fails the request. */
export function audit(req: ApiRequest, entry: Omit<AuditRecord, 'username' | 'result'> & { result?: 'success' | 'failure' }): Promise<void> {
  return req.services.audit
    .record({ ...entry, username: req.principal.name || 'anonymous', result: entry.result ?? 'success' })
    .catch((error: unknown) => req.ctx.log.warn('audit record failed', { error }));
}

export function intParam(req: ApiRequest, name: string): number {
  const value = Number(req.params[name]);
  if (!Number.isSafeInteger(value) || value < 1) throw new HttpError('BAD_REQUEST', `${name} must be a positive integer`);
  return value;
}

export const ok = (body: unknown, headers?: Record<string, string>) => ({ status: 200, body, ...(headers === undefined ? {} : { headers }) });
export const created = (location: string, body?: unknown) => ({ status: 201, headers: { location }, ...(body === undefined ? {} : { body }) });
export const done = { status: 200 } as const;
