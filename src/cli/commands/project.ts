import type { Command } from 'commander';
import { managed, serverOptions, table } from '../management-client.ts';
import { formatBytes } from '../../core/format/format-bytes.ts';

interface Project {
  project_id: number;
  name: string;
  public: boolean;
  repo_count: number;
  storage_limit: number;
  count_limit: number;
  metadata: Record<string, string>;
}
interface Summary {
  repo_count: number;
  quota: { hard: { storage: number; count: number }; used: { storage: number; count: number } };
}

const limit = (value: number, bytes: boolean) => (value < 0 ? 'unlimited' : bytes ? formatBytes(value) : String(value));
const show = (p: Project) =>
  [
    `${p.name} (id ${p.project_id}, ${p.public ? 'public' : 'private'}, ${p.repo_count} repositories)`,
    `  quota: storage ${limit(p.storage_limit, true)}, artifacts ${limit(p.count_limit, false)}`,
    ...Object.entries(p.metadata).map(([k, v]) => `  ${k}: ${v}`),
  ].join('\n');

/** `slipway project`: create, list, show, delete projects and read their quota usage. */
export function registerProject(program: Command): void {
  const project = program.command('project').description('manage projects (environments such as platform-dev, platform-staging, platform-production)');
  serverOptions(project.command('list').description('projects you may see'))
    .option('--name <text>', 'only names containing this')
    .action(
      managed(
        async (client, flags) => client.all<Project>(`/projects${flags['name'] === undefined ? '' : `?name=${encodeURIComponent(String(flags['name']))}`}`),
        (list) => table(['NAME', 'ID', 'VISIBILITY', 'REPOSITORIES', 'STORAGE LIMIT'], list.map((p) => [p.name, p.project_id, p.public ? 'public' : 'private', p.repo_count, limit(p.storage_limit, true)])),
      ),
    );
  serverOptions(project.command('create').description('create a project; you become its project admin').argument('<name>'))
    .option('--public', 'anyone may pull')
    .option('--storage-limit <bytes>', 'storage quota in bytes (-1 unlimited)', Number)
    .option('--count-limit <n>', 'artifact quota (-1 unlimited)', Number)
    .action(
      managed(
        async (client, flags, name: string) =>
          client.call<Project>('POST', '/projects', {
            project_name: name,
            public: flags['public'] === true,
            ...(flags['storageLimit'] === undefined ? {} : { storage_limit: flags['storageLimit'] }),
            ...(flags['countLimit'] === undefined ? {} : { count_limit: flags['countLimit'] }),
          }),
        (p) => `Created project ${p.name} (id ${p.project_id})`,
      ),
    );
  serverOptions(project.command('show').description('a project, its policies and quota usage').argument('<name>')).action(
    managed(
      async (client, _flags, name: string) => ({ ...(await client.call<Project>('GET', `/projects/${encodeURIComponent(name)}`)), summary: await client.call<Summary>('GET', `/projects/${encodeURIComponent(name)}/summary`) }),
      (p) => `${show(p)}\n  usage: ${formatBytes(p.summary.quota.used.storage)} in ${p.summary.quota.used.count} artifacts`,
    ),
  );
  serverOptions(project.command('delete').description('delete an empty project').argument('<name>')).action(
    managed(
      async (client, _flags, name: string) => {
        await client.call('DELETE', `/projects/${encodeURIComponent(name)}`);
        return { deleted: name };
      },
      (r) => `Deleted project ${r.deleted}`,
    ),
  );
}

export { show as showProject, type Project };
