import type { MetadataDatabase } from '../storage/metadata/database.ts';
import type { Access } from './access.ts';
import type { Authorizer, Principal } from './authorizer.ts';
import { generateSecret, hashPassword, verifyPassword } from './password-hash.ts';

export const ADMIN_USERNAME = 'admin';

/**
 * The authoriser of a deployment with local accounts: system admins may do everything; everyone,
 * signed in or not, may pull from public projects. (Project roles arrive with the projects API.)
 */
export function createLocalAuthorizer(database: MetadataDatabase): Authorizer {
  const { db } = database;

  async function isPublicProject(repository: string): Promise<boolean> {
    const project = repository.split('/')[0] ?? '';
    const row = await db.selectFrom('projects').select('public').where('name', '=', project).executeTakeFirst();
    return row?.public === 1;
  }

  return {
    async authenticate(username, password) {
      const user = await db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();
      // Hash even for unknown users so that timing does not tell which usernames exist.
      const ok = await verifyPassword(password, user?.password_hash ?? (await dummyPasswordHash()));
      if (user === undefined || !ok) return undefined;
      return { kind: 'user', name: user.username, admin: user.is_admin === 1 } satisfies Principal;
    },

    async grant(principal, requested) {
      const granted: Access[] = [];
      for (const access of requested) {
        if (principal.admin) {
          granted.push(access);
        } else if (access.type === 'repository' && access.actions.includes('pull') && (await isPublicProject(access.name))) {
          granted.push({ ...access, actions: ['pull'] });
        }
      }
      return granted;
    },
  };
}

/** A valid hash of a random password, used to spend the same time on unknown usernames. */
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
