import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe } from 'node:test';
import { openDatabase, type DatabaseConfig, type MetadataDatabase } from '../core/storage/metadata/database.ts';
import { createDatabase, dropDatabase, POSTGRES_URL_ENV, startPostgres, stopOnExit, type TestPostgres } from './postgres.ts';

/**
 * Test databases of both kinds, so that every database test runs against SQLite AND a real
 * PostgreSQL. Under `npm test` the PostgreSQL cluster is the one the global setup started (its URL
 * in SLIPWAY_TEST_POSTGRES_URL); a test file run on its own starts a cluster of its own on first
 * use and stops it when the process exits.
 */
export const databaseKinds = ['sqlite', 'postgres'] as const;
export type TestDatabaseKind = (typeof databaseKinds)[number];

/** Small pools: several test files share one cluster, four at a time. */
const TEST_POOL_SIZE = 4;

export interface TestDatabase extends MetadataDatabase {
  /** Closes the database and deletes it (the SQLite file's directory, or the PostgreSQL database). */
  cleanup(): Promise<void>;
}

let ownCluster: Promise<TestPostgres> | undefined;

/** The superuser URL of the test PostgreSQL cluster, starting one for this process if there is none. */
export async function testPostgresUrl(): Promise<string> {
  const shared = process.env[POSTGRES_URL_ENV];
  if (shared !== undefined && shared !== '') return shared;
  ownCluster ??= startPostgres().then((cluster) => {
    stopOnExit(cluster);
    return cluster;
  });
  return (await ownCluster).url;
}

/**
 * A configuration for a fresh, empty database of `kind`: a file in `dir` for SQLite, a new
 * database on the test cluster for PostgreSQL (left for the cluster's teardown to remove).
 */
export async function testDatabaseConfig(kind: TestDatabaseKind, dir: string): Promise<DatabaseConfig> {
  if (kind === 'sqlite') return { kind: 'sqlite', path: join(dir, 'metadata.db') };
  return { kind: 'postgres', url: await createDatabase(await testPostgresUrl()), poolSize: TEST_POOL_SIZE };
}

/** Opens (and migrates) a fresh, empty database of `kind`. */
export async function openTestDatabase(kind: TestDatabaseKind): Promise<TestDatabase> {
  if (kind === 'sqlite') {
    const dir = await mkdtemp(join(tmpdir(), 'slipway-db-'));
    const database = await openDatabase({ kind: 'sqlite', path: join(dir, 'metadata.db') }).catch(async (error: unknown) => {
      await rm(dir, { recursive: true, force: true });
      throw error;
    });
    return withCleanup(database, () => rm(dir, { recursive: true, force: true }));
  }
  const admin = await testPostgresUrl();
  const url = await createDatabase(admin);
  const database = await openDatabase({ kind: 'postgres', url, poolSize: TEST_POOL_SIZE });
  return withCleanup(database, () => dropDatabase(admin, url));
}

function withCleanup(database: MetadataDatabase, remove: () => Promise<void>): TestDatabase {
  let done: Promise<void> | undefined;
  return {
    ...database,
    cleanup() {
      done ??= database.close().then(remove);
      return done;
    },
  };
}

/**
 * Declares the same `describe` block once per database kind (`<title> [sqlite]`, `<title>
 * [postgres]`). `open` gives a fresh database; each one is cleaned up after the block.
 */
export function describeEachDatabase(title: string, fn: (open: () => Promise<MetadataDatabase>) => void): void {
  for (const kind of databaseKinds) {
    void describe(`${title} [${kind}]`, () => {
      const opened: TestDatabase[] = [];
      after(async () => {
        await Promise.all(opened.map((database) => database.cleanup()));
      });
      fn(async () => {
        const database = await openTestDatabase(kind);
        opened.push(database);
        return database;
      });
    });
  }
}

/**
 * Two nodes of one deployment inside a `describe`: two connection pools on the same fresh
 * PostgreSQL database (filled in `before`, closed and dropped `after`), for tests of what several
 * `slipway serve` processes share (jobs, schedules).
 */
export function twoPostgresNodes(): readonly MetadataDatabase[] {
  const nodes: MetadataDatabase[] = [];
  let admin = '';
  let url = '';
  before(async () => {
    admin = await testPostgresUrl();
    url = await createDatabase(admin);
    for (let i = 0; i < 2; i++) nodes.push(await openDatabase({ kind: 'postgres', url, poolSize: TEST_POOL_SIZE }));
  });
  after(async () => {
    await Promise.all(nodes.map((node) => node.close()));
    await dropDatabase(admin, url);
  });
  return nodes;
}
