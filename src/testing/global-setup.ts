import { POSTGRES_URL_ENV, startPostgres, stopOnExit, type TestPostgres } from './postgres.ts';

/**
 * node:test global setup (`--test-global-setup`, see the `test` script): starts ONE PostgreSQL
 * cluster for the whole run. The runner starts test files as child processes after this has run,
 * and they inherit its environment, so `SLIPWAY_TEST_POSTGRES_URL` reaches every one of them
 * (checked with Node 24: the children see variables set here). When the variable is already set,
 * that cluster is used instead (its URL must allow `create database`) and none is started.
 */
let cluster: TestPostgres | undefined;

export async function globalSetup(): Promise<void> {
  if (process.env[POSTGRES_URL_ENV] !== undefined) return;
  cluster = await startPostgres();
  stopOnExit(cluster);
  process.env[POSTGRES_URL_ENV] = cluster.url;
}

export async function globalTeardown(): Promise<void> {
  await cluster?.stop();
}
