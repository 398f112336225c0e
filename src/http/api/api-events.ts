import { webhookEventTypes } from '../../core/events/webhook-events.ts';
import { validateWebhookPolicy } from '../../core/events/webhook-policy.ts';
import type { WebhookPolicy } from '../../core/events/webhook-policy-store.ts';
import { HttpError } from '../http-error.ts';
import { API_PREFIX, type ApiRequest, type ApiRoute, type JsonSchema } from './api-route.ts';
import { audit, created, done, intParam, ok, projectOf, requireProject, requireSystem } from './api-guards.ts';
import { PAGING_QUERY, pagedOk, pageHeaders, pagingOf } from './paging.ts';

const WEBHOOK_POLICY: JsonSchema = {
  type: 'object',
  required: ['name', 'event_types', 'targets'],
  properties: {
    name: { type: 'string', minLength: 1 },
    description: { type: 'string' },
    enabled: { type: 'boolean' },
    event_types: { type: 'array', minItems: 1, items: { enum: [...webhookEventTypes] } },
    targets: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['address'],
        properties: {
          type: { const: 'http' },
          address: { type: 'string', minLength: 1 },
          auth_header: { type: 'string' },
          skip_cert_verify: { type: 'boolean' },
          payload_format: { enum: ['Default', 'CloudEvents', ''] },
          secret: { type: 'string', minLength: 16, description: 'signs deliveries: X-Slipway-Signature-256 = sha256=HMAC(secret, "<X-Slipway-Timestamp>.<body>")' },
        },
      },
    },
  },
};
const AUDIT_QUERY = {
  ...PAGING_QUERY,
  username: { type: 'string' },
  operation: { type: 'string' },
  resource_type: { type: 'string' },
  project: { type: 'string' },
  from: { type: 'string', format: 'date-time' },
  to: { type: 'string', format: 'date-time' },
} as const;
/** Harbor's audit-log-ext entry, plus the entry's project and reason. */
const AUDIT_ENTRIES: JsonSchema = {
  type: 'array',
  items: {
    type: 'object',
    required: ['id', 'username', 'resource', 'resource_type', 'operation', 'operation_result', 'op_time', 'project', 'reason'],
    properties: {
      id: { type: 'integer' },
      username: { type: 'string' },
      resource: { type: 'string' },
      resource_type: { type: 'string' },
      operation: { type: 'string' },
      operation_result: { type: 'boolean' },
      op_time: { type: 'string', format: 'date-time' },
      project: { type: ['string', 'null'], description: 'null for system-level entries' },
      reason: { type: ['string', 'null'], description: "why: a refused login's cause (`wrong password`, `account locked after repeated failures`…), an override's justification" },
    },
  },
};
const P = '/projects/{project_name_or_id}';

/** Secrets stay on the server: a read shows that a secret or auth header is set, not what it is. */
function redact(policy: WebhookPolicy): unknown {
  return { ...policy, targets: policy.targets.map((t) => ({ ...t, ...(t.auth_header === undefined ? {} : { auth_header: '***' }), ...(t.secret === undefined ? {} : { secret: '***' }) })) };
}

async function auditPage(req: ApiRequest, project: string | undefined) {
  const paging = pagingOf(req.query);
  const time = (name: string) => {
    const value = req.query.get(name);
    if (value === null) return {};
    const ms = Date.parse(value);
    if (Number.isNaN(ms)) throw new HttpError('BAD_REQUEST', `${name} must be an RFC 3339 time`);
    return { [name]: ms };
  };
  const text = (name: string, key: string) => {
    const value = req.query.get(name);
    return value === null ? {} : { [key]: value };
  };
  const result = await req.services.audit.query({
    ...text('username', 'username'),
    ...text('operation', 'operation'),
    ...text('resource_type', 'resourceType'),
    ...(project === undefined ? text('project', 'project') : { project }),
    ...time('from'),
    ...time('to'),
    page: paging.page,
    pageSize: paging.pageSize,
  });
  return ok(result.items, pageHeaders(req.ctx.url, paging, result.total));
}

/** Webhook policy routes for one scope: a project (`projectOf`) or the whole system. */
function webhookRoutes(base: string, scope: (req: ApiRequest, action: 'create' | 'read' | 'update' | 'delete' | 'list') => Promise<{ id: number | null; name: string | undefined }>): ApiRoute[] {
  const policyIn = async (req: ApiRequest, action: 'read' | 'update' | 'delete') => {
    const s = await scope(req, action);
    const policy = await req.services.webhooks.get(intParam(req, 'webhook_policy_id'));
    if (policy === undefined || policy.project_id !== s.id) throw new HttpError('NOT_FOUND', `webhook policy ${req.params['webhook_policy_id'] ?? ''} does not exist here`);
    return { s, policy };
  };
  const where = (s: { name: string | undefined }) => (s.name === undefined ? {} : { project: s.name });
  const system = base.startsWith('/system');
  return [
    {
      operationId: system ? 'listSystemWebhookPolicies' : 'listWebhookPolicies',
      method: 'GET',
      path: base,
      tag: 'webhook',
      summary: 'Webhook policies (secrets redacted), by id, paged.',
      query: PAGING_QUERY,
      async handle(req) {
        const s = await scope(req, 'list');
        return pagedOk(req, await req.services.webhooks.list(s.id), redact);
      },
    },
    {
      operationId: system ? 'createSystemWebhookPolicy' : 'createWebhookPolicy',
      method: 'POST',
      path: base,
      tag: 'webhook',
      summary: "Harbor's webhook policy: event types, http targets in Default or CloudEvents format, optional HMAC secret.",
      body: WEBHOOK_POLICY,
      async handle(req) {
        const s = await scope(req, 'create');
        const policy = await req.services.webhooks.create(s.id, validateWebhookPolicy(req.body), { creator: req.principal.name });
        await audit(req, { ...where(s), resource: policy.name, resourceType: 'webhook_policy', operation: 'create' });
        return created(`${API_PREFIX}${base.replace('{project_name_or_id}', req.params['project_name_or_id'] ?? '')}/${policy.id}`, redact(policy));
      },
    },
    {
      operationId: system ? 'getSystemWebhookPolicy' : 'getWebhookPolicy',
      method: 'GET',
      path: `${base}/{webhook_policy_id}`,
      tag: 'webhook',
      summary: 'One webhook policy (secrets redacted).',
      handle: async (req) => ok(redact((await policyIn(req, 'read')).policy)),
    },
    {
      operationId: system ? 'updateSystemWebhookPolicy' : 'updateWebhookPolicy',
      method: 'PUT',
      path: `${base}/{webhook_policy_id}`,
      tag: 'webhook',
      summary: 'Replaces a webhook policy.',
      body: WEBHOOK_POLICY,
      async handle(req) {
        const { s, policy } = await policyIn(req, 'update');
        const updated = await req.services.webhooks.update(policy.id, validateWebhookPolicy(req.body));
        await audit(req, { ...where(s), resource: policy.name, resourceType: 'webhook_policy', operation: 'update' });
        return ok(updated === undefined ? undefined : redact(updated));
      },
    },
    {
      operationId: system ? 'deleteSystemWebhookPolicy' : 'deleteWebhookPolicy',
      method: 'DELETE',
      path: `${base}/{webhook_policy_id}`,
      tag: 'webhook',
      summary: 'Deletes a webhook policy.',
      async handle(req) {
        const { s, policy } = await policyIn(req, 'delete');
        await req.services.webhooks.delete(policy.id);
        await audit(req, { ...where(s), resource: policy.name, resourceType: 'webhook_policy', operation: 'delete' });
        return done;
      },
    },
  ];
}

export const eventRoutes: readonly ApiRoute[] = [
  {
    operationId: 'listAuditLogs',
    method: 'GET',
    path: '/audit-logs',
    tag: 'auditlog',
    summary: 'The audit log, newest first, filtered by project, user, operation, resource type and time (system admins); each entry with its reason, if any.',
    query: AUDIT_QUERY,
    response: AUDIT_ENTRIES,
    async handle(req) {
      await requireSystem(req, 'audit-log', 'list');
      return auditPage(req, undefined);
    },
  },
  {
    operationId: 'listProjectAuditLogs',
    method: 'GET',
    path: `${P}/audit-logs`,
    tag: 'auditlog',
    summary: "A project's audit log (project admins).",
    query: AUDIT_QUERY,
    response: AUDIT_ENTRIES,
    async handle(req) {
      const project = await projectOf(req, 'log', 'list');
      return auditPage(req, project.name);
    },
  },
  {
    operationId: 'getWebhookEventTypes',
    method: 'GET',
    path: `${P}/webhook/events`,
    tag: 'webhook',
    summary: 'Supported event types and payload formats.',
    async handle(req) {
      await projectOf(req, 'notification-policy', 'list');
      return ok({ event_type: webhookEventTypes, notify_type: ['http'], payload_formats: [{ notify_type: 'http', formats: ['Default', 'CloudEvents'] }] });
    },
  },
  ...webhookRoutes(`${P}/webhook/policies`, async (req, action) => {
    const project = await req.services.registry.projects.get(req.params['project_name_or_id'] ?? '');
    await requireProject(req, project.name, 'notification-policy', action);
    return { id: project.project_id, name: project.name };
  }),
  ...webhookRoutes('/system/webhook/policies', async (req, action) => {
    await requireSystem(req, 'notification-policy', action);
    return { id: null, name: undefined };
  }),
];
