import type { MetadataDatabase } from '../core/storage/metadata/database.ts';
import type { ManifestService } from './manifest-service.ts';
import { RegistryError } from './registry-error.ts';
import type { RegistryMetadata } from './registry-metadata.ts';
import { assertTag, type RepositoryName } from './repository-name.ts';
import type { LabelView, Labels } from './labels.ts';
import type { WritePolicy } from './write-policy.ts';

/** A repository as Harbor's API lists it. */
export interface RepositoryView {
  readonly id: number;
  readonly name: string;
  readonly project_id: number;
  readonly artifact_count: number;
  readonly creation_time: string;
  readonly update_time: string;
}

/** An artifact (a manifest) with its tags, as Harbor's API shows it. */
export interface ArtifactView {
  readonly id: number;
  readonly repository_name: string;
  readonly digest: string;
  readonly manifest_media_type: string;
  readonly media_type: string | null;
  readonly size: number;
  readonly push_time: string;
  readonly pull_time: string | null;
  readonly tags: readonly { readonly name: string; readonly push_time: string }[];
  /** Digests of index children. */
  readonly references: readonly string[];
  /** The subject, when the artifact is a referrer (signature, SBOM, report). */
  readonly subject: string | null;
  readonly annotations: Readonly<Record<string, string>>;
  readonly labels: readonly LabelView[];
}

export type Artifacts = ReturnType<typeof createArtifacts>;

const COSIGN_TAG = /^sha256-[0-9a-f]{64}\.(sig|att|sbom)$/;

/** Repositories and artifacts for the management API and retention: listing, tagging, deleting with accessories. */
export function createArtifacts(deps: {
  database: MetadataDatabase;
  metadata: RegistryMetadata;
  manifests: ManifestService;
  writePolicy: WritePolicy;
  labels: Labels;
  clock: () => number;
}) {
  const { db } = deps.database;

  async function repositoryId(repo: RepositoryName): Promise<number> {
    const id = await deps.metadata.findRepositoryId(repo.name);
    if (id === undefined) throw new RegistryError('NAME_UNKNOWN', `repository ${repo.name} does not exist`);
    return id;
  }

  async function list(repo: RepositoryName, options: { all?: boolean } = {}): Promise<ArtifactView[]> {
    const id = await repositoryId(repo);
    const rows = await db.selectFrom('manifests').selectAll().where('repository_id', '=', id).orderBy('pushed_at', 'desc').orderBy('digest').execute();
    const tags = await db.selectFrom('tags').selectAll().where('repository_id', '=', id).execute();
    const refs = await db
      .selectFrom('manifest_references as r')
      .innerJoin('manifests as m', 'm.id', 'r.manifest_id')
      .select(['r.manifest_id', 'r.digest'])
      .where('m.repository_id', '=', id)
      .where('r.kind', '=', 'manifest')
      .execute();
    const children = new Set(refs.map((r) => r.digest));
    const labels = await deps.labels.ofManifests(rows.map((m) => m.id));
    const views = rows.map(
      (m): ArtifactView => ({
        id: m.id,
        repository_name: repo.name,
        digest: m.digest,
        manifest_media_type: m.media_type,
        media_type: m.artifact_type,
        size: m.size,
        push_time: new Date(m.pushed_at).toISOString(),
        pull_time: m.pulled_at === null ? null : new Date(m.pulled_at).toISOString(),
        tags: tags.filter((t) => t.manifest_digest === m.digest).map((t) => ({ name: t.name, push_time: new Date(t.updated_at).toISOString() })),
        references: refs.filter((r) => r.manifest_id === m.id).map((r) => r.digest),
        subject: m.subject_digest,
        annotations: m.annotations === null ? {} : (JSON.parse(m.annotations) as Record<string, string>),
        labels: labels.get(m.id) ?? [],
      }),
    );
    if (options.all === true) return views;
    // Harbor's default list: no index children, no accessories (they travel with their subject).
    return views.filter((v) => !children.has(v.digest) && v.subject === null && !(v.tags.length > 0 && v.tags.every((t) => COSIGN_TAG.test(t.name))));
  }

  /** The digests that go with `digest`: referrers (recursively) and cosign `.sig/.att/.sbom` tag artifacts. */
  async function accessories(id: number, digest: string, seen = new Set<string>()): Promise<string[]> {
    const referrers = await db.selectFrom('manifests').select('digest').where('repository_id', '=', id).where('subject_digest', '=', digest).execute();
    const prefix = `sha256-${digest.slice('sha256:'.length)}`;
    const tagged = await db.selectFrom('tags').select('manifest_digest').where('repository_id', '=', id).where('name', 'in', [`${prefix}.sig`, `${prefix}.att`, `${prefix}.sbom`]).execute();
    const found: string[] = [];
    for (const d of [...referrers.map((r) => r.digest), ...tagged.map((t) => t.manifest_digest)]) {
      if (seen.has(d)) continue;
      seen.add(d);
      found.push(...(await accessories(id, d, seen)), d);
    }
    return found;
  }

  return {
    list,

    async get(repo: RepositoryName, reference: string): Promise<ArtifactView> {
      const id = await repositoryId(repo);
      const digest = reference.includes(':') ? reference : await deps.metadata.resolveTag(id, reference);
      const found = (await list(repo, { all: true })).find((a) => a.digest === digest);
      if (found === undefined) throw new RegistryError('MANIFEST_UNKNOWN', `artifact ${reference} is not in ${repo.name}`);
      return found;
    },

    async repositories(projectId: number, page: { page: number; pageSize: number; name?: string }): Promise<{ total: number; items: RepositoryView[] }> {
      // Repositories holding artifacts, as Harbor lists them; one an upload opened and nothing finished is not one yet.
      let query = db
        .selectFrom('repositories as r')
        .where('r.project_id', '=', projectId)
        .where((eb) => eb.exists(eb.selectFrom('manifests as m').select('m.id').whereRef('m.repository_id', '=', 'r.id')));
      if (page.name !== undefined) query = query.where('r.name', 'like', `%${page.name.replaceAll(/[%_\\]/g, '')}%`);
      const total = await query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      const rows = await query
        .select(['r.id', 'r.name', 'r.project_id', 'r.created_at', 'r.updated_at'])
        .select((eb) => eb.selectFrom('manifests as m').whereRef('m.repository_id', '=', 'r.id').select((e) => e.fn.countAll<number>().as('c')).as('artifact_count'))
        .orderBy('r.name')
        .limit(page.pageSize)
        .offset((page.page - 1) * page.pageSize)
        .execute();
      return {
        total: total.n,
        items: rows.map((r) => ({
          id: r.id,
          name: r.name,
          project_id: r.project_id,
          artifact_count: r.artifact_count ?? 0,
          creation_time: new Date(r.created_at).toISOString(),
          update_time: new Date(r.updated_at).toISOString(),
        })),
      };
    },

    /** Deletes an artifact with its accessories (signatures, SBOMs, reports), accessories first. Immutable tags refuse. */
    async delete(repo: RepositoryName, digest: string, actor: string): Promise<string[]> {
      const id = await repositoryId(repo);
      const order = [...(await accessories(id, digest)), digest];
      for (const d of order) await deps.manifests.deleteManifest(repo, d, actor);
      return order;
    },

    /** Deletes every artifact of the repository, then the repository. */
    async deleteRepository(repo: RepositoryName, actor: string): Promise<void> {
      const id = await repositoryId(repo);
      for (const artifact of await list(repo)) await this.delete(repo, artifact.digest, actor);
      const rest = await db.selectFrom('manifests').select('digest').where('repository_id', '=', id).execute();
      for (const r of rest) await deps.manifests.deleteManifest(repo, r.digest, actor).catch(() => undefined);
      const left = await db.selectFrom('manifests').select('id').where('repository_id', '=', id).executeTakeFirst();
      if (left !== undefined) throw new RegistryError('CONFLICT', `repository ${repo.name} still holds artifacts that could not be deleted`);
      await db.deleteFrom('repositories').where('id', '=', id).execute();
    },

    async addTag(repo: RepositoryName, reference: string, tag: string, actor = ''): Promise<void> {
      assertTag(tag);
      const artifact = await this.get(repo, reference);
      const id = await repositoryId(repo);
      if ((await deps.metadata.resolveTag(id, tag)) !== undefined) throw new RegistryError('CONFLICT', `tag ${tag} already exists in ${repo.name}`);
      await deps.writePolicy.checkManifest(repo, { digest: artifact.digest, size: artifact.size, tag }, { actor });
      await db.insertInto('tags').values({ repository_id: id, name: tag, manifest_digest: artifact.digest, updated_at: deps.clock() }).execute();
    },

    async deleteTag(repo: RepositoryName, tag: string, actor: string): Promise<void> {
      await deps.manifests.deleteManifest(repo, tag, actor);
    },
  };
}
