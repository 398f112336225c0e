import type { Command } from 'commander';
import { createCredentialStore, parseUserPassword, readAuthFile, updateAuthFile, type Credential } from '../core/oci/client/credentials.ts';
import { UsageError } from './output.ts';

/** Flags every management verb takes. */
export interface ServerFlags {
  readonly server?: string;
  readonly creds?: string;
  readonly output: string;
}

/** An error the management API answered with: its status and Harbor-style code. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly code: string;
  readonly status: number;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export interface ManagementClient {
  readonly base: URL;
  call<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
  /** Every item of a paged list (`GET path`, 100 a page, until `X-Total-Count` is reached). */
  all<T>(path: string): Promise<T[]>;
  /** The password the client signs in with when it signs in as `username`: what changing one's own password gives as old_password. */
  signInPassword(username: string): string | undefined;
}

/** Adds `--server`, `--creds` and `--output` to a management verb. */
export function serverOptions(command: Command): Command {
  return command
    .option('--server <url>', 'the Slipway server (default $SLIPWAY_SERVER, else the one `slipway login` last logged in to, else http://localhost:5000)')
    .option('--creds <user:password>', 'credentials (default: the ones `slipway login` saved for the server)')
    .option('--output <format>', 'text or json', 'text');
}

/**
 * A client of the server's `/api/v2.0`, authenticated with the credentials `slipway login` saved
 * for its host (or `--creds`). Errors carry the API's message, never the credentials.
 */
export async function managementClient(flags: ServerFlags): Promise<ManagementClient> {
  const [source, value] =
    flags.server !== undefined ? ['--server', flags.server] : process.env['SLIPWAY_SERVER'] !== undefined ? ['SLIPWAY_SERVER', process.env['SLIPWAY_SERVER']] : ['the server slipway login remembered', (await rememberedServer()) ?? 'http://localhost:5000'];
  const base = URL.parse(value);
  if (base === null || (base.protocol !== 'http:' && base.protocol !== 'https:')) {
    throw new UsageError(`${source} must be an http(s) URL such as http://localhost:5000, not ${JSON.stringify(value)}`);
  }
  const credential: Credential | undefined = flags.creds === undefined ? await createCredentialStore().get(base.host) : parseUserPassword(flags.creds);
  const authorization = credential?.kind === 'basic' ? `Basic ${Buffer.from(`${credential.username}:${credential.password}`).toString('base64')}` : undefined;
  const send = async (method: string, path: string, body?: unknown): Promise<{ parsed: unknown; headers: Headers }> => {
    const response = await fetch(new URL(`/api/v2.0${path}`, base), {
      method,
      headers: { ...(authorization === undefined ? {} : { authorization }), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    }).catch((cause: unknown) => {
      throw new ApiError(0, 'UNREACHABLE', `cannot reach ${base.origin}: ${cause instanceof Error ? (cause.cause instanceof Error ? cause.cause.message : cause.message) : String(cause)}`);
    });
    const text = await response.text();
    const parsed: unknown = text === '' ? undefined : safeJson(text);
    if (!response.ok) {
      const first = (parsed as { errors?: { code?: string; message?: string }[] } | undefined)?.errors?.[0];
      const hint = response.status === 401 ? ` (log in first: slipway login ${base.host})` : '';
      throw new ApiError(response.status, first?.code ?? `HTTP_${response.status}`, `${first?.message ?? `${method} ${path} answered ${response.status}`}${hint}`);
    }
    return { parsed, headers: response.headers };
  };
  return {
    base,
    signInPassword: (username) => (credential?.kind === 'basic' && credential.username === username ? credential.password : undefined),
    call: async <T>(method: string, path: string, body?: unknown) => (await send(method, path, body)).parsed as T,
    async all<T>(path: string): Promise<T[]> {
      const items: T[] = [];
      for (let page = 1; ; page++) {
        const { parsed, headers } = await send('GET', `${path}${path.includes('?') ? '&' : '?'}page=${page}&page_size=${PAGE_SIZE}`);
        if (!Array.isArray(parsed)) throw new ApiError(0, 'PROTOCOL', `GET ${path} answered something other than a list`);
        items.push(...(parsed as T[]));
        const total = Number(headers.get('x-total-count'));
        if (parsed.length < PAGE_SIZE || !Number.isSafeInteger(total) || items.length >= total) return items;
      }
    },
  };
}

/** The largest page Harbor's API gives. */
const PAGE_SIZE = 100;

/** Where `slipway login` records the Slipway server it last logged in to, in Slipway's auth file. */
const SERVER_KEY = 'slipwayServer';

async function rememberedServer(): Promise<string | undefined> {
  const value = (await readAuthFile())?.[SERVER_KEY];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * After a login: when `origin` is a Slipway server (its management API's OpenAPI document says so),
 * management verbs talk to it from now on. Returns whether it was remembered. Another registry
 * (Docker Hub, a docker-registry, Harbor) leaves the default as it was.
 */
export async function rememberServerIfSlipway(origin: string): Promise<boolean> {
  let title: unknown;
  try {
    const response = await fetch(new URL('/api/v2.0/openapi.json', origin), { signal: AbortSignal.timeout(5000) });
    title = response.ok ? ((await response.json()) as { info?: { title?: unknown } }).info?.title : undefined;
  } catch {
    return false;
  }
  if (typeof title !== 'string' || !title.startsWith('Slipway')) return false;
  await updateAuthFile((config) => {
    config[SERVER_KEY] = origin;
  });
  return true;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** `path` with its segments URL-encoded; Harbor's double encoding for repository names. */
export function repositoryParam(name: string): string {
  return encodeURIComponent(encodeURIComponent(name));
}

/** Waits for a job-like resource to reach a final state, polling every `intervalMs`. */
export async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, options: { timeoutMs?: number; intervalMs?: number } = {}): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 30 * 60_000);
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new ApiError(0, 'TIMEOUT', 'timed out waiting for the server to finish');
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 250));
  }
}

/** Renders rows as aligned columns under a header. */
export function table(headers: readonly string[], rows: readonly (readonly (string | number | boolean | null | undefined)[])[]): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => (c === null || c === undefined ? '-' : String(c))))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells.map((r) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd()).join('\n');
}

/**
 * Wraps a management subcommand: builds the client from the command's flags (the last
 * argument commander passes is the Command; see {@link givenFlags}), runs `work`, prints
 * its result as JSON or through `render`.
 */
export type Flags = Readonly<Record<string, string | number | boolean | undefined>>;

export function managed<A extends unknown[], T>(
  work: (client: ManagementClient, flags: Flags, ...args: A) => Promise<T>,
  render: (result: T) => string,
  /** What `--output json` prints (default: the result as it is). */
  json: (result: T) => unknown = (result) => result,
): (...args: unknown[]) => Promise<void> {
  return async (...args) => {
    const command = args.at(-1) as Command;
    const flags = givenFlags(command);
    const format = flags.output === 'json' ? 'json' : flags.output === 'text' ? 'text' : undefined;
    if (format === undefined) throw new UsageError(`--output must be text or json, not ${JSON.stringify(flags.output)}`);
    const client = await managementClient(flags);
    const result = await work(client, flags, ...(args.slice(0, -2) as A));
    process.stdout.write(format === 'json' ? `${JSON.stringify(json(result) ?? null, null, 2)}\n` : `${render(result)}\n`);
  };
}

/**
 * The command's flags, with those the user gave its parent. A parent verb that takes the same
 * flags (`gc` and `gc schedule` both take --server) is handed them by commander wherever they
 * stand on the line, and the subcommand would see only its defaults: `gc schedule … --server X`
 * would change the default server, not X. The subcommand's own given value comes first, then
 * the nearest parent's; a default only when no command was given the flag.
 */
function givenFlags(command: Command): Flags & ServerFlags {
  const flags: Record<string, unknown> = { ...command.opts() };
  // A parent's own flag given on the line (`gc schedule … --dry-run`) would be taken by the parent
  // and do nothing here: refused, not ignored.
  const own = new Set(command.options.map((option) => option.attributeName()));
  for (let parent = command.parent; parent !== null; parent = parent.parent) {
    const stray = parent.options.find((option) => !own.has(option.attributeName()) && parent?.getOptionValueSource(option.attributeName()) === 'cli');
    if (stray !== undefined) throw new UsageError(`${stray.long ?? stray.flags} is an option of \`${parent.name()}\`, not of \`${parent.name()} ${command.name()}\``);
  }
  const given = (c: Command, key: string) => {
    const source = c.getOptionValueSource(key);
    return source !== undefined && source !== 'default';
  };
  for (const option of command.options) {
    const key = option.attributeName();
    let from: Command | null = command;
    while (from !== null && !given(from, key)) from = from.parent;
    if (from !== null) flags[key] = from.getOptionValue(key);
  }
  return flags as Flags & ServerFlags;
}
