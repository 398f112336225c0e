import type { Digest } from '../core/oci/digest.ts';
import { discover, type Scheme, type SignatureKind } from './discover.ts';
import type { SignatureStore } from './signature-store.ts';
import { verifySignature, type SignatureOutcome, type VerificationPolicy } from './verify/verify-signature.ts';

export interface ImageVerification {
  readonly digest: Digest;
  readonly kind: SignatureKind;
  /** One outcome per stored signature or attestation, verified or with the reason it is not. */
  readonly outcomes: readonly SignatureOutcome[];
}

/**
 * Verifies every signature (or attestation) stored for `digest` in both schemes against a
 * policy. Unreadable ones are outcomes too (SIGNATURE_MALFORMED), so nothing fails silently;
 * with none stored at all the single outcome is SIGNATURE_NOT_FOUND.
 */
export async function verifyImage(
  store: SignatureStore,
  digest: Digest,
  kind: SignatureKind,
  policy: VerificationPolicy,
  options: { schemes?: readonly Scheme[]; /** Attestations: only verified ones of this predicate type count (failures are all kept). */ predicateType?: string; signal?: AbortSignal } = {},
): Promise<ImageVerification> {
  const { found, unreadable } = await discover(store, digest, kind, options);
  const wanted = options.predicateType;
  const all = found.map((f) => verifySignature(f, digest, policy));
  const outcomes: SignatureOutcome[] = all.filter((o) => wanted === undefined || !o.verified || o.statement?.predicateType === wanted);
  for (const u of unreadable) outcomes.push({ verified: false, scheme: u.location.startsWith('referrer') ? 'bundle' : 'legacy', location: u.location, code: u.error.code, message: u.error.message });
  if (outcomes.length === 0) {
    // Verified ones of other types were set aside: say what is there rather than "none is stored".
    const otherTypes = [...new Set(all.flatMap((o) => (o.verified ? [o.statement?.predicateType ?? '(no statement)'] : [])))];
    const message =
      wanted !== undefined && otherTypes.length > 0
        ? `no ${kind} of type ${wanted} is stored for ${store.repository}@${digest} (found: ${otherTypes.join(', ')})`
        : `no ${kind} is stored for ${store.repository}@${digest} (looked for ${lookedFor(kind, options.schemes ?? ['legacy', 'bundle'])})`;
    // Not found is said of every scheme searched; the outcome carries the last one searched.
    outcomes.push({ verified: false, scheme: options.schemes?.at(-1) ?? 'bundle', location: store.repository, code: 'SIGNATURE_NOT_FOUND', message });
  }
  return { digest, kind, outcomes };
}

function lookedFor(kind: SignatureKind, schemes: readonly Scheme[]): string {
  const places = schemes.map((scheme) => (scheme === 'legacy' ? `the legacy .${kind === 'signature' ? 'sig' : 'att'} tag` : 'sigstore bundle referrers'));
  return places.join(' and ');
}
