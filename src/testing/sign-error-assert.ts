import assert from 'node:assert/strict';
import { SignError, type SignErrorCode } from '../sign/sign-error.ts';

/** Asserts that `run` throws a SignError with `code` and a message matching `message`. */
export function expectSignError(run: () => unknown, code: SignErrorCode, message: RegExp): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof SignError, String(error));
    assert.equal(error.code, code, error.message);
    assert.match(error.message, message);
    return true;
  });
}
