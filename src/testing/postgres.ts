import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access, appendFile, constants, mkdtemp, readdir, readFile, realpath, rm } from 'node:fs/promises';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Client } from 'pg';
import { requireTool } from './tools.ts';

/**
 * A real, throwaway PostgreSQL cluster for tests: `initdb` into a temp directory, listening only
 * on a unix socket inside it (no port to race for), tuned for speed over durability. PostgreSQL
 * refuses to run as root, so under root the cluster runs as `nobody` through `runuser`.
 *
 * The cluster's default collation is ICU `en-US` (as a production database's `en_US.UTF-8`
 * would be), not bytewise `C`: a query that sorts text without saying how shows up here.
 */
export interface TestPostgres {
  /** Superuser URL of the `postgres` database: `postgresql://postgres@/postgres?host=<socket dir>`. */
  readonly url: string;
  /** The directory holding the data directory, the socket and the server log. */
  readonly dir: string;
  /** Creates a fresh empty database and returns its URL. */
  createDatabase(name?: string): Promise<string>;
  /** Stops the server and deletes its files. */
  stop(): Promise<void>;
  /** The same, synchronously, for a process `exit` handler. */
  stopSync(): void;
}

const SETTINGS = {
  listen_addresses: "''",
  port: '5432',
  max_connections: '300',
  fsync: 'off',
  synchronous_commit: 'off',
  full_page_writes: 'off',
  log_min_messages: 'warning',
} as const;

const TIMEOUT_MS = 60_000;

/** Where the global setup (global-setup.ts) leaves the shared cluster's URL for the test processes. */
export const POSTGRES_URL_ENV = 'SLIPWAY_TEST_POSTGRES_URL';

export async function startPostgres(): Promise<TestPostgres> {
  const tools = await findTools();
  const dir = await mkdtemp(join(tmpdir(), 'slipway-pg-'));
  const data = join(dir, 'data');
  try {
    if (tools.runAs !== undefined) await run('chown', [`${tools.runAs}:`, dir]);
    await initCluster(tools, data);
    const settings = { ...SETTINGS, unix_socket_directories: `'${dir}'` };
    await appendFile(join(data, 'postgresql.conf'), Object.entries(settings).map(([k, v]) => `${k} = ${v}\n`).join(''));
    await run(...asUser(tools, tools.pgCtl, ['-D', data, '-l', join(dir, 'postgres.log'), '-w', '-t', '60', 'start']), { cwd: dir });
  } catch (error) {
    const log = await readFile(join(dir, 'postgres.log'), 'utf8').catch(() => '');
    await rm(dir, { recursive: true, force: true });
    throw new Error(`the test PostgreSQL cluster did not start${log === '' ? '' : `; server log:\n${log.slice(-2000)}`}`, { cause: error });
  }
  const url = `postgresql://postgres@/postgres?host=${encodeURIComponent(dir)}`;
  let stopped = false;
  return {
    url,
    dir,
    createDatabase: (name) => createDatabase(url, name),
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        await run(...asUser(tools, tools.pgCtl, ['-D', data, '-m', 'fast', '-w', '-t', '60', 'stop']), { cwd: dir });
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
    stopSync() {
      if (stopped) return;
      // `immediate`: an exit handler cannot wait for a clean shutdown, and the files go anyway.
      stopped = true;
      const [command, args] = asUser(tools, tools.pgCtl, ['-D', data, '-m', 'immediate', '-w', 'stop']);
      spawnSync(command, args, { cwd: dir, stdio: 'ignore', timeout: TIMEOUT_MS });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Creates a fresh empty database on the cluster that `adminUrl` reaches, and returns its URL. */
export async function createDatabase(adminUrl: string, name: string = uniqueName()): Promise<string> {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`not a usable test database name: ${name}`);
  await withClient(adminUrl, (client) => client.query(`create database "${name}"`));
  return withDatabase(adminUrl, name);
}

/** Drops a database made by `createDatabase`, closing whatever connections are still open on it. */
export async function dropDatabase(adminUrl: string, databaseUrl: string): Promise<void> {
  const name = /^[^:]+:\/\/[^/?#]*\/([^?#]*)/.exec(databaseUrl)?.[1] ?? '';
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error('not a test database URL');
  await withClient(adminUrl, (client) => client.query(`drop database if exists "${name}" with (force)`));
}

/** `url` with its database (the path) replaced by `name`. */
function withDatabase(url: string, name: string): string {
  const match = /^([^:]+:\/\/[^/?#]*)(?:\/[^?#]*)?(.*)$/.exec(url);
  if (match === null) throw new Error('not a PostgreSQL URL');
  return `${match[1]}/${name}${match[2]}`;
}

let counter = 0;
function uniqueName(): string {
  return `slipway_${process.pid}_${++counter}_${randomBytes(4).toString('hex')}`;
}

async function withClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

interface Tools {
  readonly initdb: string;
  readonly pgCtl: string;
  /** `runuser` and the user to run as, when this process is root. */
  readonly runuser: string | undefined;
  readonly runAs: string | undefined;
}

async function findTools(): Promise<Tools> {
  const versions = await readdir('/usr/lib/postgresql').catch(() => []);
  const extraDirs = versions.toSorted((a, b) => Number(b) - Number(a)).map((v) => `/usr/lib/postgresql/${v}/bin`);
  // pg_ctl must come from the same installation as initdb: take the one beside it.
  const initdb = await realpath(await requireTool('initdb', 'postgresql', extraDirs));
  const pgCtl = join(dirname(initdb), 'pg_ctl');
  await access(pgCtl, constants.X_OK).catch((error: unknown) => {
    throw new Error(`MISSING TOOL: '${pgCtl}' is not there beside initdb. Install it with: apt-get install postgresql`, { cause: error });
  });
  const root = process.getuid?.() === 0;
  return {
    initdb,
    pgCtl,
    runuser: root ? await requireTool('runuser', 'util-linux') : undefined,
    runAs: root ? 'nobody' : undefined,
  };
}

async function initCluster(tools: Tools, data: string): Promise<void> {
  const base = [tools.initdb, ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions']] as const;
  try {
    await run(...asUser(tools, base[0], [...base[1], '--locale-provider=icu', '--icu-locale=en-US']), { cwd: dirname(data) });
  } catch (error) {
    // A PostgreSQL built without ICU: fall back to the bytewise C collation.
    if (!(error instanceof Error && error.message.includes('ICU'))) throw error;
    await rm(data, { recursive: true, force: true });
    await run(...asUser(tools, ...base), { cwd: dirname(data) });
  }
}

function asUser(tools: Tools, command: string, args: readonly string[]): [string, string[]] {
  if (tools.runuser === undefined || tools.runAs === undefined) return [command, [...args]];
  return [tools.runuser, ['-u', tools.runAs, '--', command, ...args]];
}

function run(command: string, args: readonly string[], options: { cwd?: string } = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { ...options, timeout: TIMEOUT_MS }, (error, stdout, stderr) => {
      if (error === null) resolve();
      else reject(new Error(`${command} ${args.join(' ')} failed: ${`${stderr}\n${stdout}`.trim().slice(-2000)}`, { cause: error }));
    });
  });
}

/** Stops `cluster` when this process ends, however it ends short of SIGKILL. */
export function stopOnExit(cluster: TestPostgres): void {
  process.once('exit', () => cluster.stopSync());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      cluster.stopSync();
      process.kill(process.pid, signal);
    });
  }
}
