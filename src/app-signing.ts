/**
 * Signing in the server, composed: Slipway's own registry as a signature store, the signature
 * facts the pull gate asks for (verified against each project's trust policy, cached per digest
 * and policy version), and attestation of the scanner's SBOM and vulnerability report.
 */
import { Readable } from 'node:stream';
import { ServerWriter } from './app-events.ts';
import { parseManifest } from './core/oci/manifest.ts';
import { digestOf, type Digest } from './core/oci/digest.ts';
import type { Descriptor } from './core/oci/descriptor.ts';
import { EMPTY_TRUST_POLICY, evaluateTrust, type TrustFacts, type TrustPolicy } from './core/policy/trust-policy.ts';
import type { SignatureFact } from './core/policy/pull-policy.ts';
import { RegistryError, type PullRequest, type Registry, type SignatureFacts } from './registry/index.ts';
import { attestImage, checkSize, vulnPredicate, loadPublicKey, readVerified, verifyImage, type SignatureStore, type Signer, type TrustedRoot, type VerificationPolicy } from './sign/index.ts';
import { toSpdx, toTrivyJson, type ScanResult } from './scan/index.ts';
import { ATTESTATION_TYPES } from './core/policy/trust-policy.ts';

/** A repository of Slipway's own registry as a signature store: trusted internal reads, writes as `actor`. */
export function localSignatureStore(registry: Registry, repository: string, actor = 'slipway-signer'): SignatureStore {
  const repo = { name: repository, project: repository.split('/')[0] ?? '' };
  return {
    repository,
    async manifest(reference, options = {}) {
      const digest = reference.includes(':') ? reference : await registry.content.resolveTag(repository, reference);
      if (digest === undefined) return undefined;
      const found = await registry.content.manifest(repository, digest, options);
      return found === undefined ? undefined : { ...found, digest: digest as Digest };
    },
    async blob(descriptor, options = {}) {
      checkSize(descriptor);
      return readVerified(descriptor, await registry.content.openBlob(descriptor.digest, options));
    },
    async referrers(subject) {
      const { index } = await registry.manifests.referrers(repo, subject, undefined);
      return (JSON.parse(index.toString('utf8')) as { manifests: Descriptor[] }).manifests;
    },
    async putBlob(bytes, mediaType) {
      const stored = await registry.blobs.uploadMonolithic(repo, digestOf(bytes), Readable.from([bytes]), bytes.byteLength, actor);
      return { mediaType, digest: stored.digest, size: stored.size };
    },
    async putManifest(reference, bytes, mediaType, o = {}) {
      const tagPrecondition = o.condition === undefined ? undefined : 'absent' in o.condition ? ({ absent: true } as const) : { digest: o.condition.digest };
      try {
        await registry.manifests.putManifest(repo, reference, Readable.from([bytes]), mediaType, actor, tagPrecondition === undefined ? {} : { tagPrecondition });
      } catch (error) {
        if (error instanceof RegistryError && error.code === 'TAG_MOVED') return { subjectIndexed: true, moved: true };
        throw error;
      }
      return { subjectIndexed: true };
    },
    // Slipway indexes referrers by subject itself; a fallback tag is never needed here.
    addReferrerToFallbackTag: () => Promise.resolve(),
    deleteManifest: (digest) => registry.manifests.deleteManifest(repo, digest, actor),
  };
}

/** How long a passed verification is reused (per digest and trust-policy version); failures are never cached. */
const VERIFIED_TTL_MS = 5 * 60_000;
const CACHE_LIMIT = 10_000;

/** What the server verifies signatures with: the trusted root, and whether keyless certificates' SCTs are waived. */
interface VerificationDeps {
  readonly registry: Registry;
  readonly trustedRoot?: TrustedRoot;
  /** `signing.ignoreSct`: a private Sigstore without a CT log; SCTs are required otherwise. */
  readonly ignoreSct?: boolean;
}

/**
 * The pull gate's signature facts: every signature (and required attestation) of the digest,
 * in both schemes, verified against the project's trust policy. A project without a policy
 * trusts nothing, so its signature requirement refuses every pull — with that reason.
 */
export function signatureFactsFrom(deps: VerificationDeps & { clock?: () => number }): SignatureFacts {
  const clock = deps.clock ?? Date.now;
  const cache = new Map<string, { fact: SignatureFact; until: number }>();
  return {
    async signatureOf(request, options = {}) {
      const stored = await deps.registry.trustPolicies.get(request.project);
      const policy = stored?.policy ?? EMPTY_TRUST_POLICY;
      const key = `${request.repository}@${request.digest}#${stored?.version ?? 0}`;
      const hit = cache.get(key);
      if (hit !== undefined && hit.until > clock()) return hit.fact;
      const fact = await evaluate(deps, request, policy, options);
      if (fact.verified) {
        if (cache.size >= CACHE_LIMIT) cache.clear();
        cache.set(key, { fact, until: clock() + VERIFIED_TTL_MS });
      }
      return fact;
    },
  };
}

async function evaluate(deps: VerificationDeps, request: PullRequest, policy: TrustPolicy, options: { signal?: AbortSignal }): Promise<SignatureFact> {
  if (policy.keys.length === 0 && policy.identities.length === 0) return verdictFact(evaluateTrust(policy, { signers: [], attestations: [], failures: [] }));
  const store = localSignatureStore(deps.registry, request.repository);
  const verification: VerificationPolicy = {
    keys: policy.keys.map((k) => loadPublicKey(k.publicKey)),
    identities: policy.identities,
    ...(deps.trustedRoot === undefined ? {} : { trustedRoot: deps.trustedRoot }),
    requireTlog: policy.requireTlog,
    requireSct: deps.ignoreSct !== true,
    dockerReference: policy.ignoreDockerReference ? null : { repository: request.repository },
  };
  const digest = request.digest as Digest;
  const signatures = await verifyImage(store, digest, 'signature', verification, options);
  const attestations = policy.requiredAttestations.length === 0 ? undefined : await verifyImage(store, digest, 'attestation', verification, options);
  const facts: TrustFacts = {
    signers: signatures.outcomes.flatMap((o) => (o.verified ? [o.signer] : [])),
    attestations: (attestations?.outcomes ?? []).flatMap((o) => (o.verified && o.statement !== undefined ? [{ predicateType: o.statement.predicateType, signer: o.signer }] : [])),
    failures: [...signatures.outcomes, ...(attestations?.outcomes ?? [])].flatMap((o) => (o.verified ? [] : [`${o.location}: ${o.code}: ${o.message}`])),
  };
  return verdictFact(evaluateTrust(policy, facts));
}

function verdictFact(verdict: ReturnType<typeof evaluateTrust>): SignatureFact {
  return verdict.passed ? { verified: true, by: verdict.by } : { verified: false, reason: verdict.reasons.join('; ') };
}

/** The subject descriptor of a manifest in the local registry (what a referrer's `subject` names). */
export async function localSubject(registry: Registry, repository: string, digest: string): Promise<Descriptor | undefined> {
  const found = await registry.content.manifest(repository, digest);
  if (found === undefined) return undefined;
  parseManifest(found.bytes, found.mediaType);
  return { mediaType: found.mediaType, digest: digest as Digest, size: found.bytes.byteLength };
}

/** Marks the server's scan attestations, so that a new scan's attestations replace the last ones (and nobody else's). */
const ATTESTOR_ANNOTATION = 'dev.slipway.attestor';

/**
 * Attests a successful scan with the server's key: the SPDX SBOM (`https://spdx.dev/Document`)
 * and the vulnerability report (cosign's vuln predicate around the Trivy JSON), both schemes.
 */
export function scanAttester(deps: { registry: Registry; signer: Signer; rekorUrl?: string }): (repository: string, digest: string, result: ScanResult) => Promise<readonly string[]> {
  return async (repository, digest, result) => {
    const subject = await localSubject(deps.registry, repository, digest);
    if (subject === undefined) return [];
    const store = localSignatureStore(deps.registry, repository, ServerWriter.attestor);
    const created = new Date(result.createdAt).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const predicates = [
      { predicateType: ATTESTATION_TYPES.spdxjson, predicate: toSpdx(result) },
      {
        predicateType: ATTESTATION_TYPES.vuln,
        predicate: vulnPredicate(toTrivyJson(result), {
          finishedOn: created,
          scannerVersion: result.scanner.version,
          dbVersion: result.db.updatedAt === null ? '' : new Date(result.db.updatedAt).toISOString(),
        }),
      },
    ];
    const done: string[] = [];
    for (const p of predicates) {
      const attested = await attestImage(store, subject, {
        signer: deps.signer,
        schemes: ['legacy', 'bundle'],
        ...p,
        replaces: { [ATTESTOR_ANNOTATION]: 'scan' },
        ...(deps.rekorUrl === undefined ? {} : { rekorUrl: deps.rekorUrl }),
      });
      done.push(...[attested.legacy, attested.bundle].filter((d) => d !== undefined));
    }
    return done;
  };
}
