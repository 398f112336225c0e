/**
 * The one error class of core/oci. `code` says what went wrong in terms a caller can branch on;
 * HTTP statuses and OCI error bodies are chosen at the edge, never here.
 */
export type OciErrorCode =
  | 'DIGEST_INVALID'
  | 'DIGEST_MISMATCH'
  | 'SIZE_MISMATCH'
  | 'REFERENCE_INVALID'
  | 'NAME_INVALID'
  | 'TAG_INVALID'
  | 'MANIFEST_INVALID'
  | 'MANIFEST_UNSUPPORTED'
  | 'CONFIG_INVALID'
  | 'LAYOUT_INVALID'
  | 'NOT_FOUND';

export class OciError extends Error {
  readonly code: OciErrorCode;
  readonly detail: unknown;

  constructor(code: OciErrorCode, message: string, options: { cause?: unknown; detail?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'OciError';
    this.code = code;
    this.detail = options.detail;
  }
}
