/** The one error class of the scan reports: only input that users hand in (a VEX document) can be wrong. */
export type ReportErrorCode = 'VEX_INVALID';

export class ReportError extends Error {
  readonly code: ReportErrorCode;

  constructor(code: ReportErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ReportError';
    this.code = code;
  }
}
