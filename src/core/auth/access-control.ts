import type { MetadataDatabase } from '../storage/metadata/database.ts';
import type { Principal } from './authorizer.ts';
import { robotAllows, type RobotPermission } from './robot-permissions.ts';
import { roleAllows, type Action, type ProjectResource, type RoleId } from './roles.ts';

/**
 * Who may do what to which project: system admins everything; members what their Harbor role
 * allows; robots what their permissions grant (never more than they were given); everyone,
 * signed in or not, what a limited guest may do in a public project.
 */
export interface AccessControl {
  can(principal: Principal, project: string, resource: ProjectResource, action: Action, options?: { signal?: AbortSignal }): Promise<boolean>;
  /** System-level resources (`project:create`, `audit-log:list`, `garbage-collection:create`, …): admins, and system robots granted them. */
  canSystem(principal: Principal, resource: string, action: string, options?: { signal?: AbortSignal }): Promise<boolean>;
  /** The caller's role in a project (undefined: not a member). */
  roleIn(principal: Principal, project: string): Promise<RoleId | undefined>;
  /** A robot's permissions while it is enabled and unexpired; none for a disabled or expired robot, or another kind of caller. */
  robotPermissions(principal: Principal): Promise<readonly RobotPermission[]>;
}

const PUBLIC_ROLE: RoleId = 5;

export function createAccessControl(database: MetadataDatabase, clock: () => number = Date.now): AccessControl {
  const { db } = database;

  async function roleIn(principal: Principal, project: string): Promise<RoleId | undefined> {
    if (principal.kind !== 'user') return undefined;
    const row = await db
      .selectFrom('project_members as m')
      .innerJoin('projects as p', 'p.id', 'm.project_id')
      .innerJoin('users as u', 'u.id', 'm.user_id')
      .select('m.role_id')
      .where('p.name', '=', project)
      .where('u.username', '=', principal.name)
      .executeTakeFirst();
    return row?.role_id as RoleId | undefined;
  }

  async function robotPermissions(principal: Principal): Promise<readonly RobotPermission[]> {
    if (principal.kind !== 'robot') return [];
    const row = await db
      .selectFrom('robots')
      .leftJoin('projects', 'projects.id', 'robots.project_id')
      .select(['robots.permissions', 'robots.disabled', 'robots.expires_at', 'robots.level', 'projects.name as project'])
      .where('robots.name', '=', principal.name.replace(/^robot\$/, ''))
      .executeTakeFirst();
    if (row === undefined || row.disabled === 1 || (row.expires_at !== null && row.expires_at <= clock())) return [];
    const permissions = JSON.parse(row.permissions) as RobotPermission[];
    // A project robot holds rights in its own project only, whatever its stored permissions name
    // (a robot widened before that was checked on update keeps nothing outside its project).
    if (row.level === 'project') return permissions.filter((p) => p.kind === 'project' && row.project !== null && p.namespace === row.project);
    return permissions;
  }

  async function isPublic(project: string): Promise<boolean> {
    const row = await db.selectFrom('projects').select('public').where('name', '=', project).executeTakeFirst();
    return row?.public === 1;
  }

  return {
    roleIn,
    robotPermissions,
    async can(principal, project, resource, action) {
      if (principal.admin) return true;
      if (principal.kind === 'robot') {
        if (robotAllows(await robotPermissions(principal), project, resource, action)) return true;
      } else {
        const role = await roleIn(principal, project);
        if (role !== undefined && roleAllows(role, resource, action)) return true;
      }
      return roleAllows(PUBLIC_ROLE, resource, action) && (await isPublic(project));
    },
    async canSystem(principal, resource, action) {
      if (principal.admin) return true;
      if (principal.kind !== 'robot') return false;
      return robotAllows(await robotPermissions(principal), '/', resource, action);
    },
  };
}
