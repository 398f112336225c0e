/** The one error class of core/auth. */
export type AuthErrorCode =
  | 'CREDENTIALS_INVALID'
  | 'TOKEN_INVALID'
  | 'TOKEN_EXPIRED'
  | 'SCOPE_INVALID'
  | 'PASSWORD_HASH_INVALID'
  | 'ACCOUNT_INVALID'
  | 'ACCOUNT_EXISTS'
  | 'ACCOUNT_UNKNOWN'
  | 'PERMISSION_INVALID';

export class AuthError extends Error {
  readonly code: AuthErrorCode;

  constructor(code: AuthErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AuthError';
    this.code = code;
  }
}
