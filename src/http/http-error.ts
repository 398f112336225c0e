/** The one error class of the HTTP edge: problems with the request itself, before any facade runs. */
export type HttpErrorCode =
  | 'UNAUTHORIZED'
  | 'DENIED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'BAD_REQUEST'
  | 'PAGINATION_NUMBER_INVALID'
  | 'RANGE_NOT_SATISFIABLE'
  | 'SIZE_INVALID'
  | 'DIGEST_INVALID'
  | 'UNAVAILABLE';

export interface Challenge {
  /** `Bearer` with realm, service and scope, or `Basic`. */
  readonly header: string;
}

export class HttpError extends Error {
  readonly code: HttpErrorCode;
  readonly detail: unknown;
  readonly challenge: Challenge | undefined;
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    code: HttpErrorCode,
    message: string,
    options: { cause?: unknown; detail?: unknown; challenge?: Challenge; headers?: Record<string, string> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HttpError';
    this.code = code;
    this.detail = options.detail;
    this.challenge = options.challenge;
    this.headers = options.headers ?? {};
  }
}
