import { stdin } from 'node:process';
import { text } from 'node:stream/consumers';
import type { Command } from 'commander';
import { managed, serverOptions, table, type Flags } from '../management-client.ts';
import { UsageError } from '../output.ts';

interface User {
  username: string;
  sysadmin_flag: boolean;
  disabled: boolean;
  locked_until: string | null;
}

async function password(flags: Flags): Promise<string> {
  if (flags['passwordStdin'] !== true) throw new UsageError('give the password on standard input with --password-stdin');
  const value = (await text(stdin)).replace(/\r?\n$/, '');
  if (value.length < 8) throw new UsageError('the password must have at least 8 characters');
  return value;
}

/** `slipway user`: local accounts (system admins). */
export function registerUser(program: Command): void {
  const user = program.command('user').description('manage local accounts (system admins)');
  serverOptions(user.command('list')).action(
    managed(
      (client) => client.all<User>('/users'),
      (list) => table(['USER', 'ADMIN', 'DISABLED', 'LOCKED UNTIL'], list.map((u) => [u.username, u.sysadmin_flag, u.disabled, u.locked_until])),
    ),
  );
  serverOptions(user.command('create').argument('<username>').option('--password-stdin', 'read the password from standard input').option('--admin', 'make a system admin')).action(
    managed(
      async (client, flags, username: string) => client.call<User>('POST', '/users', { username, password: await password(flags), sysadmin_flag: flags['admin'] === true }),
      (u) => `Created user ${u.username}${u.sysadmin_flag ? ' (system admin)' : ''}`,
    ),
  );
  serverOptions(user.command('passwd').argument('<username>').option('--password-stdin', 'read the new password from standard input')).action(
    managed(
      async (client, flags, username: string) => {
        // One's own password changes with the current one (the one signed in with), as the server asks.
        const old = client.signInPassword(username);
        await client.call('PUT', `/users/${encodeURIComponent(username)}/password`, { new_password: await password(flags), ...(old === undefined ? {} : { old_password: old }) });
        return { username };
      },
      (r) => `Password of ${r.username} changed`,
    ),
  );
  serverOptions(user.command('delete').argument('<username>')).action(
    managed(
      async (client, _flags, username: string) => {
        await client.call('DELETE', `/users/${encodeURIComponent(username)}`);
        return { deleted: username };
      },
      (r) => `Deleted user ${r.deleted}`,
    ),
  );
}
