/**
 * The one error class of the scan stage: opening images, walking layers, catalogers. `layer`
 * (digest) and `entry` (member name) say where; the scan fails closed on these — a partial walk
 * would under-report packages.
 */
export type ScanErrorCode =
  /** The layer is not a readable tar (bad compression stream, bad header, truncated). */
  | 'LAYER_INVALID'
  /** A walk limit (entries, uncompressed bytes, kept bytes) was exceeded. */
  | 'LIMIT_EXCEEDED'
  /** A layer media type or compression this walker does not read. */
  | 'UNSUPPORTED'
  /** A binary package database (rpmdb) that cannot be read: the cataloger reports nothing rather than part. */
  | 'PACKAGE_DB_INVALID'
  /** No such image at the reference, or a platform the index lacks. */
  | 'IMAGE_UNKNOWN'
  /** A layer or config whose bytes do not have the digest (or size) that names them. */
  | 'DIGEST_MISMATCH'
  /** A docker-archive tar that cannot be read. */
  | 'ARCHIVE_INVALID'
  /** The vulnerability database holds no advisories: no scan may report "clean". */
  | 'DB_EMPTY'
  /** A cataloger failed as a whole: what it would have found is unknown, so the scan fails. */
  | 'CATALOGER_FAILED'
  /** A per-image exception the gate could never apply (an expiry already past, an index's digest). */
  | 'EXCEPTION_INVALID';

export interface ScanErrorDetail {
  readonly layer?: string;
  readonly entry?: string;
}

export class ScanError extends Error {
  readonly code: ScanErrorCode;
  readonly detail: ScanErrorDetail;

  constructor(code: ScanErrorCode, message: string, options: { cause?: unknown; detail?: ScanErrorDetail } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ScanError';
    this.code = code;
    this.detail = options.detail ?? {};
  }
}
