import type { Command } from 'commander';
import { ATTESTATION_TYPE_NAMES, predicateTypeOf } from '../../core/policy/trust-policy.ts';
import { verifyImage } from '../../sign/index.ts';
import { ExitCode, parseOutputFormat, printResult, UsageError } from '../output.ts';
import { openVerificationTarget, parseSchemes, verificationOptions, verificationPolicyFrom, type VerificationFlags } from '../signing-target.ts';
import { renderVerification, summarise } from './verify.ts';

/** `slipway verify-attestation`: verifies an image's attestations (both schemes), optionally of one type. */
export function registerVerifyAttestation(program: Command): void {
  verificationOptions(
    program
      .command('verify-attestation')
      .description('verify the attestations of an image (legacy .att and sigstore bundles) against a key or a keyless identity')
      .argument('<image>', 'host/repository:tag or @digest, or an OCI layout (oci:<dir>[:ref]) that slipway copy wrote'),
  )
    .option('--type <type>', `only attestations of this type (${ATTESTATION_TYPE_NAMES} or a predicate type URI)`)
    .action(async (image: string, flags: VerificationFlags & { type?: string }) => {
      const format = parseOutputFormat(flags.output);
      const wanted = flags.type === undefined ? undefined : predicateTypeOf(flags.type);
      if (flags.type !== undefined && wanted === undefined) throw new UsageError(`unknown attestation type ${JSON.stringify(flags.type)}`);
      const target = await openVerificationTarget(image, flags);
      try {
        const policy = await verificationPolicyFrom(flags, target.store);
        const result = await verifyImage(target.store, target.subject.digest, 'attestation', policy, { schemes: parseSchemes(flags.scheme), ...(wanted === undefined ? {} : { predicateType: wanted }) });
        const summary = { image: target.store.repository, ...summarise(result) };
        printResult(format, summary, renderVerification);
        process.exitCode = summary.verified ? ExitCode.ok : ExitCode.failure;
      } finally {
        target.close();
      }
    });
}
