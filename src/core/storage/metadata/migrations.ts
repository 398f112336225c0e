import { sql, type ColumnDefinitionBuilder, type CreateTableBuilder, type Kysely } from 'kysely';

/**
 * The migration set: plain objects in one explicit list, applied in order, each written once
 * with Kysely's schema builder for both databases. A migration never changes once released;
 * a change to the schema is a new entry at the end of the list.
 */
export type DatabaseKind = 'sqlite' | 'postgres';

export interface Migration {
  /** `NNNN_words`; the list is applied in order and each name is recorded once applied. */
  readonly name: string;
  up<DB>(db: Kysely<DB>, kind: DatabaseKind): Promise<void>;
}

const MIGRATIONS_TABLE = 'schema_migrations';
/** The advisory lock every PostgreSQL node takes before migrating (any fixed 64-bit number). */
const POSTGRES_MIGRATION_LOCK = 7_345_118_206_339_101n;

/** A generated integer primary key: a rowid alias on SQLite, an identity column on PostgreSQL. */
function addId<T extends string>(table: CreateTableBuilder<T>, kind: DatabaseKind): CreateTableBuilder<T, 'id'> {
  return kind === 'sqlite'
    ? table.addColumn('id', 'integer', (col) => col.primaryKey().autoIncrement())
    : table.addColumn('id', 'bigint', (col) => col.primaryKey().generatedByDefaultAsIdentity());
}

const required = (col: ColumnDefinitionBuilder): ColumnDefinitionBuilder => col.notNull();
const flag = (col: ColumnDefinitionBuilder): ColumnDefinitionBuilder => col.notNull().defaultTo(0);

const registry: Migration = {
  name: '0001_registry',
  async up(db, kind) {
    await addId(db.schema.createTable('projects'), kind)
      .addColumn('name', 'text', (col) => col.notNull().unique())
      .addColumn('public', 'integer', flag)
      .addColumn('created_at', 'bigint', required)
      .addCheckConstraint('projects_public_flag', sql`public in (0, 1)`)
      .execute();

    await addId(db.schema.createTable('repositories'), kind)
      .addColumn('project_id', 'bigint', (col) => col.notNull().references('projects.id'))
      .addColumn('name', 'text', (col) => col.notNull().unique())
      .addColumn('created_at', 'bigint', required)
      .addColumn('updated_at', 'bigint', required)
      .execute();
    await db.schema.createIndex('repositories_project_id').on('repositories').column('project_id').execute();

    await db.schema
      .createTable('blobs')
      .addColumn('digest', 'text', (col) => col.primaryKey())
      .addColumn('size', 'bigint', required)
      .addColumn('created_at', 'bigint', required)
      .addCheckConstraint('blobs_size_not_negative', sql`size >= 0`)
      .execute();

    await db.schema
      .createTable('repository_blobs')
      .addColumn('repository_id', 'bigint', (col) => col.notNull().references('repositories.id').onDelete('cascade'))
      .addColumn('digest', 'text', (col) => col.notNull().references('blobs.digest'))
      .addColumn('created_at', 'bigint', required)
      .addPrimaryKeyConstraint('repository_blobs_pkey', ['repository_id', 'digest'])
      .execute();
    await db.schema.createIndex('repository_blobs_digest').on('repository_blobs').column('digest').execute();

    await addId(db.schema.createTable('manifests'), kind)
      .addColumn('repository_id', 'bigint', (col) => col.notNull().references('repositories.id').onDelete('cascade'))
      .addColumn('digest', 'text', required)
      .addColumn('media_type', 'text', required)
      .addColumn('size', 'bigint', required)
      .addColumn('artifact_type', 'text')
      .addColumn('subject_digest', 'text')
      .addColumn('annotations', 'text')
      .addColumn('pushed_at', 'bigint', required)
      .addColumn('pulled_at', 'bigint')
      .addUniqueConstraint('manifests_repository_digest', ['repository_id', 'digest'])
      .execute();
    await db.schema.createIndex('manifests_subject').on('manifests').columns(['repository_id', 'subject_digest']).execute();

    await db.schema
      .createTable('manifest_references')
      .addColumn('manifest_id', 'bigint', (col) => col.notNull().references('manifests.id').onDelete('cascade'))
      .addColumn('digest', 'text', required)
      .addColumn('kind', 'text', required)
      .addPrimaryKeyConstraint('manifest_references_pkey', ['manifest_id', 'digest', 'kind'])
      .addCheckConstraint('manifest_references_kind', sql`kind in ('blob', 'manifest')`)
      .execute();
    await db.schema.createIndex('manifest_references_digest').on('manifest_references').column('digest').execute();

    await db.schema
      .createTable('tags')
      .addColumn('repository_id', 'bigint', (col) => col.notNull().references('repositories.id').onDelete('cascade'))
      .addColumn('name', 'text', required)
      .addColumn('manifest_digest', 'text', required)
      .addColumn('updated_at', 'bigint', required)
      .addPrimaryKeyConstraint('tags_pkey', ['repository_id', 'name'])
      // A tag always names a manifest of its own repository, and goes when that manifest goes.
      .addForeignKeyConstraint('tags_manifest', ['repository_id', 'manifest_digest'], 'manifests', ['repository_id', 'digest'], (fk) =>
        fk.onDelete('cascade'),
      )
      .execute();
    await db.schema.createIndex('tags_manifest').on('tags').columns(['repository_id', 'manifest_digest']).execute();

    await db.schema
      .createTable('uploads')
      .addColumn('id', 'text', (col) => col.primaryKey())
      .addColumn('repository_id', 'bigint', (col) => col.notNull().references('repositories.id').onDelete('cascade'))
      .addColumn('size', 'bigint', required)
      .addColumn('created_at', 'bigint', required)
      .addColumn('updated_at', 'bigint', required)
      .execute();
    await db.schema.createIndex('uploads_updated_at').on('uploads').column('updated_at').execute();

    await addId(db.schema.createTable('users'), kind)
      .addColumn('username', 'text', (col) => col.notNull().unique())
      .addColumn('password_hash', 'text', required)
      .addColumn('is_admin', 'integer', flag)
      .addColumn('created_at', 'bigint', required)
      .addCheckConstraint('users_is_admin_flag', sql`is_admin in (0, 1)`)
      .execute();

    await db.schema
      .createTable('settings')
      .addColumn('key', 'text', (col) => col.primaryKey())
      .addColumn('value', 'text', required)
      .execute();
  },
};

/**
 * Projects as Harbor knows them (metadata, quotas, allowlists), project members with roles,
 * robot accounts, tag immutability and retention rules, the audit log, webhook policies and the
 * durable job queue.
 */
const projects: Migration = {
  name: '0002_projects_policies_jobs',
  async up(db, kind) {
    await db.schema.alterTable('users').addColumn('disabled', 'integer', flag).execute();
    await db.schema.alterTable('users').addColumn('failed_logins', 'integer', flag).execute();
    await db.schema.alterTable('users').addColumn('locked_until', 'bigint').execute();

    // Harbor's project metadata (string values), quota limits (-1 = unlimited) and CVE allowlist.
    await db.schema.alterTable('projects').addColumn('metadata', 'text', (col) => col.notNull().defaultTo('{}')).execute();
    await db.schema.alterTable('projects').addColumn('storage_limit', 'bigint', (col) => col.notNull().defaultTo(-1)).execute();
    await db.schema.alterTable('projects').addColumn('count_limit', 'bigint', (col) => col.notNull().defaultTo(-1)).execute();
    await db.schema.alterTable('projects').addColumn('cve_allowlist', 'text', (col) => col.notNull().defaultTo('{"items":[],"expires_at":null}')).execute();
    await db.schema.alterTable('projects').addColumn('updated_at', 'bigint', (col) => col.notNull().defaultTo(0)).execute();

    await db.schema
      .createTable('project_members')
      .addColumn('project_id', 'bigint', (col) => col.notNull().references('projects.id').onDelete('cascade'))
      .addColumn('user_id', 'bigint', (col) => col.notNull().references('users.id').onDelete('cascade'))
      .addColumn('role_id', 'integer', required)
      .addColumn('created_at', 'bigint', required)
      .addPrimaryKeyConstraint('project_members_pkey', ['project_id', 'user_id'])
      .addCheckConstraint('project_members_role', sql`role_id between 1 and 5`)
      .execute();
    await db.schema.createIndex('project_members_user').on('project_members').column('user_id').execute();

    await addId(db.schema.createTable('robots'), kind)
      // `<project>+<name>` for a project robot, `<name>` for a system robot (shown with the `robot$` prefix).
      .addColumn('name', 'text', (col) => col.notNull().unique())
      .addColumn('level', 'text', required)
      .addColumn('project_id', 'bigint', (col) => col.references('projects.id').onDelete('cascade'))
      .addColumn('description', 'text', (col) => col.notNull().defaultTo(''))
      .addColumn('secret_hash', 'text', required)
      .addColumn('permissions', 'text', required)
      .addColumn('expires_at', 'bigint')
      .addColumn('disabled', 'integer', flag)
      .addColumn('creator', 'text', required)
      .addColumn('created_at', 'bigint', required)
      .addColumn('updated_at', 'bigint', required)
      .addCheckConstraint('robots_level', sql`level in ('project', 'system')`)
      .execute();

    await addId(db.schema.createTable('immutable_rules'), kind)
      .addColumn('project_id', 'bigint', (col) => col.notNull().references('projects.id').onDelete('cascade'))
      .addColumn('rule', 'text', required)
      .addColumn('disabled', 'integer', flag)
      .addColumn('created_at', 'bigint', required)
      .execute();
    await db.schema.createIndex('immutable_rules_project').on('immutable_rules').column('project_id').execute();

    await addId(db.schema.createTable('retention_policies'), kind)
      .addColumn('project_id', 'bigint', (col) => col.notNull().unique().references('projects.id').onDelete('cascade'))
      .addColumn('policy', 'text', required)
      .addColumn('next_run_at', 'bigint')
      .addColumn('created_at', 'bigint', required)
      .addColumn('updated_at', 'bigint', required)
      .execute();

    await addId(db.schema.createTable('retention_executions'), kind)
      .addColumn('policy_id', 'bigint', (col) => col.notNull().references('retention_policies.id').onDelete('cascade'))
      .addColumn('dry_run', 'integer', flag)
      .addColumn('trigger', 'text', required)
      .addColumn('status', 'text', required)
      .addColumn('result', 'text')
      .addColumn('started_at', 'bigint', required)
      .addColumn('finished_at', 'bigint')
      .execute();

    await addId(db.schema.createTable('audit_log'), kind)
      .addColumn('at', 'bigint', required)
      .addColumn('username', 'text', required)
      .addColumn('project', 'text')
      .addColumn('resource', 'text', required)
      .addColumn('resource_type', 'text', required)
      .addColumn('operation', 'text', required)
      .addColumn('result', 'text', required)
      .addColumn('detail', 'text')
      .execute();
    await db.schema.createIndex('audit_log_at').on('audit_log').column('at').execute();
    await db.schema.createIndex('audit_log_project_at').on('audit_log').columns(['project', 'at']).execute();

    await addId(db.schema.createTable('webhook_policies'), kind)
      // null: a system-wide policy, notified of every project's events.
      .addColumn('project_id', 'bigint', (col) => col.references('projects.id').onDelete('cascade'))
      .addColumn('name', 'text', required)
      .addColumn('description', 'text', (col) => col.notNull().defaultTo(''))
      .addColumn('enabled', 'integer', (col) => col.notNull().defaultTo(1))
      .addColumn('event_types', 'text', required)
      .addColumn('targets', 'text', required)
      .addColumn('creator', 'text', required)
      .addColumn('created_at', 'bigint', required)
      .addColumn('updated_at', 'bigint', required)
      .execute();

    await addId(db.schema.createTable('jobs'), kind)
      .addColumn('kind', 'text', required)
      .addColumn('payload', 'text', required)
      .addColumn('status', 'text', required)
      .addColumn('attempts', 'integer', flag)
      .addColumn('max_attempts', 'integer', required)
      .addColumn('run_at', 'bigint', required)
      .addColumn('locked_by', 'text')
      .addColumn('locked_until', 'bigint')
      .addColumn('last_error', 'text')
      .addColumn('result', 'text')
      .addColumn('created_at', 'bigint', required)
      .addColumn('updated_at', 'bigint', required)
      .addCheckConstraint('jobs_status', sql`status in ('queued', 'running', 'succeeded', 'failed')`)
      .execute();
    await db.schema.createIndex('jobs_due').on('jobs').columns(['status', 'run_at']).execute();

    // Recurring work (retention, GC, audit purge): the next due time per schedule name.
    await db.schema
      .createTable('schedules')
      .addColumn('name', 'text', (col) => col.primaryKey())
      .addColumn('cron', 'text', required)
      .addColumn('job_kind', 'text', required)
      .addColumn('payload', 'text', required)
      .addColumn('next_run_at', 'bigint', required)
      .execute();
  },
};

/** Harbor's labels: global (project null) or of one project, attached to artifacts. */
const labels: Migration = {
  name: '0003_labels',
  async up(db, kind) {
    await addId(db.schema.createTable('labels'), kind)
      .addColumn('name', 'text', required)
      .addColumn('description', 'text', (col) => col.notNull().defaultTo(''))
      .addColumn('color', 'text', (col) => col.notNull().defaultTo(''))
      .addColumn('project_id', 'bigint', (col) => col.references('projects.id').onDelete('cascade'))
      .addColumn('created_at', 'bigint', required)
      .addColumn('updated_at', 'bigint', required)
      .execute();
    await db.schema.createIndex('labels_project_name').on('labels').columns(['project_id', 'name']).execute();
    await db.schema
      .createTable('artifact_labels')
      .addColumn('manifest_id', 'bigint', (col) => col.notNull().references('manifests.id').onDelete('cascade'))
      .addColumn('label_id', 'bigint', (col) => col.notNull().references('labels.id').onDelete('cascade'))
      .addColumn('created_at', 'bigint', required)
      .addPrimaryKeyConstraint('artifact_labels_pkey', ['manifest_id', 'label_id'])
      .execute();
    await db.schema.createIndex('artifact_labels_label').on('artifact_labels').column('label_id').execute();
  },
};

/** The vulnerability database: imported OSV advisories, indexed by (ecosystem, package name). */
const vulnerabilities: Migration = {
  name: '0004_vulnerabilities',
  async up(db, kind) {
    await addId(db.schema.createTable('vuln_imports'), kind)
      .addColumn('source', 'text', required)
      .addColumn('ecosystems', 'text', required)
      .addColumn('records', 'integer', required)
      .addColumn('imported_at', 'bigint', required)
      .execute();
    await db.schema
      .createTable('advisories')
      .addColumn('id', 'text', (col) => col.primaryKey())
      .addColumn('modified', 'bigint', required)
      .addColumn('withdrawn', 'bigint')
      .addColumn('record', 'text', required)
      .addColumn('import_id', 'bigint', (col) => col.notNull().references('vuln_imports.id'))
      .execute();
    await db.schema
      .createTable('advisory_packages')
      .addColumn('advisory_id', 'text', (col) => col.notNull().references('advisories.id').onDelete('cascade'))
      .addColumn('ecosystem', 'text', required)
      .addColumn('name', 'text', required)
      .addColumn('affected', 'text', required)
      .execute();
    await db.schema.createIndex('advisory_packages_lookup').on('advisory_packages').columns(['ecosystem', 'name']).execute();
    await db.schema.createIndex('advisory_packages_advisory').on('advisory_packages').column('advisory_id').execute();
  },
};

/** Scan results per artifact digest, and per-image exceptions (OpenVEX statements with expiry). */
const scans: Migration = {
  name: '0005_scans',
  async up(db, kind) {
    await db.schema
      .createTable('scan_reports')
      .addColumn('digest', 'text', (col) => col.primaryKey())
      .addColumn('status', 'text', required)
      .addColumn('severity', 'text')
      .addColumn('findings', 'text')
      .addColumn('packages', 'integer')
      .addColumn('error', 'text')
      .addColumn('db_updated_at', 'bigint')
      .addColumn('scanner_version', 'text', required)
      .addColumn('started_at', 'bigint', required)
      .addColumn('finished_at', 'bigint')
      .addCheckConstraint('scan_reports_status', sql`status in ('Pending', 'Running', 'Success', 'Error', 'Unsupported')`)
      .execute();
    await addId(db.schema.createTable('scan_exceptions'), kind)
      .addColumn('project_id', 'bigint', (col) => col.notNull().references('projects.id').onDelete('cascade'))
      .addColumn('digest', 'text', required)
      .addColumn('vulnerability', 'text', required)
      .addColumn('status', 'text', required)
      .addColumn('justification', 'text', required)
      .addColumn('author', 'text', required)
      .addColumn('expires_at', 'bigint')
      .addColumn('created_at', 'bigint', required)
      .execute();
    await db.schema.createIndex('scan_exceptions_lookup').on('scan_exceptions').columns(['project_id', 'digest']).execute();
  },
};

/**
 * Each project's trust policy for signatures (keys, keyless identities, threshold, required
 * attestations) as JSON, with a version that every change increments: verification results are
 * cached per (digest, policy version).
 */
const trustPolicies: Migration = {
  name: '0006_trust_policies',
  async up(db) {
    await db.schema
      .createTable('trust_policies')
      .addColumn('project_id', 'bigint', (col) => col.primaryKey().references('projects.id').onDelete('cascade'))
      .addColumn('policy', 'text', required)
      .addColumn('version', 'integer', required)
      .addColumn('updated_at', 'bigint', required)
      .addColumn('updated_by', 'text', required)
      .addCheckConstraint('trust_policies_version_positive', sql`version >= 1`)
      .execute();
  },
};

/**
 * Which catalogers (names and versions) made a scan result: with the digest, the scan cache key. A
 * result made by other catalogers (an older Slipway's) is not current; null for one an external
 * scanner made, or made before this was recorded.
 */
const scanCatalogers: Migration = {
  name: '0007_scan_catalogers',
  async up(db) {
    await db.schema.alterTable('scan_reports').addColumn('catalogers', 'text').execute();
  },
};

/** Every migration, in the order it is applied. Append only. */
export const migrations: readonly Migration[] = [registry, projects, labels, vulnerabilities, scans, trustPolicies, scanCatalogers];

/**
 * Applies the pending migrations in one transaction and returns the names applied (empty when the
 * schema is current). Safe when several nodes start at once: on PostgreSQL the transaction first
 * takes an advisory lock, so the others wait and then find nothing left to do; on SQLite the
 * transaction is `begin immediate` (see sqlite-database.ts), which serializes writers the same way.
 */
export async function migrate<DB>(db: Kysely<DB>, kind: DatabaseKind, list: readonly Migration[] = migrations): Promise<string[]> {
  checkOrder(list);
  return db.transaction().execute(async (trx) => {
    if (kind === 'postgres') await sql`select pg_advisory_xact_lock(${sql.lit(POSTGRES_MIGRATION_LOCK)})`.execute(trx);
    await trx.schema
      .createTable(MIGRATIONS_TABLE)
      .ifNotExists()
      .addColumn('name', 'text', (col) => col.primaryKey())
      .addColumn('applied_at', 'bigint', required)
      .execute();
    const done = await sql<{ name: string }>`select name from ${sql.table(MIGRATIONS_TABLE)}`.execute(trx);
    const applied = new Set(done.rows.map((row) => row.name));
    const unknown = [...applied].filter((name) => !list.some((m) => m.name === name));
    if (unknown.length > 0) {
      throw new Error(`the database has migrations this version does not know (${unknown.join(', ')}): it was migrated by a newer Slipway`);
    }
    const pending = list.filter((m) => !applied.has(m.name));
    for (const migration of pending) {
      try {
        await migration.up(trx, kind);
      } catch (error) {
        throw new Error(`migration ${migration.name} failed`, { cause: error });
      }
      await sql`insert into ${sql.table(MIGRATIONS_TABLE)} (name, applied_at) values (${migration.name}, ${Date.now()})`.execute(trx);
    }
    return pending.map((m) => m.name);
  });
}

function checkOrder(list: readonly Migration[]): void {
  for (let i = 1; i < list.length; i++) {
    const previous = list[i - 1]?.name ?? '';
    if ((list[i]?.name ?? '') <= previous) throw new Error(`migrations out of order: ${list[i]?.name} after ${previous}`);
  }
}
