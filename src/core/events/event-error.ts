/** The one error class of core/events (audit log, webhook policies, webhook delivery). */
export type EventErrorCode =
  | 'POLICY_INVALID'
  | 'POLICY_CONFLICT'
  | 'QUERY_INVALID'
  | 'DELIVERY_FAILED';

export class EventError extends Error {
  readonly code: EventErrorCode;
  /** The HTTP status a webhook receiver answered (`DELIVERY_FAILED` only, when it answered at all). */
  readonly status: number | undefined;

  constructor(code: EventErrorCode, message: string, options: { cause?: unknown; status?: number } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'EventError';
    this.code = code;
    this.status = options.status;
  }
}
