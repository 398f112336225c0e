import type { Principal } from '../../core/auth/authorizer.ts';
import type { HttpContext } from '../http-server.ts';
import type { ApiServices } from './api-services.ts';

/** A JSON Schema (2020-12, the dialect of OpenAPI 3.1), as plain data. */
export type JsonSchema = Readonly<Record<string, unknown>>;

/** What a management API handler gets. */
export interface ApiRequest {
  readonly ctx: HttpContext;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  /** The request body, already validated against the route's schema. */
  readonly body: unknown;
  readonly principal: Principal;
  readonly services: ApiServices;
}

export interface ApiResponse {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  /** `text/plain` bodies (retention task logs). */
  readonly text?: string;
}

/**
 * One operation of `/api/v2.0`, as data: the OpenAPI document is generated from this table and
 * requests are validated against the same schemas, so the document cannot drift from the code.
 */
export interface ApiRoute {
  readonly operationId: string;
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** OpenAPI path template under `/api/v2.0`, e.g. `/projects/{project_name_or_id}/members`. */
  readonly path: string;
  readonly tag: string;
  readonly summary: string;
  readonly body?: JsonSchema;
  /** Query parameters and their schemas (strings on the wire, coerced by the validator). */
  readonly query?: Readonly<Record<string, JsonSchema>>;
  /** The schema of a successful response body, for the document. */
  readonly response?: JsonSchema;
  /** `public`: anonymous callers reach the handler (which decides); otherwise a login is required. */
  readonly anonymous?: boolean;
  readonly handle: (request: ApiRequest) => Promise<ApiResponse>;
}

export const API_PREFIX = '/api/v2.0';
