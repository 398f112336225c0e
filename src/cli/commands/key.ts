import { access, rm, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { encryptPrivateKey, generateKeyPair, keyIdOf, publicKeyPem } from '../../sign/index.ts';
import { parseOutputFormat, printResult, UsageError } from '../output.ts';
import { KEY_PASSWORD_ENV, loadKeyFile } from '../key-file.ts';
import { readPassword } from '../password.ts';

interface GenerateFlags {
  readonly outputKeyPrefix: string;
  readonly force?: boolean;
  readonly output: string;
}

interface PublicKeyFlags {
  readonly key: string;
  readonly output: string;
}

/** `slipway key generate|public-key`: cosign-compatible key pairs (`cosign.key`, `cosign.pub`). */
export function registerKey(program: Command): void {
  const key = program.command('key').description('cosign-compatible signing keys: generate a key pair, print the public key of a private key file');
  key
    .command('generate')
    .description(`generate an ECDSA P-256 key pair as cosign generate-key-pair does: <prefix>.key (encrypted, mode 0600) and <prefix>.pub; the password comes from ${KEY_PASSWORD_ENV} if set, else a prompt, else standard input`)
    .option('--output-key-prefix <prefix>', 'path prefix of the two files', 'cosign')
    .option('--force', 'overwrite existing key files')
    .option('--output <format>', 'text or json', 'text')
    .action(async (flags: GenerateFlags) => {
      const format = parseOutputFormat(flags.output);
      const files = { privateKey: `${flags.outputKeyPrefix}.key`, publicKey: `${flags.outputKeyPrefix}.pub` };
      const force = flags.force === true;
      if (!force) await refuseExisting([files.privateKey, files.publicKey]);
      const password = await readPassword({ confirm: true, env: KEY_PASSWORD_ENV });
      const pair = generateKeyPair();
      await writeKeyFile(files.privateKey, await encryptPrivateKey(pair.privateKey, password), 0o600, force);
      await writeKeyFile(files.publicKey, publicKeyPem(pair.publicKey), 0o644, force);
      printResult(format, { ...files, keyId: keyIdOf(pair.publicKey) }, (r) => `Private key written to ${r.privateKey}\nPublic key written to ${r.publicKey}`);
    });
  key
    .command('public-key')
    .description(`print the PEM public key of a private key file (cosign.key, or an unencrypted PEM key); the password as for generate`)
    .requiredOption('--key <file>', 'the private key file')
    .option('--output <format>', 'text or json', 'text')
    .action(async (flags: PublicKeyFlags) => {
      const format = parseOutputFormat(flags.output);
      const signing = await loadKeyFile(flags.key);
      const result = { publicKey: publicKeyPem(signing.publicKey), keyId: keyIdOf(signing.publicKey), algorithm: signing.algorithm };
      printResult(format, result, (r) => r.publicKey.trimEnd());
    });
}

/** Refuses, before any password is asked for, to overwrite a key file. */
async function refuseExisting(paths: readonly string[]): Promise<void> {
  for (const path of paths) {
    if (await exists(path)) throw new UsageError(`${path} already exists: give --force to overwrite it`);
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** A new file with `mode` (an overwritten file is removed first, so it never keeps a looser mode). */
async function writeKeyFile(path: string, content: string, mode: number, force: boolean): Promise<void> {
  if (force) await rm(path, { force: true });
  await writeFile(path, content, { mode, flag: 'wx' });
}
