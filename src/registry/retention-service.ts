import { isImmutable, type ImmutableRule } from '../core/policy/immutability.ts';
import { evaluateRetention, validateRetentionPolicy, type Candidate, type Decision, type RetentionPolicy } from '../core/policy/retention.ts';
import type { MetadataDatabase } from '../core/storage/metadata/database.ts';
import type { Artifacts } from './artifacts.ts';
import { RegistryError } from './registry-error.ts';
import type { RepositoryName } from './repository-name.ts';

/** Harbor's retention policy as the API shows it. */
export interface RetentionPolicyView extends RetentionPolicy {
  readonly id: number;
  readonly scope: { readonly level: 'project'; readonly ref: number };
}

export interface RetentionExecutionView {
  readonly id: number;
  readonly policy_id: number;
  readonly dry_run: boolean;
  readonly trigger: string;
  readonly status: 'Pending' | 'Running' | 'Success' | 'Failed';
  readonly start_time: string;
  readonly end_time: string | null;
  readonly total?: number;
  readonly retained?: number;
  readonly deleted?: number;
  /** Per artifact: what happened and why (`RETAIN`, `DEL`, `ERR`, `IMMUTABLE`). */
  readonly decisions?: readonly (Decision & { readonly outcome: 'RETAIN' | 'DEL' | 'ERR' | 'IMMUTABLE'; readonly error?: string })[];
}

/** Where schedules go (the durable scheduler); a port so the registry does not own the job system. */
export interface RetentionSchedules {
  set(policyId: number, cron: string | undefined): Promise<void>;
}

export type RetentionService = ReturnType<typeof createRetentionService>;

/** Retention policies per project: CRUD, executions (dry run or real), and what each removed. */
export function createRetentionService(deps: {
  database: MetadataDatabase;
  artifacts: Artifacts;
  schedules: RetentionSchedules;
  clock?: () => number;
  onFinished?: (execution: RetentionExecutionView, project: string) => void;
}) {
  const { db } = deps.database;
  const clock = deps.clock ?? Date.now;

  async function policyRow(id: number) {
    const row = await db.selectFrom('retention_policies').selectAll().where('id', '=', id).executeTakeFirst();
    if (row === undefined) throw new RegistryError('NOT_FOUND', `retention policy ${id} does not exist`);
    return row;
  }
  const view = (r: { id: number; project_id: number; policy: string }): RetentionPolicyView => ({
    ...(JSON.parse(r.policy) as RetentionPolicy),
    id: r.id,
    scope: { level: 'project', ref: r.project_id },
  });
  const cronOf = (p: RetentionPolicy) => (p.trigger?.kind === 'Schedule' && p.trigger.settings?.cron ? p.trigger.settings.cron : undefined);

  async function setRetentionId(projectId: number, id: number | undefined): Promise<void> {
    const row = await db.selectFrom('projects').select('metadata').where('id', '=', projectId).executeTakeFirstOrThrow();
    const meta = JSON.parse(row.metadata) as Record<string, string>;
    if (id === undefined) delete meta['retention_id'];
    else meta['retention_id'] = String(id);
    await db.updateTable('projects').set({ metadata: JSON.stringify(meta) }).where('id', '=', projectId).execute();
  }

  async function candidates(projectId: number, projectName: string): Promise<Candidate[]> {
    const rules = (await db.selectFrom('immutable_rules').select(['rule', 'disabled']).where('project_id', '=', projectId).execute()).map(
      (r) => ({ ...(JSON.parse(r.rule) as ImmutableRule), disabled: r.disabled === 1 }),
    );
    const repos = await db.selectFrom('repositories').select('name').where('project_id', '=', projectId).orderBy('name').execute();
    const out: Candidate[] = [];
    for (const { name } of repos) {
      const path = name.slice(projectName.length + 1);
      for (const a of await deps.artifacts.list({ name, project: projectName })) {
        const tags = a.tags.map((t) => t.name);
        const pushedAt = Math.max(Date.parse(a.push_time), ...a.tags.map((t) => Date.parse(t.push_time)));
        out.push({ repository: path, digest: a.digest, tags, pushedAt, pulledAt: a.pull_time === null ? null : Date.parse(a.pull_time), immutable: tags.some((t) => isImmutable(rules, path, t)) });
      }
    }
    return out;
  }

  function executionView(r: { id: number; policy_id: number; dry_run: number; trigger: string; status: string; result: string | null; started_at: number; finished_at: number | null }): RetentionExecutionView {
    const result = r.result === null ? {} : (JSON.parse(r.result) as Partial<RetentionExecutionView>);
    return {
      ...result,
      id: r.id,
      policy_id: r.policy_id,
      dry_run: r.dry_run === 1,
      trigger: r.trigger,
      status: r.status as RetentionExecutionView['status'],
      start_time: new Date(r.started_at).toISOString(),
      end_time: r.finished_at === null ? null : new Date(r.finished_at).toISOString(),
    };
  }

  return {
    async create(projectId: number, input: unknown): Promise<RetentionPolicyView> {
      const policy = validateRetentionPolicy(input);
      const existing = await db.selectFrom('retention_policies').select('id').where('project_id', '=', projectId).executeTakeFirst();
      if (existing !== undefined) throw new RegistryError('CONFLICT', `the project already has retention policy ${existing.id}; update it instead`);
      const now = clock();
      const row = await db.insertInto('retention_policies').values({ project_id: projectId, policy: JSON.stringify(policy), created_at: now, updated_at: now }).returningAll().executeTakeFirstOrThrow();
      await setRetentionId(projectId, row.id);
      await deps.schedules.set(row.id, cronOf(policy));
      return view(row);
    },
    async get(id: number): Promise<RetentionPolicyView> {
      return view(await policyRow(id));
    },
    async forProject(projectId: number): Promise<RetentionPolicyView | undefined> {
      const row = await db.selectFrom('retention_policies').selectAll().where('project_id', '=', projectId).executeTakeFirst();
      return row === undefined ? undefined : view(row);
    },
    async update(id: number, input: unknown): Promise<RetentionPolicyView> {
      await policyRow(id);
      const policy = validateRetentionPolicy(input);
      const row = await db.updateTable('retention_policies').set({ policy: JSON.stringify(policy), updated_at: clock() }).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
      await deps.schedules.set(id, cronOf(policy));
      return view(row);
    },
    async delete(id: number): Promise<void> {
      const row = await policyRow(id);
      await db.deleteFrom('retention_policies').where('id', '=', id).execute();
      await setRetentionId(row.project_id, undefined);
      await deps.schedules.set(id, undefined);
    },

    /** Records a pending execution; `run` carries it out (from a durable job). */
    async startExecution(policyId: number, dryRun: boolean, trigger: 'MANUAL' | 'SCHEDULE'): Promise<RetentionExecutionView> {
      await policyRow(policyId);
      const row = await db.insertInto('retention_executions').values({ policy_id: policyId, dry_run: dryRun ? 1 : 0, trigger, status: 'Pending', result: null, started_at: clock(), finished_at: null }).returningAll().executeTakeFirstOrThrow();
      return executionView(row);
    },

    async run(executionId: number): Promise<RetentionExecutionView> {
      const execution = await db.selectFrom('retention_executions').selectAll().where('id', '=', executionId).executeTakeFirstOrThrow();
      const policy = await policyRow(execution.policy_id);
      const project = await db.selectFrom('projects').select(['id', 'name']).where('id', '=', policy.project_id).executeTakeFirstOrThrow();
      await db.updateTable('retention_executions').set({ status: 'Running' }).where('id', '=', executionId).execute();
      const decisions = evaluateRetention(JSON.parse(policy.policy) as RetentionPolicy, await candidates(project.id, project.name), clock());
      const outcomes = [];
      for (const d of decisions) {
        if (d.action !== 'delete') {
          outcomes.push({ ...d, outcome: d.action === 'immutable' ? ('IMMUTABLE' as const) : ('RETAIN' as const) });
          continue;
        }
        if (execution.dry_run === 1) {
          outcomes.push({ ...d, outcome: 'DEL' as const });
          continue;
        }
        const repo: RepositoryName = { name: `${project.name}/${d.repository}`, project: project.name };
        try {
          await deps.artifacts.delete(repo, d.digest, 'retention');
          outcomes.push({ ...d, outcome: 'DEL' as const });
        } catch (error) {
          outcomes.push({ ...d, outcome: 'ERR' as const, error: error instanceof Error ? error.message : String(error) });
        }
      }
      const failed = outcomes.some((o) => o.outcome === 'ERR');
      const result = { total: outcomes.length, retained: outcomes.filter((o) => o.outcome !== 'DEL').length, deleted: outcomes.filter((o) => o.outcome === 'DEL').length, decisions: outcomes };
      const row = await db
        .updateTable('retention_executions')
        .set({ status: failed ? 'Failed' : 'Success', result: JSON.stringify(result), finished_at: clock() })
        .where('id', '=', executionId)
        .returningAll()
        .executeTakeFirstOrThrow();
      const finished = executionView(row);
      deps.onFinished?.(finished, project.name);
      return finished;
    },

    async executions(policyId: number): Promise<RetentionExecutionView[]> {
      const rows = await db.selectFrom('retention_executions').selectAll().where('policy_id', '=', policyId).orderBy('id', 'desc').execute();
      return rows.map((r) => {
        const { decisions: _omitted, ...summary } = executionView(r);
        return summary;
      });
    },
    async execution(policyId: number, executionId: number): Promise<RetentionExecutionView> {
      const row = await db.selectFrom('retention_executions').selectAll().where('id', '=', executionId).where('policy_id', '=', policyId).executeTakeFirst();
      if (row === undefined) throw new RegistryError('NOT_FOUND', `execution ${executionId} of retention policy ${policyId} does not exist`);
      return executionView(row);
    },
  };
}
