import { AuthError, type AuthErrorCode } from '../core/auth/auth-error.ts';
import { OciError, type OciErrorCode } from '../core/oci/oci-error.ts';
import { RegistryError, type RegistryErrorCode } from '../registry/index.ts';
import { HttpError, type HttpErrorCode } from './http-error.ts';
import { EventError, type EventErrorCode } from '../core/events/event-error.ts';
import { JobError, type JobErrorCode } from '../core/jobs/job-error.ts';
import { PolicyError, type PolicyErrorCode } from '../core/policy/policy-error.ts';
import { ReportError, ScanError, VulnDbError } from '../scan/index.ts';

/** An error as the wire shows it: HTTP status plus the Distribution spec's error code. */
export interface WireError {
  readonly status: number;
  readonly code: string;
  readonly message: string;
  readonly detail: unknown;
  readonly headers: Readonly<Record<string, string>>;
}

type Mapping = readonly [status: number, wireCode: string];

/** The one table from every module's error codes to HTTP statuses and OCI error codes. */
const REGISTRY: Readonly<Record<RegistryErrorCode, Mapping>> = {
  BLOB_UNKNOWN: [404, 'BLOB_UNKNOWN'],
  BLOB_UPLOAD_INVALID: [400, 'BLOB_UPLOAD_INVALID'],
  BLOB_UPLOAD_UNKNOWN: [404, 'BLOB_UPLOAD_UNKNOWN'],
  DIGEST_INVALID: [400, 'DIGEST_INVALID'],
  MANIFEST_BLOB_UNKNOWN: [400, 'MANIFEST_BLOB_UNKNOWN'],
  MANIFEST_INVALID: [400, 'MANIFEST_INVALID'],
  MANIFEST_UNKNOWN: [404, 'MANIFEST_UNKNOWN'],
  MANIFEST_TOO_LARGE: [413, 'SIZE_INVALID'],
  MANIFEST_REFERENCED: [409, 'DENIED'],
  NAME_INVALID: [400, 'NAME_INVALID'],
  NAME_UNKNOWN: [404, 'NAME_UNKNOWN'],
  SIZE_INVALID: [400, 'SIZE_INVALID'],
  TAG_INVALID: [400, 'TAG_INVALID'],
  RANGE_INVALID: [416, 'RANGE_INVALID'],
  PAGINATION_NUMBER_INVALID: [400, 'PAGINATION_NUMBER_INVALID'],
  DENIED: [403, 'DENIED'],
  UNSUPPORTED: [405, 'UNSUPPORTED'],
  PRECONDITION: [412, 'PRECONDITION'],
  TAG_MOVED: [412, 'PRECONDITION'],
  QUOTA_EXCEEDED: [403, 'DENIED'],
  POLICY_VIOLATION: [412, 'PROJECTPOLICYVIOLATION'],
  PROJECT_UNKNOWN: [404, 'NOT_FOUND'],
  PROJECT_EXISTS: [409, 'CONFLICT'],
  PROJECT_NOT_EMPTY: [412, 'PRECONDITION'],
  INVALID: [400, 'BAD_REQUEST'],
  NOT_FOUND: [404, 'NOT_FOUND'],
  CONFLICT: [409, 'CONFLICT'],
};

const HTTP: Readonly<Record<HttpErrorCode, Mapping>> = {
  UNAUTHORIZED: [401, 'UNAUTHORIZED'],
  DENIED: [403, 'DENIED'],
  FORBIDDEN: [403, 'FORBIDDEN'],
  NOT_FOUND: [404, 'NOT_FOUND'],
  METHOD_NOT_ALLOWED: [405, 'UNSUPPORTED'],
  BAD_REQUEST: [400, 'BAD_REQUEST'],
  PAGINATION_NUMBER_INVALID: [400, 'PAGINATION_NUMBER_INVALID'],
  RANGE_NOT_SATISFIABLE: [416, 'RANGE_INVALID'],
  SIZE_INVALID: [400, 'SIZE_INVALID'],
  DIGEST_INVALID: [400, 'DIGEST_INVALID'],
  UNAVAILABLE: [503, 'UNAVAILABLE'],
};

const AUTH: Readonly<Record<AuthErrorCode, Mapping>> = {
  CREDENTIALS_INVALID: [401, 'UNAUTHORIZED'],
  TOKEN_INVALID: [401, 'UNAUTHORIZED'],
  TOKEN_EXPIRED: [401, 'UNAUTHORIZED'],
  SCOPE_INVALID: [400, 'BAD_REQUEST'],
  PASSWORD_HASH_INVALID: [500, 'UNKNOWN'],
  ACCOUNT_INVALID: [400, 'BAD_REQUEST'],
  ACCOUNT_EXISTS: [409, 'CONFLICT'],
  ACCOUNT_UNKNOWN: [404, 'NOT_FOUND'],
  PERMISSION_INVALID: [400, 'BAD_REQUEST'],
};

const OCI: Readonly<Record<OciErrorCode, Mapping>> = {
  DIGEST_INVALID: [400, 'DIGEST_INVALID'],
  DIGEST_MISMATCH: [400, 'DIGEST_INVALID'],
  SIZE_MISMATCH: [400, 'SIZE_INVALID'],
  REFERENCE_INVALID: [400, 'NAME_INVALID'],
  NAME_INVALID: [400, 'NAME_INVALID'],
  TAG_INVALID: [400, 'TAG_INVALID'],
  MANIFEST_INVALID: [400, 'MANIFEST_INVALID'],
  MANIFEST_UNSUPPORTED: [400, 'MANIFEST_INVALID'],
  CONFIG_INVALID: [400, 'MANIFEST_INVALID'],
  LAYOUT_INVALID: [400, 'BAD_REQUEST'],
  NOT_FOUND: [404, 'NOT_FOUND'],
};

const POLICY: Readonly<Record<PolicyErrorCode, Mapping>> = {
  PATTERN_INVALID: [400, 'BAD_REQUEST'],
  RULE_INVALID: [400, 'BAD_REQUEST'],
};

const EVENT: Readonly<Record<EventErrorCode, Mapping>> = {
  POLICY_INVALID: [400, 'BAD_REQUEST'],
  POLICY_CONFLICT: [409, 'CONFLICT'],
  QUERY_INVALID: [400, 'BAD_REQUEST'],
  DELIVERY_FAILED: [502, 'UNKNOWN'],
};

const JOB: Readonly<Record<JobErrorCode, Mapping>> = {
  CRON_INVALID: [400, 'BAD_REQUEST'],
  NOT_LOCKED: [409, 'CONFLICT'],
  PAYLOAD_INVALID: [400, 'BAD_REQUEST'],
  OPTION_INVALID: [400, 'BAD_REQUEST'],
};

/** The scan stage's errors: bad input is the caller's (400), an empty database a precondition (412). */
function scanMapping(error: Error & { code: string }): Mapping {
  if (error.code === 'IMAGE_UNKNOWN') return [404, 'NOT_FOUND'];
  if (error.code === 'DB_EMPTY') return [412, 'PRECONDITION'];
  if (error.code === 'QUERY_FAILED' || error.code === 'IMPORT_FAILED') return [500, 'UNKNOWN'];
  return [400, 'BAD_REQUEST'];
}

/** Maps any thrown value to what the client sees. Unknown errors become a 500 without internals. */
export function toWireError(error: unknown): WireError {
  const mapped = lookup(error);
  if (mapped === undefined) {
    return { status: 500, code: 'UNKNOWN', message: 'internal error; see the server log for the request id', detail: undefined, headers: {} };
  }
  const [status, code] = mapped;
  const err = error as Error & { detail?: unknown };
  const headers: Record<string, string> = error instanceof HttpError ? { ...error.headers } : {};
  if (error instanceof HttpError && error.challenge !== undefined) headers['www-authenticate'] = error.challenge.header;
  return { status, code, message: err.message, detail: err.detail, headers };
}

function lookup(error: unknown): Mapping | undefined {
  if (error instanceof RegistryError) return REGISTRY[error.code];
  if (error instanceof HttpError) return HTTP[error.code];
  if (error instanceof AuthError) return AUTH[error.code];
  if (error instanceof OciError) return OCI[error.code];
  if (error instanceof PolicyError) return POLICY[error.code];
  if (error instanceof EventError) return EVENT[error.code];
  if (error instanceof JobError) return JOB[error.code];
  if (error instanceof ScanError || error instanceof VulnDbError || error instanceof ReportError) return scanMapping(error);
  return undefined;
}

/** The Distribution spec's error body. MANIFEST_BLOB_UNKNOWN lists one error per missing digest. */
export function errorBody(wire: WireError): string {
  const digests = (wire.detail as { digests?: unknown } | undefined)?.digests;
  const errors =
    wire.code === 'MANIFEST_BLOB_UNKNOWN' && Array.isArray(digests)
      ? digests.map((digest) => ({ code: wire.code, message: `blob unknown to registry: ${String(digest)}`, detail: { digest } }))
      : [{ code: wire.code, message: wire.message, ...(wire.detail === undefined ? {} : { detail: wire.detail }) }];
  return JSON.stringify({ errors });
}
