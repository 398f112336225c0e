import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import type { MetadataDatabase } from '../core/storage/metadata/database.ts';
import type { Schema } from '../core/storage/metadata/schema.ts';
import { RegistryError } from './registry-error.ts';

/**
 * The registry's metadata queries: repositories, blob links, manifests, tags, referrers and upload
 * sessions. One implementation for SQLite and PostgreSQL; changes that belong together commit in
 * one transaction.
 */
export interface ProjectRow {
  readonly id: number;
  readonly name: string;
  readonly public: boolean;
}

export interface ManifestRow {
  readonly id: number;
  readonly repositoryId: number;
  readonly digest: string;
  readonly mediaType: string;
  readonly size: number;
  readonly artifactType: string | null;
  readonly subjectDigest: string | null;
  readonly annotations: string | null;
  readonly pushedAt: number;
  readonly pulledAt: number | null;
}

export interface NewManifest {
  readonly repositoryId: number;
  readonly digest: string;
  readonly mediaType: string;
  readonly size: number;
  readonly artifactType: string | undefined;
  readonly subjectDigest: string | undefined;
  readonly annotations: string | undefined;
  readonly references: readonly { readonly digest: string; readonly kind: 'blob' | 'manifest' }[];
  readonly tag: string | undefined;
  /** Move the tag only if it is where the client last saw it (HTTP `If-Match` / `If-None-Match: *`). */
  readonly tagPrecondition?: TagPrecondition;
  readonly now: number;
}

/** What the tag must point at for a conditional PUT: nothing yet, or this manifest digest. */
export type TagPrecondition = { readonly absent: true } | { readonly digest: string };

export interface UploadRow {
  readonly id: string;
  readonly repositoryId: number;
  readonly size: number;
  readonly updatedAt: number;
}

export interface Page {
  readonly n: number;
  readonly last: string | undefined;
}

export type RegistryMetadata = ReturnType<typeof createRegistryMetadata>;

export function createRegistryMetadata(database: MetadataDatabase) {
  const { db } = database;
  /** Names sort and compare by bytes on both databases (PostgreSQL's default collation would not). */
  const bytewise = (column: string): RawBuilder<string> =>
    database.kind === 'postgres' ? sql<string>`${sql.ref(column)} collate "C"` : sql<string>`${sql.ref(column)}`;

  return {
    async findProject(name: string): Promise<ProjectRow | undefined> {
      const row = await db.selectFrom('projects').select(['id', 'name', 'public']).where('name', '=', name).executeTakeFirst();
      return row === undefined ? undefined : { id: row.id, name: row.name, public: row.public === 1 };
    },

    async ensureProject(name: string, options: { public: boolean; now: number }): Promise<number> {
      await db
        .insertInto('projects')
        .values({ name, public: options.public ? 1 : 0, created_at: options.now })
        .onConflict((oc) => oc.column('name').doNothing())
        .execute();
      const row = await db.selectFrom('projects').select('id').where('name', '=', name).executeTakeFirstOrThrow();
      return row.id;
    },

    async findRepositoryId(name: string): Promise<number | undefined> {
      const row = await db.selectFrom('repositories').select('id').where('name', '=', name).executeTakeFirst();
      return row?.id;
    },

    async ensureRepository(name: string, projectId: number, now: number): Promise<number> {
      await db
        .insertInto('repositories')
        .values({ name, project_id: projectId, created_at: now, updated_at: now })
        .onConflict((oc) => oc.column('name').doNothing())
        .execute();
      const row = await db.selectFrom('repositories').select('id').where('name', '=', name).executeTakeFirstOrThrow();
      return row.id;
    },

    async listRepositories(page: Page): Promise<string[]> {
      let query = db.selectFrom('repositories').select('name');
      if (page.last !== undefined) query = query.where(bytewise('name'), '>', page.last);
      const rows = await query.orderBy(bytewise('name')).limit(page.n).execute();
      return rows.map((r) => r.name);
    },

    /** The size of a blob if it is linked into the repository. */
    async linkedBlobSize(repositoryId: number, digest: string): Promise<number | undefined> {
      const row = await db
        .selectFrom('repository_blobs as rb')
        .innerJoin('blobs as b', 'b.digest', 'rb.digest')
        .select('b.size')
        .where('rb.repository_id', '=', repositoryId)
        .where('rb.digest', '=', digest)
        .executeTakeFirst();
      return row?.size;
    },

    async linkedBlobs(repositoryId: number, digests: readonly string[]): Promise<Map<string, number>> {
      const result = new Map<string, number>();
      for (const chunk of chunks(digests, 500)) {
        const rows = await db
          .selectFrom('repository_blobs as rb')
          .innerJoin('blobs as b', 'b.digest', 'rb.digest')
          .select(['b.digest', 'b.size'])
          .where('rb.repository_id', '=', repositoryId)
          .where('rb.digest', 'in', chunk)
          .execute();
        for (const row of rows) result.set(row.digest, row.size);
      }
      return result;
    },

    /** Records a stored blob and links it into the repository, in one transaction. */
    async linkBlob(repositoryId: number, digest: string, size: number, now: number): Promise<void> {
      await db.transaction().execute(async (trx) => {
        await insertBlob(trx, digest, size, now);
        await trx
          .insertInto('repository_blobs')
          .values({ repository_id: repositoryId, digest, created_at: now })
          .onConflict((oc) => oc.columns(['repository_id', 'digest']).doNothing())
          .execute();
      });
    },

    async unlinkBlob(repositoryId: number, digest: string): Promise<boolean> {
      const result = await db
        .deleteFrom('repository_blobs')
        .where('repository_id', '=', repositoryId)
        .where('digest', '=', digest)
        .executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },

    async createUpload(id: string, repositoryId: number, now: number): Promise<void> {
      await db.insertInto('uploads').values({ id, repository_id: repositoryId, size: 0, created_at: now, updated_at: now }).execute();
    },

    async findUpload(id: string): Promise<UploadRow | undefined> {
      const row = await db.selectFrom('uploads').selectAll().where('id', '=', id).executeTakeFirst();
      return row === undefined ? undefined : { id: row.id, repositoryId: row.repository_id, size: row.size, updatedAt: row.updated_at };
    },

    async updateUpload(id: string, size: number, now: number): Promise<void> {
      await db.updateTable('uploads').set({ size, updated_at: now }).where('id', '=', id).execute();
    },

    async deleteUpload(id: string): Promise<void> {
      await db.deleteFrom('uploads').where('id', '=', id).execute();
    },

    /** Deletes the session's record unless it changed at or after `before`; false when it did, or is gone. */
    async expireUpload(id: string, before: number): Promise<boolean> {
      const result = await db.deleteFrom('uploads').where('id', '=', id).where('updated_at', '<', before).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },

    /** Sessions not updated since `before`, in id order, `limit` at a time after the id `after`. */
    async staleUploads(before: number, limit: number, after?: string): Promise<string[]> {
      let query = db.selectFrom('uploads').select('id').where('updated_at', '<', before);
      if (after !== undefined) query = query.where('id', '>', after);
      const rows = await query.orderBy('id').limit(limit).execute();
      return rows.map((r) => r.id);
    },

    async uploadExists(id: string): Promise<boolean> {
      return (await db.selectFrom('uploads').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;
    },

    async findManifest(repositoryId: number, digest: string): Promise<ManifestRow | undefined> {
      const row = await db
        .selectFrom('manifests')
        .selectAll()
        .where('repository_id', '=', repositoryId)
        .where('digest', '=', digest)
        .executeTakeFirst();
      return row === undefined ? undefined : toManifestRow(row);
    },

    async resolveTag(repositoryId: number, tag: string): Promise<string | undefined> {
      const row = await db
        .selectFrom('tags')
        .select('manifest_digest')
        .where('repository_id', '=', repositoryId)
        .where('name', '=', tag)
        .executeTakeFirst();
      return row?.manifest_digest;
    },

    async existingManifests(repositoryId: number, digests: readonly string[]): Promise<Set<string>> {
      const found = new Set<string>();
      for (const chunk of chunks(digests, 500)) {
        const rows = await db
          .selectFrom('manifests')
          .select('digest')
          .where('repository_id', '=', repositoryId)
          .where('digest', 'in', chunk)
          .execute();
        for (const row of rows) found.add(row.digest);
      }
      return found;
    },

    /** Stores a manifest, what it references and (optionally) a tag on it, atomically. */
    async putManifest(manifest: NewManifest): Promise<void> {
      await db.transaction().execute(async (trx) => {
        await insertBlob(trx, manifest.digest, manifest.size, manifest.now);
        const { id } = await trx
          .insertInto('manifests')
          .values({
            repository_id: manifest.repositoryId,
            digest: manifest.digest,
            media_type: manifest.mediaType,
            size: manifest.size,
            artifact_type: manifest.artifactType ?? null,
            subject_digest: manifest.subjectDigest ?? null,
            annotations: manifest.annotations ?? null,
            pushed_at: manifest.now,
            pulled_at: null,
          })
          .onConflict((oc) => oc.columns(['repository_id', 'digest']).doUpdateSet({ pushed_at: manifest.now }))
          .returning('id')
          .executeTakeFirstOrThrow();
        if (manifest.references.length > 0) {
          for (const chunk of chunks(manifest.references, 200)) {
            await trx
              .insertInto('manifest_references')
              .values(chunk.map((r) => ({ manifest_id: id, digest: r.digest, kind: r.kind })))
              .onConflict((oc) => oc.columns(['manifest_id', 'digest', 'kind']).doNothing())
              .execute();
          }
        }
        if (manifest.tag !== undefined && manifest.tagPrecondition !== undefined) await moveTagIf(trx, manifest.repositoryId, manifest.tag, manifest.digest, manifest.tagPrecondition, manifest.now);
        else if (manifest.tag !== undefined) await upsertTag(trx, manifest.repositoryId, manifest.tag, manifest.digest, manifest.now);
        await trx.updateTable('repositories').set({ updated_at: manifest.now }).where('id', '=', manifest.repositoryId).execute();
      });
    },

    /** Digests of the manifests in the repository that list `digest` as a child. */
    async parentsOf(repositoryId: number, digest: string): Promise<string[]> {
      const rows = await db
        .selectFrom('manifest_references as r')
        .innerJoin('manifests as m', 'm.id', 'r.manifest_id')
        .select('m.digest')
        .where('m.repository_id', '=', repositoryId)
        .where('r.digest', '=', digest)
        .where('r.kind', '=', 'manifest')
        .execute();
      return rows.map((r) => r.digest);
    },

    /** Deletes a manifest and every tag on it, atomically. */
    async deleteManifest(repositoryId: number, digest: string): Promise<boolean> {
      return db.transaction().execute(async (trx) => {
        await trx.deleteFrom('tags').where('repository_id', '=', repositoryId).where('manifest_digest', '=', digest).execute();
        const result = await trx
          .deleteFrom('manifests')
          .where('repository_id', '=', repositoryId)
          .where('digest', '=', digest)
          .executeTakeFirst();
        return Number(result.numDeletedRows) > 0;
      });
    },

    async deleteTag(repositoryId: number, tag: string): Promise<boolean> {
      const result = await db.deleteFrom('tags').where('repository_id', '=', repositoryId).where('name', '=', tag).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },

    /** Every tag naming `digest` in the repository. */
    async tagsOf(repositoryId: number, digest: string): Promise<string[]> {
      const rows = await db.selectFrom('tags').select('name').where('repository_id', '=', repositoryId).where('manifest_digest', '=', digest).orderBy('name').execute();
      return rows.map((r) => r.name);
    },

    async listTags(repositoryId: number, page: Page): Promise<string[]> {
      let query = db.selectFrom('tags').select('name').where('repository_id', '=', repositoryId);
      if (page.last !== undefined) query = query.where(bytewise('name'), '>', page.last);
      const rows = await query.orderBy(bytewise('name')).limit(page.n).execute();
      return rows.map((r) => r.name);
    },

    async referrers(repositoryId: number, subject: string, artifactType: string | undefined): Promise<ManifestRow[]> {
      let query = db.selectFrom('manifests').selectAll().where('repository_id', '=', repositoryId).where('subject_digest', '=', subject);
      if (artifactType !== undefined) query = query.where('artifact_type', '=', artifactType);
      const rows = await query.orderBy('pushed_at').orderBy('digest').execute();
      return rows.map(toManifestRow);
    },

    /** Marks a manifest as pulled, at most once a minute so pulls do not turn into writes. */
    async touchPulled(manifestId: number, now: number): Promise<void> {
      await db
        .updateTable('manifests')
        .set({ pulled_at: now })
        .where('id', '=', manifestId)
        .where((eb) => eb.or([eb('pulled_at', 'is', null), eb('pulled_at', '<', now - 60_000)]))
        .execute();
    },
  };
}

async function insertBlob(trx: Transaction<Schema> | Kysely<Schema>, digest: string, size: number, now: number): Promise<void> {
  await trx
    .insertInto('blobs')
    .values({ digest, size, created_at: now })
    .onConflict((oc) => oc.column('digest').doNothing())
    .execute();
}

async function upsertTag(trx: Transaction<Schema>, repositoryId: number, name: string, digest: string, now: number): Promise<void> {
  await trx
    .insertInto('tags')
    .values({ repository_id: repositoryId, name, manifest_digest: digest, updated_at: now })
    .onConflict((oc) => oc.columns(['repository_id', 'name']).doUpdateSet({ manifest_digest: digest, updated_at: now }))
    .execute();
}

/**
 * Points the tag at `digest` only if it is where the precondition says (absent, or at a digest), in one statement so
 * that two conditional PUTs racing cannot both pass; TAG_MOVED otherwise, and the transaction rolls back.
 */
async function moveTagIf(trx: Transaction<Schema>, repositoryId: number, name: string, digest: string, precondition: TagPrecondition, now: number): Promise<void> {
  const result =
    'absent' in precondition
      ? await trx.insertInto('tags').values({ repository_id: repositoryId, name, manifest_digest: digest, updated_at: now }).onConflict((oc) => oc.columns(['repository_id', 'name']).doNothing()).executeTakeFirst()
      : await trx
          .updateTable('tags')
          .set({ manifest_digest: digest, updated_at: now })
          .where('repository_id', '=', repositoryId)
          .where('name', '=', name)
          .where('manifest_digest', '=', precondition.digest)
          .executeTakeFirst();
  const changed = 'numInsertedOrUpdatedRows' in result ? result.numInsertedOrUpdatedRows : result.numUpdatedRows;
  if (Number(changed ?? 0n) === 0) {
    const expected = 'absent' in precondition ? 'not to exist' : `to point at ${precondition.digest}`;
    throw new RegistryError('TAG_MOVED', `tag ${name} was expected ${expected}; it was changed meanwhile (read it again and retry)`, { detail: { tag: name } });
  }
}

function toManifestRow(row: {
  id: number;
  repository_id: number;
  digest: string;
  media_type: string;
  size: number;
  artifact_type: string | null;
  subject_digest: string | null;
  annotations: string | null;
  pushed_at: number;
  pulled_at: number | null;
}): ManifestRow {
  return {
    id: row.id,
    repositoryId: row.repository_id,
    digest: row.digest,
    mediaType: row.media_type,
    size: row.size,
    artifactType: row.artifact_type,
    subjectDigest: row.subject_digest,
    annotations: row.annotations,
    pushedAt: row.pushed_at,
    pulledAt: row.pulled_at,
  };
}

function* chunks<T>(items: readonly T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}
