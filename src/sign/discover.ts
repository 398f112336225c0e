import type { Digest } from '../core/oci/digest.ts';
import type { FoundSignature } from './model.ts';
import { COSIGN_SIGN_PREDICATE } from './payload/in-toto.ts';
import { readBundleReferrers } from './scheme/bundle-referrer.ts';
import { readLegacy } from './scheme/legacy.ts';
import type { SignError } from './sign-error.ts';
import type { SignatureStore } from './signature-store.ts';

export type SignatureKind = 'signature' | 'attestation';
export type Scheme = 'legacy' | 'bundle';

export interface Discovered {
  readonly found: readonly FoundSignature[];
  /** Signature artifacts that were there but could not be read: never silently dropped. */
  readonly unreadable: readonly { readonly location: string; readonly error: SignError }[];
}

/**
 * Every signature (or attestation) stored for a digest in both schemes: the legacy `.sig`/`.att`
 * tag and sigstore bundle referrers. Bundles are told apart by predicate type: cosign v3's image
 * signature is the `sign/v1` statement, anything else is an attestation.
 */
export async function discover(
  store: SignatureStore,
  digest: Digest,
  kind: SignatureKind,
  options: { schemes?: readonly Scheme[]; signal?: AbortSignal } = {},
): Promise<Discovered> {
  const schemes = options.schemes ?? ['legacy', 'bundle'];
  const parts = await Promise.all([
    schemes.includes('legacy') ? readLegacy(store, digest, kind === 'signature' ? 'sig' : 'att', options) : { found: [], unreadable: [] },
    schemes.includes('bundle') ? readBundleReferrers(store, digest, options) : { found: [], unreadable: [] },
  ]);
  const [legacy, bundles] = parts;
  const wanted = bundles.found.filter((f) => (bundlePredicateType(f) === COSIGN_SIGN_PREDICATE) === (kind === 'signature'));
  return { found: [...legacy.found, ...wanted], unreadable: [...legacy.unreadable, ...bundles.unreadable] };
}

/** The predicate type a bundle declares (annotation, else the unverified statement: used to sort, never to trust). */
function bundlePredicateType(found: FoundSignature): string | undefined {
  if (found.predicateType !== undefined) return found.predicateType;
  if (found.content.kind !== 'dsse') return COSIGN_SIGN_PREDICATE;
  try {
    const value = JSON.parse(found.content.envelope.payload.toString('utf8')) as { predicateType?: unknown };
    return typeof value.predicateType === 'string' ? value.predicateType : undefined;
  } catch {
    return undefined;
  }
}
