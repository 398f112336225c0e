import type { Command } from 'commander';
import { managed, serverOptions, table, waitFor } from '../management-client.ts';
import { ExitCode, UsageError } from '../output.ts';

interface Rescan {
  id: number;
  job_status: string;
  creation_time: string;
  parameters: { trigger?: string; project?: string };
  error: string | null;
  /** `before` and `after`: `passed`, or `blocked: <the scan gate's reasons>`. */
  result: { scanned: number; changed: { repository: string; digest: string; before: string; after: string }[] } | null;
}

function describeRescan(r: Rescan): string {
  if (r.result === null) return `Rescan ${r.id} ${r.job_status}: ${r.error ?? ''}`;
  return [
    `Rescanned ${r.result.scanned} image${r.result.scanned === 1 ? '' : 's'}; ${r.result.changed.length} verdict${r.result.changed.length === 1 ? '' : 's'} changed`,
    ...(r.result.changed.length === 0 ? [] : [table(['REPOSITORY', 'DIGEST', 'VERDICT'], r.result.changed.map((c) => [c.repository, c.digest.slice(0, 19), `${c.before} → ${c.after}`]))]),
  ].join('\n');
}

/** `slipway rescan`: scan every image again with today's vulnerability data; lists the verdicts that changed. */
export function registerRescan(program: Command): void {
  const rescan = serverOptions(
    program
      .command('rescan')
      .description("rescan images in the server with the current vulnerability data (all, or one project's) and list the verdicts that changed")
      .option('--all', 'every project (the default without --project)')
      .option('--project <name>', "only this project's images"),
  ).action(
    managed(
      async (client, flags) => {
        if (flags['all'] === true && flags['project'] !== undefined) throw new UsageError('--all and --project: one or the other');
        const path = flags['project'] === undefined ? '/system/scan-all' : `/projects/${encodeURIComponent(String(flags['project']))}/scan-all`;
        const { id } = await client.call<{ id: number }>('POST', path);
        const done = await waitFor(() => client.call<Rescan>('GET', `/system/scan-all/${id}`), (r) => r.job_status === 'succeeded' || r.job_status === 'failed');
        if (done.job_status !== 'succeeded') process.exitCode = ExitCode.failure;
        return done;
      },
      describeRescan,
    ),
  );
  serverOptions(rescan.command('list').description('the latest rescans, newest first: asked for, scheduled, and those after a vulnerability data import')).action(
    managed(
      (client) => client.all<Rescan>('/system/scan-all'),
      (list) =>
        table(
          ['ID', 'STATUS', 'TRIGGER', 'PROJECT', 'SCANNED', 'CHANGED', 'CREATED'],
          list.map((r) => [String(r.id), r.job_status, r.parameters.trigger ?? '', r.parameters.project ?? 'all', String(r.result?.scanned ?? ''), String(r.result?.changed.length ?? ''), r.creation_time]),
        ),
    ),
  );
  serverOptions(rescan.command('show').description('one rescan and the verdicts it changed').argument('<id>')).action(
    managed((client, _flags, id: string) => client.call<Rescan>('GET', `/system/scan-all/${encodeURIComponent(id)}`), describeRescan),
  );
  serverOptions(rescan.command('schedule').description('rescan everything on a cron schedule ("" clears it)').argument('<cron>')).action(
    managed(
      (client, _flags, cron: string) => client.call<{ cron: string; next_run_at: string } | null>('PUT', '/system/scan-all/schedule', { cron }),
      (s) => (s === null ? 'Rescan schedule cleared' : `Rescans scheduled: ${s.cron} (next ${s.next_run_at})`),
    ),
  );
}
