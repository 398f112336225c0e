import type { Principal } from '../core/auth/authorizer.ts';
import { isRoleId, roleName, type RoleId, type RoleName } from '../core/auth/roles.ts';
import type { MetadataDatabase } from '../core/storage/metadata/database.ts';
import { normalizeAllowlist, normalizeMetadata, type CveAllowlist } from './project-metadata.ts';
import { projectUsage, type ProjectUsage } from './project-usage.ts';
import { RegistryError } from './registry-error.ts';

/** A project as the management API shows it (Harbor's shape). */
export interface ProjectView {
  readonly project_id: number;
  readonly name: string;
  readonly public: boolean;
  readonly metadata: Readonly<Record<string, string>>;
  readonly storage_limit: number;
  readonly count_limit: number;
  readonly cve_allowlist: CveAllowlist;
  readonly repo_count: number;
  readonly creation_time: string;
  readonly update_time: string;
}

export interface ProjectInput {
  readonly project_name: string;
  readonly public?: boolean;
  readonly metadata?: unknown;
  readonly storage_limit?: number;
  readonly count_limit?: number;
  readonly cve_allowlist?: unknown;
}

export interface MemberView {
  readonly id: number;
  readonly project_id: number;
  readonly entity_name: string;
  readonly entity_type: 'u';
  readonly role_id: RoleId;
  readonly role_name: string;
}

/** Harbor's ProjectSummary: repositories, members per role, quota. */
export interface ProjectSummary {
  readonly repo_count: number;
  readonly project_admin_count: number;
  readonly maintainer_count: number;
  readonly developer_count: number;
  readonly guest_count: number;
  readonly limited_guest_count: number;
  readonly quota: { readonly hard: { storage: number; count: number }; readonly used: ProjectUsage };
}

const PROJECT_NAME = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;

export type Projects = ReturnType<typeof createProjects>;

/** Projects and their members. A repository belongs to the project named by its first path segment. */
export function createProjects(database: MetadataDatabase, clock: () => number = Date.now) {
  const { db } = database;

  async function row(nameOrId: string | number) {
    const query = db.selectFrom('projects').selectAll();
    const found = await (typeof nameOrId === 'number' || /^\d+$/.test(nameOrId)
      ? query.where('id', '=', Number(nameOrId))
      : query.where('name', '=', nameOrId)
    ).executeTakeFirst();
    if (found === undefined) throw new RegistryError('PROJECT_UNKNOWN', `project ${nameOrId} does not exist`, { detail: { project: nameOrId } });
    return found;
  }

  async function view(r: Awaited<ReturnType<typeof row>>): Promise<ProjectView> {
    // A repository counts once it holds an artifact: an upload refused (over quota, say) leaves none behind.
    const repos = await db
      .selectFrom('repositories as repo')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('repo.project_id', '=', r.id)
      .where((eb) => eb.exists(eb.selectFrom('manifests as m').select('m.id').whereRef('m.repository_id', '=', 'repo.id')))
      .executeTakeFirstOrThrow();
    const metadata = { ...(JSON.parse(r.metadata) as Record<string, string>), public: r.public === 1 ? 'true' : 'false' };
    return {
      project_id: r.id,
      name: r.name,
      public: r.public === 1,
      metadata,
      storage_limit: r.storage_limit,
      count_limit: r.count_limit,
      cve_allowlist: normalizeAllowlist(JSON.parse(r.cve_allowlist)),
      repo_count: repos.n,
      creation_time: new Date(r.created_at).toISOString(),
      update_time: new Date(r.updated_at || r.created_at).toISOString(),
    };
  }

  async function userId(username: string): Promise<number> {
    const user = await db.selectFrom('users').select('id').where('username', '=', username).executeTakeFirst();
    if (user === undefined) throw new RegistryError('NOT_FOUND', `user ${username} does not exist`);
    return user.id;
  }

  return {
    async create(input: ProjectInput, creator: Principal): Promise<ProjectView> {
      const name = input.project_name;
      if (typeof name !== 'string' || name.length < 1 || name.length > 255 || !PROJECT_NAME.test(name)) {
        throw new RegistryError('INVALID', `invalid project name ${JSON.stringify(name)}: lower-case letters and digits, separated by '.', '_' or '-'`);
      }
      const metadata = normalizeMetadata(input.metadata);
      const isPublic = input.public ?? metadata['public'] === 'true';
      delete metadata['public'];
      const allowlist = normalizeAllowlist(input.cve_allowlist);
      const now = clock();
      const inserted = await db
        .insertInto('projects')
        .values({
          name,
          public: isPublic ? 1 : 0,
          created_at: now,
          updated_at: now,
          metadata: JSON.stringify(metadata),
          storage_limit: limit(input.storage_limit, 'storage_limit'),
          count_limit: limit(input.count_limit, 'count_limit'),
          cve_allowlist: JSON.stringify(allowlist),
        })
        .onConflict((oc) => oc.column('name').doNothing())
        .returning('id')
        .executeTakeFirst();
      if (inserted === undefined) throw new RegistryError('PROJECT_EXISTS', `project ${name} already exists`);
      if (creator.kind === 'user') {
        await db.insertInto('project_members').values({ project_id: inserted.id, user_id: await userId(creator.name), role_id: 1, created_at: now }).execute();
      }
      return view(await row(inserted.id));
    },

    async get(nameOrId: string | number): Promise<ProjectView> {
      return view(await row(nameOrId));
    },

    /** Every project `visible` says the caller may see, filtered by a name substring, paged. */
    async list(filter: { name?: string; public?: boolean; page: number; pageSize: number }, visible: (project: string, isPublic: boolean) => Promise<boolean>) {
      let query = db.selectFrom('projects').selectAll().orderBy('name');
      if (filter.name !== undefined) query = query.where('name', 'like', `%${filter.name.replaceAll(/[%_\\]/g, '')}%`);
      if (filter.public !== undefined) query = query.where('public', '=', filter.public ? 1 : 0);
      const all = [];
      for (const r of await query.execute()) if (await visible(r.name, r.public === 1)) all.push(r);
      const items = await Promise.all(all.slice((filter.page - 1) * filter.pageSize, filter.page * filter.pageSize).map(view));
      return { total: all.length, items };
    },

    async update(nameOrId: string | number, changes: Omit<ProjectInput, 'project_name'>): Promise<ProjectView> {
      const current = await row(nameOrId);
      const metadata = { ...(JSON.parse(current.metadata) as Record<string, string>), ...normalizeMetadata(changes.metadata) };
      const isPublic = changes.public ?? (metadata['public'] === undefined ? current.public === 1 : metadata['public'] === 'true');
      delete metadata['public'];
      await db
        .updateTable('projects')
        .set({
          public: isPublic ? 1 : 0,
          metadata: JSON.stringify(metadata),
          updated_at: clock(),
          ...(changes.storage_limit === undefined ? {} : { storage_limit: limit(changes.storage_limit, 'storage_limit') }),
          ...(changes.count_limit === undefined ? {} : { count_limit: limit(changes.count_limit, 'count_limit') }),
          ...(changes.cve_allowlist === undefined ? {} : { cve_allowlist: JSON.stringify(normalizeAllowlist(changes.cve_allowlist)) }),
        })
        .where('id', '=', current.id)
        .execute();
      return view(await row(current.id));
    },

    /** Refused while the project holds artifacts (Harbor's 412). */
    async delete(nameOrId: string | number): Promise<void> {
      const current = await row(nameOrId);
      const held = await db
        .selectFrom('manifests as m')
        .innerJoin('repositories as r', 'r.id', 'm.repository_id')
        .select('m.id')
        .where('r.project_id', '=', current.id)
        .executeTakeFirst();
      if (held !== undefined) throw new RegistryError('PROJECT_NOT_EMPTY', `project ${current.name} still holds artifacts; delete its repositories first`);
      await db.transaction().execute(async (trx) => {
        await trx.deleteFrom('repositories').where('project_id', '=', current.id).execute();
        await trx.deleteFrom('projects').where('id', '=', current.id).execute();
      });
    },

    async summary(nameOrId: string | number): Promise<ProjectSummary> {
      const current = await view(await row(nameOrId));
      const members = await this.members(current.project_id);
      const count = (role: RoleName) => members.filter((m) => m.role_name === role).length;
      return {
        repo_count: current.repo_count,
        project_admin_count: count('projectAdmin'),
        maintainer_count: count('maintainer'),
        developer_count: count('developer'),
        guest_count: count('guest'),
        limited_guest_count: count('limitedGuest'),
        quota: { hard: { storage: current.storage_limit, count: current.count_limit }, used: await projectUsage(database, current.project_id) },
      };
    },

    async members(nameOrId: string | number): Promise<MemberView[]> {
      const project = await row(nameOrId);
      const rows = await db
        .selectFrom('project_members as m')
        .innerJoin('users as u', 'u.id', 'm.user_id')
        .select(['m.user_id', 'm.role_id', 'u.username'])
        .where('m.project_id', '=', project.id)
        .orderBy('u.username')
        .execute();
      return rows.map((r) => member(project.id, r.user_id, r.username, r.role_id as RoleId));
    },

    async addMember(nameOrId: string | number, username: string, role: number): Promise<MemberView> {
      const project = await row(nameOrId);
      const roleId = checkRole(role);
      const id = await userId(username);
      const existing = await db.selectFrom('project_members').select('user_id').where('project_id', '=', project.id).where('user_id', '=', id).executeTakeFirst();
      if (existing !== undefined) throw new RegistryError('CONFLICT', `${username} is already a member of ${project.name}`);
      await db.insertInto('project_members').values({ project_id: project.id, user_id: id, role_id: roleId, created_at: clock() }).execute();
      return member(project.id, id, username, roleId);
    },

    async updateMember(nameOrId: string | number, memberId: number, role: number): Promise<void> {
      const project = await row(nameOrId);
      const result = await db.updateTable('project_members').set({ role_id: checkRole(role) }).where('project_id', '=', project.id).where('user_id', '=', memberId).executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) throw new RegistryError('NOT_FOUND', `member ${memberId} is not in project ${project.name}`);
    },

    async removeMember(nameOrId: string | number, memberId: number): Promise<void> {
      const project = await row(nameOrId);
      const result = await db.deleteFrom('project_members').where('project_id', '=', project.id).where('user_id', '=', memberId).executeTakeFirst();
      if (Number(result.numDeletedRows) === 0) throw new RegistryError('NOT_FOUND', `member ${memberId} is not in project ${project.name}`);
    },
  };
}

function member(projectId: number, userId: number, username: string, role: RoleId): MemberView {
  return { id: userId, project_id: projectId, entity_name: username, entity_type: 'u', role_id: role, role_name: roleName(role) };
}

function checkRole(role: number): RoleId {
  if (!isRoleId(role)) throw new RegistryError('INVALID', `role_id must be 1 (projectAdmin), 2 (developer), 3 (guest), 4 (maintainer) or 5 (limitedGuest), not ${role}`);
  return role;
}

function limit(value: number | undefined, what: string): number {
  if (value === undefined || value === 0) return -1;
  if (!Number.isSafeInteger(value) || value < -1) throw new RegistryError('INVALID', `${what} must be -1 (unlimited) or a positive integer`);
  return value;
}
