import type { Command } from 'commander';
import { forcedAnnotations, keySigner, keylessSigner, signImage, type SignResult, type Signer } from '../../sign/index.ts';
import { parseOutputFormat, printResult, UsageError } from '../output.ts';
import { loadKeyFile } from '../key-file.ts';
import { checkScanGate, forcedWarning } from '../scan-gate-check.ts';
import { openSigningTarget, parseSchemes } from '../signing-target.ts';

export interface SignerFlags {
  readonly key?: string;
  readonly fulcioUrl?: string;
  readonly rekorUrl?: string;
  readonly identityToken?: string;
  readonly scheme: string;
  readonly insecure?: boolean;
  readonly force?: boolean;
  readonly reason?: string;
  readonly annotations?: string[];
  readonly output: string;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** The options `sign` and `attest` share: who signs, where the log is, which schemes, the scan-gate override. */
export function signerOptions(command: Command): Command {
  return command
    .option('--key <file>', 'sign with this private key (cosign.key, or a PKCS#8 PEM); password from $COSIGN_PASSWORD or a prompt')
    .option('--fulcio-url <url>', 'keyless: the Fulcio that certifies the identity token')
    .option('--rekor-url <url>', 'upload the signature to this Rekor (required keyless; optional with a key)')
    .option('--identity-token <jwt>', 'keyless: the OIDC identity token (default $SIGSTORE_ID_TOKEN)')
    .option('--scheme <scheme>', 'legacy (.sig/.att tags), bundle (sigstore bundle referrer) or both', 'both')
    .option('-a, --annotations <key=value>', 'an annotation to sign with the payload; repeatable', collect)
    .option('--force', 'sign although the image has not passed its scan gate (recorded in the signature and the audit log)')
    .option('--reason <text>', 'why the scan gate is overridden (with --force)')
    .option('--insecure', 'allow plain HTTP and unverified TLS')
    .option('--output <format>', 'text or json', 'text');
}

/** A key signer from `--key`, or a keyless one from `--fulcio-url` and an identity token. */
export async function signerFrom(flags: SignerFlags): Promise<{ signer: Signer; rekorUrl?: string }> {
  const rekor = flags.rekorUrl === undefined ? {} : { rekorUrl: flags.rekorUrl };
  if (flags.key !== undefined) {
    if (flags.fulcioUrl !== undefined) throw new UsageError('--key and --fulcio-url exclude each other');
    const key = await loadKeyFile(flags.key);
    return { signer: keySigner(key), ...rekor };
  }
  if (flags.fulcioUrl === undefined) throw new UsageError('name a signer: --key <cosign.key>, or keyless with --fulcio-url, --rekor-url and an identity token');
  if (flags.rekorUrl === undefined) throw new UsageError('keyless signing needs --rekor-url: the short-lived certificate is only verifiable with a log entry');
  const identityToken = flags.identityToken ?? process.env['SIGSTORE_ID_TOKEN'];
  if (identityToken === undefined || identityToken === '') throw new UsageError('keyless signing needs an OIDC identity token: --identity-token or $SIGSTORE_ID_TOKEN');
  return { signer: await keylessSigner({ fulcioUrl: flags.fulcioUrl, identityToken }), rekorUrl: flags.rekorUrl };
}

export function parseAnnotations(values: readonly string[] | undefined): Record<string, string> {
  const annotations: Record<string, string> = {};
  for (const value of values ?? []) {
    const eq = value.indexOf('=');
    if (eq <= 0) throw new UsageError(`-a takes key=value, not ${JSON.stringify(value)}`);
    annotations[value.slice(0, eq)] = value.slice(eq + 1);
  }
  return annotations;
}

/** `slipway sign`: signs an image's manifest digest (and with `--recursive` each child of an index) in both schemes. */
export function registerSign(program: Command): void {
  signerOptions(
    program
      .command('sign')
      .description("sign an image: cosign's legacy .sig tag and a sigstore bundle referrer (cosign v3), by key or keyless")
      .argument('<image>', 'host/repository:tag or @digest'),
  )
    .option('--recursive', 'for an index, also sign every child manifest')
    .action(async (image: string, flags: SignerFlags & { recursive?: boolean }) => {
      const format = parseOutputFormat(flags.output);
      const schemes = parseSchemes(flags.scheme);
      const target = await openSigningTarget(image, flags, { children: flags.recursive === true });
      try {
        const { gate, written, recordOverride } = await checkScanGate(target, flags, 'sign');
        const { signer, rekorUrl } = await signerFrom(flags);
        const annotations = { ...parseAnnotations(flags.annotations), ...forcedAnnotations(gate) };
        const subjects = [target.subject, ...(flags.recursive === true ? target.children : [])];
        const results: SignResult[] = [];
        try {
          for (const subject of subjects) {
            results.push(await signImage(target.store, subject, { signer, schemes, annotations, ...(rekorUrl === undefined ? {} : { rekorUrl }), written }));
          }
        } finally {
          await recordOverride();
        }
        printResult(format, { image: target.store.repository, signer: signer.description, scanGate: gate, signed: results }, (r) =>
          [
            ...forcedWarning(r.scanGate, 'signed'),
            ...r.signed.map((s) => `Signed ${r.image}@${s.digest} as ${r.signer}${s.legacy === undefined ? '' : `\n  legacy: ${s.legacy}`}${s.bundle === undefined ? '' : `\n  bundle: ${s.bundle}`}${s.tlogIndexes.length === 0 ? '' : `\n  tlog index: ${s.tlogIndexes.join(', ')}`}`),
          ].join('\n'),
        );
      } finally {
        target.client.close();
      }
    });
}
