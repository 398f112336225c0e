/** The one error class of core/archive. `entry` names the archive member being read, when known. */
export type TarErrorCode =
  /** A header, a checksum, a number field or an extended (PAX / GNU) header that does not parse. */
  | 'TAR_INVALID'
  /** The archive ends inside a header, a body or its padding. */
  | 'TAR_TRUNCATED';

export class TarError extends Error {
  readonly code: TarErrorCode;
  readonly entry: string | undefined;

  constructor(code: TarErrorCode, message: string, options: { entry?: string; cause?: unknown } = {}) {
    const where = options.entry === undefined ? '' : `entry ${JSON.stringify(options.entry)}: `;
    super(`${where}${message}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TarError';
    this.code = code;
    this.entry = options.entry;
  }
}
