import type { Command } from 'commander';
import { managed, serverOptions, table } from '../management-client.ts';
import { UsageError } from '../output.ts';

interface Entry {
  id: number;
  op_time: string;
  username: string;
  operation: string;
  resource_type: string;
  resource: string;
  operation_result: boolean;
  project: string | null;
  /** Why a login was refused, or an override's justification. */
  reason: string | null;
}

/** The API's largest page. */
const PAGE = 100;

/** `24h`, `7d`, `30m` → milliseconds. */
function duration(value: string): number {
  const match = /^(\d+)([smhd])$/.exec(value);
  if (match === null) throw new UsageError(`--since must look like 30m, 24h or 7d, not ${JSON.stringify(value)}`);
  return Number(match[1]) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 's' | 'm' | 'h' | 'd'];
}

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--limit must be a positive whole number, not ${JSON.stringify(value)}`);
  return n;
}

/** `slipway audit`: who pushed, pulled, deleted, logged in or changed a policy, newest first. */
export function registerAudit(program: Command): void {
  serverOptions(
    program
      .command('audit')
      .description('read the audit log, newest first')
      .option('--project <name>', "one project's entries")
      .option('--user <name>', "one user's or robot's entries")
      .option('--operation <op>', 'push, pull, delete, create, update, login, scan, execute, dry_run, …')
      .option(
        '--type <resource-type>',
        'artifact, tag, repository, project, project_policy, member, user, robot, quota, scan, scan_exception, trust_policy, immutable_rule, retention, webhook_policy, label, artifact_label, cve_allowlist, garbage_collection',
      )
      .option('--since <duration>', 'only the last 30m, 24h, 7d, …')
      .option('--limit <n>', 'at most this many entries', positive, 50),
  ).action(
    managed(
      async (client, flags) => {
        const limit = flags['limit'] as number;
        const query = new URLSearchParams();
        if (flags['user'] !== undefined) query.set('username', String(flags['user']));
        if (flags['operation'] !== undefined) query.set('operation', String(flags['operation']));
        if (flags['type'] !== undefined) query.set('resource_type', String(flags['type']));
        if (flags['since'] !== undefined) query.set('from', new Date(Date.now() - duration(String(flags['since']))).toISOString());
        const path = flags['project'] === undefined ? '/audit-logs' : `/projects/${encodeURIComponent(String(flags['project']))}/audit-logs`;
        // Page by page until one more than asked for is in hand: that one only says whether there is more.
        // Entries logged while this reads shift the pages: one seen on an earlier page is not shown twice.
        const entries: Entry[] = [];
        const seen = new Set<number>();
        const size = Math.min(PAGE, limit + 1);
        query.set('page_size', String(size));
        for (let page = 1; entries.length <= limit; page += 1) {
          query.set('page', String(page));
          const got = await client.call<Entry[]>('GET', `${path}?${query.toString()}`);
          for (const entry of got) {
            if (seen.has(entry.id)) continue;
            seen.add(entry.id);
            entries.push(entry);
          }
          if (got.length < size) break;
        }
        return { entries: entries.slice(0, limit), more: entries.length > limit };
      },
      ({ entries, more }) =>
        [
          table(
            ['TIME', 'USER', 'OPERATION', 'TYPE', 'PROJECT', 'RESOURCE', 'RESULT', 'REASON'],
            entries.map((e) => [e.op_time, e.username, e.operation, e.resource_type, e.project ?? '-', e.resource, e.operation_result ? 'ok' : 'FAILED', e.reason ?? '']),
          ),
          ...(more ? [`(the ${entries.length} newest shown; there are more: raise --limit, or narrow with --since, --project, --user, --operation or --type)`] : []),
        ].join('\n'),
      ({ entries }) => entries,
    ),
  );
}
