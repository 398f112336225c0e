import { sql } from 'kysely';
import type { MetadataDatabase } from '../core/storage/metadata/database.ts';

/** A project's quota figures: bytes of distinct blobs (manifest bytes included) and artifacts, each shared one counted once. */
export interface ProjectUsage {
  readonly storage: number;
  readonly count: number;
}

/** Digests held by a project: blobs linked into any of its repositories, and its manifests' own bytes. */
function projectDigests(database: MetadataDatabase, projectId: number) {
  const { db } = database;
  return db
    .selectFrom('repository_blobs as rb')
    .innerJoin('repositories as r', 'r.id', 'rb.repository_id')
    .select('rb.digest as digest')
    .where('r.project_id', '=', projectId)
    .union(
      db.selectFrom('manifests as m').innerJoin('repositories as r', 'r.id', 'm.repository_id').select('m.digest as digest').where('r.project_id', '=', projectId),
    );
}

export async function projectUsage(database: MetadataDatabase, projectId: number): Promise<ProjectUsage> {
  const { db } = database;
  const storage = await db
    .selectFrom('blobs')
    .select(sql<number | string>`coalesce(sum(size), 0)`.as('bytes'))
    .where('digest', 'in', projectDigests(database, projectId))
    .executeTakeFirstOrThrow();
  const count = await db
    .selectFrom('manifests as m')
    .innerJoin('repositories as r', 'r.id', 'm.repository_id')
    .select(sql<number | string>`count(distinct m.digest)`.as('n'))
    .where('r.project_id', '=', projectId)
    .executeTakeFirstOrThrow();
  return { storage: Number(storage.bytes), count: Number(count.n) };
}

/** Whether the project already holds `digest` (as a linked blob or a manifest): then it costs nothing more. */
export async function projectHolds(database: MetadataDatabase, projectId: number, digest: string): Promise<{ blob: boolean; manifest: boolean }> {
  const { db } = database;
  const blob = await db
    .selectFrom('repository_blobs as rb')
    .innerJoin('repositories as r', 'r.id', 'rb.repository_id')
    .select('rb.digest')
    .where('r.project_id', '=', projectId)
    .where('rb.digest', '=', digest)
    .executeTakeFirst();
  const manifest = await db
    .selectFrom('manifests as m')
    .innerJoin('repositories as r', 'r.id', 'm.repository_id')
    .select('m.digest')
    .where('r.project_id', '=', projectId)
    .where('m.digest', '=', digest)
    .executeTakeFirst();
  return { blob: blob !== undefined, manifest: manifest !== undefined };
}

