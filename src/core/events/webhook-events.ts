import { randomUUID } from 'node:crypto';

/**
 * Harbor's webhook events and its two payload formats (Default and CloudEvents 1.0, structured
 * mode), reproduced field for field so that receivers written for Harbor work unchanged.
 */
export const webhookEventTypes = [
  'PUSH_ARTIFACT',
  'PULL_ARTIFACT',
  'DELETE_ARTIFACT',
  'SCANNING_COMPLETED',
  'SCANNING_STOPPED',
  'SCANNING_FAILED',
  'QUOTA_EXCEED',
  'QUOTA_WARNING',
  'REPLICATION',
  'TAG_RETENTION',
] as const;

export type WebhookEventType = (typeof webhookEventTypes)[number];

/** The CloudEvents `type` of each event type. */
export const cloudEventTypes: Readonly<Record<WebhookEventType, string>> = {
  PUSH_ARTIFACT: 'harbor.artifact.pushed',
  PULL_ARTIFACT: 'harbor.artifact.pulled',
  DELETE_ARTIFACT: 'harbor.artifact.deleted',
  SCANNING_COMPLETED: 'harbor.scan.completed',
  SCANNING_STOPPED: 'harbor.scan.stopped',
  SCANNING_FAILED: 'harbor.scan.failed',
  QUOTA_EXCEED: 'harbor.quota.exceeded',
  QUOTA_WARNING: 'harbor.quota.warned',
  REPLICATION: 'harbor.replication.status.changed',
  TAG_RETENTION: 'harbor.tag_retention.finished',
};

export function isWebhookEventType(value: unknown): value is WebhookEventType {
  return typeof value === 'string' && (webhookEventTypes as readonly string[]).includes(value);
}

interface EventBase {
  /** Milliseconds since the epoch. */
  readonly occurAt: number;
  /** User or robot name; `auto` for automatic scans; `MANUAL`/`SCHEDULE` for retention; `''` for quota. */
  readonly operator: string;
  /** The `X-Request-Id` of the call that caused the event (CloudEvents `requestid`). */
  readonly requestId?: string;
}

interface ArtifactFields extends EventBase {
  /** The project name. */
  readonly project: string;
  readonly projectPublic: boolean;
  /** The full repository name, `project/path`. */
  readonly repository: string;
  readonly digest: string;
  readonly tags: readonly string[];
  /** The registry's external host (`registry.example.com[:port]`); a scheme, if given, is dropped. */
  readonly externalHost: string;
  /** When the repository was created, in milliseconds (unknown once a repository is deleted). */
  readonly repositoryCreatedAt?: number;
}

export interface ArtifactEvent extends ArtifactFields {
  readonly type: 'PUSH_ARTIFACT' | 'PULL_ARTIFACT' | 'DELETE_ARTIFACT';
}

export interface ScanEvent extends ArtifactFields {
  readonly type: 'SCANNING_COMPLETED' | 'SCANNING_STOPPED' | 'SCANNING_FAILED';
  /** Default `vulnerability`. */
  readonly scanType?: 'vulnerability' | 'sbom';
  /** Harbor's `scan_overview`, keyed by report media type. */
  readonly scanOverview?: unknown;
  /** Harbor's `sbom_overview`. */
  readonly sbomOverview?: unknown;
}

export interface QuotaEvent extends EventBase {
  readonly type: 'QUOTA_EXCEED' | 'QUOTA_WARNING';
  readonly project: string;
  readonly projectPublic: boolean;
  readonly repository: string;
  /** The artifact whose push hit the quota, when there is one. */
  readonly digest?: string;
  readonly tags?: readonly string[];
  /** Harbor's message, e.g. `quota usage reach 85%: resource storage used 12.6 MiB of 14.0 MiB`. */
  readonly details: string;
}

export interface ReplicationEvent extends EventBase {
  readonly type: 'REPLICATION';
  /** Harbor's `event_data.replication` object (`harbor_hostname`, `job_status`, `src_resource`…). */
  readonly replication: Readonly<Record<string, unknown>>;
}

export interface RetentionArtifact {
  readonly type: string;
  readonly status: string;
  /** `repo:tag` or `repo@digest`. */
  readonly name_tag: string;
  readonly fail_reason?: string;
}

export interface RetentionSummary {
  readonly total: number;
  readonly retained: number;
  readonly harbor_hostname?: string;
  readonly project_name?: string;
  readonly retention_policy_id?: number;
  readonly retention_rule?: readonly unknown[];
  /** `SUCCESS`, … */
  readonly result?: string;
  readonly deleted_artifact?: readonly RetentionArtifact[];
}

export interface RetentionEvent extends EventBase {
  readonly type: 'TAG_RETENTION';
  readonly project: string;
  readonly retention: RetentionSummary;
}

export type SlipwayEvent = ArtifactEvent | ScanEvent | QuotaEvent | ReplicationEvent | RetentionEvent;

export interface PayloadResource {
  readonly digest?: string;
  readonly tag?: string;
  readonly resource_url?: string;
  readonly scan_overview?: unknown;
  readonly sbom_overview?: unknown;
}

export interface PayloadRepository {
  /** Unix seconds. */
  readonly date_created?: number;
  readonly name: string;
  readonly namespace: string;
  readonly repo_full_name: string;
  readonly repo_type: 'public' | 'private';
}

export interface EventData {
  readonly resources?: readonly PayloadResource[];
  readonly repository?: PayloadRepository;
  readonly replication?: Readonly<Record<string, unknown>>;
  readonly retention?: RetentionSummary;
  readonly scan?: { readonly scan_type: 'vulnerability' | 'sbom' };
  readonly custom_attributes?: Readonly<Record<string, string>>;
}

/** Harbor's Default payload, sent as `application/json`. */
export interface DefaultPayload {
  readonly type: WebhookEventType;
  /** Unix seconds. */
  readonly occur_at: number;
  readonly operator: string;
  readonly event_data: EventData;
}

/** A CloudEvents 1.0 event in structured mode, sent as `application/cloudevents+json`. */
export interface CloudEventsPayload {
  readonly specversion: '1.0';
  readonly id: string;
  readonly requestid?: string;
  readonly source: string;
  readonly type: string;
  readonly datacontenttype: 'application/json';
  /** RFC 3339, whole seconds, UTC. */
  readonly time: string;
  readonly operator: string;
  readonly data: EventData;
}

export type PayloadFormat = 'Default' | 'CloudEvents';

export interface CloudEventsContext {
  /** The id of the project whose event this is (the policy's project for a system-wide policy). */
  readonly projectId: number;
  readonly policyId: number;
  /** The CloudEvents `id`; a new random UUID when absent. */
  readonly id?: string;
}

export function defaultPayload(event: SlipwayEvent): DefaultPayload {
  return { type: event.type, occur_at: unixSeconds(event.occurAt), operator: event.operator, event_data: eventData(event) };
}

export function cloudEventsPayload(event: SlipwayEvent, context: CloudEventsContext): CloudEventsPayload {
  return {
    specversion: '1.0',
    id: context.id ?? randomUUID(),
    ...(event.requestId === undefined ? {} : { requestid: event.requestId }),
    source: `/projects/${context.projectId}/webhook/policies/${context.policyId}`,
    type: cloudEventTypes[event.type],
    datacontenttype: 'application/json',
    time: new Date(unixSeconds(event.occurAt) * 1000).toISOString().replace(/\.\d+Z$/, 'Z'),
    operator: event.operator,
    data: eventData(event),
  };
}

/** The request body and `Content-Type` of `event` in `format`. */
export function encodeWebhookPayload(
  event: SlipwayEvent,
  format: PayloadFormat,
  context: CloudEventsContext,
): { readonly body: Buffer; readonly contentType: string } {
  switch (format) {
    case 'Default':
      return { body: Buffer.from(JSON.stringify(defaultPayload(event))), contentType: 'application/json' };
    case 'CloudEvents':
      return { body: Buffer.from(JSON.stringify(cloudEventsPayload(event, context))), contentType: 'application/cloudevents+json' };
  }
}

function eventData(event: SlipwayEvent): EventData {
  switch (event.type) {
    case 'PUSH_ARTIFACT':
    case 'PULL_ARTIFACT':
    case 'DELETE_ARTIFACT':
      return { resources: [artifactResource(event)], repository: repository(event, event.repositoryCreatedAt) };
    case 'SCANNING_COMPLETED':
    case 'SCANNING_STOPPED':
    case 'SCANNING_FAILED': {
      const scanType = event.scanType ?? 'vulnerability';
      const overview =
        scanType === 'sbom'
          ? event.sbomOverview === undefined ? {} : { sbom_overview: event.sbomOverview }
          : event.scanOverview === undefined ? {} : { scan_overview: event.scanOverview };
      return { resources: [{ ...artifactResource(event), ...overview }], repository: repository(event, undefined), scan: { scan_type: scanType } };
    }
    case 'QUOTA_EXCEED':
    case 'QUOTA_WARNING': {
      const tag = event.tags?.[0];
      const resources =
        event.digest === undefined ? {} : { resources: [{ digest: event.digest, ...(tag === undefined || tag === '' ? {} : { tag }) }] };
      return { ...resources, repository: repository(event, undefined), custom_attributes: { Details: event.details } };
    }
    case 'REPLICATION':
      return { replication: event.replication };
    case 'TAG_RETENTION':
      return { retention: event.retention };
  }
}

/** `tag` is the first tag, or the digest when untagged; `resource_url` has no scheme. */
function artifactResource(event: ArtifactFields): PayloadResource {
  const tag = event.tags[0];
  const host = event.externalHost.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').replace(/\/+$/, '');
  const reference = tag === undefined || tag === '' ? `@${event.digest}` : `:${tag}`;
  return {
    digest: event.digest,
    tag: tag === undefined || tag === '' ? event.digest : tag,
    resource_url: `${host}/${event.repository}${reference}`,
  };
}

function repository(
  event: { readonly project: string; readonly projectPublic: boolean; readonly repository: string },
  createdAt: number | undefined,
): PayloadRepository {
  const slash = event.repository.indexOf('/');
  return {
    ...(createdAt === undefined ? {} : { date_created: unixSeconds(createdAt) }),
    name: slash < 0 ? event.repository : event.repository.slice(slash + 1),
    namespace: event.project,
    repo_full_name: event.repository,
    repo_type: event.projectPublic ? 'public' : 'private',
  };
}

function unixSeconds(ms: number): number {
  return Math.floor(ms / 1000);
}
