import { env as environment, stderr, stdin } from 'node:process';
import { createInterface } from 'node:readline/promises';
import { text } from 'node:stream/consumers';
import { Writable } from 'node:stream';

/** Where a key password comes from; `env` names the variable that, if set, is the password. */
export interface PasswordOptions {
  /** Prompt twice and compare (a password for a new key). */
  readonly confirm: boolean;
  /** The environment variable holding the password, e.g. `COSIGN_PASSWORD`. */
  readonly env: string;
}

/** Where readPassword takes the password from: the variable if set (even empty), else the terminal's prompt, else standard input. */
export function passwordSource(env: string): 'env' | 'prompt' | 'stdin' {
  if (environment[env] !== undefined) return 'env';
  return stdin.isTTY ? 'prompt' : 'stdin';
}

/**
 * A key password the way cosign reads it: the environment variable if it is set (even to the empty
 * string), else a prompt without echo when standard input is a terminal (twice if `confirm`), else
 * all of standard input, byte for byte (a trailing newline is part of the password, as in cosign).
 */
export async function readPassword(options: PasswordOptions): Promise<string> {
  const source = passwordSource(options.env);
  if (source === 'env') return environment[options.env] ?? '';
  if (source === 'stdin') return text(stdin);
  const password = await prompt('Enter password for private key: ');
  if (!options.confirm) return password;
  if ((await prompt('Enter password for private key again: ')) !== password) throw new Error('passwords do not match');
  return password;
}

/** One line from the terminal, not echoed: readline writes its echo into a stream that drops it. */
async function prompt(question: string): Promise<string> {
  const muted = new Writable({ write: (_chunk, _encoding, done) => done() });
  const lines = createInterface({ input: stdin, output: muted, terminal: true });
  const interrupt = new AbortController();
  lines.on('SIGINT', () => interrupt.abort());
  stderr.write(question);
  try {
    return await lines.question('', { signal: interrupt.signal });
  } catch (error) {
    throw interrupt.signal.aborted ? new Error('interrupted') : error;
  } finally {
    lines.close();
    stderr.write('\n');
  }
}
