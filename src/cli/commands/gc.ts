import type { Command } from 'commander';
import { managed, serverOptions, waitFor } from '../management-client.ts';
import { ExitCode } from '../output.ts';
import { formatBytes } from '../../core/format/format-bytes.ts';

interface GcRun {
  id: number;
  job_status: string;
  error: string | null;
  report: { dryRun: boolean; blobsDeleted: number; bytesFreed: number; linksRemoved: number; orphanFilesDeleted: number; deleted: { digest: string; size: number }[]; errors: unknown[] } | null;
}

/** `slipway gc`: online garbage collection of unreferenced blobs, with a dry run and a schedule. */
export function registerGc(program: Command): void {
  const gc = serverOptions(
    program
      .command('gc')
      .description('collect blobs no artifact references (online; blobs younger than the grace period are kept)')
      .option('--dry-run', 'report what would be freed; delete nothing')
      .option('--grace-period <seconds>', 'keep blobs younger than this (default: the server setting)', Number),
  ).action(
    managed(
      async (client, flags) => {
        const started = await client.call<GcRun>('POST', '/system/gc', {
          dry_run: flags['dryRun'] === true,
          ...(flags['gracePeriod'] === undefined ? {} : { grace_period_seconds: flags['gracePeriod'] }),
        });
        const finished = await waitFor(() => client.call<GcRun>('GET', `/system/gc/${started.id}`), (r) => r.job_status === 'succeeded' || r.job_status === 'failed');
        if (finished.job_status !== 'succeeded' || (finished.report?.errors.length ?? 0) > 0) process.exitCode = ExitCode.failure;
        return finished;
      },
      (r) =>
        r.report === null
          ? `GC ${r.id} ${r.job_status}: ${r.error ?? ''}`
          : `GC ${r.id} ${r.report.dryRun ? '(dry run) would free' : 'freed'} ${formatBytes(r.report.bytesFreed)} in ${r.report.blobsDeleted} blobs (${r.report.linksRemoved} repository links, ${r.report.orphanFilesDeleted} orphan files)${r.report.errors.length > 0 ? `; ${r.report.errors.length} errors` : ''}`,
    ),
  );
  serverOptions(gc.command('schedule').description('run GC on a cron schedule ("" clears it)').argument('<cron>')).action(
    managed(
      (client, _flags, cron: string) => client.call<{ cron: string; next_run_at: string } | null>('PUT', '/system/gc/schedule', { cron }),
      (s) => (s === null ? 'GC schedule cleared' : `GC scheduled: ${s.cron} (next ${s.next_run_at})`),
    ),
  );
}
