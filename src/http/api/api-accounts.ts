import { ungrantable, type RobotPermission } from '../../core/auth/robot-permissions.ts';
import type { RobotView } from '../../core/auth/robots.ts';
import { HttpError } from '../http-error.ts';
import { API_PREFIX, type ApiRequest, type ApiRoute, type JsonSchema } from './api-route.ts';
import { audit, created, done, intParam, ok, requireProject, requireSystem } from './api-guards.ts';
import { parseHarborQuery } from './harbor-query.ts';
import { PAGING_QUERY, pagedOk } from './paging.ts';

const PERMISSIONS: JsonSchema = {
  type: 'array',
  minItems: 1,
  items: {
    type: 'object',
    required: ['kind', 'namespace', 'access'],
    properties: {
      kind: { enum: ['project', 'system'] },
      namespace: { type: 'string' },
      access: { type: 'array', minItems: 1, items: { type: 'object', required: ['resource', 'action'], properties: { resource: { type: 'string' }, action: { type: 'string' }, effect: { enum: ['allow', 'deny'] } } } },
    },
  },
};
const ROBOT_REQ: JsonSchema = {
  type: 'object',
  required: ['name', 'level', 'duration', 'permissions'],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 255 },
    description: { type: 'string' },
    level: { enum: ['project', 'system'] },
    duration: { type: 'integer', minimum: -1 },
    disable: { type: 'boolean' },
    secret: { type: 'string', minLength: 8 },
    permissions: PERMISSIONS,
  },
};
const ROBOT_UPDATE: JsonSchema = {
  type: 'object',
  properties: { description: { type: 'string' }, duration: { type: 'integer', minimum: -1 }, disable: { type: 'boolean' }, permissions: PERMISSIONS },
};
const USER_REQ: JsonSchema = { type: 'object', required: ['username', 'password'], properties: { username: { type: 'string', minLength: 1 }, password: { type: 'string', minLength: 8 }, sysadmin_flag: { type: 'boolean' } } };

/** Who may manage a robot: project robots by `robot:<action>` in their project, system robots by the system permission. */
async function requireRobot(req: ApiRequest, robot: { level: string; permissions: readonly RobotPermission[] }, action: 'create' | 'read' | 'update' | 'delete' | 'list'): Promise<void> {
  const project = robot.permissions[0]?.namespace;
  if (robot.level === 'project' && project !== undefined) return requireProject(req, project, 'robot', action);
  return requireSystem(req, 'robot', action === 'update' ? 'create' : action);
}

/**
 * A robot never hands out more than it holds (see `ungrantable`). People are bounded by
 * requireRobot and by what a robot may be given at all.
 */
async function requireGrantable(req: ApiRequest, permissions: readonly RobotPermission[]): Promise<void> {
  if (req.principal.kind !== 'robot') return;
  const refused = ungrantable(await req.services.access.robotPermissions(req.principal), permissions);
  if (refused === undefined) return;
  const { permission, access } = refused;
  const where = permission.kind === 'system' ? 'the system' : `project ${permission.namespace}`;
  throw new HttpError('FORBIDDEN', `${req.principal.name} cannot grant ${access.resource}:${access.action} in ${where}: a robot grants only what it holds`, {
    detail: { missing: `${access.resource}:${access.action}` },
  });
}

/** Granting or revoking system admin, and acting on a system admin's account, take a system admin: a robot's user:* permissions stop short of that. */
function requireAdmin(req: ApiRequest, what: string): void {
  if (req.principal.admin) return;
  throw new HttpError('FORBIDDEN', `only a system admin may ${what}`, { detail: { missing: 'system admin' } });
}

/** A system admin's account is changed or deleted only by a system admin (a robot granted user:* cannot lock the admins out). */
async function requireAdminForAdmin(req: ApiRequest, what: string): Promise<void> {
  if (req.principal.admin) return;
  const target = await req.services.users.get(req.params['username'] ?? '');
  if (target?.sysadmin_flag === true) requireAdmin(req, what);
}

async function robotOf(req: ApiRequest, action: 'read' | 'update' | 'delete'): Promise<RobotView> {
  const robot = await req.services.robots.get(intParam(req, 'robot_id'));
  if (robot === undefined) throw new HttpError('NOT_FOUND', `robot ${req.params['robot_id'] ?? ''} does not exist`);
  await requireRobot(req, robot, action);
  // A robot manages (changes, refreshes, deletes) only robots whose every access it holds itself:
  // otherwise refreshing a stronger robot's secret would hand it that robot's rights.
  if (action !== 'read') await requireGrantable(req, robot.permissions);
  return robot;
}

/** `{ project }` for a project robot's audit entries, `{}` for a system robot. */
function robotScope(robot: { level: string; permissions: readonly RobotPermission[] }): { project: string } | Record<string, never> {
  const project = robot.level === 'project' ? robot.permissions[0]?.namespace : undefined;
  return project === undefined ? {} : { project };
}

/** Which robots a listing asks for: one project's, the system robots, or every robot. */
type RobotListing = { readonly kind: 'project'; readonly project: string } | { readonly kind: 'system' } | { readonly kind: 'all' };

/**
 * Reads Slipway's `project=<name>` or Harbor's `q`: `Level=project,ProjectID=<id>` (or `ProjectID`
 * alone) names a project, which the caller's rights are then checked in like `project=<name>`;
 * `Level=system` asks for the system robots. Anything else in `q` is refused, never ignored.
 */
async function robotListing(req: ApiRequest): Promise<RobotListing> {
  const project = req.query.get('project');
  const q = req.query.get('q') ?? '';
  if (q === '') return project === null ? { kind: 'all' } : { kind: 'project', project };
  if (project !== null) throw new HttpError('BAD_REQUEST', 'give either project or q, not both');
  const filter = parseHarborQuery(q, ['Level', 'ProjectID']);
  const level = filter.get('Level');
  const id = filter.get('ProjectID');
  if (level !== undefined && level !== 'project' && level !== 'system') throw new HttpError('BAD_REQUEST', `q: Level is project or system, not ${JSON.stringify(level)}`);
  if (level === 'system') {
    if (id !== undefined) throw new HttpError('BAD_REQUEST', 'q: Level=system lists the system robots and takes no ProjectID');
    return { kind: 'system' };
  }
  if (id === undefined) throw new HttpError('BAD_REQUEST', 'q: Level=project needs ProjectID=<id>');
  if (!/^[1-9]\d{0,15}$/.test(id)) throw new HttpError('BAD_REQUEST', `q: ProjectID must be a positive integer, not ${JSON.stringify(id)}`);
  return { kind: 'project', project: (await req.services.registry.projects.get(Number(id))).name };
}

export const accountRoutes: readonly ApiRoute[] = [
  {
    operationId: 'listRobots',
    method: 'GET',
    path: '/robots',
    tag: 'robot',
    summary:
      "Robot accounts: of one project (`project=<name>`, or Harbor's `q=Level=project,ProjectID=<id>`; needs robot:list there), the system robots (`q=Level=system`) or all (system admins).",
    query: {
      ...PAGING_QUERY,
      project: { type: 'string', description: 'a project name' },
      q: { type: 'string', description: "Harbor's query: `Level=project,ProjectID=<id>` or `Level=system`" },
    },
    async handle(req) {
      const listing = await robotListing(req);
      if (listing.kind === 'project') await requireProject(req, listing.project, 'robot', 'list');
      else await requireSystem(req, 'robot', 'list');
      const filter = listing.kind === 'project' ? { project: listing.project } : listing.kind === 'system' ? { level: 'system' as const } : {};
      return pagedOk(req, await req.services.robots.list(filter));
    },
  },
  {
    operationId: 'createRobot',
    method: 'POST',
    path: '/robots',
    tag: 'robot',
    summary: 'Creates a robot account; the answer holds its secret, shown this once.',
    body: ROBOT_REQ,
    async handle(req) {
      const body = req.body as { name: string; level: 'project' | 'system'; duration: number; permissions: RobotPermission[]; description?: string; disable?: boolean; secret?: string };
      await requireRobot(req, body, 'create');
      await requireGrantable(req, body.permissions);
      const robot = await req.services.robots.create(body, req.principal.name);
      await audit(req, { ...robotScope(body), resource: robot.name, resourceType: 'robot', operation: 'create' });
      return created(`${API_PREFIX}/robots/${robot.id}`, { id: robot.id, name: robot.name, secret: robot.secret, creation_time: robot.creation_time, expires_at: robot.expires_at });
    },
  },
  {
    operationId: 'getRobot',
    method: 'GET',
    path: '/robots/{robot_id}',
    tag: 'robot',
    summary: 'One robot account (never its secret).',
    handle: async (req) => ok(await robotOf(req, 'read')),
  },
  {
    operationId: 'updateRobot',
    method: 'PUT',
    path: '/robots/{robot_id}',
    tag: 'robot',
    summary: 'Changes description, expiry, permissions, or disables/enables the robot.',
    body: ROBOT_UPDATE,
    async handle(req) {
      const robot = await robotOf(req, 'update');
      const changes = req.body as { permissions?: RobotPermission[]; duration?: number; disable?: boolean };
      if (changes.permissions !== undefined) await requireGrantable(req, changes.permissions);
      if (req.principal.kind === 'robot' && req.principal.name === robot.name && (changes.duration !== undefined || changes.disable !== undefined)) {
        throw new HttpError('FORBIDDEN', `${robot.name} cannot change its own expiry or enable itself: a project admin or system admin does`);
      }
      const updated = await req.services.robots.update(robot.id, changes);
      await audit(req, { ...robotScope(robot), resource: robot.name, resourceType: 'robot', operation: 'update', detail: req.body as Record<string, unknown> });
      return ok(updated);
    },
  },
  {
    operationId: 'refreshRobotSecret',
    method: 'PATCH',
    path: '/robots/{robot_id}',
    tag: 'robot',
    summary: 'Sets a new secret (given, or generated and returned once).',
    body: { type: 'object', properties: { secret: { type: 'string', minLength: 8 } } },
    async handle(req) {
      const robot = await robotOf(req, 'update');
      const secret = await req.services.robots.refreshSecret(robot.id, (req.body as { secret?: string }).secret);
      await audit(req, { ...robotScope(robot), resource: robot.name, resourceType: 'robot', operation: 'refresh_secret' });
      return ok({ secret });
    },
  },
  {
    operationId: 'deleteRobot',
    method: 'DELETE',
    path: '/robots/{robot_id}',
    tag: 'robot',
    summary: 'Deletes a robot account.',
    async handle(req) {
      const robot = await robotOf(req, 'delete');
      await req.services.robots.delete(robot.id);
      await audit(req, { ...robotScope(robot), resource: robot.name, resourceType: 'robot', operation: 'delete' });
      return done;
    },
  },
  {
    operationId: 'listUsers',
    method: 'GET',
    path: '/users',
    tag: 'user',
    summary: 'Local accounts (system admins).',
    query: PAGING_QUERY,
    async handle(req) {
      await requireSystem(req, 'user', 'list');
      return pagedOk(req, await req.services.users.list());
    },
  },
  {
    operationId: 'createUser',
    method: 'POST',
    path: '/users',
    tag: 'user',
    summary: 'Creates a local account (system admins).',
    body: USER_REQ,
    async handle(req) {
      await requireSystem(req, 'user', 'create');
      const body = req.body as { username: string; password: string; sysadmin_flag?: boolean };
      if (body.sysadmin_flag === true) requireAdmin(req, 'create a system admin');
      const user = await req.services.users.create({ username: body.username, password: body.password, admin: body.sysadmin_flag === true });
      await audit(req, { resource: user.username, resourceType: 'user', operation: 'create' });
      return created(`${API_PREFIX}/users/${user.username}`, user);
    },
  },
  {
    operationId: 'getCurrentUser',
    method: 'GET',
    path: '/users/current',
    tag: 'user',
    summary: 'The caller.',
    async handle(req) {
      if (req.principal.kind !== 'user') return ok({ username: req.principal.name, kind: req.principal.kind });
      return ok(await req.services.users.get(req.principal.name));
    },
  },
  {
    operationId: 'updateUser',
    method: 'PUT',
    path: '/users/{username}',
    tag: 'user',
    summary: 'Grants or revokes system admin, disables or enables the account (system admins).',
    body: { type: 'object', properties: { sysadmin_flag: { type: 'boolean' }, disabled: { type: 'boolean' } } },
    async handle(req) {
      await requireSystem(req, 'user', 'update');
      const body = req.body as { sysadmin_flag?: boolean; disabled?: boolean };
      if (body.sysadmin_flag !== undefined) requireAdmin(req, 'grant or revoke system admin');
      await requireAdminForAdmin(req, 'change a system admin’s account');
      const user = await req.services.users.update(req.params['username'] ?? '', {
        ...(body.sysadmin_flag === undefined ? {} : { admin: body.sysadmin_flag }),
        ...(body.disabled === undefined ? {} : { disabled: body.disabled }),
      });
      await audit(req, { resource: user.username, resourceType: 'user', operation: 'update', detail: body });
      return ok(user);
    },
  },
  {
    operationId: 'setUserPassword',
    method: 'PUT',
    path: '/users/{username}/password',
    tag: 'user',
    summary: "Sets a password: one's own (with the current one as old_password, as Harbor asks), or anyone's for a system admin.",
    body: { type: 'object', required: ['new_password'], properties: { old_password: { type: 'string' }, new_password: { type: 'string', minLength: 8 } } },
    async handle(req) {
      const username = req.params['username'] ?? '';
      const body = req.body as { old_password?: string; new_password: string };
      if (req.principal.kind === 'user' && req.principal.name === username) {
        if (body.old_password === undefined) throw new HttpError('BAD_REQUEST', 'changing your own password takes the current one as old_password');
        if (!(await req.services.verifyPassword(username, body.old_password))) throw new HttpError('FORBIDDEN', 'old_password is not your current password');
      } else {
        requireAdmin(req, 'set another user’s password');
      }
      await req.services.users.setPassword(username, body.new_password);
      await audit(req, { resource: username, resourceType: 'user', operation: 'change_password' });
      return done;
    },
  },
  {
    operationId: 'deleteUser',
    method: 'DELETE',
    path: '/users/{username}',
    tag: 'user',
    summary: 'Deletes a local account (system admins).',
    async handle(req) {
      await requireSystem(req, 'user', 'delete');
      await requireAdminForAdmin(req, 'delete a system admin');
      await req.services.users.delete(req.params['username'] ?? '');
      await audit(req, { resource: req.params['username'] ?? '', resourceType: 'user', operation: 'delete' });
      return done;
    },
  },
];
