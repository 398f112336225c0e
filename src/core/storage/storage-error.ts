/** The one error class of core/storage (drivers and the blob store). */
export type StorageErrorCode =
  | 'NOT_FOUND'
  | 'PATH_INVALID'
  | 'DIGEST_MISMATCH'
  | 'SIZE_MISMATCH'
  | 'UPLOAD_UNKNOWN'
  | 'OFFSET_MISMATCH'
  | 'TOO_LARGE'
  | 'ABORTED'
  | 'IO';

export class StorageError extends Error {
  readonly code: StorageErrorCode;
  readonly detail: unknown;

  constructor(code: StorageErrorCode, message: string, options: { cause?: unknown; detail?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StorageError';
    this.code = code;
    this.detail = options.detail;
  }
}
