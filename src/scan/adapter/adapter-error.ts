/** The one error class of the scanner adapter (Harbor's Pluggable Scanner API), client and server side. */
export type AdapterErrorCode =
  /** The adapter could not be reached (connection refused, DNS, TLS). */
  | 'UNREACHABLE'
  /** An adapter call took longer than its timeout. */
  | 'TIMEOUT'
  /** The adapter answered something the API does not allow (status, body shape). */
  | 'PROTOCOL'
  /** The metadata fails Harbor's health rule. */
  | 'UNHEALTHY'
  /** The adapter refused our credentials (401, 403). */
  | 'UNAUTHORIZED'
  /** The adapter refused the request (400, 415, 422, 501). */
  | 'REJECTED'
  /** The adapter does not know the scan request (404). */
  | 'NOT_FOUND'
  /** The adapter reports that the scan failed (500 on the report). */
  | 'SCAN_FAILED'
  /** A scan request this adapter cannot act on (an unusable registry authorization). */
  | 'INVALID_REQUEST'
  /** Too many scan requests are pending to accept another one. */
  | 'BUSY';

export class AdapterError extends Error {
  readonly code: AdapterErrorCode;
  /** The adapter's HTTP status, for client-side errors that came with one. */
  readonly status: number | undefined;

  constructor(code: AdapterErrorCode, message: string, options: { cause?: unknown; status?: number } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AdapterError';
    this.code = code;
    this.status = options.status;
  }
}
