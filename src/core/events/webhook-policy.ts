import { EventError } from './event-error.ts';
import { isWebhookEventType, type PayloadFormat, type WebhookEventType } from './webhook-events.ts';

/**
 * A webhook policy as Harbor's `/projects/{p}/webhook/policies` takes it, checked by Harbor's
 * rules. Slipway adds an optional per-target `secret` for signed deliveries (webhook-delivery.ts).
 */
export interface WebhookTarget {
  readonly type: 'http';
  /** `scheme://host[:port]/path`: no user info, query or fragment (Harbor's SSRF guard). */
  readonly address: string;
  /** Sent verbatim as `Authorization`. */
  readonly auth_header?: string;
  readonly skip_cert_verify: boolean;
  readonly payload_format: PayloadFormat;
  /** Signs deliveries (`X-Slipway-Signature-256`); never sent itself. */
  readonly secret?: string;
}

export interface WebhookPolicyInput {
  readonly name: string;
  readonly description: string;
  readonly enabled: boolean;
  readonly event_types: readonly WebhookEventType[];
  readonly targets: readonly WebhookTarget[];
}

const PAYLOAD_FORMATS: readonly string[] = ['Default', 'CloudEvents'] satisfies readonly PayloadFormat[];

/**
 * Checks a policy body and returns it normalised: addresses reduced to `scheme://host/path`, an
 * http target without a format gets `Default`, duplicate event types go, `enabled` defaults to
 * true and `description` to `''`. Read-only fields (`id`, `project_id`, `creator`, times) and
 * unknown fields are ignored. Throws `POLICY_INVALID` with Harbor's messages.
 */
export function validateWebhookPolicy(value: unknown): WebhookPolicyInput {
  if (!isObject(value)) throw invalid('a webhook policy must be a JSON object');
  const name = value['name'];
  if (typeof name !== 'string' || name.trim() === '') throw invalid('a webhook policy needs a name');
  const description = optional(value, 'description', 'string') ?? '';
  const enabled = optional(value, 'enabled', 'boolean') ?? true;
  return { name: name.trim(), description, enabled, event_types: eventTypes(value['event_types']), targets: targets(value['targets'], name) };
}

function eventTypes(value: unknown): WebhookEventType[] {
  if (value === undefined || value === null || (Array.isArray(value) && value.length === 0)) throw invalid('empty event type');
  if (!Array.isArray(value)) throw invalid('event_types must be an array');
  const types: WebhookEventType[] = [];
  for (const type of value as unknown[]) {
    if (!isWebhookEventType(type)) throw invalid(`unsupported event type ${String(type)}`);
    if (!types.includes(type)) types.push(type);
  }
  return types;
}

function targets(value: unknown, policyName: string): WebhookTarget[] {
  if (value === undefined || value === null || (Array.isArray(value) && value.length === 0)) {
    throw invalid(`empty notification target with policy ${policyName}`);
  }
  if (!Array.isArray(value)) throw invalid('targets must be an array');
  return (value as unknown[]).map((target) => parseTarget(target, policyName));
}

function parseTarget(value: unknown, policyName: string): WebhookTarget {
  if (!isObject(value)) throw invalid('a webhook target must be a JSON object');
  const address = optional(value, 'address', 'string');
  if (address === undefined) throw invalid('a webhook target needs an address');
  const reduced = reduceAddress(address);
  const type = value['type'];
  if (type !== 'http') throw invalid(`unsupported target type ${String(type)} with policy ${policyName}`);
  const format = optional(value, 'payload_format', 'string') ?? '';
  if (format !== '' && !PAYLOAD_FORMATS.includes(format)) throw invalid(`unsupported payload format type: ${format}`);
  const authHeader = optional(value, 'auth_header', 'string') ?? '';
  const secret = optional(value, 'secret', 'string') ?? '';
  return {
    type,
    address: reduced,
    ...(authHeader === '' ? {} : { auth_header: authHeader }),
    skip_cert_verify: optional(value, 'skip_cert_verify', 'boolean') ?? false,
    payload_format: format === '' ? 'Default' : (format as PayloadFormat),
    ...(secret === '' ? {} : { secret }),
  };
}

/**
 * Harbor's `ParseEndpoint` and SSRF guard: trims spaces and trailing slashes, assumes `http://`
 * without a scheme, accepts only http and https, and keeps `scheme://host/path` (user info,
 * query and fragment dropped).
 */
export function reduceAddress(address: string): string {
  const trimmed = address.trim().replace(/\/+$/, '');
  if (trimmed === '') throw invalid('empty URL');
  const schemeEnd = trimmed.indexOf('://');
  if (schemeEnd >= 0) {
    const scheme = trimmed.slice(0, schemeEnd);
    if (scheme !== 'http' && scheme !== 'https') throw invalid(`invalid scheme: ${scheme}`);
  } else if (/^[a-z][a-z0-9+.-]*:(?!\d+(?:\/|$))/i.test(trimmed)) {
    // `https:` or `mailto:x`: a scheme without `//`, not a `host:port`.
    throw invalid(`invalid URL: ${redactUserInfo(trimmed)}`);
  }
  const absolute = schemeEnd >= 0 ? trimmed : `http://${trimmed}`;
  let url: URL;
  try {
    url = new URL(absolute);
  } catch {
    throw invalid(`invalid URL: ${redactUserInfo(absolute)}`);
  }
  if (url.hostname === '') throw invalid(`invalid URL: ${redactUserInfo(absolute)}`);
  const hasPath = /^[a-z]+:\/\/[^/?#]*\//i.test(absolute);
  return `${url.protocol}//${url.host}${hasPath ? url.pathname : ''}`;
}

function redactUserInfo(url: string): string {
  return url.replace(/^([a-z]+:\/\/)[^/?#@]*@/i, '$1***@').replace(/[?#].*$/, '');
}

function optional<T extends 'string' | 'boolean'>(
  object: Readonly<Record<string, unknown>>,
  key: string,
  type: T,
): (T extends 'string' ? string : boolean) | undefined {
  const value = object[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== type) throw invalid(`${key} must be a ${type}`);
  return value as T extends 'string' ? string : boolean;
}

function isObject(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalid(message: string): EventError {
  return new EventError('POLICY_INVALID', message);
}
