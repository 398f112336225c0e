import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { ApiError, managed, serverOptions, table, waitFor, type ManagementClient } from '../management-client.ts';
import { ExitCode } from '../output.ts';

interface Policy {
  id: number;
  rules: { template: string; params: Record<string, number> }[];
  trigger?: { kind: string; settings?: { cron?: string } };
}
interface Execution {
  id: number;
  status: string;
  dry_run: boolean;
  total?: number;
  retained?: number;
  deleted?: number;
  decisions?: { repository: string; digest: string; tags: string[]; outcome: string; reason: string; error?: string }[];
}

async function policyOf(client: ManagementClient, project: string): Promise<Policy> {
  return client.call<Policy>('GET', `/projects/${encodeURIComponent(project)}/retention`);
}

/** `slipway retention`: Harbor's retention rules per project, a dry run that lists exactly what would go, and real runs. */
export function registerRetention(program: Command): void {
  const retention = program.command('retention').description("a project's retention policy: set it, dry-run it, run it");
  serverOptions(retention.command('show').argument('<project>')).action(
    managed(
      (client, _flags, project: string) => policyOf(client, project),
      (p) => `Retention policy ${p.id}: ${p.rules.map((r) => `${r.template} ${JSON.stringify(r.params)}`).join('; ')}${p.trigger?.settings?.cron ? `, scheduled ${p.trigger.settings.cron}` : ''}`,
    ),
  );
  serverOptions(retention.command('set').argument('<project>').requiredOption('--file <policy>', "Harbor's retention policy as YAML or JSON (rules, trigger)")).action(
    managed(
      async (client, flags, project: string) => {
        const body = parseYaml(await readFile(String(flags['file']), 'utf8')) as Record<string, unknown>;
        const existing = await policyOf(client, project).catch((error: unknown) => {
          if (error instanceof ApiError && error.status === 404) return undefined;
          throw error;
        });
        const policy = { algorithm: 'or', ...body, scope: { level: 'project', ref: project } };
        return existing === undefined ? client.call<Policy>('POST', '/retentions', policy) : client.call<Policy>('PUT', `/retentions/${existing.id}`, policy);
      },
      (p) => `Retention policy ${p.id} saved (${p.rules.length} rules)`,
    ),
  );
  serverOptions(retention.command('run').argument('<project>').option('--dry-run', 'list what would be deleted; delete nothing')).action(
    managed(
      async (client, flags, project: string) => {
        const policy = await policyOf(client, project);
        const started = await client.call<Execution>('POST', `/retentions/${policy.id}/executions`, { dry_run: flags['dryRun'] === true });
        const finished = await waitFor(() => client.call<Execution>('GET', `/retentions/${policy.id}/executions/${started.id}`), (e) => e.status === 'Success' || e.status === 'Failed');
        if (finished.status !== 'Success') process.exitCode = ExitCode.failure;
        return finished;
      },
      (e) =>
        [
          `${e.dry_run ? 'Dry run' : 'Run'} ${e.id}: ${e.status}; ${e.deleted ?? 0} of ${e.total ?? 0} artifacts ${e.dry_run ? 'would be' : 'were'} deleted`,
          table(['RESULT', 'REPOSITORY', 'DIGEST', 'TAGS', 'REASON'], (e.decisions ?? []).map((d) => [d.outcome, d.repository, d.digest.slice(0, 19), d.tags.join(',') || '(untagged)', d.error ?? d.reason])),
        ].join('\n'),
    ),
  );
}
