/** The one error class of the scan stage's image handling and orchestration. */
export type ScanErrorCode = 'IMAGE_UNKNOWN' | 'ARCHIVE_INVALID' | 'UNSUPPORTED' | 'DB_EMPTY';

export class ScanError extends Error {
  readonly code: ScanErrorCode;

  constructor(code: ScanErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ScanError';
    this.code = code;
  }
}
