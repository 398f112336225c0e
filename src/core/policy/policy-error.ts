/** The one error class of core/policy (tag retention and tag immutability). */
export type PolicyErrorCode = 'PATTERN_INVALID' | 'RULE_INVALID';

export class PolicyError extends Error {
  readonly code: PolicyErrorCode;

  constructor(code: PolicyErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PolicyError';
    this.code = code;
  }
}
