import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { RegistryClientError } from './client-error.ts';

/** What a registry login needs. Secrets never reach logs or error messages. */
export type Credential =
  | { readonly kind: 'basic'; readonly username: string; readonly password: string }
  /** An OAuth2 refresh token (`identitytoken`), exchanged at the token realm. */
  | { readonly kind: 'identity-token'; readonly username?: string; readonly token: string }
  /** A bearer token sent as is (`registrytoken`). */
  | { readonly kind: 'registry-token'; readonly token: string };

export interface CredentialStore {
  get(host: string, options?: { readonly repository?: string; readonly signal?: AbortSignal }): Promise<Credential | undefined>;
}

export type Env = Readonly<Record<string, string | undefined>>;

const DOCKER_HUB_KEY = 'https://index.docker.io/v1/';
const DOCKER_HUB_HOSTS: ReadonlySet<string> = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

/** Slipway's own credentials file: `SLIPWAY_AUTH_FILE`, else `${XDG_CONFIG_HOME:-~/.config}/slipway/auth.json`. */
export function slipwayAuthFile(env: Env = process.env): string {
  return env['SLIPWAY_AUTH_FILE'] ?? join(configHome(env), 'slipway', 'auth.json');
}

/** Every file consulted, in order: Slipway's, then containers' auth.json, then Docker's config.json. */
export function credentialFiles(env: Env = process.env): readonly string[] {
  const containers =
    env['REGISTRY_AUTH_FILE'] !== undefined
      ? [env['REGISTRY_AUTH_FILE']]
      : [
          ...(env['XDG_RUNTIME_DIR'] === undefined ? [] : [join(env['XDG_RUNTIME_DIR'], 'containers', 'auth.json')]),
          join(configHome(env), 'containers', 'auth.json'),
        ];
  const docker = join(env['DOCKER_CONFIG'] ?? join(home(env), '.docker'), 'config.json');
  return [slipwayAuthFile(env), ...containers, docker];
}

/** The credential store of a user's machine: the files of `credentialFiles`, credential helpers included. */
export function createCredentialStore(options: { readonly env?: Env } = {}): CredentialStore {
  const env = options.env ?? process.env;
  const cache = new Map<string, Promise<Credential | undefined>>();
  return {
    get(host, o = {}) {
      const key = `${host}/${o.repository ?? ''}`;
      let found = cache.get(key);
      if (found === undefined) {
        found = lookup(credentialFiles(env), host, o.repository, env, o.signal);
        cache.set(key, found);
        found.catch(() => cache.delete(key));
      }
      return found;
    },
  };
}

/** A store that answers every host with one credential (`--creds user:pass`), or with none. */
export function fixedCredentials(credential: Credential | undefined): CredentialStore {
  return { get: () => Promise.resolve(credential) };
}

/** Parses `user:password` as given on a command line. */
export function parseUserPassword(value: string): Credential {
  const colon = value.indexOf(':');
  if (colon <= 0) throw new RegistryClientError('CREDENTIALS', 'credentials must be given as username:password');
  return { kind: 'basic', username: value.slice(0, colon), password: value.slice(colon + 1) };
}

/**
 * Stores `username`/`password` for `host` in Slipway's file (docker config.json format), keeping
 * the other entries; the file is replaced atomically and readable by its owner only.
 */
export async function saveCredentials(
  host: string,
  username: string,
  password: string,
  options: { readonly env?: Env; readonly file?: string } = {},
): Promise<string> {
  return updateAuthFile((config) => {
    const auths = isObject(config['auths']) ? config['auths'] : {};
    auths[DOCKER_HUB_HOSTS.has(host) ? DOCKER_HUB_KEY : host] = { auth: Buffer.from(`${username}:${password}`).toString('base64') };
    config['auths'] = auths;
  }, options);
}

/** Slipway's auth file as JSON (undefined when there is none yet). */
export function readAuthFile(options: { readonly env?: Env; readonly file?: string } = {}): Promise<Json | undefined> {
  return readConfig(options.file ?? slipwayAuthFile(options.env ?? process.env));
}

/** Edits Slipway's auth file with `change` and replaces it atomically, readable by its owner only. Returns its path. */
export async function updateAuthFile(change: (config: Json) => void, options: { readonly env?: Env; readonly file?: string } = {}): Promise<string> {
  const file = options.file ?? slipwayAuthFile(options.env ?? process.env);
  const config = (await readConfig(file)) ?? {};
  change(config);
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const temp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(temp, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    await rename(temp, file);
  } catch (cause) {
    await rm(temp, { force: true });
    throw new RegistryClientError('CREDENTIALS', `could not write ${file}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
  return file;
}

type Json = Record<string, unknown>;

async function lookup(files: readonly string[], host: string, repository: string | undefined, env: Env, signal?: AbortSignal): Promise<Credential | undefined> {
  for (const file of files) {
    const config = await readConfig(file);
    if (config === undefined) continue;
    const found = await fromConfig(config, host, repository, env, signal);
    if (found !== undefined) return found;
  }
  return undefined;
}

async function fromConfig(config: Json, host: string, repository: string | undefined, env: Env, signal?: AbortSignal): Promise<Credential | undefined> {
  const wanted = normaliseHost(host);
  const helpers = isObject(config['credHelpers']) ? config['credHelpers'] : {};
  for (const [key, helper] of Object.entries(helpers)) {
    if (normaliseKey(key) === wanted && typeof helper === 'string') {
      const found = await runHelper(helper, serverUrl(wanted), env, signal);
      if (found !== undefined) return found;
    }
  }
  const auths = isObject(config['auths']) ? config['auths'] : {};
  for (const candidate of candidates(wanted, repository)) {
    for (const [key, entry] of Object.entries(auths)) {
      if (normaliseKey(key) !== candidate || !isObject(entry)) continue;
      const found = fromEntry(entry);
      if (found !== undefined) return found;
    }
  }
  const store = config['credsStore'];
  return typeof store === 'string' && store !== '' ? runHelper(store, serverUrl(wanted), env, signal) : undefined;
}

/** `host/a/b/c`, `host/a/b`, `host/a`, `host`: the most specific key wins (containers auth.json). */
function candidates(host: string, repository: string | undefined): readonly string[] {
  const parts = repository === undefined ? [] : repository.split('/');
  const out: string[] = [];
  for (let n = parts.length; n > 0; n--) out.push(`${host}/${parts.slice(0, n).join('/')}`);
  out.push(host);
  return out;
}

function fromEntry(entry: Json): Credential | undefined {
  let username = typeof entry['username'] === 'string' ? entry['username'] : undefined;
  let password = typeof entry['password'] === 'string' ? entry['password'] : undefined;
  if (typeof entry['auth'] === 'string' && entry['auth'] !== '') {
    const decoded = Buffer.from(entry['auth'], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) {
      username = decoded.slice(0, colon);
      password = decoded.slice(colon + 1);
    }
  }
  if (typeof entry['identitytoken'] === 'string' && entry['identitytoken'] !== '') {
    return { kind: 'identity-token', token: entry['identitytoken'], ...(username === undefined ? {} : { username }) };
  }
  if (typeof entry['registrytoken'] === 'string' && entry['registrytoken'] !== '') return { kind: 'registry-token', token: entry['registrytoken'] };
  if (username !== undefined && password !== undefined && username !== '') return { kind: 'basic', username, password };
  return undefined;
}

/** Runs `docker-credential-<helper> get`; "not found" is no credential, a missing helper too. */
function runHelper(helper: string, server: string, env: Env, signal?: AbortSignal): Promise<Credential | undefined> {
  const program = `docker-credential-${helper}`;
  return new Promise((resolve, reject) => {
    const child = execFile(program, ['get'], { env: { ...env }, timeout: 30_000, ...(signal === undefined ? {} : { signal }) }, (error, stdout, stderr) => {
      if (error !== null) {
        const code = 'code' in error ? error.code : undefined;
        if (code === 'ENOENT' || /credentials not found/i.test(`${stdout}${stderr}`)) return resolve(undefined);
        return reject(new RegistryClientError('CREDENTIALS', `${program} get failed for ${server}: ${stderr.trim().slice(0, 200) || error.message}`));
      }
      try {
        const answer: unknown = JSON.parse(stdout);
        const secret = typeof answer === 'object' && answer !== null && 'Secret' in answer ? answer.Secret : undefined;
        if (typeof secret !== 'string' || secret === '') return resolve(undefined);
        const username = typeof answer === 'object' && answer !== null && 'Username' in answer && typeof answer.Username === 'string' ? answer.Username : '';
        if (username === '<token>') return resolve({ kind: 'identity-token', token: secret });
        resolve({ kind: 'basic', username, password: secret });
      } catch (cause) {
        reject(new RegistryClientError('CREDENTIALS', `${program} get returned something that is not JSON`, { cause }));
      }
    });
    child.stdin?.end(server);
  });
}

function serverUrl(host: string): string {
  return host === 'docker.io' ? DOCKER_HUB_KEY : host;
}

/** `https://index.docker.io/v1/` → `docker.io`; `http://reg:5000/` → `reg:5000`; paths kept. */
function normaliseKey(key: string): string {
  let value = key.replace(/^[a-z]+:\/\//i, '').replace(/\/+$/, '');
  value = value.replace(/\/v[12]$/, '');
  const slash = value.indexOf('/');
  const host = slash === -1 ? value : value.slice(0, slash);
  return `${normaliseHost(host)}${slash === -1 ? '' : value.slice(slash)}`;
}

function normaliseHost(host: string): string {
  const lower = host.toLowerCase();
  return DOCKER_HUB_HOSTS.has(lower) ? 'docker.io' : lower;
}

async function readConfig(file: string): Promise<Json | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    if (cause instanceof Error && 'code' in cause && cause.code === 'ENOENT') return undefined;
    throw new RegistryClientError('CREDENTIALS', `could not read ${file}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
  try {
    const value: unknown = JSON.parse(text);
    return isObject(value) ? value : undefined;
  } catch (cause) {
    throw new RegistryClientError('CREDENTIALS', `${file} is not valid JSON`, { cause });
  }
}

function configHome(env: Env): string {
  return env['XDG_CONFIG_HOME'] ?? join(home(env), '.config');
}

function home(env: Env): string {
  return env['HOME'] ?? homedir();
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
