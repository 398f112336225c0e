import type { Command } from 'commander';
import { managed, serverOptions, table } from '../management-client.ts';
import { UsageError } from '../output.ts';

interface Policy {
  id: number;
  name: string;
  enabled: boolean;
  event_types: string[];
  targets: { address: string; payload_format: string; secret?: string }[];
}

/** Where a policy lives: a project's, or system-wide with `--system`. */
function base(project: string | undefined, system: boolean): string {
  if ((project === undefined) === !system) throw new UsageError('name a project, or give --system for a system-wide webhook');
  return project === undefined ? '/system/webhook/policies' : `/projects/${encodeURIComponent(project)}/webhook/policies`;
}

/** `slipway webhook`: Harbor's event notifications, in Default or CloudEvents form, HMAC-signed. */
export function registerWebhook(program: Command): void {
  const webhook = program.command('webhook').description('notify HTTP endpoints of pushes, pulls, deletes, scans, quota and retention events');
  serverOptions(webhook.command('list').argument('[project]').option('--system', 'system-wide webhooks')).action(
    managed(
      (client, flags, project: string | undefined) => client.all<Policy>(base(project, flags['system'] === true)),
      (list) => table(['ID', 'NAME', 'ENABLED', 'EVENTS', 'TARGETS'], list.map((p) => [p.id, p.name, p.enabled, p.event_types.join(','), p.targets.map((t) => `${t.address} (${t.payload_format}${t.secret ? ', signed' : ''})`).join(' ')])),
    ),
  );
  serverOptions(
    webhook
      .command('add')
      .argument('[project]')
      .option('--system', 'a system-wide webhook')
      .requiredOption('--name <name>', 'policy name')
      .requiredOption('--url <url>', 'where to POST events')
      .option('--events <types>', 'comma-separated Harbor event types', 'PUSH_ARTIFACT,DELETE_ARTIFACT,SCANNING_COMPLETED,SCANNING_FAILED,QUOTA_EXCEED')
      .option('--format <format>', 'Default or CloudEvents', 'Default')
      .option('--secret <secret>', 'sign deliveries: X-Slipway-Signature-256 = sha256=HMAC(secret, "<X-Slipway-Timestamp>.<body>")')
      .option('--auth-header <value>', 'sent as Authorization'),
  ).action(
    managed(
      (client, flags, project: string | undefined) => {
        // An unset shell variable ("$HOOK_SECRET") arrives as an empty string: say so, rather than relay the schema's complaint.
        if (flags['secret'] === '') throw new UsageError('--secret is empty: give a secret of 16 characters or more, or leave --secret out for unsigned deliveries');
        return client.call<Policy>('POST', base(project, flags['system'] === true), {
          name: flags['name'],
          event_types: String(flags['events']).split(','),
          targets: [
            {
              type: 'http',
              address: flags['url'],
              payload_format: flags['format'],
              ...(flags['secret'] === undefined ? {} : { secret: flags['secret'] }),
              ...(flags['authHeader'] === undefined ? {} : { auth_header: flags['authHeader'] }),
            },
          ],
        });
      },
      (p) => `Added webhook ${p.id} (${p.name})`,
    ),
  );
  serverOptions(webhook.command('remove').argument('[project]').argument('<id>').option('--system', 'a system-wide webhook')).action(
    managed(
      async (client, flags, project: string | undefined, id: string) => {
        await client.call('DELETE', `${base(project, flags['system'] === true)}/${encodeURIComponent(id)}`);
        return { removed: Number(id) };
      },
      (r) => `Removed webhook ${r.removed}`,
    ),
  );
}
