import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

/**
 * Lets Kysely's built-in `SqliteDialect` (written for better-sqlite3) run on Node's built-in
 * `node:sqlite`. The file is opened in WAL mode with foreign keys enforced and a 5 s busy
 * timeout, so a second process on the same file (a CLI command beside `slipway serve`) waits
 * instead of failing.
 *
 * Every transaction Kysely begins is `begin immediate`: the write lock is taken up front, so two
 * processes never both read inside a deferred transaction and then deadlock upgrading to write
 * (which SQLite reports as SQLITE_BUSY at once, ignoring the busy timeout). Inside one process
 * Kysely serializes everything on this single connection anyway, so nothing is lost.
 */
export function openSqliteDatabase(path: string): SqliteDatabase {
  const database = new DatabaseSync(path, { enableForeignKeyConstraints: true, timeout: 5000 });
  try {
    database.exec('pragma journal_mode = WAL');
    database.exec('pragma synchronous = NORMAL');
    database.exec('pragma foreign_keys = ON');
    database.exec('pragma busy_timeout = 5000');
  } catch (error) {
    database.close();
    throw error;
  }
  return {
    close: () => database.close(),
    prepare: (sql) => statement(database.prepare(/^\s*begin\s*$/i.test(sql) ? 'begin immediate' : sql)),
  };
}

function statement(stmt: StatementSync): SqliteStatement {
  return {
    reader: stmt.columns().length > 0,
    all: (parameters) => stmt.all(...bindable(parameters)),
    run: (parameters) => stmt.run(...bindable(parameters)),
    iterate: (parameters) => stmt.iterate(...bindable(parameters)),
  };
}

/**
 * Kysely hands over `unknown[]`; only the scalars the schema uses are bound (it keeps booleans as
 * 0/1, JSON as text, and has no binary columns).
 */
function bindable(parameters: readonly unknown[]): SQLInputValue[] {
  return parameters.map((value, index) => {
    if (value === null || typeof value === 'number' || typeof value === 'bigint' || typeof value === 'string') {
      return value;
    }
    throw new TypeError(`SQLite cannot bind parameter ${index + 1}, a ${typeof value} (booleans are stored as 0/1, JSON as text)`);
  });
}
