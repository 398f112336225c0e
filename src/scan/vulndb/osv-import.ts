/**
 * `slipway db import`: loads OSV records into `advisories` / `advisory_packages`, offline.
 * Records are written in transactions of `BATCH_SIZE`; each one also brings the import's
 * `vuln_imports` row up to date, so a crash leaves a consistent (partial) import behind. An
 * advisory already stored with a newer `modified` is kept; otherwise it is replaced together
 * with its package rows. Invalid records are skipped and reported; a source with no valid record
 * at all fails (SOURCE_EMPTY) and records no import.
 */
import type { Kysely, Transaction } from 'kysely';
import { fileErrorReason } from '../../core/format/file-error.ts';
import type { MetadataDatabase } from '../../core/storage/metadata/database.ts';
import type { Schema } from '../../core/storage/metadata/schema.ts';
import type { OsvRecord } from './osv-record.ts';
import { readOsvSource } from './osv-source.ts';
import { normalizePackageName } from './package-ecosystem.ts';
import { VulnDbError } from './vulndb-error.ts';

export interface ImportOptions {
  readonly signal?: AbortSignal;
  readonly now?: () => number;
}

export interface ImportResult {
  readonly importId: number;
  /** Valid records read (each id once), whether written or kept because the stored one is as new or newer. */
  readonly records: number;
  /** Of those, the ones stored anew: not in the database before, or newer than what it held. */
  readonly updated: number;
  readonly skipped: readonly { readonly file: string; readonly reason: string }[];
  /** The `affected[].package.ecosystem` values of those records, sorted. */
  readonly ecosystems: readonly string[];
}

export const BATCH_SIZE = 500;
const INSERT_CHUNK = 500;

interface ImportState {
  importId: number | undefined;
  updated: number;
  readonly seen: Set<string>;
  readonly ecosystems: Set<string>;
}

/** Imports `source`: a `.json`/`.yaml`/`.yml` record, an osv.dev `.zip` dump, or a directory of them (recursively). */
export async function importOsv(database: MetadataDatabase, source: string, options: ImportOptions = {}): Promise<ImportResult> {
  const now = options.now ?? Date.now;
  const state: ImportState = { importId: undefined, updated: 0, seen: new Set(), ecosystems: new Set() };
  const skipped: { file: string; reason: string }[] = [];
  let batch = new Map<string, OsvRecord>();
  try {
    for await (const item of readOsvSource(source, options.signal === undefined ? {} : { signal: options.signal })) {
      if ('reason' in item) {
        skipped.push({ file: item.file, reason: item.reason });
        continue;
      }
      const earlier = batch.get(item.record.id);
      if (earlier === undefined || earlier.modified <= item.record.modified) batch.set(item.record.id, item.record);
      if (batch.size >= BATCH_SIZE) {
        await writeBatch(database.db, source, [...batch.values()], state, now, options.signal);
        batch = new Map();
      }
    }
    if (batch.size === 0 && state.importId === undefined) throw noRecords(source, skipped);
    if (batch.size > 0) await writeBatch(database.db, source, [...batch.values()], state, now, options.signal);
  } catch (error) {
    options.signal?.throwIfAborted();
    if (error instanceof VulnDbError) throw error;
    // Batches already written stay (each is whole): say so, and that importing again completes it.
    const partway = state.importId === undefined ? '' : ' partway (the advisories read before are stored; importing it again completes it)';
    throw new VulnDbError('IMPORT_FAILED', `importing ${source} failed${partway}: ${fileErrorReason(error)}`, { cause: error });
  }
  return { importId: state.importId ?? 0, records: state.seen.size, updated: state.updated, skipped, ecosystems: [...state.ecosystems].toSorted() };
}

/** `skipped N: file: reason; …; and K more`, naming the first `shown` files. */
export function describeSkipped(skipped: readonly { readonly file: string; readonly reason: string }[], shown: number): string {
  const named = skipped.slice(0, shown).map((s) => `${s.file}: ${s.reason}`);
  const more = skipped.length - named.length;
  return `skipped ${skipped.length}: ${named.join('; ')}${more > 0 ? `; and ${more} more` : ''}`;
}

/**
 * A source without one valid record (not OSV, empty, every entry broken) is an error, and no
 * import is recorded: an import row would move "last import" forward and make stale data look fresh.
 */
function noRecords(source: string, skipped: readonly { readonly file: string; readonly reason: string }[]): VulnDbError {
  const why = skipped.length === 0 ? 'it holds no records' : describeSkipped(skipped, 3);
  return new VulnDbError('SOURCE_EMPTY', `${source}: no valid OSV record to import (${why}); nothing was imported`);
}

async function writeBatch(db: Kysely<Schema>, source: string, records: readonly OsvRecord[], state: ImportState, now: () => number, signal: AbortSignal | undefined): Promise<void> {
  signal?.throwIfAborted();
  for (const record of records) {
    state.seen.add(record.id);
    for (const entry of record.affected) if (entry.package !== undefined) state.ecosystems.add(entry.package.ecosystem);
  }
  await db.transaction().execute(async (trx) => {
    const importId = state.importId ?? (await insertImport(trx, source, now()));
    const updated = await writeRecords(trx, records, importId);
    await trx
      .updateTable('vuln_imports')
      .set({ records: state.seen.size, ecosystems: JSON.stringify([...state.ecosystems].toSorted()) })
      .where('id', '=', importId)
      .execute();
    state.importId = importId;
    state.updated += updated;
  });
}

async function insertImport(trx: Transaction<Schema>, source: string, at: number): Promise<number> {
  const row = await trx.insertInto('vuln_imports').values({ source, ecosystems: '[]', records: 0, imported_at: at }).returning('id').executeTakeFirstOrThrow();
  return row.id;
}

/** Writes the records not older than what is stored, replacing their package rows; returns how many were new or newer. */
async function writeRecords(trx: Transaction<Schema>, records: readonly OsvRecord[], importId: number): Promise<number> {
  if (records.length === 0) return 0;
  const stored = await trx
    .selectFrom('advisories')
    .select(['id', 'modified'])
    .where('id', 'in', records.map((record) => record.id))
    .execute();
  const storedModified = new Map(stored.map((row) => [row.id, row.modified]));
  const writes = records.filter((record) => !((storedModified.get(record.id) ?? Number.NEGATIVE_INFINITY) > record.modified));
  const updated = records.filter((record) => (storedModified.get(record.id) ?? Number.NEGATIVE_INFINITY) < record.modified).length;
  if (writes.length === 0) return updated;
  const ids = writes.map((record) => record.id);
  await trx.deleteFrom('advisory_packages').where('advisory_id', 'in', ids).execute();
  for (const chunk of chunks(writes, INSERT_CHUNK)) {
    await trx
      .insertInto('advisories')
      .values(chunk.map((record) => ({ id: record.id, modified: record.modified, withdrawn: record.withdrawn ?? null, record: JSON.stringify(record.raw), import_id: importId })))
      .onConflict((oc) =>
        oc.column('id').doUpdateSet((eb) => ({
          modified: eb.ref('excluded.modified'),
          withdrawn: eb.ref('excluded.withdrawn'),
          record: eb.ref('excluded.record'),
          import_id: eb.ref('excluded.import_id'),
        })),
      )
      .execute();
  }
  for (const chunk of chunks(writes.flatMap(packageRows), INSERT_CHUNK)) await trx.insertInto('advisory_packages').values(chunk).execute();
  return updated;
}

function packageRows(record: OsvRecord): { advisory_id: string; ecosystem: string; name: string; affected: string }[] {
  return record.affected.flatMap((entry) =>
    entry.package === undefined
      ? []
      : [{ advisory_id: record.id, ecosystem: entry.package.ecosystem, name: normalizePackageName(entry.package.ecosystem, entry.package.name), affected: JSON.stringify(entry.raw) }],
  );
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
