/** The one error class of core/jobs (queue, worker, cron and scheduler). */
export type JobErrorCode =
  /** A cron expression does not parse or never fires; `detail.field` names the bad field. */
  | 'CRON_INVALID'
  /** complete/fail/renew by a worker that no longer holds the job (its lease passed to another worker, or the job is done). */
  | 'NOT_LOCKED'
  /** A payload or result that JSON cannot represent (a bigint, a cycle). */
  | 'PAYLOAD_INVALID'
  /** An option out of range (a limit, a lease, a maximum number of attempts). */
  | 'OPTION_INVALID';

export class JobError extends Error {
  readonly code: JobErrorCode;
  readonly detail: unknown;

  constructor(code: JobErrorCode, message: string, options: { cause?: unknown; detail?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'JobError';
    this.code = code;
    this.detail = options.detail;
  }
}
