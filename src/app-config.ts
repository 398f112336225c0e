import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { LogLevel } from './core/log/logger.ts';
import type { DatabaseConfig } from './core/storage/metadata/database.ts';

/** Everything `slipway serve` can be told, after defaults, file, environment and flags are merged. */
export interface SlipwayConfig {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  readonly externalUrl: string | undefined;
  readonly tls: { readonly certFile: string; readonly keyFile: string } | undefined;
  readonly database: DatabaseConfig;
  readonly storage: { readonly kind: 'filesystem'; readonly root: string };
  readonly tokenTtlSeconds: number;
  readonly uploadExpirySeconds: number;
  readonly shutdownGraceSeconds: number;
  readonly logLevel: LogLevel;
  /** Projects created at start when missing. */
  readonly projects: readonly { readonly name: string; readonly public: boolean }[];
  readonly adminPassword: string | undefined;
  /** `npm start`'s local demo: the three environment projects, public for anonymous pulls. */
  readonly demo: boolean;
  /** How often each node looks for due durable jobs and schedules. */
  readonly jobPollMs: number;
  /** Blobs and links younger than this are never collected (pushes in flight). */
  readonly gcGracePeriodSeconds: number;
  /** Audit entries older than this are purged daily. */
  readonly auditRetentionDays: number;
  /** Harbor's Pluggable Scanner API at `/api/v1`: served when enabled; calls must carry the API key when one is set. Absent: `{ enabled: demo }`. */
  readonly scannerAdapter?: { readonly enabled: boolean; readonly apiKey: string | undefined };
  /** An external Harbor Pluggable Scanner adapter to scan with instead of the built-in scanner. */
  readonly externalScanner?: { readonly url: string; readonly auth?: { readonly kind: 'Basic' | 'Bearer' | 'APIKey'; readonly credential: string } } | undefined;
  /**
   * Signing in the server: the sigstore trusted root that keyless trust policies verify against
   * (read offline) and whether keyless certificates' embedded SCTs are waived (`ignoreSct`: a
   * private Sigstore without a CT log), and the key (cosign.key, password from
   * `SLIPWAY_SIGNING_PASSWORD`) with which the server attests scan results for projects that ask
   * (`auto_attest`).
   */
  readonly signing?: { readonly trustedRootFile?: string; readonly ignoreSct?: boolean; readonly keyFile?: string; readonly keyPassword?: string; readonly rekorUrl?: string };
}

/** Flags as commander hands them over; every one optional. */
export interface ConfigFlags {
  readonly config?: string;
  readonly port?: string;
  readonly host?: string;
  readonly data?: string;
  readonly databaseUrl?: string;
  readonly demo?: boolean;
}

export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  override readonly name = 'ConfigError';
}

export const DEMO_PROJECTS = ['platform-dev', 'platform-staging', 'platform-production'] as const;

/** The configuration file's shape; unknown keys are refused so that a typo is not silently ignored. */
interface FileConfig {
  host?: string;
  port?: number;
  data?: string;
  externalUrl?: string;
  tls?: { cert: string; key: string };
  database?: { url?: string };
  storage?: { filesystem?: { root?: string } };
  auth?: { tokenTtlSeconds?: number };
  uploads?: { expireAfterSeconds?: number };
  shutdownGraceSeconds?: number;
  log?: { level?: LogLevel };
  projects?: (string | { name: string; public?: boolean })[];
  jobs?: { pollMs?: number };
  gc?: { gracePeriodSeconds?: number };
  audit?: { retentionDays?: number };
  scannerAdapter?: { enabled?: boolean; apiKey?: string };
  scanner?: { adapterUrl?: string; auth?: 'Basic' | 'Bearer' | 'APIKey'; credential?: string };
  signing?: { trustedRoot?: string; ignoreSct?: boolean; key?: string; rekorUrl?: string };
}

const FILE_KEYS = new Set(['host', 'port', 'data', 'externalUrl', 'tls', 'database', 'storage', 'auth', 'uploads', 'shutdownGraceSeconds', 'log', 'projects', 'jobs', 'gc', 'audit', 'scannerAdapter', 'scanner', 'signing']);

/** Merges defaults < config file < environment < flags. */
export async function loadConfig(flags: ConfigFlags, env: NodeJS.ProcessEnv = process.env): Promise<SlipwayConfig> {
  const path = flags.config ?? env['SLIPWAY_CONFIG'];
  const file = path === undefined ? {} : await readConfigFile(path);
  const dataDir = resolve(flags.data ?? env['SLIPWAY_DATA'] ?? file.data ?? './data');
  const databaseUrl = flags.databaseUrl ?? env['SLIPWAY_DATABASE_URL'] ?? file.database?.url;
  const demo = flags.demo === true;
  const projects = demo ? DEMO_PROJECTS.map((name) => ({ name, public: true })) : [];
  return {
    host: flags.host ?? env['SLIPWAY_HOST'] ?? file.host ?? '0.0.0.0',
    port: port(flags.port ?? env['SLIPWAY_PORT'] ?? file.port ?? 5000),
    dataDir,
    externalUrl: env['SLIPWAY_EXTERNAL_URL'] ?? file.externalUrl,
    tls: file.tls === undefined ? undefined : { certFile: resolve(file.tls.cert), keyFile: resolve(file.tls.key) },
    database: databaseUrl === undefined ? { kind: 'sqlite', path: resolve(dataDir, 'slipway.db') } : { kind: 'postgres', url: databaseUrl },
    storage: { kind: 'filesystem', root: resolve(file.storage?.filesystem?.root ?? resolve(dataDir, 'blobs')) },
    tokenTtlSeconds: positive('auth.tokenTtlSeconds', file.auth?.tokenTtlSeconds ?? 300),
    uploadExpirySeconds: positive('uploads.expireAfterSeconds', file.uploads?.expireAfterSeconds ?? 3600),
    shutdownGraceSeconds: positive('shutdownGraceSeconds', file.shutdownGraceSeconds ?? 30),
    jobPollMs: positive('jobs.pollMs', file.jobs?.pollMs ?? 1000),
    gcGracePeriodSeconds: positive('gc.gracePeriodSeconds', file.gc?.gracePeriodSeconds ?? 3600),
    auditRetentionDays: positive('audit.retentionDays', file.audit?.retentionDays ?? 90),
    logLevel: logLevel(env['SLIPWAY_LOG_LEVEL'] ?? file.log?.level ?? 'info'),
    projects: [...projects, ...(file.projects ?? []).map((p) => (typeof p === 'string' ? { name: p, public: false } : { name: p.name, public: p.public ?? false }))],
    adminPassword: nonEmpty(env['SLIPWAY_ADMIN_PASSWORD']),
    demo,
    scannerAdapter: scannerAdapter(file, env, demo),
    externalScanner: externalScanner(file, env),
    signing: signing(file, env),
  };
}

/**
 * `signing.trustedRoot` / `SLIPWAY_TRUSTED_ROOT`, `signing.ignoreSct` / `SLIPWAY_SIGNING_IGNORE_SCT`, `signing.key` /
 * `SLIPWAY_SIGNING_KEY` (+ `SLIPWAY_SIGNING_PASSWORD`), `signing.rekorUrl` / `SLIPWAY_REKOR_URL`.
 */
function signing(file: FileConfig, env: NodeJS.ProcessEnv): NonNullable<SlipwayConfig['signing']> {
  const trustedRootFile = nonEmpty(env['SLIPWAY_TRUSTED_ROOT']) ?? nonEmpty(file.signing?.trustedRoot);
  const envIgnoreSct = nonEmpty(env['SLIPWAY_SIGNING_IGNORE_SCT']);
  const ignoreSct = envIgnoreSct === undefined ? flag('signing.ignoreSct', file.signing?.ignoreSct ?? false) : flag('SLIPWAY_SIGNING_IGNORE_SCT', envIgnoreSct);
  const keyFile = nonEmpty(env['SLIPWAY_SIGNING_KEY']) ?? nonEmpty(file.signing?.key);
  const rekorUrl = nonEmpty(env['SLIPWAY_REKOR_URL']) ?? nonEmpty(file.signing?.rekorUrl);
  const keyPassword = env['SLIPWAY_SIGNING_PASSWORD'];
  return {
    ...(trustedRootFile === undefined ? {} : { trustedRootFile: resolve(trustedRootFile) }),
    ...(ignoreSct ? { ignoreSct } : {}),
    ...(keyFile === undefined ? {} : { keyFile: resolve(keyFile) }),
    ...(keyPassword === undefined ? {} : { keyPassword }),
    ...(rekorUrl === undefined ? {} : { rekorUrl }),
  };
}

/** An API key turns the adapter on (calls must carry it); without one it is served only when enabled (the demo's default). */
function scannerAdapter(file: FileConfig, env: NodeJS.ProcessEnv, demo: boolean): NonNullable<SlipwayConfig['scannerAdapter']> {
  const apiKey = nonEmpty(env['SLIPWAY_SCANNER_API_KEY']) ?? nonEmpty(file.scannerAdapter?.apiKey);
  return { enabled: file.scannerAdapter?.enabled ?? (demo || apiKey !== undefined), apiKey };
}

/** `scanner.adapterUrl` / `SLIPWAY_SCANNER_ADAPTER_URL`, with `auth` + `credential` (`SLIPWAY_SCANNER_ADAPTER_AUTH`, `SLIPWAY_SCANNER_ADAPTER_CREDENTIAL`). */
function externalScanner(file: FileConfig, env: NodeJS.ProcessEnv): SlipwayConfig['externalScanner'] {
  const url = nonEmpty(env['SLIPWAY_SCANNER_ADAPTER_URL']) ?? nonEmpty(file.scanner?.adapterUrl);
  if (url === undefined) return undefined;
  const credential = nonEmpty(env['SLIPWAY_SCANNER_ADAPTER_CREDENTIAL']) ?? nonEmpty(file.scanner?.credential);
  const kind = nonEmpty(env['SLIPWAY_SCANNER_ADAPTER_AUTH']) ?? file.scanner?.auth ?? 'Bearer';
  if (kind !== 'Basic' && kind !== 'Bearer' && kind !== 'APIKey') throw new ConfigError(`scanner.auth must be Basic, Bearer or APIKey, not ${JSON.stringify(kind)}`);
  return { url, ...(credential === undefined ? {} : { auth: { kind, credential } }) };
}

async function readConfigFile(path: string): Promise<FileConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new ConfigError(`cannot read configuration file ${path}: ${(cause as Error).message}`, { cause });
  }
  const value: unknown = parseYaml(text);
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new ConfigError(`${path}: the configuration must be a YAML mapping`);
  const unknown = Object.keys(value).filter((k) => !FILE_KEYS.has(k));
  if (unknown.length > 0) throw new ConfigError(`${path}: unknown configuration keys: ${unknown.join(', ')}`);
  return value;
}

function port(value: string | number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new ConfigError(`port must be an integer from 0 to 65535, not ${JSON.stringify(value)}`);
  return n;
}

function positive(name: string, value: number): number {
  if (typeof value !== 'number' || !(value > 0)) throw new ConfigError(`${name} must be a positive number`);
  return value;
}

/** A boolean setting: `true`/`false` in the file, the strings `true`/`false` in the environment. */
function flag(name: string, value: boolean | string): boolean {
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new ConfigError(`${name} must be true or false, not ${JSON.stringify(value)}`);
}

function logLevel(value: string): LogLevel {
  if (value === 'debug' || value === 'info' || value === 'warn' || value === 'error') return value;
  throw new ConfigError(`log level must be debug, info, warn or error, not ${JSON.stringify(value)}`);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
