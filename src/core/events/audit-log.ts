import type { ExpressionBuilder, Expression, SqlBool } from 'kysely';
import type { MetadataDatabase } from '../storage/metadata/database.ts';
import type { Schema } from '../storage/metadata/schema.ts';
import { EventError } from './event-error.ts';

/**
 * The audit log: who did what to which resource, when, and whether it worked. Entries are read
 * back in the shape of Harbor's `auditlog-exts` API, newest first. Details never hold secrets:
 * see `stripSecrets`.
 */
export type AuditOperation = 'create' | 'delete' | 'update' | 'pull' | 'push' | 'login' | (string & {});

export interface AuditRecord {
  readonly username: string;
  /** The project name the resource belongs to; absent for system-level resources (users, robots…). */
  readonly project?: string;
  /** What was acted on: `team-a/api:1.4.2`, `team-a`, `robot$ci`… */
  readonly resource: string;
  /** `artifact`, `project`, `repository`, `user`, `robot`, `webhook_policy`… */
  readonly resourceType: string;
  readonly operation: AuditOperation;
  readonly result: 'success' | 'failure';
  readonly detail?: Readonly<Record<string, unknown>>;
}

/**
 * Harbor's audit-log-ext fields, plus the project the entry belongs to (null at system level) and
 * the reason recorded with it (null when there is none).
 */
export interface AuditEntry {
  readonly id: number;
  readonly username: string;
  readonly resource: string;
  readonly resource_type: string;
  readonly operation: string;
  readonly operation_result: boolean;
  /** ISO 8601, milliseconds, UTC. */
  readonly op_time: string;
  readonly project: string | null;
  /**
   * Why: a refused login's cause (`wrong password`, `account locked after repeated failures`…), an
   * override's justification. Only the detail's `reason` is read back; the rest of the detail (request
   * bodies, scan outcomes) stays in the database.
   */
  readonly reason: string | null;
}

export interface AuditQuery {
  readonly project?: string;
  readonly username?: string;
  readonly operation?: string;
  readonly resourceType?: string;
  /** Milliseconds since the epoch, inclusive. */
  readonly from?: number;
  /** Milliseconds since the epoch, inclusive. */
  readonly to?: number;
  /** 1-based; default 1. */
  readonly page?: number;
  /** Default 10, at most 100. */
  readonly pageSize?: number;
}

export interface AuditPage {
  readonly total: number;
  readonly items: readonly AuditEntry[];
}

export interface AuditLog {
  record(entry: AuditRecord, options?: { signal?: AbortSignal }): Promise<void>;
  /** One page of matching entries, newest first, and how many match in all. `QUERY_INVALID` on a bad page. */
  query(filter?: AuditQuery, options?: { signal?: AbortSignal }): Promise<AuditPage>;
  /** Deletes entries older than `olderThanMs` before now; returns how many went. */
  purge(olderThanMs: number, options?: { signal?: AbortSignal }): Promise<number>;
}

export const DEFAULT_PAGE_SIZE = 10;
export const MAX_PAGE_SIZE = 100;

export function createAuditLog(database: MetadataDatabase, options: { clock?: () => number } = {}): AuditLog {
  const { db } = database;
  const clock = options.clock ?? Date.now;

  return {
    async record(entry, { signal } = {}) {
      signal?.throwIfAborted();
      const detail = entry.detail === undefined ? null : JSON.stringify(stripSecrets(entry.detail));
      await db
        .insertInto('audit_log')
        .values({
          at: clock(),
          username: entry.username,
          project: entry.project ?? null,
          resource: entry.resource,
          resource_type: entry.resourceType,
          operation: entry.operation,
          result: entry.result,
          detail,
        })
        .execute();
    },

    async query(filter = {}, { signal } = {}) {
      signal?.throwIfAborted();
      const page = filter.page ?? 1;
      const pageSize = filter.pageSize ?? DEFAULT_PAGE_SIZE;
      if (!Number.isSafeInteger(page) || page < 1) throw new EventError('QUERY_INVALID', `page must be a positive integer, not ${page}`);
      if (!Number.isSafeInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
        throw new EventError('QUERY_INVALID', `page size must be an integer from 1 to ${MAX_PAGE_SIZE}, not ${pageSize}`);
      }
      const where = matching(filter);
      const counted = await db
        .selectFrom('audit_log')
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .where(where)
        .executeTakeFirstOrThrow();
      signal?.throwIfAborted();
      const rows = await db
        .selectFrom('audit_log')
        .select(['id', 'at', 'username', 'project', 'resource', 'resource_type', 'operation', 'result', 'detail'])
        .where(where)
        .orderBy('at', 'desc')
        .orderBy('id', 'desc')
        .limit(pageSize)
        .offset((page - 1) * pageSize)
        .execute();
      return {
        total: Number(counted.n),
        items: rows.map((row) => ({
          id: row.id,
          username: row.username,
          resource: row.resource,
          resource_type: row.resource_type,
          operation: row.operation,
          operation_result: row.result === 'success',
          op_time: new Date(row.at).toISOString(),
          project: row.project,
          reason: reasonOf(row.operation, row.detail),
        })),
      };
    },

    async purge(olderThanMs, { signal } = {}) {
      signal?.throwIfAborted();
      if (!Number.isFinite(olderThanMs) || olderThanMs < 0) {
        throw new EventError('QUERY_INVALID', `the retention period must be a non-negative number of milliseconds, not ${olderThanMs}`);
      }
      const result = await db.deleteFrom('audit_log').where('at', '<', clock() - olderThanMs).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

function matching(filter: AuditQuery) {
  return (eb: ExpressionBuilder<Schema, 'audit_log'>): Expression<SqlBool> => {
    const conditions: Expression<SqlBool>[] = [];
    if (filter.project !== undefined) conditions.push(eb('project', '=', filter.project));
    if (filter.username !== undefined) conditions.push(eb('username', '=', filter.username));
    if (filter.operation !== undefined) conditions.push(eb('operation', '=', filter.operation));
    if (filter.resourceType !== undefined) conditions.push(eb('resource_type', '=', filter.resourceType));
    if (filter.from !== undefined) conditions.push(eb('at', '>=', filter.from));
    if (filter.to !== undefined) conditions.push(eb('at', '<=', filter.to));
    return eb.and(conditions);
  };
}

/**
 * The `reason` of a stored detail, when it has a string one, for the operations whose reason Slipway
 * writes itself: a login's cause, a refused pull's gate reasons and an override's justification. Other details hold request
 * bodies as their callers sent them, where a `reason` would be the caller's word, not the log's.
 */
function reasonOf(operation: string, detail: string | null): string | null {
  if (detail === null || (operation !== 'login' && operation !== 'pull' && !operation.startsWith('override-'))) return null;
  try {
    const { reason } = JSON.parse(detail) as { reason?: unknown };
    return typeof reason === 'string' ? reason : null;
  } catch {
    return null;
  }
}

/** Words that mark a key as holding a secret, wherever they appear in it (`access_token`, `clientSecret`). */
const SECRET_WORDS = new Set(['password', 'passwd', 'secret', 'token', 'authorization', 'credential', 'credentials']);
/** Whole keys (letters and digits only, lower case) that hold secrets without saying so in one word. */
const SECRET_KEYS = new Set(['authheader', 'apikey']);

/** Whether a detail key names a secret: password, secret, token, authorization (and kin), in any case. */
export function isSecretKey(key: string): boolean {
  const words = key.replaceAll(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase().split(/[^a-z0-9]+/);
  return words.some((word) => SECRET_WORDS.has(word)) || SECRET_KEYS.has(key.toLowerCase().replaceAll(/[^a-z0-9]/g, ''));
}

/**
 * A copy of `value` without any key that names a secret, at any depth (objects inside arrays
 * included). A circular reference is dropped rather than followed.
 */
export function stripSecrets(value: unknown): unknown {
  return strip(value, new Set());
}

function strip(value: unknown, ancestors: Set<object>): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (ancestors.has(value)) return undefined;
  ancestors.add(value);
  try {
    // What JSON.stringify would write for a Date, a Buffer…: stripped in turn.
    const { toJSON } = value as { toJSON?: unknown };
    if (typeof toJSON === 'function') return strip(toJSON.call(value), ancestors);
    if (Array.isArray(value)) return value.map((item: unknown) => strip(item, ancestors) ?? null);
    const copy: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      if (isSecretKey(key)) continue;
      const stripped = strip(item, ancestors);
      if (stripped !== undefined) copy[key] = stripped;
    }
    return copy;
  } finally {
    ancestors.delete(value);
  }
}
