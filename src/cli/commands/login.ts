import { stdin } from 'node:process';
import { text } from 'node:stream/consumers';
import type { Command } from 'commander';
import { createRegistryClient } from '../../core/oci/client/registry-client.ts';
import { fixedCredentials, saveCredentials } from '../../core/oci/client/credentials.ts';
import { parseRegistryHost, registryApiHost } from '../../core/oci/reference.ts';
import { rememberServerIfSlipway } from '../management-client.ts';
import { parseOutputFormat, printResult, UsageError } from '../output.ts';

interface LoginFlags {
  readonly username?: string;
  readonly password?: string;
  readonly passwordStdin?: boolean;
  readonly insecure?: boolean;
  readonly output: string;
}

/** `slipway login <registry>`: checks the credentials against the registry, then saves them. */
export function registerLogin(program: Command): void {
  program
    .command('login')
    .description("log in to a registry: the credentials are checked against it, then saved in Slipway's auth file")
    .argument('<registry>', 'registry host[:port] (docker.io for Docker Hub); http://host[:port] means plain HTTP, as --insecure')
    .option('-u, --username <name>', 'user name')
    .option('-p, --password <password>', 'password (prefer --password-stdin: command lines are visible to other users)')
    .option('--password-stdin', 'read the password from standard input')
    .option('--insecure', 'allow plain HTTP and unverified TLS for this registry')
    .option('--output <format>', 'text or json', 'text')
    .action(async (registryArg: string, flags: LoginFlags) => {
      const format = parseOutputFormat(flags.output);
      const registry = parseRegistryHost(registryArg.replace(/^https?:\/\//, '').replace(/\/+$/, ''));
      if (flags.username === undefined || flags.username === '') throw new UsageError('--username is required');
      const password = await readPassword(flags);
      const host = registryApiHost(registry);
      const client = createRegistryClient({
        credentials: fixedCredentials({ kind: 'basic', username: flags.username, password }),
        // Whoever types http:// means plain HTTP.
        insecure: flags.insecure === true || /^http:\/\//i.test(registryArg),
      });
      let origin: string;
      try {
        origin = (await client.ping(host)).origin;
      } finally {
        client.close();
      }
      const file = await saveCredentials(registry, flags.username, password);
      const server = (await rememberServerIfSlipway(origin)) ? origin : undefined;
      printResult(format, { registry, username: flags.username, file, ...(server === undefined ? {} : { server }) }, (r) =>
        [
          `Login succeeded: credentials for ${r.username}@${r.registry} saved in ${r.file}`,
          ...(r.server === undefined ? [] : [`Management commands (project, user, member, robot, policy, …) now talk to ${r.server}`]),
        ].join('\n'),
      );
    });
}

async function readPassword(flags: LoginFlags): Promise<string> {
  if ((flags.password === undefined) === (flags.passwordStdin !== true)) throw new UsageError('give exactly one of --password and --password-stdin');
  const password = flags.password ?? (await text(stdin)).replace(/\r?\n$/, '');
  if (password === '') throw new UsageError('the password is empty');
  return password;
}
