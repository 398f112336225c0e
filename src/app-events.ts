/**
 * What happens after the registry changes something: an audit entry, and a durable webhook job
 * per subscribed target (Harbor's event types, Default or CloudEvents payloads). Emitting never
 * fails the request that caused it; failures are logged.
 */
import type { AuditLog } from './core/events/audit-log.ts';
import { encodeWebhookPayload, type SlipwayEvent } from './core/events/webhook-events.ts';
import type { WebhookPolicyStore } from './core/events/webhook-policy-store.ts';
import { deliverWebhook } from './core/events/webhook-delivery.ts';
import type { JobHandler } from './core/jobs/job-worker.ts';
import type { JobQueue } from './core/jobs/job-queue.ts';
import type { Logger } from './core/log/logger.ts';
import type { MetadataDatabase } from './core/storage/metadata/database.ts';
import type { RegistryEvent, RegistryEventSink } from './registry/index.ts';

export const WEBHOOK_JOB = 'webhook';
const WEBHOOK_ATTEMPTS = 5;

export interface EventFanout extends RegistryEventSink {
  /** Sends any Slipway event to the webhooks subscribed to it (retention, scans…). */
  notify(projectId: number, event: SlipwayEvent): Promise<void>;
}

interface WebhookJob {
  readonly policyId: number;
  readonly target: number;
  readonly body: string;
  readonly contentType: string;
}

/**
 * The server's own writers: the scanner attaching its SBOM and report, the attestor its attestations. What they
 * write is audited, but sends no PUSH_ARTIFACT/DELETE_ARTIFACT: a webhook hears one push per push, not the server's
 * follow-up (SCANNING_COMPLETED says the scan is there).
 */
export const ServerWriter = { scanner: 'slipway-scanner', attestor: 'slipway-attestor' } as const;
const SERVER_WRITERS: ReadonlySet<string> = new Set(Object.values(ServerWriter));

export function createEventFanout(deps: {
  database: MetadataDatabase;
  audit: AuditLog;
  webhooks: WebhookPolicyStore;
  jobs: JobQueue;
  logger: Logger;
  externalHost: () => string;
  /** Called after every push of a manifest (scan-on-push listens). */
  afterPush?: (project: string, repository: string, digest: string, tags: readonly string[]) => Promise<void>;
}): EventFanout {
  const { db } = deps.database;

  async function notify(projectId: number, event: SlipwayEvent): Promise<void> {
    for (const policy of await deps.webhooks.policiesFor(projectId, event.type)) {
      for (const [index, target] of policy.targets.entries()) {
        const { body, contentType } = encodeWebhookPayload(event, target.payload_format, { projectId, policyId: policy.id });
        const job: WebhookJob = { policyId: policy.id, target: index, body: body.toString('utf8'), contentType };
        await deps.jobs.enqueue(WEBHOOK_JOB, job, { maxAttempts: WEBHOOK_ATTEMPTS });
      }
    }
  }

  async function handle(event: RegistryEvent): Promise<void> {
    const project = await db.selectFrom('projects').select(['id', 'public']).where('name', '=', event.project).executeTakeFirst();
    if (event.type === 'pull-refused') {
      await deps.audit.record({ username: event.actor || 'anonymous', project: event.project, resource: `${event.repository}@${event.digest}`, resourceType: 'artifact', operation: 'pull', result: 'failure', detail: { reason: event.reasons.join('; '), reasons: event.reasons } });
      return;
    }
    if (event.type === 'quota-exceeded') {
      await deps.audit.record({ username: event.actor || 'anonymous', project: event.project, resource: event.repository, resourceType: 'quota', operation: 'push', result: 'failure', detail: { details: event.details } });
      if (project !== undefined) {
        await notify(project.id, { type: 'QUOTA_EXCEED', occurAt: event.at, operator: event.actor, project: event.project, projectPublic: project.public === 1, repository: event.repository, digest: event.digest, details: event.details });
      }
      return;
    }
    const resource = event.tags.length > 0 ? `${event.repository}:${event.tags[0] ?? ''}` : `${event.repository}@${event.digest}`;
    const untag = event.type === 'untag';
    await deps.audit.record({
      username: event.actor || 'anonymous',
      project: event.project,
      resource,
      resourceType: untag ? 'tag' : 'artifact',
      operation: untag ? 'delete' : event.type,
      result: 'success',
      detail: { digest: event.digest, ...(untag ? {} : { media_type: event.mediaType }) },
    });
    if (project === undefined || untag || SERVER_WRITERS.has(event.actor)) return;
    if (event.type === 'push') await deps.afterPush?.(event.project, event.repository, event.digest, event.tags);
    const type = event.type === 'push' ? 'PUSH_ARTIFACT' : event.type === 'pull' ? 'PULL_ARTIFACT' : 'DELETE_ARTIFACT';
    await notify(project.id, {
      type,
      occurAt: event.at,
      operator: event.actor,
      project: event.project,
      projectPublic: project.public === 1,
      repository: event.repository,
      digest: event.digest,
      tags: event.tags,
      externalHost: deps.externalHost(),
    });
  }

  return {
    emit(event) {
      handle(event).catch((error: unknown) => deps.logger.warn('event fan-out failed', { type: event.type, error }));
    },
    notify,
  };
}

/** The durable job that delivers one webhook: retried with back-off by the queue until it succeeds or runs out of attempts. */
export function webhookJobHandler(webhooks: WebhookPolicyStore): JobHandler {
  return async (payload, _job, { signal }) => {
    const job = payload as WebhookJob;
    const policy = await webhooks.get(job.policyId);
    const target = policy?.targets[job.target];
    if (policy === undefined || !policy.enabled || target === undefined) return { skipped: 'the policy or target is gone or disabled' };
    const result = await deliverWebhook(target, Buffer.from(job.body, 'utf8'), { contentType: job.contentType, signal });
    return { status: result.status };
  };
}
