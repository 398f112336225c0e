/**
 * Errors of the adapter edge and the one table from them (and from the adapter's own
 * `AdapterError` codes) to HTTP statuses. The adapter answers errors in its own body,
 * `{"error":{"message":…}}`, not the registry's.
 */
import { AdapterError, type AdapterErrorCode } from '../../scan/index.ts';

/** `NO_CAPABILITY`: the spec's 501, a scan request or report type this scanner cannot handle. */
export type AdapterHttpErrorCode = 'BAD_REQUEST' | 'UNPROCESSABLE' | 'UNAUTHORIZED' | 'NOT_FOUND' | 'METHOD_NOT_ALLOWED' | 'UNSUPPORTED_MEDIA_TYPE' | 'TOO_LARGE' | 'NO_CAPABILITY';

export class AdapterHttpError extends Error {
  readonly code: AdapterHttpErrorCode;
  readonly headers: Readonly<Record<string, string>>;

  constructor(code: AdapterHttpErrorCode, message: string, options: { cause?: unknown; headers?: Record<string, string> } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AdapterHttpError';
    this.code = code;
    this.headers = options.headers ?? {};
  }
}

const EDGE_STATUS: Readonly<Record<AdapterHttpErrorCode, number>> = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  UNPROCESSABLE: 422,
  NO_CAPABILITY: 501,
};

const ADAPTER_STATUS: Readonly<Record<AdapterErrorCode, number>> = {
  INVALID_REQUEST: 422,
  BUSY: 503,
  NOT_FOUND: 404,
  UNREACHABLE: 500,
  TIMEOUT: 500,
  PROTOCOL: 500,
  UNHEALTHY: 500,
  UNAUTHORIZED: 500,
  REJECTED: 500,
  SCAN_FAILED: 500,
};

export interface AdapterWireError {
  readonly status: number;
  readonly message: string;
  readonly headers: Readonly<Record<string, string>>;
}

export function toAdapterWireError(error: unknown): AdapterWireError {
  if (error instanceof AdapterHttpError) return { status: EDGE_STATUS[error.code], message: error.message, headers: error.headers };
  if (error instanceof AdapterError) return { status: ADAPTER_STATUS[error.code], message: error.message, headers: {} };
  return { status: 500, message: 'internal server error', headers: {} };
}
