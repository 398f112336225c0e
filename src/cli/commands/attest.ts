import { createReadStream } from 'node:fs';
import type { Command } from 'commander';
import { fileErrorReason } from '../../core/format/file-error.ts';
import { ATTESTATION_TYPE_NAMES } from '../../core/policy/trust-policy.ts';
import { readLimited, StreamLimitError } from '../../core/stream/read-limited.ts';
import { attestationPredicate, attestImage, MAX_SIGNATURE_BLOB_BYTES, type SignResult } from '../../sign/index.ts';
import { parseOutputFormat, printResult, UsageError } from '../output.ts';
import { checkScanGate, forcedWarning } from '../scan-gate-check.ts';
import { openSigningTarget, parseSchemes } from '../signing-target.ts';
import { signerFrom, signerOptions, type SignerFlags } from './sign.ts';

/**
 * The largest predicate attested. Its envelope (the statement in base64, a third larger) must stay
 * under the size every verifier reads (MAX_SIGNATURE_BLOB_BYTES, Slipway's and cosign's alike), or
 * the attestation is stored and then refused by every verification.
 */
const MAX_PREDICATE_BYTES = 16 * 1024 * 1024;

async function readPredicate(file: string): Promise<Buffer> {
  try {
    return await readLimited(createReadStream(file), MAX_PREDICATE_BYTES);
  } catch (error) {
    if (!(error instanceof StreamLimitError)) throw new UsageError(`cannot read --predicate ${file}: ${fileErrorReason(error)}`);
    throw new UsageError(`--predicate ${file} is over ${MAX_PREDICATE_BYTES / 1024 ** 2} MiB: its attestation would exceed the ${MAX_SIGNATURE_BLOB_BYTES / 1024 ** 2} MiB verifiers read`);
  }
}

/** `slipway attest`: an in-toto statement about an image, in a DSSE envelope, stored in both schemes. */
export function registerAttest(program: Command): void {
  signerOptions(
    program
      .command('attest')
      .description('attest an image: an in-toto statement (SBOM, vulnerability report, provenance, …) signed in a DSSE envelope')
      .argument('<image>', 'host/repository:tag or @digest'),
  )
    .requiredOption('--predicate <file>', 'the predicate (JSON; any text for --type custom)')
    .option('--type <type>', `${ATTESTATION_TYPE_NAMES} or a predicate type URI`, 'custom')
    .action(async (image: string, flags: SignerFlags & { predicate: string; type: string }) => {
      const format = parseOutputFormat(flags.output);
      if ((flags.annotations ?? []).length > 0) throw new UsageError('-a annotates signatures; an attestation says what it says in its predicate');
      const schemes = parseSchemes(flags.scheme);
      const { predicateType, predicate } = attestationPredicate(flags.type, await readPredicate(flags.predicate));
      const target = await openSigningTarget(image, flags);
      try {
        const { gate, written, recordOverride } = await checkScanGate(target, flags, 'attest');
        const { signer, rekorUrl } = await signerFrom(flags);
        let result: SignResult;
        try {
          result = await attestImage(target.store, target.subject, { signer, schemes, predicateType, predicate, ...(rekorUrl === undefined ? {} : { rekorUrl }), written });
        } finally {
          await recordOverride();
        }
        printResult(format, { image: target.store.repository, signer: signer.description, predicateType, scanGate: gate, attested: result }, (r) =>
          [
            ...forcedWarning(r.scanGate, 'attested'),
            `Attested ${r.image}@${r.attested.digest} (${r.predicateType}) as ${r.signer}${r.attested.legacy === undefined ? '' : `\n  legacy: ${r.attested.legacy}`}${r.attested.bundle === undefined ? '' : `\n  bundle: ${r.attested.bundle}`}`,
          ].join('\n'),
        );
      } finally {
        target.client.close();
      }
    });
}

