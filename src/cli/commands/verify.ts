import type { Command } from 'commander';
import { COSIGN_SIGN_PREDICATE, describeSigner, verifyImage, type ImageVerification, type SignatureOutcome, type TrustedTime } from '../../sign/index.ts';
import { ExitCode, parseOutputFormat, printResult } from '../output.ts';
import { openVerificationTarget, parseSchemes, verificationOptions, verificationPolicyFrom, type VerificationFlags } from '../signing-target.ts';

/** `slipway verify`: verifies an image's signatures in both schemes against keys or keyless identities, offline. */
export function registerVerify(program: Command): void {
  verificationOptions(
    program
      .command('verify')
      .description('verify the signatures of an image (legacy .sig and sigstore bundles) against a key or a keyless identity')
      .argument('<image>', 'host/repository:tag or @digest, or an OCI layout (oci:<dir>[:ref]) that slipway copy wrote'),
  ).action(async (image: string, flags: VerificationFlags) => {
    const format = parseOutputFormat(flags.output);
    const target = await openVerificationTarget(image, flags);
    try {
      const policy = await verificationPolicyFrom(flags, target.store);
      const result = await verifyImage(target.store, target.subject.digest, 'signature', policy, { schemes: parseSchemes(flags.scheme) });
      printResult(format, { image: target.store.repository, ...summarise(result) }, renderVerification);
      process.exitCode = result.outcomes.some((o) => o.verified) ? ExitCode.ok : ExitCode.failure;
    } finally {
      target.close();
    }
  });
}

export function summarise(result: ImageVerification): { digest: string; verified: boolean; outcomes: readonly SignatureOutcome[] } {
  return { digest: result.digest, verified: result.outcomes.some((o) => o.verified), outcomes: result.outcomes };
}

/** `, logged 2025-…` (a Rekor v1 integrated time) or `, timestamped 2025-…` (an RFC 3161 timestamp). */
function describeTime(t: TrustedTime): string {
  return `, ${t.source === 'tlog' ? 'logged' : 'timestamped'} ${t.time.toISOString()}`;
}

export function renderVerification(r: { image: string; digest: string; verified: boolean; outcomes: readonly SignatureOutcome[] }): string {
  const lines = r.outcomes.map((o) =>
    o.verified
      ? `✓ ${o.scheme.padEnd(6)} ${o.location}: signed by ${describeSigner(o.signer)}${o.signingTimes.map(describeTime).join('')}${o.statement === undefined || o.statement.predicateType === COSIGN_SIGN_PREDICATE ? '' : ` (${o.statement.predicateType})`}`
      : `✗ ${(o.code === 'SIGNATURE_NOT_FOUND' ? '' : o.scheme).padEnd(6)} ${o.location}: ${o.code}: ${o.message}${o.code === 'DOCKER_REFERENCE_MISMATCH' ? ' (name the repository it was signed in: --docker-reference <host/repository>, or --ignore-docker-reference)' : ''}`,
  );
  const verified = r.outcomes.filter((o) => o.verified).length;
  return [...lines, `${r.image}@${r.digest}: ${verified} of ${r.outcomes.length} verified${r.verified ? '' : ' — NOT VERIFIED'}`].join('\n');
}
