import { validateImmutableRule, type ImmutableRule } from '../core/policy/immutability.ts';
import type { MetadataDatabase } from '../core/storage/metadata/database.ts';
import { RegistryError } from './registry-error.ts';

/** Harbor's immutable tag rule as the API shows it. */
export type ImmutableRuleView = ImmutableRule & { readonly id: number; readonly project_id: number; readonly disabled: boolean; readonly action: 'immutable'; readonly template: 'immutable_template' };

export type ImmutableRules = ReturnType<typeof createImmutableRules>;

/** Tag immutability rules per project (enforced by the project write policy). */
export function createImmutableRules(database: MetadataDatabase, clock: () => number = Date.now) {
  const { db } = database;
  const view = (r: { id: number; project_id: number; rule: string; disabled: number }): ImmutableRuleView => ({
    ...(JSON.parse(r.rule) as ImmutableRule),
    id: r.id,
    project_id: r.project_id,
    disabled: r.disabled === 1,
    action: 'immutable',
    template: 'immutable_template',
  });
  const stored = (rule: ImmutableRule) => JSON.stringify({ tag_selectors: rule.tag_selectors, scope_selectors: rule.scope_selectors });

  return {
    async list(projectId: number): Promise<ImmutableRuleView[]> {
      return (await db.selectFrom('immutable_rules').selectAll().where('project_id', '=', projectId).orderBy('id').execute()).map(view);
    },
    async create(projectId: number, input: unknown): Promise<ImmutableRuleView> {
      const rule = validateImmutableRule({ action: 'immutable', ...(input as object) });
      const disabled = (input as { disabled?: unknown }).disabled === true ? 1 : 0;
      const row = await db.insertInto('immutable_rules').values({ project_id: projectId, rule: stored(rule), disabled, created_at: clock() }).returningAll().executeTakeFirstOrThrow();
      return view(row);
    },
    async update(projectId: number, id: number, input: unknown): Promise<ImmutableRuleView> {
      const rule = validateImmutableRule({ action: 'immutable', ...(input as object) });
      const disabled = (input as { disabled?: unknown }).disabled === true ? 1 : 0;
      const row = await db.updateTable('immutable_rules').set({ rule: stored(rule), disabled }).where('id', '=', id).where('project_id', '=', projectId).returningAll().executeTakeFirst();
      if (row === undefined) throw new RegistryError('NOT_FOUND', `immutable rule ${id} is not in this project`);
      return view(row);
    },
    async delete(projectId: number, id: number): Promise<void> {
      const result = await db.deleteFrom('immutable_rules').where('id', '=', id).where('project_id', '=', projectId).executeTakeFirst();
      if (Number(result.numDeletedRows) === 0) throw new RegistryError('NOT_FOUND', `immutable rule ${id} is not in this project`);
    },
  };
}
