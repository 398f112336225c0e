/**
 * The one error class of the registry client. `code` is what a caller branches on; `status`,
 * `ociCode` and `ociMessage` carry what the registry said, when it said anything.
 */
export type RegistryClientErrorCode =
  | 'UNAUTHORIZED'
  | 'DENIED'
  | 'NOT_FOUND'
  | 'DIGEST_MISMATCH'
  | 'SIZE_MISMATCH'
  | 'PROTOCOL'
  | 'NETWORK'
  | 'TOO_LARGE'
  | 'TOO_MANY_REQUESTS'
  | 'SERVER_ERROR'
  | 'BAD_REQUEST'
  | 'UNSUPPORTED'
  | 'CREDENTIALS'
  /**
   * HTTP 412: a registry precondition or policy refused the request — a rule such as Harbor/Slipway's
   * PROJECTPOLICYVIOLATION on a pull (an unscanned, vulnerable or unsigned image), or an immutable tag.
   */
  | 'PRECONDITION_FAILED'
  /** A conditional manifest PUT refused because the tag is no longer where the caller read it: read it again and retry. */
  | 'TAG_MOVED';

export interface RegistryClientErrorOptions {
  readonly cause?: unknown;
  readonly status?: number;
  readonly ociCode?: string;
  readonly ociMessage?: string;
  /** From `Retry-After`, for 429 and 503. */
  readonly retryAfterMs?: number;
  /** A failure another try cannot fix, whatever its code (a plain-HTTP server answering a TLS handshake). */
  readonly permanent?: boolean;
}

export class RegistryClientError extends Error {
  readonly code: RegistryClientErrorCode;
  readonly status: number | undefined;
  readonly ociCode: string | undefined;
  readonly ociMessage: string | undefined;
  readonly retryAfterMs: number | undefined;
  readonly #permanent: boolean;

  constructor(code: RegistryClientErrorCode, message: string, options: RegistryClientErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RegistryClientError';
    this.code = code;
    this.status = options.status;
    this.ociCode = options.ociCode;
    this.ociMessage = options.ociMessage;
    this.retryAfterMs = options.retryAfterMs;
    this.#permanent = options.permanent === true;
  }

  /** Worth another try: the network, throttling, or a server-side failure. */
  get transient(): boolean {
    if (this.#permanent) return false;
    return this.code === 'NETWORK' || this.code === 'TOO_MANY_REQUESTS' || this.code === 'SERVER_ERROR';
  }
}

/** The error for an HTTP status the caller did not expect, with the registry's own error when present. */
export function errorForStatus(
  status: number,
  what: string,
  body: { readonly code?: string; readonly message?: string } | undefined,
  retryAfterMs?: number,
): RegistryClientError {
  // A HEAD answer has no body: a refusal's reason (a pull gate's 412, say) is only in a GET's.
  const bodiless = body === undefined && what.startsWith('HEAD ') && status >= 400 ? ' (a HEAD answer carries no reason; a GET of the same shows it)' : '';
  const said = body?.code === undefined ? bodiless : `: ${body.code}${body.message === undefined ? '' : ` (${body.message})`}`;
  const options = {
    status,
    ...(body?.code === undefined ? {} : { ociCode: body.code }),
    ...(body?.message === undefined ? {} : { ociMessage: body.message }),
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  };
  return new RegistryClientError(codeForStatus(status), `${what} failed with HTTP ${status}${said}`, options);
}

function codeForStatus(status: number): RegistryClientErrorCode {
  if (status === 401) return 'UNAUTHORIZED';
  if (status === 403) return 'DENIED';
  if (status === 404) return 'NOT_FOUND';
  if (status === 405) return 'UNSUPPORTED';
  if (status === 412) return 'PRECONDITION_FAILED';
  if (status === 413) return 'TOO_LARGE';
  if (status === 429) return 'TOO_MANY_REQUESTS';
  if (status >= 500) return 'SERVER_ERROR';
  if (status >= 400) return 'BAD_REQUEST';
  return 'PROTOCOL';
}
