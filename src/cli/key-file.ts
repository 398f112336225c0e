import { readFile } from 'node:fs/promises';
import { env as environment, stdin } from 'node:process';
import { loadPrivateKey, SignError, type SigningKey } from '../sign/index.ts';
import { readPassword } from './password.ts';

/** The variable cosign reads a key's password from; Slipway reads the same one. */
export const KEY_PASSWORD_ENV = 'COSIGN_PASSWORD';

/**
 * A private key file (cosign.key, or a PKCS#8 PEM) for `sign`, `attest` and `key public-key`, its
 * password read as cosign reads it (readPassword). A password that does not open the key is
 * reported with where it was read from: in CI without $COSIGN_PASSWORD it is standard input, often
 * empty, which no one would guess from "decryption failed".
 */
export async function loadKeyFile(path: string): Promise<SigningKey> {
  let source: string | undefined;
  const password = () => {
    source = environment[KEY_PASSWORD_ENV] !== undefined ? `$${KEY_PASSWORD_ENV}` : stdin.isTTY ? 'the prompt' : 'standard input, which is not a terminal';
    return readPassword({ confirm: false, env: KEY_PASSWORD_ENV });
  };
  try {
    return await loadPrivateKey(await readFile(path, 'utf8'), password);
  } catch (error) {
    if (!(error instanceof SignError) || error.code !== 'KEY_PASSWORD_WRONG' || source === undefined) throw error;
    const hint = source === `$${KEY_PASSWORD_ENV}` || source === 'the prompt' ? '' : ` (set ${KEY_PASSWORD_ENV}, or run in a terminal to be prompted)`;
    throw new SignError('KEY_PASSWORD_WRONG', `${error.message}: the password was read from ${source}${hint}`, { cause: error });
  }
}
