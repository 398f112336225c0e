import type { MetadataDatabase } from '../storage/metadata/database.ts';
import type { Access } from './access.ts';
import type { AccessControl } from './access-control.ts';
import type { Authorizer, Principal } from './authorizer.ts';
import { generateSecret, hashPassword, verifyPassword } from './password-hash.ts';
import { ROBOT_PREFIX } from './robots.ts';
import type { Action, ProjectResource } from './roles.ts';

export const ADMIN_USERNAME = 'admin';

/** After this many consecutive failures an account is locked, for a time that doubles with each further failure. */
export const LOCKOUT_THRESHOLD = 5;
const LOCKOUT_BASE_MS = 30_000;
const LOCKOUT_MAX_MS = 15 * 60_000;

export interface LocalAuthorizerOptions {
  readonly access: AccessControl;
  readonly clock?: () => number;
  /** Told of every login attempt decided here (not of cached ones): the audit log listens. */
  readonly onLogin?: (event: { username: string; success: boolean; reason?: string }) => void;
}

/** Registry actions and the project permission each needs (Harbor's mapping). */
const REGISTRY_ACTIONS: Readonly<Record<string, readonly [ProjectResource, Action]>> = {
  pull: ['repository', 'pull'],
  push: ['repository', 'push'],
  delete: ['artifact', 'delete'],
};

/**
 * The authoriser of a deployment with local accounts: users (scrypt-hashed passwords, locked
 * out after repeated failures) and robot accounts (`robot$…`, expiring, disable-able); what they
 * may do comes from the access control (roles, robot permissions, public projects).
 */
export function createLocalAuthorizer(database: MetadataDatabase, options: LocalAuthorizerOptions): Authorizer {
  const { db } = database;
  const clock = options.clock ?? Date.now;
  const report = (username: string, success: boolean, reason?: string) =>
    options.onLogin?.({ username, success, ...(reason === undefined ? {} : { reason }) });
  const refused = (username: string, _success: false, reason: string): undefined => {
    report(username, false, reason);
    return undefined;
  };

  async function authenticateRobot(username: string, password: string): Promise<Principal | undefined> {
    const robot = await db.selectFrom('robots').selectAll().where('name', '=', username.slice(ROBOT_PREFIX.length)).executeTakeFirst();
    const ok = await verifyPassword(password, robot?.secret_hash ?? (await dummyPasswordHash()));
    if (robot === undefined || !ok) return refused(username, false, 'wrong name or secret');
    if (robot.disabled === 1) return refused(username, false, 'robot disabled');
    if (robot.expires_at !== null && robot.expires_at <= clock()) return refused(username, false, 'robot expired');
    report(username, true);
    return { kind: 'robot', name: username, admin: false };
  }

  async function authenticateUser(username: string, password: string): Promise<Principal | undefined> {
    const user = await db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();
    // Hash even for unknown users so that timing does not tell which usernames exist.
    const ok = await verifyPassword(password, user?.password_hash ?? (await dummyPasswordHash()));
    if (user === undefined) return refused(username, false, 'unknown user');
    const now = clock();
    if (user.locked_until !== null && user.locked_until > now) return refused(username, false, 'account locked after repeated failures');
    if (!ok) {
      const failures = user.failed_logins + 1;
      const lock = failures >= LOCKOUT_THRESHOLD ? now + Math.min(LOCKOUT_MAX_MS, LOCKOUT_BASE_MS * 2 ** (failures - LOCKOUT_THRESHOLD)) : null;
      await db.updateTable('users').set({ failed_logins: failures, locked_until: lock }).where('id', '=', user.id).execute();
      return refused(username, false, 'wrong password');
    }
    if (user.disabled === 1) return refused(username, false, 'account disabled');
    if (user.failed_logins > 0) await db.updateTable('users').set({ failed_logins: 0, locked_until: null }).where('id', '=', user.id).execute();
    report(username, true);
    return { kind: 'user', name: user.username, admin: user.is_admin === 1 };
  }

  async function grantOne(principal: Principal, access: Access): Promise<Access | undefined> {
    if (access.type === 'registry') {
      const ok = access.name === 'catalog' && (await options.access.canSystem(principal, 'catalog', 'read'));
      return ok ? access : undefined;
    }
    const project = access.name.split('/')[0] ?? '';
    const wanted = access.actions.includes('*') ? Object.keys(REGISTRY_ACTIONS) : access.actions;
    const actions: string[] = [];
    for (const action of wanted) {
      const permission = REGISTRY_ACTIONS[action];
      if (permission !== undefined && (await options.access.can(principal, project, permission[0], permission[1]))) actions.push(action);
    }
    return actions.length === 0 ? undefined : { ...access, actions };
  }

  return {
    authenticate(username, password) {
      return username.startsWith(ROBOT_PREFIX) ? authenticateRobot(username, password) : authenticateUser(username, password);
    },
    async grant(principal, requested) {
      const granted: Access[] = [];
      for (const access of requested) {
        const one = await grantOne(principal, access);
        if (one !== undefined) granted.push(one);
      }
      return granted;
    },
  };
}

/** A valid hash of a random password, used to spend the same time on unknown accounts. */
let dummyHash: Promise<string> | undefined;
function dummyPasswordHash(): Promise<string> {
  dummyHash ??= hashPassword(generateSecret());
  return dummyHash;
}

/**
 * Makes sure the first admin exists. Its password comes from `password` (SLIPWAY_ADMIN_PASSWORD)
 * or is generated; a generated one is returned once so the caller can show it, and never stored
 * in clear.
 */
export async function ensureAdminUser(
  database: MetadataDatabase,
  password: string | undefined,
  now: number = Date.now(),
): Promise<{ readonly created: boolean; readonly generatedPassword: string | undefined }> {
  const existing = await database.db.selectFrom('users').select('id').where('is_admin', '=', 1).executeTakeFirst();
  if (existing !== undefined) return { created: false, generatedPassword: undefined };
  const chosen = password ?? generateSecret(18);
  await database.db
    .insertInto('users')
    .values({ username: ADMIN_USERNAME, password_hash: await hashPassword(chosen), is_admin: 1, created_at: now })
    .onConflict((oc) => oc.column('username').doNothing())
    .execute();
  return { created: true, generatedPassword: password === undefined ? chosen : undefined };
}
