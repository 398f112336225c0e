import { resolve } from 'node:path';
import type { DatabaseConfig, MetadataDatabase } from '../core/storage/metadata/database.ts';

/** Flags of verbs that use the data directory's database (the same one `slipway serve` uses). */
export interface DataFlags {
  readonly data?: string;
  readonly databaseUrl?: string;
}

/**
 * `--data` / `SLIPWAY_DATA` (default `./data`) holds `slipway.db`; `--database-url` / `SLIPWAY_DATABASE_URL` selects PostgreSQL instead.
 */
export function localDatabaseConfig(flags: DataFlags): DatabaseConfig {
  const url = flags.databaseUrl ?? process.env['SLIPWAY_DATABASE_URL'];
  if (url !== undefined && url !== '') return { kind: 'postgres', url };
  const data = resolve(flags.data ?? process.env['SLIPWAY_DATA'] ?? './data');
  return { kind: 'sqlite', path: resolve(data, 'slipway.db') };
}

/** The database of `localDatabaseConfig`, opened (and migrated). Kysely and the drivers load here, on first use. */
export async function openLocalDatabase(flags: DataFlags): Promise<MetadataDatabase> {
  const { openDatabase } = await import('../core/storage/metadata/database.ts');
  return openDatabase(localDatabaseConfig(flags));
}

export function dataOptions<T extends { option(flags: string, description: string): T }>(command: T): T {
  return command
    .option('--data <dir>', 'the data directory holding slipway.db (default $SLIPWAY_DATA or ./data)')
    .option('--database-url <url>', 'use this PostgreSQL database instead (default $SLIPWAY_DATABASE_URL)');
}
