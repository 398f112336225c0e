/**
 * The one error class of the vulnerability database: OSV parsing, importing, zip reading, CVSS.
 * `RECORD_INVALID` and `ZIP_ENTRY_INVALID` concern one record or entry (an import skips it and says
 * why); the others stop the operation.
 */
export type VulnDbErrorCode =
  | 'RECORD_INVALID'
  | 'SOURCE_UNREADABLE'
  /** Not one valid record in the source: nothing is imported, no import recorded. */
  | 'SOURCE_EMPTY'
  | 'ZIP_INVALID'
  | 'ZIP_ENTRY_INVALID'
  | 'IMPORT_FAILED'
  | 'QUERY_FAILED'
  | 'CVSS_INVALID';

export class VulnDbError extends Error {
  readonly code: VulnDbErrorCode;

  constructor(code: VulnDbErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'VulnDbError';
    this.code = code;
  }
}
