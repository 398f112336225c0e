import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import type { types as PgTypes } from 'pg';
import { fileErrorReason } from '../../format/file-error.ts';
import type { Logger } from '../../log/logger.ts';
import { migrate, type DatabaseKind } from './migrations.ts';
import type { Schema } from './schema.ts';
import { openSqliteDatabase } from './sqlite-database.ts';

/**
 * The metadata database: SQLite embedded (one node) or PostgreSQL (several nodes sharing one
 * deployment), behind one Kysely instance typed by `Schema`. Opening migrates the schema.
 */
export type { DatabaseKind } from './migrations.ts';

export type DatabaseConfig =
  | { readonly kind: 'sqlite'; readonly path: string }
  | { readonly kind: 'postgres'; readonly url: string; readonly poolSize?: number };

export interface MetadataDatabase {
  readonly db: Kysely<Schema>;
  readonly kind: DatabaseKind;
  /** Resolves when the database answers a trivial query; rejects with `UNAVAILABLE` otherwise. */
  ping(options?: { signal?: AbortSignal }): Promise<void>;
  /** Closes every connection. Safe to call more than once. */
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  readonly signal?: AbortSignal;
  /** Where PostgreSQL connection errors that happen while idle are reported (dropped without one). */
  readonly logger?: Logger;
}

export type DatabaseErrorCode = 'CONFIG_INVALID' | 'CONNECT_FAILED' | 'MIGRATION_FAILED' | 'UNAVAILABLE';

/** The one error class of the metadata database. Messages and causes never carry the URL's password. */
export class DatabaseError extends Error {
  readonly code: DatabaseErrorCode;

  constructor(code: DatabaseErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DatabaseError';
    this.code = code;
  }
}

const DEFAULT_POOL_SIZE = 10;
const CONNECT_TIMEOUT_MS = 10_000;
const PG_UNIQUE_VIOLATION = '23505';
const SQLITE_CONSTRAINT_PRIMARYKEY = 1555;
const SQLITE_CONSTRAINT_UNIQUE = 2067;

/** Opens the database (creating a SQLite file's directory), checks it answers, and migrates it. */
export async function openDatabase(config: DatabaseConfig, options: OpenDatabaseOptions = {}): Promise<MetadataDatabase> {
  options.signal?.throwIfAborted();
  const database = config.kind === 'sqlite' ? await openSqlite(config.path) : await openPostgres(config, options.logger);
  const secrets = config.kind === 'postgres' ? urlSecrets(config.url) : [];
  const where = config.kind === 'postgres' ? redactUrl(config.url) : config.path;
  try {
    try {
      await abortable(sql`select 1`.execute(database.db), options.signal);
    } catch (error) {
      options.signal?.throwIfAborted();
      const cause = scrub(error, secrets);
      throw new DatabaseError('CONNECT_FAILED', `cannot connect to the ${config.kind} database at ${where}: ${fileErrorReason(cause)}`, { cause });
    }
    options.signal?.throwIfAborted();
    try {
      await migrate(database.db, config.kind);
    } catch (error) {
      const cause = scrub(error, secrets);
      throw new DatabaseError('MIGRATION_FAILED', `migrating the ${config.kind} database at ${where} failed: ${fileErrorReason(cause)}`, { cause });
    }
  } catch (error) {
    // Closing waits for a connection attempt still under way; an abort must not wait for that.
    if (options.signal?.aborted === true) void database.close().catch(() => undefined);
    else await database.close();
    throw error;
  }
  return database;
}

async function openSqlite(path: string): Promise<MetadataDatabase> {
  if (path.trim() === '') throw new DatabaseError('CONFIG_INVALID', 'the SQLite database path is empty');
  try {
    if (path !== ':memory:') await makeDirectory(dirname(path));
    const sqlite = openSqliteDatabase(path);
    return wrap(new Kysely<Schema>({ dialect: new SqliteDialect({ database: sqlite }) }), 'sqlite', []);
  } catch (error) {
    throw new DatabaseError('CONNECT_FAILED', `cannot open the SQLite database at ${path}: ${fileErrorReason(error)}`, { cause: error });
  }
}

/**
 * `mkdir -p`, by hand: Node's `{ recursive: true }` spins forever at 100% CPU when a parent exists
 * but cannot hold children that way (a path under /proc, a dangling symlink); this gives up instead.
 */
async function makeDirectory(dir: string): Promise<void> {
  try {
    await mkdir(dir);
  } catch (error) {
    const code = error instanceof Error && 'code' in error ? error.code : undefined;
    if (code === 'EEXIST') return;
    if (code !== 'ENOENT' || dirname(dir) === dir) throw error;
    await makeDirectory(dirname(dir));
    await mkdir(dir).catch((again: unknown) => {
      if (!(again instanceof Error && 'code' in again && again.code === 'EEXIST')) throw again;
    });
  }
}

/** `pg` is loaded only when PostgreSQL is used, so SQLite deployments and the CLI start faster. */
async function openPostgres(config: Extract<DatabaseConfig, { kind: 'postgres' }>, logger: Logger | undefined): Promise<MetadataDatabase> {
  const { default: pg } = await import('pg');
  const { Pool, types } = pg;
  const getTypeParser: typeof PgTypes.getTypeParser = (oid, format) =>
    oid === types.builtins.INT8 || oid === types.builtins.NUMERIC ? Number : types.getTypeParser(oid, format);
  const poolSize = config.poolSize ?? DEFAULT_POOL_SIZE;
  if (!Number.isInteger(poolSize) || poolSize < 1) {
    throw new DatabaseError('CONFIG_INVALID', `the PostgreSQL pool size must be a positive integer, not ${poolSize}`);
  }
  const secrets = urlSecrets(config.url);
  const pool = new Pool({
    connectionString: config.url,
    max: poolSize,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    application_name: 'slipway',
    // Bigints (ids, sizes, millisecond timestamps, counts) and numerics (sums) are read as JavaScript
    // numbers, as SQLite returns them: exact below 2^53. Set on this pool only, not globally.
    types: { getTypeParser },
  });
  // An idle client whose connection drops emits 'error' on the pool; unhandled, that would end the process.
  pool.on('error', (error) => logger?.warn('idle database connection failed', { error: scrub(error, secrets) }));
  return wrap(new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) }), 'postgres', secrets);
}


function wrap(db: Kysely<Schema>, kind: DatabaseKind, secrets: readonly string[]): MetadataDatabase {
  let closing: Promise<void> | undefined;
  return {
    db,
    kind,
    async ping(options = {}) {
      options.signal?.throwIfAborted();
      try {
        await abortable(sql`select 1`.execute(db), options.signal);
      } catch (error) {
        options.signal?.throwIfAborted();
        throw new DatabaseError('UNAVAILABLE', `the ${kind} database does not answer`, { cause: scrub(error, secrets) });
      }
    },
    close() {
      closing ??= db.destroy();
      return closing;
    },
  };
}

/** Whether `error` (or any error in its `cause` chain) is a unique or primary key violation, on either database. */
export function isUniqueViolation(error: unknown): boolean {
  for (let current = error, depth = 0; typeof current === 'object' && current !== null && depth < 8; depth++) {
    const { code, errcode, cause } = current as { code?: unknown; errcode?: unknown; cause?: unknown };
    if (code === PG_UNIQUE_VIOLATION) return true;
    if (code === 'ERR_SQLITE_ERROR' && (errcode === SQLITE_CONSTRAINT_UNIQUE || errcode === SQLITE_CONSTRAINT_PRIMARYKEY)) return true;
    current = cause;
  }
  return false;
}

/** The URL with its password (in the user info or a `password=` parameter) replaced by `***`. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/?#@]*):[^@/?#]*@/i, '$1:***@').replace(/([?&]password=)[^&#]*/gi, '$1***');
}

/** The password a URL carries, raw and percent-decoded, so that it can be scrubbed from driver messages. */
function urlSecrets(url: string): string[] {
  const found = [/^[a-z][a-z0-9+.-]*:\/\/[^:/?#@]*:([^@/?#]*)@/i.exec(url)?.[1], /[?&]password=([^&#]*)/i.exec(url)?.[1]];
  const secrets = new Set<string>();
  for (const raw of found) {
    if (raw === undefined || raw === '') continue;
    secrets.add(raw);
    try {
      secrets.add(decodeURIComponent(raw));
    } catch {
      // not valid percent-encoding: the raw form is all there is
    }
  }
  return [...secrets].toSorted((a, b) => b.length - a.length);
}

/** Removes every secret from the messages and stacks of `error` and its causes (in place), and returns it. */
function scrub(error: unknown, secrets: readonly string[]): unknown {
  if (secrets.length === 0) return error;
  for (let current = error, depth = 0; current instanceof Error && depth < 8; depth++) {
    for (const secret of secrets) {
      current.message = current.message.replaceAll(secret, '***');
      if (current.stack !== undefined) current.stack = current.stack.replaceAll(secret, '***');
    }
    current = current.cause;
  }
  return error;
}

/** Settles with `promise`, or rejects with the signal's reason as soon as it aborts. */
async function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  signal.throwIfAborted();
  // Once abandoned, a late rejection of `promise` must not surface as an unhandled rejection.
  void promise.catch(() => undefined);
  const { promise: aborted, reject } = Promise.withResolvers<never>();
  const onAbort = (): void => reject(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    return await Promise.race([promise, aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
