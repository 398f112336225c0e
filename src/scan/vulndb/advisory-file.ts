/**
 * The vulnerability database read straight from a data directory's SQLite file, for the CLI's
 * scan: `node:sqlite`, read-only, the three queries the matching needs. Opening the metadata
 * database instead (Kysely's few hundred modules, the migrations) costs a short scan a fifth of
 * its time; this costs a few milliseconds. The matching is the server's own (`vulnDbOver`).
 *
 * A file that does not exist, or that has no advisory tables yet, reads as an empty database
 * (the scan then refuses and says to import); nothing is created or migrated. `slipway db import`
 * opens the file through the metadata database, which migrates it.
 */
import { statSync } from 'node:fs';
import { DatabaseSync, type SQLOutputValue } from 'node:sqlite';
import { fileErrorReason } from '../../core/format/file-error.ts';
import { VulnDbError } from './vulndb-error.ts';
import { parseEcosystems, vulnDbOver, type AdvisoryRow, type AdvisoryStore, type VulnDb } from './vulndb.ts';

export interface AdvisoryFile extends VulnDb {
  close(): void;
}

const TABLES = ['vuln_imports', 'advisories', 'advisory_packages'];

const EMPTY: AdvisoryStore = {
  imports: () => Promise.resolve([]),
  totals: () => Promise.resolve({ count: 0, newest: null }),
  rows: () => Promise.resolve([]),
};

export function openAdvisoryFile(path: string): AdvisoryFile {
  const database = openReadOnly(path);
  if (database === undefined) return { ...vulnDbOver(EMPTY), close: () => undefined };
  let store: AdvisoryStore;
  try {
    // One read transaction for the whole scan: its status and its matches come from one snapshot,
    // even while `db import` writes (WAL readers see the database as it was when they began).
    database.exec('begin');
    store = hasTables(database, path) ? sqliteStore(database) : EMPTY;
  } catch (error) {
    database.close();
    if (error instanceof VulnDbError) throw error;
    // Tables of another shape: a database of another Slipway version, which opening it through `db` migrates.
    throw new VulnDbError('QUERY_FAILED', `cannot read the vulnerability database at ${path}: ${(error as Error).message} (slipway db status migrates it to this version)`, { cause: error });
  }
  // Closing ends the read transaction.
  return { ...vulnDbOver(store), close: () => database.close() };
}

/** The file opened read-only, or undefined when there is none. */
function openReadOnly(path: string): DatabaseSync | undefined {
  try {
    statSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw unreadable(path, error);
  }
  try {
    // The busy timeout: `slipway serve` or `db import` may be writing the same file.
    return new DatabaseSync(path, { readOnly: true, timeout: 5000 });
  } catch (error) {
    throw unreadable(path, error);
  }
}

function hasTables(database: DatabaseSync, path: string): boolean {
  try {
    const found = database.prepare(`select name from sqlite_master where type = 'table' and name in (${TABLES.map(() => '?').join(', ')})`).all(...TABLES);
    return found.length === TABLES.length;
  } catch (error) {
    // "file is not a database" surfaces on the first statement, not at open.
    throw unreadable(path, error);
  }
}

function sqliteStore(database: DatabaseSync): AdvisoryStore {
  const imports = database.prepare('select source, ecosystems, records, imported_at from vuln_imports order by imported_at desc, id desc');
  const totals = database.prepare('select count(*) as count, max(modified) as newest from advisories');
  return {
    imports: async () =>
      imports.all().map((row) => ({
        source: text(row['source']),
        records: Number(row['records']),
        ecosystems: parseEcosystems(text(row['ecosystems'])),
        importedAt: Number(row['imported_at']),
      })),
    async totals() {
      const row = totals.get() ?? {};
      return { count: Number(row['count'] ?? 0), newest: row['newest'] === null || row['newest'] === undefined ? null : Number(row['newest']) };
    },
    async rows(ecosystem, names) {
      if (names.length === 0) return [];
      const statement = database.prepare(
        'select a.id as id, a.record as record, p.affected as affected, p.ecosystem as ecosystem, p.name as name ' +
          'from advisory_packages as p inner join advisories as a on a.id = p.advisory_id ' +
          `where p.ecosystem = ? and p.name in (${names.map(() => '?').join(', ')}) and a.withdrawn is null`,
      );
      return statement.all(ecosystem, ...names).map(
        (row): AdvisoryRow => ({ id: text(row['id']), record: text(row['record']), affected: text(row['affected']), ecosystem: text(row['ecosystem']), name: text(row['name']) }),
      );
    },
  };
}

function text(value: SQLOutputValue | undefined): string {
  return typeof value === 'string' ? value : String(value ?? '');
}

function unreadable(path: string, error: unknown): VulnDbError {
  return new VulnDbError('QUERY_FAILED', `cannot read the vulnerability database at ${path}: ${fileErrorReason(error)}`, { cause: error });
}
