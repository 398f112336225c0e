/**
 * The one error class of the registry stage. The codes are the Distribution spec's where one
 * exists (the HTTP edge maps each to its status in one table); the rest are Slipway's own.
 */
export type RegistryErrorCode =
  | 'BLOB_UNKNOWN'
  | 'BLOB_UPLOAD_INVALID'
  | 'BLOB_UPLOAD_UNKNOWN'
  | 'DIGEST_INVALID'
  | 'MANIFEST_BLOB_UNKNOWN'
  | 'MANIFEST_INVALID'
  | 'MANIFEST_UNKNOWN'
  | 'MANIFEST_TOO_LARGE'
  | 'MANIFEST_REFERENCED'
  | 'NAME_INVALID'
  | 'NAME_UNKNOWN'
  | 'SIZE_INVALID'
  | 'TAG_INVALID'
  | 'RANGE_INVALID'
  | 'PAGINATION_NUMBER_INVALID'
  | 'DENIED'
  | 'UNSUPPORTED'
  /** A project rule refuses the change (an immutable tag): Harbor's 412 PRECONDITION. */
  | 'PRECONDITION'
  /** A conditional PUT (If-Match / If-None-Match) whose tag moved since the client read it: 412. */
  | 'TAG_MOVED'
  /** A push over the project's quota: Harbor's 403 DENIED, with the figures. */
  | 'QUOTA_EXCEEDED'
  /** A pull refused by the project's policy: Harbor's 412 PROJECTPOLICYVIOLATION. */
  | 'POLICY_VIOLATION'
  | 'PROJECT_UNKNOWN'
  | 'PROJECT_EXISTS'
  | 'PROJECT_NOT_EMPTY'
  | 'INVALID'
  | 'NOT_FOUND'
  | 'CONFLICT';

export class RegistryError extends Error {
  readonly code: RegistryErrorCode;
  readonly detail: unknown;

  constructor(code: RegistryErrorCode, message: string, options: { cause?: unknown; detail?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RegistryError';
    this.code = code;
    this.detail = options.detail;
  }
}
