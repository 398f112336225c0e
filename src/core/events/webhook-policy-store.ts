import type { Kysely, Selectable } from 'kysely';
import type { MetadataDatabase } from '../storage/metadata/database.ts';
import type { Schema, WebhookPoliciesTable } from '../storage/metadata/schema.ts';
import { EventError } from './event-error.ts';
import type { WebhookEventType } from './webhook-events.ts';
import type { WebhookPolicyInput, WebhookTarget } from './webhook-policy.ts';

/**
 * Webhook policies of a project, or system-wide (project id null: notified of every project's
 * events). Holds targets as given, secrets included: whoever renders a policy for a reader
 * decides what of `auth_header` and `secret` to show.
 */
export interface WebhookPolicy extends WebhookPolicyInput {
  readonly id: number;
  /** null: a system-wide policy. */
  readonly project_id: number | null;
  readonly creator: string;
  /** ISO 8601. */
  readonly creation_time: string;
  readonly update_time: string;
}

interface Options {
  readonly signal?: AbortSignal;
}

export interface WebhookPolicyStore {
  /** `POLICY_CONFLICT` when the project (or the system level) has a policy of that name already. */
  create(projectId: number | null, policy: WebhookPolicyInput, options: Options & { readonly creator: string }): Promise<WebhookPolicy>;
  get(id: number, options?: Options): Promise<WebhookPolicy | undefined>;
  /** The policies of one project, or the system-wide ones (null), oldest first. */
  list(projectId: number | null, options?: Options): Promise<readonly WebhookPolicy[]>;
  /** Replaces the policy's settings; undefined when there is no such policy. `POLICY_CONFLICT` on a name taken. */
  update(id: number, policy: WebhookPolicyInput, options?: Options): Promise<WebhookPolicy | undefined>;
  delete(id: number, options?: Options): Promise<boolean>;
  /** The enabled policies, of the project and system-wide, that subscribe to `eventType`. */
  policiesFor(projectId: number, eventType: WebhookEventType, options?: Options): Promise<readonly WebhookPolicy[]>;
}

export function createWebhookPolicyStore(database: MetadataDatabase, options: { clock?: () => number } = {}): WebhookPolicyStore {
  const { db } = database;
  const clock = options.clock ?? Date.now;

  return {
    async create(projectId, policy, { creator, signal }) {
      signal?.throwIfAborted();
      const now = clock();
      const id = await db.transaction().execute(async (trx) => {
        await assertNameFree(trx, projectId, policy.name, undefined);
        const row = await trx
          .insertInto('webhook_policies')
          .values({ project_id: projectId, ...columns(policy), creator, created_at: now, updated_at: now })
          .returning('id')
          .executeTakeFirstOrThrow();
        return row.id;
      });
      return { id, project_id: projectId, ...policy, creator, creation_time: iso(now), update_time: iso(now) };
    },

    async get(id, { signal } = {}) {
      signal?.throwIfAborted();
      const row = await db.selectFrom('webhook_policies').selectAll().where('id', '=', id).executeTakeFirst();
      return row === undefined ? undefined : fromRow(row);
    },

    async list(projectId, { signal } = {}) {
      signal?.throwIfAborted();
      const rows = await db
        .selectFrom('webhook_policies')
        .selectAll()
        .where((eb) => (projectId === null ? eb('project_id', 'is', null) : eb('project_id', '=', projectId)))
        .orderBy('id')
        .execute();
      return rows.map(fromRow);
    },

    async update(id, policy, { signal } = {}) {
      signal?.throwIfAborted();
      return db.transaction().execute(async (trx) => {
        const existing = await trx.selectFrom('webhook_policies').select('project_id').where('id', '=', id).executeTakeFirst();
        if (existing === undefined) return undefined;
        await assertNameFree(trx, existing.project_id, policy.name, id);
        await trx.updateTable('webhook_policies').set({ ...columns(policy), updated_at: clock() }).where('id', '=', id).execute();
        const row = await trx.selectFrom('webhook_policies').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
        return fromRow(row);
      });
    },

    async delete(id, { signal } = {}) {
      signal?.throwIfAborted();
      const result = await db.deleteFrom('webhook_policies').where('id', '=', id).executeTakeFirst();
      return result.numDeletedRows > 0n;
    },

    async policiesFor(projectId, eventType, { signal } = {}) {
      signal?.throwIfAborted();
      const rows = await db
        .selectFrom('webhook_policies')
        .selectAll()
        .where('enabled', '=', 1)
        .where((eb) => eb.or([eb('project_id', '=', projectId), eb('project_id', 'is', null)]))
        .orderBy('id')
        .execute();
      return rows.map(fromRow).filter((policy) => policy.event_types.includes(eventType));
    },
  };
}

async function assertNameFree(trx: Kysely<Schema>, projectId: number | null, name: string, except: number | undefined): Promise<void> {
  let query = trx
    .selectFrom('webhook_policies')
    .select('id')
    .where('name', '=', name)
    .where((eb) => (projectId === null ? eb('project_id', 'is', null) : eb('project_id', '=', projectId)));
  if (except !== undefined) query = query.where('id', '!=', except);
  if ((await query.executeTakeFirst()) !== undefined) {
    throw new EventError('POLICY_CONFLICT', `a webhook policy named ${name} exists already`);
  }
}

function columns(policy: WebhookPolicyInput) {
  return {
    name: policy.name,
    description: policy.description,
    enabled: policy.enabled ? 1 : 0,
    event_types: JSON.stringify(policy.event_types),
    targets: JSON.stringify(policy.targets),
  };
}

function fromRow(row: Selectable<WebhookPoliciesTable>): WebhookPolicy {
  return {
    id: row.id,
    project_id: row.project_id,
    name: row.name,
    description: row.description,
    enabled: row.enabled === 1,
    event_types: JSON.parse(row.event_types) as WebhookEventType[],
    targets: JSON.parse(row.targets) as WebhookTarget[],
    creator: row.creator,
    creation_time: iso(row.created_at),
    update_time: iso(row.updated_at),
  };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
