import type { MetadataDatabase } from '../storage/metadata/database.ts';
import type { Selectable } from 'kysely';
import type { RobotsTable } from '../storage/metadata/schema.ts';
import { AuthError } from './auth-error.ts';
import { generateSecret, hashPassword } from './password-hash.ts';
import { validateRobotPermissions, type RobotPermission } from './robot-permissions.ts';

export const ROBOT_PREFIX = 'robot$';

/** A robot account as Harbor's API shows it. The secret appears only in create and refresh answers. */
export interface RobotView {
  readonly id: number;
  /** `robot$<project>+<name>` or `robot$<name>`: what the robot logs in with. */
  readonly name: string;
  readonly level: 'project' | 'system';
  readonly description: string;
  readonly disable: boolean;
  readonly expires_at: number;
  readonly duration: number;
  readonly permissions: readonly RobotPermission[];
  readonly creator: string;
  readonly creation_time: string;
  readonly update_time: string;
}

export interface RobotInput {
  readonly name: string;
  readonly description?: string;
  readonly level: 'project' | 'system';
  /** Days; -1 never expires. */
  readonly duration: number;
  readonly disable?: boolean;
  readonly permissions: unknown;
  readonly secret?: string;
}

export interface Robots {
  /** Creates the robot; the answer carries the secret, shown this once. */
  create(input: RobotInput, creator: string): Promise<RobotView & { secret: string }>;
  get(id: number): Promise<RobotView | undefined>;
  /** Every robot, or one project's (by its exact name), or those of one level. */
  list(filter?: { project?: string; level?: 'project' | 'system' }): Promise<RobotView[]>;
  /** Sets a new secret (the given one, or a generated one) and returns it. */
  refreshSecret(id: number, secret?: string): Promise<string>;
  update(id: number, changes: { description?: string; disable?: boolean; duration?: number; permissions?: unknown }): Promise<RobotView>;
  delete(id: number): Promise<void>;
}

const ROBOT_NAME = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
const DAY_MS = 86_400_000;

export function createRobots(database: MetadataDatabase, options: { clock?: () => number; onChange?: (name: string) => void } = {}): Robots {
  const { db } = database;
  const clock = options.clock ?? Date.now;

  async function must(id: number): Promise<RobotView> {
    const row = await db.selectFrom('robots').selectAll().where('id', '=', id).executeTakeFirst();
    if (row === undefined) throw new AuthError('ACCOUNT_UNKNOWN', `robot ${id} does not exist`);
    return view(row);
  }
  const changed = (robot: RobotView) => options.onChange?.(robot.name);

  /**
   * Validates `value` for a robot of `level` and checks its namespaces: each project must exist,
   * a project robot names one project (never `*`), and, when `own` is given, stays in it. Answers
   * the permissions and the project robot's project id.
   */
  async function checkedPermissions(level: 'project' | 'system', value: unknown, own?: string): Promise<{ permissions: RobotPermission[]; projectId: number | null }> {
    const permissions = validateRobotPermissions(level, value);
    let projectId: number | null = null;
    for (const permission of permissions) {
      if (permission.kind !== 'project') continue;
      if (permission.namespace === '*') {
        if (level === 'project') throw new AuthError('PERMISSION_INVALID', 'a project robot names one project, not "*" (a system robot may cover every project)');
        continue;
      }
      if (own !== undefined && permission.namespace !== own) {
        throw new AuthError('PERMISSION_INVALID', `robot of project ${own} cannot be moved to ${permission.namespace}: create a robot there instead`);
      }
      const row = await db.selectFrom('projects').select('id').where('name', '=', permission.namespace).executeTakeFirst();
      if (row === undefined) throw new AuthError('PERMISSION_INVALID', `project ${permission.namespace} does not exist`);
      if (level === 'project') projectId = row.id;
    }
    return { permissions, projectId };
  }

  return {
    async create(input, creator) {
      if (!ROBOT_NAME.test(input.name)) throw new AuthError('ACCOUNT_INVALID', `invalid robot name ${JSON.stringify(input.name)}`);
      const { permissions, projectId } = await checkedPermissions(input.level, input.permissions);
      const project = input.level === 'project' ? permissions[0]?.namespace : undefined;
      const stored = project === undefined ? input.name : `${project}+${input.name}`;
      if ((await db.selectFrom('robots').select('id').where('name', '=', stored).executeTakeFirst()) !== undefined) {
        throw new AuthError('ACCOUNT_EXISTS', `robot ${ROBOT_PREFIX}${stored} already exists`);
      }
      const secret = input.secret ?? generateSecret(24);
      const now = clock();
      const { id } = await db
        .insertInto('robots')
        .values({
          name: stored,
          level: input.level,
          project_id: projectId,
          description: input.description ?? '',
          secret_hash: await hashPassword(secret),
          permissions: JSON.stringify(permissions),
          expires_at: expiry(input.duration, now),
          disabled: input.disable === true ? 1 : 0,
          creator,
          created_at: now,
          updated_at: now,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      return { ...(await must(id)), secret };
    },
    async get(id) {
      const row = await db.selectFrom('robots').selectAll().where('id', '=', id).executeTakeFirst();
      return row === undefined ? undefined : view(row);
    },
    async list(filter = {}) {
      let query = db.selectFrom('robots').selectAll();
      // By the project's id, not a name pattern: `_` and `%` in a project name must match only themselves.
      if (filter.project !== undefined) {
        const project = filter.project;
        query = query.where('level', '=', 'project').where('project_id', 'in', db.selectFrom('projects').select('id').where('name', '=', project));
      }
      if (filter.level !== undefined) query = query.where('level', '=', filter.level);
      return (await query.orderBy('id').execute()).map(view);
    },
    async refreshSecret(id, secret) {
      const robot = await must(id);
      const next = secret ?? generateSecret(24);
      if (next.length < 8) throw new AuthError('ACCOUNT_INVALID', 'the secret must have at least 8 characters');
      await db.updateTable('robots').set({ secret_hash: await hashPassword(next), updated_at: clock() }).where('id', '=', id).execute();
      changed(robot);
      return next;
    },
    async update(id, changes) {
      const robot = await must(id);
      // Its project is the one it was created in (its project_id), not whatever its permissions now name.
      const home = await db.selectFrom('robots').innerJoin('projects', 'projects.id', 'robots.project_id').select('projects.name').where('robots.id', '=', id).executeTakeFirst();
      const own = robot.level === 'project' ? home?.name : undefined;
      const permissions = changes.permissions === undefined ? undefined : (await checkedPermissions(robot.level, changes.permissions, own)).permissions;
      const now = clock();
      await db
        .updateTable('robots')
        .set({
          updated_at: now,
          ...(changes.description === undefined ? {} : { description: changes.description }),
          ...(changes.disable === undefined ? {} : { disabled: changes.disable ? 1 : 0 }),
          ...(changes.duration === undefined ? {} : { expires_at: expiry(changes.duration, now) }),
          ...(permissions === undefined ? {} : { permissions: JSON.stringify(permissions) }),
        })
        .where('id', '=', id)
        .execute();
      changed(robot);
      return must(id);
    },
    async delete(id) {
      const robot = await must(id);
      await db.deleteFrom('robots').where('id', '=', id).execute();
      changed(robot);
    },
  };
}

function expiry(duration: number, now: number): number | null {
  if (duration === -1) return null;
  if (!Number.isInteger(duration) || duration <= 0) throw new AuthError('ACCOUNT_INVALID', 'duration must be either -1(Never) or a positive integer');
  return now + duration * DAY_MS;
}

function view(row: Selectable<RobotsTable>): RobotView {
  return {
    id: row.id,
    name: `${ROBOT_PREFIX}${row.name}`,
    level: row.level,
    description: row.description,
    disable: row.disabled === 1,
    expires_at: row.expires_at === null ? -1 : Math.floor(row.expires_at / 1000),
    duration: row.expires_at === null ? -1 : Math.max(1, Math.round((row.expires_at - row.created_at) / DAY_MS)),
    permissions: JSON.parse(row.permissions) as RobotPermission[],
    creator: row.creator,
    creation_time: new Date(row.created_at).toISOString(),
    update_time: new Date(row.updated_at).toISOString(),
  };
}
