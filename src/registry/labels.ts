import type { Selectable } from 'kysely';
import type { MetadataDatabase } from '../core/storage/metadata/database.ts';
import type { LabelsTable } from '../core/storage/metadata/schema.ts';
import { RegistryError } from './registry-error.ts';

/** A label as Harbor's API shows it: scope `g` (global) or `p` (one project). */
export interface LabelView {
  readonly id: number;
  readonly name: string;
  readonly description: string;
  readonly color: string;
  readonly scope: 'g' | 'p';
  readonly project_id: number;
  readonly creation_time: string;
  readonly update_time: string;
}

export interface LabelInput {
  readonly name: string;
  readonly description?: string;
  readonly color?: string;
}

export type Labels = ReturnType<typeof createLabels>;

const COLOR = /^(#[0-9A-Fa-f]{6})?$/;

/** Labels, global or per project, and their attachment to artifacts (what retention and the UI filter on). */
export function createLabels(database: MetadataDatabase, clock: () => number = Date.now) {
  const { db } = database;
  const view = (r: Selectable<LabelsTable>): LabelView => ({
    id: r.id,
    name: r.name,
    description: r.description,
    color: r.color,
    scope: r.project_id === null ? 'g' : 'p',
    project_id: r.project_id ?? 0,
    creation_time: new Date(r.created_at).toISOString(),
    update_time: new Date(r.updated_at).toISOString(),
  });

  async function get(id: number): Promise<LabelView> {
    const row = await db.selectFrom('labels').selectAll().where('id', '=', id).executeTakeFirst();
    if (row === undefined) throw new RegistryError('NOT_FOUND', `label ${id} does not exist`);
    return view(row);
  }

  async function assertFree(name: string, projectId: number | null, except?: number): Promise<void> {
    let query = db.selectFrom('labels').select('id').where('name', '=', name);
    query = projectId === null ? query.where('project_id', 'is', null) : query.where('project_id', '=', projectId);
    const clash = await query.executeTakeFirst();
    if (clash !== undefined && clash.id !== except) throw new RegistryError('CONFLICT', `a label named ${name} already exists in this scope`);
  }

  function check(input: LabelInput): void {
    if (input.name.trim() === '' || input.name.length > 128) throw new RegistryError('INVALID', 'a label needs a name of at most 128 characters');
    if (input.color !== undefined && !COLOR.test(input.color)) throw new RegistryError('INVALID', `color must look like #1A2B3C, not ${JSON.stringify(input.color)}`);
  }

  return {
    get,
    async list(projectId: number | null): Promise<LabelView[]> {
      const query = db.selectFrom('labels').selectAll().orderBy('name');
      const rows = await (projectId === null ? query.where('project_id', 'is', null) : query.where('project_id', '=', projectId)).execute();
      return rows.map(view);
    },
    async create(projectId: number | null, input: LabelInput): Promise<LabelView> {
      check(input);
      await assertFree(input.name, projectId);
      const now = clock();
      const row = await db
        .insertInto('labels')
        .values({ name: input.name, description: input.description ?? '', color: input.color ?? '', project_id: projectId, created_at: now, updated_at: now })
        .returningAll()
        .executeTakeFirstOrThrow();
      return view(row);
    },
    async update(id: number, input: LabelInput): Promise<LabelView> {
      check(input);
      const current = await get(id);
      await assertFree(input.name, current.scope === 'g' ? null : current.project_id, id);
      await db.updateTable('labels').set({ name: input.name, description: input.description ?? '', color: input.color ?? '', updated_at: clock() }).where('id', '=', id).execute();
      return get(id);
    },
    async delete(id: number): Promise<void> {
      await get(id);
      await db.deleteFrom('labels').where('id', '=', id).execute();
    },
    /** Attaches a global label or one of the artifact's own project. */
    async attach(manifestId: number, projectId: number, labelId: number): Promise<void> {
      const label = await get(labelId);
      if (label.scope === 'p' && label.project_id !== projectId) throw new RegistryError('INVALID', `label ${label.name} belongs to another project`);
      await db
        .insertInto('artifact_labels')
        .values({ manifest_id: manifestId, label_id: labelId, created_at: clock() })
        .onConflict((oc) => oc.columns(['manifest_id', 'label_id']).doNothing())
        .execute();
    },
    async detach(manifestId: number, labelId: number): Promise<void> {
      const result = await db.deleteFrom('artifact_labels').where('manifest_id', '=', manifestId).where('label_id', '=', labelId).executeTakeFirst();
      if (Number(result.numDeletedRows) === 0) throw new RegistryError('NOT_FOUND', `label ${labelId} is not on this artifact`);
    },
    /** Labels per manifest id, for artifact listings. */
    async ofManifests(manifestIds: readonly number[]): Promise<Map<number, LabelView[]>> {
      const result = new Map<number, LabelView[]>();
      if (manifestIds.length === 0) return result;
      const rows = await db.selectFrom('artifact_labels as al').innerJoin('labels as l', 'l.id', 'al.label_id').selectAll('l').select('al.manifest_id').where('al.manifest_id', 'in', manifestIds).orderBy('l.name').execute();
      for (const row of rows) result.set(row.manifest_id, [...(result.get(row.manifest_id) ?? []), view(row)]);
      return result;
    },
  };
}
