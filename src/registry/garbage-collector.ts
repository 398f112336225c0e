import { sql, type RawBuilder } from 'kysely';
import type { Digest } from '../core/oci/digest.ts';
import type { BlobStore } from '../core/storage/blob-store.ts';
import type { MetadataDatabase } from '../core/storage/metadata/database.ts';

/**
 * Online garbage collection of blobs, safe while pushes continue. One run has three sweeps:
 *
 * 1. Links: per repository, `repository_blobs` rows whose digest no manifest of that repository
 *    is or references as a blob, and that are older than the grace period, are deleted by one
 *    statement that re-checks all of that in its WHERE, so a manifest pushed meanwhile keeps them.
 * 2. Blobs: `blobs` rows with no link, named or referenced by no manifest anywhere, and older than
 *    the grace period are deleted (same re-check); then their file, unless it was written within
 *    the grace period (the same digest pushed again) or its row has come back.
 * 3. Orphan files: files with no `blobs` row, older than the grace period (left by a crash).
 *
 * Upload sessions live outside `/blobs` and are never touched (another sweeper expires them).
 * A dry run computes the same report and deletes nothing. Work goes in batches of 500; a failure
 * is recorded in `errors` and the run goes on.
 *
 * A push of the same digest while sweep 2 or 3 runs writes the file before it records its row, and
 * writes it even when the file is there: the blob store renames a verified copy over it, and
 * rewrites small content (manifests) too, so the file's time is fresh. Right before each unlink
 * the collector re-stats the file, then looks for its row once more (per file, not per batch: a
 * push can land while a batch of 500 is worked through). A push whose write came before the
 * re-stat is kept by the fresh time, one whose row came before the look by the row. What remains
 * is a push whose write lands after the re-stat and whose row lands after the look, while the
 * unlink is still to come: the length of one indexed query, not the length of a push.
 */
export interface GarbageCollectorDeps {
  readonly database: MetadataDatabase;
  readonly blobs: BlobStore;
  readonly clock?: () => number;
}

export interface GcOptions {
  readonly dryRun: boolean;
  /** Links, rows and files younger than this are kept. */
  readonly gracePeriodMs: number;
  readonly signal?: AbortSignal;
}

export interface GcReport {
  readonly dryRun: boolean;
  /** Milliseconds since the epoch, by the collector's clock. */
  readonly startedAt: number;
  readonly finishedAt: number;
  readonly linksRemoved: number;
  /** `blobs` rows deleted. */
  readonly blobsDeleted: number;
  /** Bytes of the files actually deleted (rows whose file was kept count nothing). */
  readonly bytesFreed: number;
  readonly orphanFilesDeleted: number;
  /** Deleted blobs and orphan files, the first 1000 (the counts above stay exact). */
  readonly deleted: readonly { readonly digest: string; readonly size: number }[];
  /** Per-item failures; `digest` is empty when the failure concerned a whole sweep. */
  readonly errors: readonly { readonly digest: string; readonly message: string }[];
}

export interface GarbageCollector {
  run(options: GcOptions): Promise<GcReport>;
}

const BATCH = 500;
const MAX_LISTED = 1000;

interface Tally {
  linksRemoved: number;
  blobsDeleted: number;
  bytesFreed: number;
  orphanFilesDeleted: number;
  readonly deleted: { digest: string; size: number }[];
  readonly errors: { digest: string; message: string }[];
}

interface Sweep {
  readonly database: MetadataDatabase;
  readonly blobs: BlobStore;
  readonly dryRun: boolean;
  /** Anything created at or after this is within the grace period. */
  readonly cutoff: number;
  readonly io: { signal?: AbortSignal };
  readonly tally: Tally;
}

export function createGarbageCollector(deps: GarbageCollectorDeps): GarbageCollector {
  const clock = deps.clock ?? Date.now;
  return {
    async run(options) {
      if (!Number.isFinite(options.gracePeriodMs) || options.gracePeriodMs < 0) {
        throw new RangeError(`the grace period must be a non-negative number of milliseconds, not ${options.gracePeriodMs}`);
      }
      const startedAt = clock();
      const tally: Tally = { linksRemoved: 0, blobsDeleted: 0, bytesFreed: 0, orphanFilesDeleted: 0, deleted: [], errors: [] };
      const io = options.signal === undefined ? {} : { signal: options.signal };
      const sweep: Sweep = { database: deps.database, blobs: deps.blobs, dryRun: options.dryRun, cutoff: startedAt - options.gracePeriodMs, io, tally };
      await guarded(sweep, 'unlinking unreferenced blobs', sweepLinks);
      await guarded(sweep, 'deleting unreferenced blobs', sweepBlobs);
      await guarded(sweep, 'deleting orphan files', sweepOrphanFiles);
      return { dryRun: options.dryRun, startedAt, finishedAt: clock(), ...tally };
    },
  };
}

/** Runs one sweep; a failure that is not an abort is recorded and the run goes on. */
async function guarded(sweep: Sweep, what: string, work: (sweep: Sweep) => Promise<void>): Promise<void> {
  await attempt(sweep, [''], what, () => work(sweep));
}

/** Runs `work`; a failure that is not an abort becomes one error per digest it concerned. */
async function attempt(sweep: Sweep, digests: readonly string[], what: string, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    sweep.io.signal?.throwIfAborted();
    const message = `${what} failed: ${error instanceof Error ? error.message : String(error)}`;
    for (const digest of digests) sweep.tally.errors.push({ digest, message });
  }
}

function record(tally: Tally, digest: string, size: number): void {
  if (tally.deleted.length < MAX_LISTED) tally.deleted.push({ digest, size });
}

/** True when a manifest of the repository is the digest or lists it as a blob (config, layer). */
function linkReferenced(repositoryId: RawBuilder<unknown>, digest: RawBuilder<unknown>): RawBuilder<boolean> {
  return sql<boolean>`(exists (select 1 from manifests lm where lm.repository_id = ${repositoryId} and lm.digest = ${digest})
    or exists (select 1 from manifest_references lr inner join manifests lrm on lrm.id = lr.manifest_id
      where lr.digest = ${digest} and lr.kind = ${'blob'} and lrm.repository_id = ${repositoryId}))`;
}

/**
 * True when nothing keeps the blob: no link (in a dry run: no link that sweep 1 would keep), no
 * manifest by that digest, no manifest reference to it.
 */
function blobUnreferenced(digest: RawBuilder<unknown>, sweep: Sweep): RawBuilder<boolean> {
  const keptLink = sweep.dryRun
    ? sql`and (rb.created_at >= ${sweep.cutoff} or ${linkReferenced(sql.ref('rb.repository_id'), sql.ref('rb.digest'))})`
    : sql``;
  return sql<boolean>`(not exists (select 1 from repository_blobs rb where rb.digest = ${digest} ${keptLink})
    and ${digest} not in (select bm.digest from manifests bm)
    and not exists (select 1 from manifest_references br where br.digest = ${digest}))`;
}

async function* repositoryIds(sweep: Sweep): AsyncGenerator<number> {
  for (let last = 0; ; ) {
    sweep.io.signal?.throwIfAborted();
    const rows = await sweep.database.db.selectFrom('repositories').select('id').where('id', '>', last).orderBy('id').limit(BATCH).execute();
    for (const row of rows) yield row.id;
    const next = rows.at(-1);
    if (next === undefined || rows.length < BATCH) return;
    last = next.id;
  }
}

async function sweepLinks(sweep: Sweep): Promise<void> {
  for await (const repositoryId of repositoryIds(sweep)) {
    for (let last = ''; ; ) {
      sweep.io.signal?.throwIfAborted();
      const digests = await staleLinks(sweep, repositoryId, last);
      if (digests.length === 0) break;
      sweep.tally.linksRemoved += sweep.dryRun ? digests.length : await unlink(sweep, repositoryId, digests);
      if (digests.length < BATCH) break;
      last = digests.at(-1) ?? '';
    }
  }
}

async function staleLinks(sweep: Sweep, repositoryId: number, after: string): Promise<string[]> {
  const rows = await sweep.database.db
    .selectFrom('repository_blobs as rb')
    .select('rb.digest')
    .where('rb.repository_id', '=', repositoryId)
    .where('rb.digest', '>', after)
    .where('rb.created_at', '<', sweep.cutoff)
    .where(sql<boolean>`not ${linkReferenced(sql.ref('rb.repository_id'), sql.ref('rb.digest'))}`)
    .orderBy('rb.digest')
    .limit(BATCH)
    .execute();
  return rows.map((r) => r.digest);
}

/** Deletes the links with every condition checked again in the statement; returns how many went. */
async function unlink(sweep: Sweep, repositoryId: number, digests: readonly string[]): Promise<number> {
  let removed = 0;
  await attempt(sweep, digests, `unlinking from repository ${repositoryId}`, async () => {
    const result = await sweep.database.db
      .deleteFrom('repository_blobs')
      .where('repository_id', '=', repositoryId)
      .where('digest', 'in', digests)
      .where('created_at', '<', sweep.cutoff)
      .where(sql<boolean>`not ${linkReferenced(sql.ref('repository_blobs.repository_id'), sql.ref('repository_blobs.digest'))}`)
      .executeTakeFirst();
    removed = Number(result.numDeletedRows);
  });
  return removed;
}

async function sweepBlobs(sweep: Sweep): Promise<void> {
  for (let last = ''; ; ) {
    sweep.io.signal?.throwIfAborted();
    const candidates = await unreferencedBlobs(sweep, last);
    if (candidates.length === 0) return;
    const removed = sweep.dryRun ? candidates : await deleteRows(sweep, candidates);
    for (const row of removed) {
      sweep.tally.blobsDeleted += 1;
      record(sweep.tally, row.digest, row.size);
    }
    await deleteBlobFiles(sweep, removed);
    if (candidates.length < BATCH) return;
    last = candidates.at(-1)?.digest ?? '';
  }
}

async function unreferencedBlobs(sweep: Sweep, after: string): Promise<{ digest: string; size: number }[]> {
  return sweep.database.db
    .selectFrom('blobs as b')
    .select(['b.digest', 'b.size'])
    .where('b.digest', '>', after)
    .where('b.created_at', '<', sweep.cutoff)
    .where(blobUnreferenced(sql.ref('b.digest'), sweep))
    .orderBy('b.digest')
    .limit(BATCH)
    .execute();
}

/** Deletes the rows in one transaction, every condition checked again; returns the rows deleted. */
async function deleteRows(sweep: Sweep, candidates: readonly { digest: string }[]): Promise<{ digest: string; size: number }[]> {
  const digests = candidates.map((c) => c.digest);
  let deleted: { digest: string; size: number }[] = [];
  await attempt(sweep, digests, 'deleting the blob record', async () => {
    deleted = await sweep.database.db.transaction().execute((trx) =>
      trx
        .deleteFrom('blobs')
        .where('digest', 'in', digests)
        .where('created_at', '<', sweep.cutoff)
        .where(blobUnreferenced(sql.ref('blobs.digest'), sweep))
        .returning(['digest', 'size'])
        .execute(),
    );
  });
  return deleted.toSorted((a, b) => (a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : 0));
}

/** Deletes the files of deleted rows, except those written within the grace period or whose row came back. */
async function deleteBlobFiles(sweep: Sweep, rows: readonly { digest: string }[]): Promise<void> {
  for (const { digest } of rows) {
    await attempt(sweep, [digest], 'deleting the blob file', () => deleteFileIfOld(sweep, digest, false));
  }
}

/**
 * Re-stats the file and deletes it when it is older than the grace period and, looked for right
 * before the unlink (after the stat: a push writes the file before its row), it has no row.
 */
async function deleteFileIfOld(sweep: Sweep, digest: string, orphan: boolean): Promise<void> {
  const info = await sweep.blobs.stat(digest as Digest, sweep.io);
  if (info === undefined || info.modifiedAt.getTime() >= sweep.cutoff) return;
  if (!sweep.dryRun) {
    if ((await existingRows(sweep, [digest])).size > 0) return;
    await sweep.blobs.delete(digest as Digest, sweep.io);
  }
  sweep.tally.bytesFreed += info.size;
  if (!orphan) return;
  sweep.tally.orphanFilesDeleted += 1;
  record(sweep.tally, digest, info.size);
}

async function existingRows(sweep: Sweep, digests: readonly string[]): Promise<Set<string>> {
  if (digests.length === 0) return new Set();
  const rows = await sweep.database.db.selectFrom('blobs').select('digest').where('digest', 'in', digests).execute();
  return new Set(rows.map((r) => r.digest));
}

async function sweepOrphanFiles(sweep: Sweep): Promise<void> {
  let batch: string[] = [];
  for await (const file of sweep.blobs.walk(sweep.io)) {
    if (file.modifiedAt.getTime() >= sweep.cutoff) continue;
    batch.push(file.digest);
    if (batch.length < BATCH) continue;
    await deleteOrphans(sweep, batch);
    batch = [];
  }
  await deleteOrphans(sweep, batch);
}

async function deleteOrphans(sweep: Sweep, digests: readonly string[]): Promise<void> {
  sweep.io.signal?.throwIfAborted();
  const known = await existingRows(sweep, digests);
  for (const digest of digests) {
    if (known.has(digest)) continue;
    await attempt(sweep, [digest], 'deleting the orphan file', () => deleteFileIfOld(sweep, digest, true));
  }
}
