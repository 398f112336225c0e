import type { MetadataDatabase } from '../core/storage/metadata/database.ts';
import { isImmutable, type ImmutableRule } from '../core/policy/immutability.ts';
import { formatBytes } from '../core/format/format-bytes.ts';
import { projectHolds, projectUsage } from './project-usage.ts';
import { RegistryError } from './registry-error.ts';
import type { RegistryEventSink } from './registry-events.ts';
import type { RepositoryName } from './repository-name.ts';
import type { WritePolicy } from './write-policy.ts';

/**
 * The project rules on writes: storage and artifact quotas (a push over quota is refused with
 * the figures, and QUOTA_EXCEED is announced) and tag immutability (Harbor's 412 messages).
 */
export function createProjectWritePolicy(database: MetadataDatabase, events: RegistryEventSink, clock: () => number = Date.now): WritePolicy {
  const { db } = database;

  async function project(repo: RepositoryName) {
    const row = await db.selectFrom('projects').select(['id', 'storage_limit', 'count_limit']).where('name', '=', repo.project).executeTakeFirst();
    if (row === undefined) throw new RegistryError('NAME_UNKNOWN', `project ${repo.project} does not exist`);
    return row;
  }

  async function rules(projectId: number): Promise<ImmutableRule[]> {
    const rows = await db.selectFrom('immutable_rules').select(['id', 'rule', 'disabled']).where('project_id', '=', projectId).execute();
    return rows.map((r) => ({ ...(JSON.parse(r.rule) as ImmutableRule), id: r.id, disabled: r.disabled === 1 }));
  }

  function refuse(repo: RepositoryName, digest: string, actor: string, details: string): never {
    events.emit({ type: 'quota-exceeded', project: repo.project, repository: repo.name, digest, details, actor, at: clock() });
    throw new RegistryError('QUOTA_EXCEEDED', `Quota exceeded when processing the request of ${details}`, { detail: { project: repo.project } });
  }

  async function checkStorage(repo: RepositoryName, p: { id: number; storage_limit: number }, digest: string, size: number, actor: string): Promise<void> {
    if (p.storage_limit < 0) return;
    const held = await projectHolds(database, p.id, digest);
    if (held.blob || held.manifest) return;
    const used = (await projectUsage(database, p.id)).storage;
    if (used + size <= p.storage_limit) return;
    refuse(
      repo,
      digest,
      actor,
      `adding ${formatBytes(size)} of storage resource, which when updated to current usage of ${formatBytes(used)} will exceed the configured upper limit of ${formatBytes(p.storage_limit)}.`,
    );
  }

  return {
    async checkBlob(repo, digest, size, options = {}) {
      await checkStorage(repo, await project(repo), digest, size, options.actor ?? '');
    },

    async checkManifest(repo, manifest, options = {}) {
      const actor = options.actor ?? '';
      const p = await project(repo);
      const path = repo.name.slice(repo.project.length + 1);
      if (manifest.tag !== undefined && isImmutable(await rules(p.id), path, manifest.tag)) {
        const current = await db
          .selectFrom('tags as t')
          .innerJoin('repositories as r', 'r.id', 't.repository_id')
          .select('t.manifest_digest')
          .where('r.name', '=', repo.name)
          .where('t.name', '=', manifest.tag)
          .executeTakeFirst();
        // Re-pushing the very same manifest changes nothing and is allowed (copy retries are idempotent).
        if (current !== undefined && current.manifest_digest !== manifest.digest) {
          throw new RegistryError('PRECONDITION', `Failed to process request due to '${path}:${manifest.tag}' configured as immutable.`, {
            detail: { tag: manifest.tag },
          });
        }
      }
      // Only a project with a count limit pays for the lookup (every push goes through here).
      if (p.count_limit >= 0 && !(await projectHolds(database, p.id, manifest.digest)).manifest) {
        const used = (await projectUsage(database, p.id)).count;
        if (used + 1 > p.count_limit) {
          refuse(repo, manifest.digest, actor, `adding 1 of count resource, which when updated to current usage of ${used} will exceed the configured upper limit of ${p.count_limit}.`);
        }
      }
      await checkStorage(repo, p, manifest.digest, manifest.size, actor);
    },

    async checkTagRemoval(repo, tags) {
      if (tags.length === 0) return;
      const p = await project(repo);
      const path = repo.name.slice(repo.project.length + 1);
      const list = await rules(p.id);
      const locked = tags.find((tag) => isImmutable(list, path, tag));
      if (locked !== undefined) {
        throw new RegistryError('PRECONDITION', `the tag ${locked} configured as immutable, cannot be deleted`, { detail: { tag: locked } });
      }
    },
  };
}
