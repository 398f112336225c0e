/** The one error class of version parsing and comparison. Callers treat it as "not comparable" and fail closed. */
export type VersionErrorCode = 'VERSION_INVALID';

export class VersionError extends Error {
  readonly code: VersionErrorCode;

  constructor(code: VersionErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'VersionError';
    this.code = code;
  }
}

/** Shorthand for the common case: `version` is not valid in `scheme`. */
export function invalidVersion(scheme: string, version: string, reason: string): VersionError {
  return new VersionError('VERSION_INVALID', `invalid ${scheme} version ${JSON.stringify(version)}: ${reason}`);
}
