import type { Command } from 'commander';
import { parseRole, ROLES } from '../../core/auth/roles.ts';
import { ApiError, managed, serverOptions, table, type ManagementClient } from '../management-client.ts';
import { UsageError } from '../output.ts';

interface Member {
  id: number;
  entity_name: string;
  role_id: number;
  role_name: string;
}

const ROLE_HELP = ROLES.map((r) => r.name).join(', ');

function role(value: unknown): number {
  const parsed = typeof value === 'string' ? parseRole(value) : undefined;
  if (parsed === undefined) throw new UsageError(`--role must be one of ${ROLE_HELP} (or 1-5), not ${JSON.stringify(value)}`);
  return parsed;
}

async function memberId(client: ManagementClient, project: string, user: string): Promise<number> {
  const found = (await client.all<Member>(`/projects/${encodeURIComponent(project)}/members`)).find((m) => m.entity_name === user);
  if (found === undefined) throw new ApiError(404, 'NOT_FOUND', `${user} is not a member of ${project}`);
  return found.id;
}

/** `slipway member`: who may do what in a project (Harbor's roles). */
export function registerMember(program: Command): void {
  const member = program.command('member').description(`manage project members and their roles (${ROLE_HELP})`);
  serverOptions(member.command('list').argument('<project>')).action(
    managed(
      (client, _flags, project: string) => client.all<Member>(`/projects/${encodeURIComponent(project)}/members`),
      (list) => table(['USER', 'ROLE'], list.map((m) => [m.entity_name, m.role_name])),
    ),
  );
  serverOptions(member.command('add').argument('<project>').argument('<user>').requiredOption('--role <role>', ROLE_HELP)).action(
    managed(
      (client, flags, project: string, user: string) =>
        client.call<Member>('POST', `/projects/${encodeURIComponent(project)}/members`, { role_id: role(flags['role']), member_user: { username: user } }),
      (m) => `Added ${m.entity_name} as ${m.role_name}`,
    ),
  );
  serverOptions(member.command('set').description("change a member's role").argument('<project>').argument('<user>').requiredOption('--role <role>', ROLE_HELP)).action(
    managed(
      async (client, flags, project: string, user: string) => {
        await client.call('PUT', `/projects/${encodeURIComponent(project)}/members/${await memberId(client, project, user)}`, { role_id: role(flags['role']) });
        return { project, user, role_id: role(flags['role']) };
      },
      (r) => `${r.user} now has role ${r.role_id} in ${r.project}`,
    ),
  );
  serverOptions(member.command('remove').argument('<project>').argument('<user>')).action(
    managed(
      async (client, _flags, project: string, user: string) => {
        await client.call('DELETE', `/projects/${encodeURIComponent(project)}/members/${await memberId(client, project, user)}`);
        return { project, removed: user };
      },
      (r) => `Removed ${r.removed} from ${r.project}`,
    ),
  );
}
