import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { inspect } from 'node:util';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';
import { sql } from 'kysely';
import { databaseKinds, describeEachDatabase, testDatabaseConfig, testPostgresUrl } from '../../../testing/databases.ts';
import { DatabaseError, isUniqueViolation, openDatabase, redactUrl, type DatabaseConfig, type MetadataDatabase } from './database.ts';
import { migrate, migrations } from './migrations.ts';

const GIB = 1024 ** 3;
const DIGEST = `sha256:${'d'.repeat(64)}`;
const TABLES = [
  'advisories',
  'advisory_packages',
  'artifact_labels',
  'audit_log',
  'blobs',
  'immutable_rules',
  'jobs',
  'labels',
  'manifest_references',
  'manifests',
  'project_members',
  'projects',
  'repositories',
  'repository_blobs',
  'retention_executions',
  'retention_policies',
  'robots',
  'scan_exceptions',
  'scan_reports',
  'schedules',
  'schema_migrations',
  'settings',
  'tags',
  'trust_policies',
  'uploads',
  'users',
  'vuln_imports',
  'webhook_policies',
];

describeEachDatabase('metadata database', (open) => {
  let database: MetadataDatabase;
  let project: number;

  before(async () => {
    database = await open();
    const row = await database.db.insertInto('projects').values({ name: 'platform-dev', created_at: 1 }).returning('id').executeTakeFirstOrThrow();
    project = row.id;
  });

  it('creates every table of the schema and records the migrations', async () => {
    const tables = await database.db.introspection.getTables();
    assert.deepEqual(tables.map((t) => t.name).toSorted(), TABLES);
    const applied = await sql<{ name: string }>`select name from schema_migrations order by name`.execute(database.db);
    assert.deepEqual(
      applied.rows.map((r) => r.name),
      migrations.map((m) => m.name),
    );
    assert.deepEqual(await migrate(database.db, database.kind), [], 'a migrated database has nothing pending');
    await database.ping();
  });

  it('returns generated ids, bigints and counts as numbers', async () => {
    assert.equal(typeof project, 'number');
    await database.db.insertInto('blobs').values({ digest: DIGEST, size: 5 * GIB, created_at: Date.now() }).execute();
    const blob = await database.db.selectFrom('blobs').selectAll().where('digest', '=', DIGEST).executeTakeFirstOrThrow();
    assert.equal(blob.size, 5 * GIB);
    assert.equal(typeof blob.created_at, 'number');
    const totals = await database.db
      .selectFrom('blobs')
      .select((eb) => [eb.fn.countAll<number>().as('count'), eb.fn.sum<number>('size').as('total')])
      .executeTakeFirstOrThrow();
    assert.deepEqual({ ...totals }, { count: 1, total: 5 * GIB });
  });

  it('commits a transaction whole, or rolls it back whole', async () => {
    await database.db.transaction().execute(async (trx) => {
      await trx.insertInto('settings').values({ key: 'committed-a', value: '1' }).execute();
      await trx.insertInto('settings').values({ key: 'committed-b', value: '2' }).execute();
    });
    await assert.rejects(
      database.db.transaction().execute(async (trx) => {
        await trx.insertInto('settings').values({ key: 'rolled-back', value: '1' }).execute();
        await trx.insertInto('settings').values({ key: 'committed-a', value: 'clash' }).execute();
      }),
      isUniqueViolation,
    );
    const keys = await database.db.selectFrom('settings').select('key').orderBy('key').execute();
    assert.deepEqual(
      keys.map((k) => k.key),
      ['committed-a', 'committed-b'],
    );
  });

  it('tells unique and primary key violations from other errors', async () => {
    const duplicateName = database.db.insertInto('projects').values({ name: 'platform-dev', created_at: 2 }).execute();
    await assert.rejects(duplicateName, (error) => isUniqueViolation(error));
    const duplicateKey = database.db.insertInto('settings').values({ key: 'committed-b', value: 'x' }).execute();
    await assert.rejects(duplicateKey, (error) => isUniqueViolation(new Error('wrapped', { cause: error })));
    const missingProject = database.db.insertInto('repositories').values({ project_id: 999_999, name: 'nowhere/app', created_at: 1, updated_at: 1 }).execute();
    await assert.rejects(missingProject, (error) => !isUniqueViolation(error), 'a foreign key violation is enforced, and is not a unique violation');
    const badFlag = database.db.insertInto('projects').values({ name: 'flagged', public: 2, created_at: 1 }).execute();
    await assert.rejects(badFlag, (error) => !isUniqueViolation(error), 'flags are 0 or 1');
  });

  it('upserts with on conflict … do update, and returns rows', async () => {
    const repo = await database.db
      .insertInto('repositories')
      .values({ project_id: project, name: 'platform-dev/app', created_at: 1, updated_at: 1 })
      .returning(['id', 'name'])
      .executeTakeFirstOrThrow();
    assert.equal(repo.name, 'platform-dev/app');
    const manifest = (digest: string) =>
      database.db
        .insertInto('manifests')
        .values({ repository_id: repo.id, digest, media_type: 'application/vnd.oci.image.manifest.v1+json', size: 3 * GIB, pushed_at: 1 })
        .onConflict((oc) => oc.columns(['repository_id', 'digest']).doUpdateSet({ pushed_at: 2 }))
        .returning(['id', 'pushed_at'])
        .executeTakeFirstOrThrow();
    const first = await manifest(DIGEST);
    const again = await manifest(DIGEST);
    assert.deepEqual({ ...again }, { id: first.id, pushed_at: 2 }, 'the conflicting row is updated and returned');
    const tag = (name: string, updatedAt: number) =>
      database.db
        .insertInto('tags')
        .values({ repository_id: repo.id, name, manifest_digest: DIGEST, updated_at: updatedAt })
        .onConflict((oc) => oc.columns(['repository_id', 'name']).doUpdateSet((eb) => ({ updated_at: eb.ref('excluded.updated_at') })))
        .execute();
    await tag('v1', 10);
    await tag('v1', 20);
    const tags = await database.db.selectFrom('tags').select(['name', 'updated_at']).where('repository_id', '=', repo.id).execute();
    assert.deepEqual(
      tags.map((t) => ({ ...t })),
      [{ name: 'v1', updated_at: 20 }],
    );
  });

  it('cascades deletes from repositories and manifests to what hangs off them', async () => {
    const repo = await database.db
      .insertInto('repositories')
      .values({ project_id: project, name: 'platform-dev/cascade', created_at: 1, updated_at: 1 })
      .returning('id')
      .executeTakeFirstOrThrow();
    const other = `sha256:${'e'.repeat(64)}`;
    for (const digest of [DIGEST, other]) {
      const { id } = await database.db
        .insertInto('manifests')
        .values({ repository_id: repo.id, digest, media_type: 'application/vnd.oci.image.manifest.v1+json', size: 10, pushed_at: 1 })
        .returning('id')
        .executeTakeFirstOrThrow();
      await database.db.insertInto('manifest_references').values({ manifest_id: id, digest: `sha256:${'f'.repeat(64)}`, kind: 'blob' }).execute();
      await database.db.insertInto('tags').values({ repository_id: repo.id, name: digest.slice(7, 15), manifest_digest: digest, updated_at: 1 }).execute();
    }
    await database.db.insertInto('blobs').values({ digest: DIGEST, size: 1, created_at: 1 }).onConflict((oc) => oc.doNothing()).execute();
    await database.db.insertInto('repository_blobs').values({ repository_id: repo.id, digest: DIGEST, created_at: 1 }).execute();
    await database.db.insertInto('uploads').values({ id: `upload-${database.kind}`, repository_id: repo.id, size: 6 * GIB, created_at: 1, updated_at: 1 }).execute();
    const count = async (table: 'manifests' | 'manifest_references' | 'tags' | 'repository_blobs' | 'uploads') => {
      const { rows } = await sql<{ n: number }>`select count(*) as n from ${sql.table(table)}`.execute(database.db);
      return rows[0]?.n;
    };
    const tagless = database.db.insertInto('tags').values({ repository_id: repo.id, name: 'dangling', manifest_digest: `sha256:${'0'.repeat(64)}`, updated_at: 1 });
    await assert.rejects(tagless.execute(), 'a tag must name a manifest of its repository');

    await database.db.deleteFrom('manifests').where('repository_id', '=', repo.id).where('digest', '=', other).execute();
    assert.equal(await count('tags'), 1 + 1, "a deleted manifest's tags go with it (one left here, one from the upsert test)");
    assert.equal(await count('manifest_references'), 1);

    const linkedBlob = database.db.deleteFrom('blobs').where('digest', '=', DIGEST);
    await assert.rejects(linkedBlob.execute(), 'a blob still linked into a repository cannot be deleted');

    await database.db.deleteFrom('repositories').where('id', '=', repo.id).execute();
    for (const table of ['manifest_references', 'repository_blobs', 'uploads'] as const) assert.equal(await count(table), 0, table);
    assert.equal(await count('manifests'), 1, 'only the other repository’s manifest is left');
    await linkedBlob.execute();
    assert.equal((await database.db.selectFrom('blobs').select('digest').where('digest', '=', DIGEST).execute()).length, 0, 'unlinked, it can');
  });
});

for (const kind of databaseKinds) {
  describe(`opening the metadata database [${kind}]`, () => {
    let dir: string;

    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'slipway-db-open-'));
    });
    after(() => rm(dir, { recursive: true, force: true }));

    it('migrates once when several nodes open the same new database at the same time', async () => {
      const config = await testDatabaseConfig(kind, join(dir, 'concurrent'));
      // Separate processes, as separate nodes would be (SQLite's locks are between connections of different processes).
      const results = await Promise.all(Array.from({ length: 4 }, () => openInChildProcess(config)));
      assert.deepEqual(results, ['migrated', 'migrated', 'migrated', 'migrated']);
      const database = await openDatabase(config);
      try {
        const { rows } = await sql<{ n: number }>`select count(*) as n from schema_migrations`.execute(database.db);
        assert.equal(rows[0]?.n, migrations.length);
      } finally {
        await database.close();
      }
    });

    it('keeps its data when closed and opened again, and migrates nothing the second time', async () => {
      const config = await testDatabaseConfig(kind, join(dir, 'reopen'));
      const first = await openDatabase(config);
      await first.db.insertInto('settings').values({ key: 'kept', value: 'yes' }).execute();
      await first.close();
      await first.close();
      await assert.rejects(first.ping(), (error) => error instanceof DatabaseError && error.code === 'UNAVAILABLE');
      const second = await openDatabase(config);
      try {
        assert.equal((await second.db.selectFrom('settings').select('value').where('key', '=', 'kept').executeTakeFirst())?.value, 'yes');
        assert.deepEqual(await migrate(second.db, second.kind), []);
      } finally {
        await second.close();
      }
    });

    // SQLite only: PostgreSQL's read committed transactions are not meant to serialize this.
    if (kind === 'sqlite') {
      it('serializes read-then-write transactions of separate processes', async () => {
        const config = await testDatabaseConfig(kind, join(dir, 'serial'));
        await (await openDatabase(config)).close();
        // Each process reads, dawdles, then writes what it read, inside one transaction. Serialized,
        // one of them must have seen the other's row; two deferred transactions would instead both
        // read, and then one would fail to upgrade to write (SQLITE_BUSY, whatever the busy timeout).
        const body = `
          await database.db.transaction().execute(async (trx) => {
            const seen = await trx.selectFrom('settings').select('key').execute();
            await new Promise((resolve) => setTimeout(resolve, 300));
            await trx.insertInto('settings').values({ key: 'writer-' + process.pid, value: String(seen.length) }).execute();
          });
          process.stdout.write('done');
        `;
        assert.deepEqual(await Promise.all([inChildProcess(config, body), inChildProcess(config, body)]), ['done', 'done']);
        const database = await openDatabase(config);
        try {
          const rows = await database.db.selectFrom('settings').select('value').orderBy('value').execute();
          assert.deepEqual(
            rows.map((r) => r.value),
            ['0', '1'],
          );
        } finally {
          await database.close();
        }
      });
    }

    it('refuses a database migrated by a newer version', async () => {
      const config = await testDatabaseConfig(kind, join(dir, 'newer'));
      const database = await openDatabase(config);
      await sql`insert into schema_migrations (name, applied_at) values ('9999_from_the_future', 1)`.execute(database.db);
      await database.close();
      await assert.rejects(openDatabase(config), (error) => {
        assert.ok(error instanceof DatabaseError);
        assert.equal(error.code, 'MIGRATION_FAILED');
        assert.ok(error.cause instanceof Error);
        assert.match(error.cause.message, /9999_from_the_future/);
        return true;
      });
    });

    it('gives up at once when the signal is already aborted', async () => {
      const config = await testDatabaseConfig(kind, join(dir, 'aborted'));
      await assert.rejects(openDatabase(config, { signal: AbortSignal.abort() }), { name: 'AbortError' });
    });
  });
}

/** Opens (so migrates) the database in a new Node process, as another node would; resolves to `migrated`. */
function openInChildProcess(config: DatabaseConfig): Promise<string> {
  return inChildProcess(config, `
    const rows = await database.db.selectFrom('schema_migrations').select('name').execute();
    process.stdout.write(rows.length > 0 ? 'migrated' : 'not migrated');
  `);
}

/** Runs `body` in a new Node process with `database` open on `config`; resolves to what it printed. */
function inChildProcess(config: DatabaseConfig, body: string): Promise<string> {
  const script = `
    import { openDatabase } from ${JSON.stringify(new URL('./database.ts', import.meta.url).href)};
    const database = await openDatabase(JSON.parse(process.argv[1]));
    try {
      ${body}
    } finally {
      await database.close();
    }
  `;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', script, JSON.stringify(config)], (error, stdout, stderr) => {
      if (error === null) resolve(stdout);
      else reject(new Error(`child process failed: ${stderr}`, { cause: error }));
    });
  });
}

describe('metadata database errors', () => {
  it('never shows the PostgreSQL password', async () => {
    const admin = await testPostgresUrl();
    const password = 'Sup3r-s3cret%2Fpw';
    const url = admin.replace('postgresql://postgres@', `postgresql://postgres:${password}@`).replace('/postgres?', '/no_such_database?');
    await assert.rejects(openDatabase({ kind: 'postgres', url }), (error) => {
      assert.ok(error instanceof DatabaseError);
      assert.equal(error.code, 'CONNECT_FAILED');
      const shown = inspect(error, { depth: 10 });
      assert.match(shown, /no_such_database/, 'the cause is kept');
      assert.match(error.message, /: database "no_such_database" does not exist$/, 'the message says why');
      assert.doesNotMatch(shown, /Sup3r|s3cret/);
      return true;
    });
  });

  it('gives up when aborted while still connecting', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket)).listen(0, '127.0.0.1');
    await once(silent, 'listening');
    const address = silent.address();
    assert.ok(address !== null && typeof address === 'object');
    const { port } = address;
    try {
      const started = performance.now();
      const opening = openDatabase({ kind: 'postgres', url: `postgresql://slipway@127.0.0.1:${port}/slipway` }, { signal: AbortSignal.timeout(100) });
      await assert.rejects(opening, { name: 'TimeoutError' });
      assert.ok(performance.now() - started < 2000, 'the abort does not wait for the connect timeout');
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });

  it('fails to open a SQLite file that cannot be created, and does not hang trying', async () => {
    // Node's recursive mkdir spins forever under /proc; openDatabase must give up instead.
    await assert.rejects(openDatabase({ kind: 'sqlite', path: '/proc/no-such-dir/deeper/metadata.db' }), { name: 'DatabaseError', code: 'CONNECT_FAILED' });
    const dir = await mkdtemp(join(tmpdir(), 'slipway-db-file-'));
    try {
      await writeFile(join(dir, 'file'), '');
      await assert.rejects(openDatabase({ kind: 'sqlite', path: join(dir, 'file', 'metadata.db') }), { name: 'DatabaseError', code: 'CONNECT_FAILED' });
      const nested = await openDatabase({ kind: 'sqlite', path: join(dir, 'a', 'b', 'metadata.db') });
      await nested.close();
      await writeFile(join(dir, 'text.db'), 'not a database, just text');
      await assert.rejects(openDatabase({ kind: 'sqlite', path: join(dir, 'text.db') }), { name: 'DatabaseError', message: `cannot open the SQLite database at ${join(dir, 'text.db')}: file is not a database` });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('redacts passwords from URLs', () => {
    assert.equal(redactUrl('postgres://app:hunter2@db.internal:5432/slipway'), 'postgres://app:***@db.internal:5432/slipway');
    assert.equal(redactUrl('postgresql://app@db/slipway?sslmode=require&password=hunter2'), 'postgresql://app@db/slipway?sslmode=require&password=***');
    assert.equal(redactUrl('postgresql://app@/slipway?host=/run/pg'), 'postgresql://app@/slipway?host=/run/pg');
  });

  it('does not take an arbitrary error for a unique violation', () => {
    assert.equal(isUniqueViolation(new Error('duplicate key value')), false);
    assert.equal(isUniqueViolation(undefined), false);
    assert.equal(isUniqueViolation(Object.assign(new Error('x'), { code: '23505' })), true);
  });
});
