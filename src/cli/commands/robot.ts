import type { Command } from 'commander';
import { managed, serverOptions, table } from '../management-client.ts';
import { UsageError } from '../output.ts';

interface Robot {
  id: number;
  name: string;
  level: string;
  disable: boolean;
  expires_at: number;
  permissions: { namespace: string; access: { resource: string; action: string }[] }[];
}

/** `repository:pull,repository:push` → Harbor accesses. */
function accesses(value: unknown): { resource: string; action: string }[] {
  if (typeof value !== 'string' || value === '') throw new UsageError('--access needs resource:action pairs, e.g. repository:pull,repository:push');
  return value.split(',').map((pair) => {
    const [resource, action] = pair.split(':');
    if (resource === undefined || action === undefined || resource === '' || action === '') throw new UsageError(`--access: ${JSON.stringify(pair)} is not resource:action`);
    return { resource, action };
  });
}

const expiry = (r: Robot) => (r.expires_at === -1 ? 'never' : new Date(r.expires_at * 1000).toISOString());

/** `slipway robot`: machine accounts for CI (`robot$<project>+<name>`), scoped, expiring, secret shown once. */
export function registerRobot(program: Command): void {
  const robot = program.command('robot').description('manage robot accounts for CI: scoped permissions, expiry, secret shown once');
  serverOptions(robot.command('list').option('--project <name>', "one project's robots")).action(
    managed(
      (client, flags) => client.all<Robot>(`/robots${flags['project'] === undefined ? '' : `?project=${encodeURIComponent(String(flags['project']))}`}`),
      (list) =>
        table(
          ['ID', 'NAME', 'LEVEL', 'DISABLED', 'EXPIRES', 'PERMISSIONS'],
          list.map((r) => [r.id, r.name, r.level, r.disable, expiry(r), r.permissions.map((p) => `${p.namespace}: ${p.access.map((a) => `${a.resource}:${a.action}`).join(',')}`).join('; ')]),
        ),
    ),
  );
  serverOptions(
    robot
      .command('create')
      .argument('<name>')
      .option('--project <name>', 'a project robot, named robot$<project>+<name>')
      .option('--projects <names>', 'a system robot over these projects (comma-separated, * for all)')
      .requiredOption('--access <pairs>', 'resource:action pairs, e.g. repository:pull,repository:push,artifact:delete')
      .option('--duration <days>', 'days until it expires (-1 never)', Number, 90)
      .option('--description <text>', 'what it is for'),
  ).action(
    managed(
      async (client, flags, name: string) => {
        const access = accesses(flags['access']);
        const project = flags['project'] as string | undefined;
        const projects = flags['projects'] === undefined ? undefined : String(flags['projects']).split(',');
        if ((project === undefined) === (projects === undefined)) throw new UsageError('give exactly one of --project and --projects');
        const permissions = (project === undefined ? (projects ?? []) : [project]).map((namespace) => ({ kind: 'project', namespace, access }));
        return client.call<{ id: number; name: string; secret: string; expires_at: number }>('POST', '/robots', {
          name,
          level: project === undefined ? 'system' : 'project',
          duration: flags['duration'],
          permissions,
          ...(flags['description'] === undefined ? {} : { description: flags['description'] }),
        });
      },
      (r) => `Created ${r.name} (id ${r.id}). Its secret, shown this once:\n${r.secret}`,
    ),
  );
  serverOptions(robot.command('refresh').description('give the robot a new secret (shown once)').argument('<id>')).action(
    managed(
      (client, _flags, id: string) => client.call<{ secret: string }>('PATCH', `/robots/${encodeURIComponent(id)}`, {}),
      (r) => `New secret, shown this once:\n${r.secret}`,
    ),
  );
  for (const [verb, disable] of [
    ['disable', true],
    ['enable', false],
  ] as const) {
    serverOptions(robot.command(verb).argument('<id>')).action(
      managed(
        (client, _flags, id: string) => client.call<Robot>('PUT', `/robots/${encodeURIComponent(id)}`, { disable }),
        (r) => `${r.name} ${r.disable ? 'disabled' : 'enabled'}`,
      ),
    );
  }
  serverOptions(robot.command('delete').argument('<id>')).action(
    managed(
      async (client, _flags, id: string) => {
        await client.call('DELETE', `/robots/${encodeURIComponent(id)}`);
        return { deleted: Number(id) };
      },
      (r) => `Deleted robot ${r.deleted}`,
    ),
  );
}
