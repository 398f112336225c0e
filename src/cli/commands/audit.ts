import type { Command } from 'commander';
import { managed, serverOptions, table } from '../management-client.ts';
import { UsageError } from '../output.ts';

interface Entry {
  op_time: string;
  username: string;
  operation: string;
  resource_type: string;
  resource: string;
  operation_result: boolean;
}

/** `24h`, `7d`, `30m` → milliseconds. */
function duration(value: string): number {
  const match = /^(\d+)([smhd])$/.exec(value);
  if (match === null) throw new UsageError(`--since must look like 30m, 24h or 7d, not ${JSON.stringify(value)}`);
  return Number(match[1]) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 's' | 'm' | 'h' | 'd'];
}

/** `slipway audit`: who pushed, pulled, deleted, logged in or changed a policy, newest first. */
export function registerAudit(program: Command): void {
  serverOptions(
    program
      .command('audit')
      .description('read the audit log, newest first')
      .option('--project <name>', "one project's entries")
      .option('--user <name>', "one user's or robot's entries")
      .option('--operation <op>', 'push, pull, delete, create, update, login, …')
      .option('--type <resource-type>', 'artifact, tag, project, member, robot, retention, …')
      .option('--since <duration>', 'only the last 30m, 24h, 7d, …')
      .option('--limit <n>', 'at most this many entries (up to 100)', Number, 50),
  ).action(
    managed(
      (client, flags) => {
        const query = new URLSearchParams({ page_size: String(flags['limit']) });
        if (flags['user'] !== undefined) query.set('username', String(flags['user']));
        if (flags['operation'] !== undefined) query.set('operation', String(flags['operation']));
        if (flags['type'] !== undefined) query.set('resource_type', String(flags['type']));
        if (flags['since'] !== undefined) query.set('from', new Date(Date.now() - duration(String(flags['since']))).toISOString());
        const path = flags['project'] === undefined ? '/audit-logs' : `/projects/${encodeURIComponent(String(flags['project']))}/audit-logs`;
        return client.call<Entry[]>('GET', `${path}?${query.toString()}`);
      },
      (list) => table(['TIME', 'USER', 'OPERATION', 'TYPE', 'RESOURCE', 'RESULT'], list.map((e) => [e.op_time, e.username, e.operation, e.resource_type, e.resource, e.operation_result ? 'ok' : 'FAILED'])),
    ),
  );
}
