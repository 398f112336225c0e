import type { MetadataDatabase } from '../storage/metadata/database.ts';
import { AuthError } from './auth-error.ts';
import { hashPassword } from './password-hash.ts';

/** A local account as the management API shows it (never the hash). */
export interface UserView {
  readonly user_id: number;
  readonly username: string;
  readonly sysadmin_flag: boolean;
  readonly disabled: boolean;
  readonly locked_until: string | null;
  readonly creation_time: string;
}

export interface Users {
  create(input: { username: string; password: string; admin?: boolean }): Promise<UserView>;
  list(): Promise<UserView[]>;
  get(username: string): Promise<UserView | undefined>;
  setPassword(username: string, password: string): Promise<void>;
  update(username: string, changes: { admin?: boolean; disabled?: boolean }): Promise<UserView>;
  delete(username: string): Promise<void>;
}

const USERNAME = /^[a-z0-9][a-z0-9._-]{0,254}$/;
export const MIN_PASSWORD_LENGTH = 8;

export function createUsers(database: MetadataDatabase, options: { clock?: () => number; onChange?: (username: string) => void } = {}): Users {
  const { db } = database;
  const clock = options.clock ?? Date.now;
  const changed = (username: string) => options.onChange?.(username);

  async function get(username: string): Promise<UserView | undefined> {
    const row = await db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();
    if (row === undefined) return undefined;
    return {
      user_id: row.id,
      username: row.username,
      sysadmin_flag: row.is_admin === 1,
      disabled: row.disabled === 1,
      locked_until: row.locked_until !== null && row.locked_until > clock() ? new Date(row.locked_until).toISOString() : null,
      creation_time: new Date(row.created_at).toISOString(),
    };
  }
  async function must(username: string): Promise<UserView> {
    const user = await get(username);
    if (user === undefined) throw new AuthError('ACCOUNT_UNKNOWN', `user ${username} does not exist`);
    return user;
  }

  return {
    get,
    async create({ username, password, admin }) {
      if (!USERNAME.test(username)) throw new AuthError('ACCOUNT_INVALID', `invalid username ${JSON.stringify(username)}: lower-case letters, digits, '.', '_' and '-'`);
      checkPassword(password);
      if ((await get(username)) !== undefined) throw new AuthError('ACCOUNT_EXISTS', `user ${username} already exists`);
      const hash = await hashPassword(password);
      await db.insertInto('users').values({ username, password_hash: hash, is_admin: admin === true ? 1 : 0, created_at: clock() }).execute();
      return must(username);
    },
    async list() {
      const rows = await db.selectFrom('users').select('username').orderBy('username').execute();
      const views = await Promise.all(rows.map((r) => get(r.username)));
      return views.filter((v) => v !== undefined);
    },
    async setPassword(username, password) {
      checkPassword(password);
      await must(username);
      const hash = await hashPassword(password);
      await db.updateTable('users').set({ password_hash: hash, failed_logins: 0, locked_until: null }).where('username', '=', username).execute();
      changed(username);
    },
    async update(username, changes) {
      await must(username);
      await db
        .updateTable('users')
        .set({
          ...(changes.admin === undefined ? {} : { is_admin: changes.admin ? 1 : 0 }),
          ...(changes.disabled === undefined ? {} : { disabled: changes.disabled ? 1 : 0 }),
        })
        .where('username', '=', username)
        .execute();
      changed(username);
      return must(username);
    },
    async delete(username) {
      await must(username);
      await db.deleteFrom('users').where('username', '=', username).execute();
      changed(username);
    },
  };
}

function checkPassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) throw new AuthError('ACCOUNT_INVALID', `the password must have at least ${MIN_PASSWORD_LENGTH} characters`);
}
