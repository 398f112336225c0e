import { readFile } from 'node:fs/promises';
import { loadPrivateKey, SignError, type SigningKey } from '../sign/index.ts';
import { passwordSource, readPassword } from './password.ts';

/** The variable cosign reads a key's password from; Slipway reads the same one. */
export const KEY_PASSWORD_ENV = 'COSIGN_PASSWORD';

/**
 * A private key file (cosign.key, or a PKCS#8 PEM) for `sign`, `attest` and `key public-key`, its
 * password read as cosign reads it (readPassword). A password that does not open the key is
 * reported with where it was read from: in CI without $COSIGN_PASSWORD it is standard input, often
 * empty, which no one would guess from "decryption failed".
 */
export async function loadKeyFile(path: string): Promise<SigningKey> {
  let source: ReturnType<typeof passwordSource> | undefined;
  const password = () => {
    source = passwordSource(KEY_PASSWORD_ENV);
    return readPassword({ confirm: false, env: KEY_PASSWORD_ENV });
  };
  try {
    return await loadPrivateKey(await readFile(path, 'utf8'), password);
  } catch (error) {
    if (!(error instanceof SignError) || error.code !== 'KEY_PASSWORD_WRONG' || source === undefined) throw error;
    const from = { env: `$${KEY_PASSWORD_ENV}`, prompt: 'the prompt', stdin: `standard input, which is not a terminal (set ${KEY_PASSWORD_ENV}, or run in a terminal to be prompted)` }[source];
    throw new SignError('KEY_PASSWORD_WRONG', `${error.message}: the password was read from ${from}`, { cause: error });
  }
}
