import { createHash, X509Certificate as NodeX509 } from 'node:crypto';
import { parseReference } from '../../core/oci/reference.ts';
import { matchesIdentity, type TrustedIdentity } from '../../core/policy/trust-policy.ts';
import { publicKeyPem, verificationKeyOf, type VerificationKey } from '../keys.ts';
import type { FoundSignature, TlogEntry, TrustedTime, VerifiedSigner } from '../model.ts';
import { preAuthEncoding } from '../payload/dsse.ts';
import { parseStatement, statementCovers, type Statement } from '../payload/in-toto.ts';
import { parseSimpleSigning } from '../payload/simple-signing.ts';
import { certificatePem } from '../pem.ts';
import { SignError } from '../sign-error.ts';
import { certificateIdentity, verifyCertificateChain, type VerifiedChain } from '../sigstore/certificate.ts';
import { isRekorV2Entry, verifyRekorV2Entry } from '../sigstore/rekor-v2-entry.ts';
import { verifyEmbeddedScts } from '../sigstore/sct.ts';
import { verifyTimestamp } from '../sigstore/timestamp.ts';
import { checkTlogBody, verifyTlogEntry, type TlogBodyExpectation } from '../sigstore/tlog.ts';
import type { TrustedRoot } from '../sigstore/trusted-root.ts';

/** What a verifier trusts: keys, keyless identities under a trusted root, and how strict to be. */
export interface VerificationPolicy {
  readonly keys: readonly VerificationKey[];
  readonly identities: readonly TrustedIdentity[];
  readonly trustedRoot?: TrustedRoot;
  /** A transparency-log proof is required (cosign's default; `--insecure-ignore-tlog` waives it). */
  readonly requireTlog: boolean;
  /**
   * Keyless: the certificate's embedded SCTs must verify against the trusted root's CT logs. Absent means required
   * (cosign's default); only an explicit `false` waives it (`--insecure-ignore-sct`, a private Sigstore without CT log).
   */
  readonly requireSct?: boolean;
  /**
   * What legacy signatures' docker-reference must name: the full `host/path` (the CLI, which knows
   * the host it talks to), or the repository path on any host (a server, which does not know the
   * name clients reach it by); `null` ignores docker-reference (after promotion or a copy).
   */
  readonly dockerReference: { readonly reference: string } | { readonly repository: string } | null;
  readonly clock?: () => number;
}

/** The outcome of one stored signature or attestation: verified with its signer, or the reason it is not. */
export type SignatureOutcome =
  | {
      readonly verified: true;
      readonly scheme: FoundSignature['scheme'];
      readonly location: string;
      readonly signer: VerifiedSigner;
      /** The time the log vouches for, when a Rekor v1 proof was checked. */
      readonly integratedTime?: Date;
      /** Every trusted signing time: Rekor v1 integrated times and verified RFC 3161 timestamps (the certificate was valid at each). */
      readonly signingTimes: readonly TrustedTime[];
      /** Attestations (and v3 bundle signatures): the statement, parsed from the verified bytes. */
      readonly statement?: Statement;
    }
  | { readonly verified: false; readonly scheme: FoundSignature['scheme']; readonly location: string; readonly code: SignError['code']; readonly message: string };

/**
 * Verifies one signature of `digest`, each check with its own failure code: the signature over
 * the exact payload (or DSSE PAE) with the claimed key; its RFC 3161 timestamps; the log proof and
 * that the entry is about this signature; the certificate chain at every trusted signing time and
 * its SCTs; the identity and issuer; then the claims — the payload names this digest (and repository).
 */
export function verifySignature(found: FoundSignature, digest: string, policy: VerificationPolicy): SignatureOutcome {
  try {
    const { signer, signingTimes } = verifySignedMaterial(found, policy);
    const statement = checkClaims(found, digest, policy);
    const integratedTime = signingTimes.find((t) => t.source === 'tlog')?.time;
    return {
      verified: true,
      scheme: found.scheme,
      location: found.location,
      signer,
      signingTimes,
      ...(integratedTime === undefined ? {} : { integratedTime }),
      ...(statement === undefined ? {} : { statement }),
    };
  } catch (error) {
    const e = error instanceof SignError ? error : new SignError('SIGNATURE_MALFORMED', String(error), { cause: error });
    return { verified: false, scheme: found.scheme, location: found.location, code: e.code, message: e.message };
  }
}

/** What the signature, its timestamps, log entries and certificate prove, before any claim of the payload is read. */
export interface VerifiedMaterial {
  readonly signer: VerifiedSigner;
  readonly signingTimes: readonly TrustedTime[];
}

/**
 * Every check of {@link verifySignature} but the claims: the signature, its RFC 3161 timestamps (when there is a
 * trusted root), its log entries (a Rekor v2 entry takes its time from those timestamps) and the certificate at every
 * trusted signing time (the current time when there is none). Throws the SignError of the first failing check.
 */
export function verifySignedMaterial(found: FoundSignature, policy: VerificationPolicy): VerifiedMaterial {
  const signed = signedBytes(found);
  const certificate = found.material.kind === 'certificate' ? found.material.certificate : undefined;
  const key = certificate === undefined ? keyFor(found, signed, policy.keys) : certificateKey(certificate, signed);
  const stamped = checkTimestamps(found, policy);
  const logged = checkTlog(found, signed, key, certificate, policy, stamped.map((t) => t.time));
  const signingTimes = [...logged, ...stamped];
  const signer: VerifiedSigner = certificate === undefined ? { kind: 'key', keyId: key.keyId } : checkCertificate(certificate, signingTimes, policy);
  return { signer, signingTimes };
}

interface Signed {
  readonly data: Buffer;
  readonly signatures: readonly Buffer[];
}

function signedBytes(found: FoundSignature): Signed {
  const content = found.content;
  if (content.kind === 'dsse') return { data: preAuthEncoding(content.envelope.payloadType, content.envelope.payload), signatures: content.envelope.signatures.map((s) => s.sig) };
  if (content.payload.byteLength === 0) throw new SignError('SIGNATURE_MALFORMED', `${found.location} signs a detached blob (message signature), not an image`);
  return { data: content.payload, signatures: [content.signature] };
}

function verifies(key: VerificationKey, signed: Signed): boolean {
  return signed.signatures.some((s) => key.verify(signed.data, s));
}

/** A key-signed signature: the trusted key it names (by hint) or, without a hint, any trusted key that verifies it. */
function keyFor(found: FoundSignature, signed: Signed, keys: readonly VerificationKey[]): VerificationKey {
  const hint = found.material.kind === 'key' ? found.material.hint : undefined;
  if (keys.length === 0) throw new SignError('KEY_UNTRUSTED', `${found.location} is signed with a key${hint ? ` (${hint})` : ''}, and no key is trusted`);
  const named = hint === undefined || hint === '' ? keys : keys.filter((k) => k.keyId === hint);
  if (named.length === 0) throw new SignError('KEY_UNTRUSTED', `${found.location} is signed by key ${hint}, which is not a trusted key`);
  const key = named.find((k) => verifies(k, signed));
  if (key !== undefined) return key;
  throw new SignError('SIGNATURE_INVALID', `${found.location}: the signature does not verify over the payload with ${named.length === 1 ? `key ${named[0]?.keyId}` : 'any trusted key'}${hint ? '' : ' (signed by another key, or altered)'}`);
}

function certificateKey(certificate: Buffer, signed: Signed): VerificationKey {
  let key: VerificationKey;
  try {
    key = verificationKeyOf(new NodeX509(certificate).publicKey);
  } catch (error) {
    throw new SignError('CERTIFICATE_CHAIN_INVALID', 'the signing certificate cannot be read', { cause: error });
  }
  if (!verifies(key, signed)) throw new SignError('SIGNATURE_INVALID', 'the signature does not verify over the payload with the certificate\'s key');
  return key;
}

/**
 * The bytes a signature's RFC 3161 timestamps cover, as cosign and sigstore-go timestamp them: the signature (of a
 * DSSE bundle, the envelope's signature), or a legacy attestation's whole stored envelope.
 */
function timestamped(found: FoundSignature): { data: Buffer; what: string } {
  const content = found.content;
  if (content.kind === 'message') return { data: content.signature, what: 'the signature' };
  if (content.envelopeBytes !== undefined) return { data: content.envelopeBytes, what: 'the stored DSSE envelope' };
  return { data: content.envelope.signatures[0]?.sig ?? Buffer.alloc(0), what: 'the envelope signature' };
}

/** Every RFC 3161 timestamp must verify against the trusted root; without a root they are kept, not trusted. */
function checkTimestamps(found: FoundSignature, policy: VerificationPolicy): TrustedTime[] {
  const root = policy.trustedRoot;
  if (found.timestamps.length === 0 || root === undefined) return [];
  const { data, what } = timestamped(found);
  return found.timestamps.map((der) => ({ source: 'timestamp-authority', ...verifyTimestamp(der, data, root.timestampAuthorities, what) }));
}

function checkTlog(found: FoundSignature, signed: Signed, key: VerificationKey, certificate: Buffer | undefined, policy: VerificationPolicy, stampedTimes: readonly Date[]): TrustedTime[] {
  if (found.tlogEntries.length === 0) {
    if (policy.requireTlog) throw new SignError('TLOG_PROOF_MISSING', `${found.location} has no transparency-log entry (sign with a Rekor, or waive the check: --insecure-ignore-tlog, or requireTlog: false in the trust policy)`);
    return [];
  }
  if (!policy.requireTlog && policy.trustedRoot === undefined) return [];
  if (policy.trustedRoot === undefined) throw new SignError('TRUSTED_ROOT_INVALID', 'checking the transparency-log proof needs a trusted root (--trusted-root)');
  const verifier = Buffer.from(certificate === undefined ? publicKeyPem(key.publicKey) : certificatePem(certificate));
  const times: TrustedTime[] = [];
  for (const entry of found.tlogEntries) {
    const time = verifyEntry(entry, policy.trustedRoot, stampedTimes);
    checkTlogBody(entry, bodyExpectation(found, signed, verifier));
    if (time !== undefined) times.push(time);
  }
  return times;
}

/** A Rekor v1 entry's integrated time; a Rekor v2 entry has none, and must be in a log trusted at the timestamps' times. */
function verifyEntry(entry: TlogEntry, root: TrustedRoot, stampedTimes: readonly Date[]): TrustedTime | undefined {
  if (isRekorV2Entry(entry)) {
    verifyRekorV2Entry(entry, root, stampedTimes);
    return undefined;
  }
  const { integratedTime, log } = verifyTlogEntry(entry, root);
  return { source: 'tlog', time: integratedTime, authority: log.baseUrl };
}

function bodyExpectation(found: FoundSignature, signed: Signed, verifier: Buffer): TlogBodyExpectation {
  const content = found.content;
  if (content.kind === 'dsse') {
    const { payloadType, payload, signatures } = content.envelope;
    return { kind: 'dsse', payloadType, payload, signatures: signatures.map((s) => ({ sig: s.sig, verifier })) };
  }
  return { kind: 'message', digest: createHash('sha256').update(signed.data).digest(), signature: content.signature, verifier };
}

/** The chain at every trusted signing time (as sigstore-go requires; the current time when none), then the SCTs and the identity. */
function checkCertificate(certificate: Buffer, signingTimes: readonly TrustedTime[], policy: VerificationPolicy): VerifiedSigner {
  const root = policy.trustedRoot;
  if (root === undefined) throw new SignError('TRUSTED_ROOT_INVALID', 'a certificate-signed signature needs a trusted root (--trusted-root) to check its chain');
  const [chain] = signingTimes.length === 0 ? [verifyCertificateChain(certificate, root, new Date((policy.clock ?? Date.now)()))] : signingTimes.map((t) => chainAt(certificate, root, t));
  if (chain !== undefined && policy.requireSct !== false) verifyEmbeddedScts(chain.leaf, chain.issuer, root.ctlogs);
  return checkIdentity(certificate, policy.identities);
}

/** The chain at one trusted time; a leaf not valid then says which time it was. */
function chainAt(certificate: Buffer, root: TrustedRoot, at: TrustedTime): VerifiedChain {
  try {
    return verifyCertificateChain(certificate, root, at.time);
  } catch (error) {
    if (!(error instanceof SignError) || error.code !== 'CERTIFICATE_NOT_VALID_AT_SIGNING_TIME') throw error;
    throw new SignError(error.code, `${error.message} (${at.source === 'tlog' ? 'integrated by' : 'timestamped by'} ${at.authority})`, { cause: error });
  }
}

function checkIdentity(certificate: Buffer, identities: readonly TrustedIdentity[]): VerifiedSigner {
  const { subject, issuer } = certificateIdentity(certificate);
  if (issuer === undefined) throw new SignError('ISSUER_MISMATCH', `the certificate of ${subject} names no OIDC issuer`);
  if (identities.some((i) => matchesIdentity(i, subject, issuer))) return { kind: 'keyless', subject, issuer };
  if (identities.length === 0) throw new SignError('IDENTITY_MISMATCH', `signed by ${subject} (issuer ${issuer}), and no keyless identity is trusted`);
  const subjectOnly = identities.some((i) =>
    matchesIdentity({ ...(i.subject === undefined ? {} : { subject: i.subject }), ...(i.subjectRegExp === undefined ? {} : { subjectRegExp: i.subjectRegExp }), issuerRegExp: '.*' }, subject, issuer),
  );
  if (subjectOnly) throw new SignError('ISSUER_MISMATCH', `signed by ${subject} with OIDC issuer ${issuer}, which is not a trusted issuer for that identity`);
  throw new SignError('IDENTITY_MISMATCH', `signed by ${subject} (issuer ${issuer}), which is not a trusted identity`);
}

function checkClaims(found: FoundSignature, digest: string, policy: VerificationPolicy): Statement | undefined {
  const content = found.content;
  if (content.kind === 'message') {
    const claims = parseSimpleSigning(content.payload);
    if (claims.manifestDigest !== digest) throw new SignError('PAYLOAD_DIGEST_MISMATCH', `${found.location} signs ${claims.manifestDigest}, not ${digest}`);
    const expected = policy.dockerReference;
    if (expected !== null && !referenceMatches(claims.dockerReference, expected)) {
      throw new SignError('DOCKER_REFERENCE_MISMATCH', `${found.location} was signed for ${claims.dockerReference}, not ${'reference' in expected ? expected.reference : `…/${expected.repository}`}`);
    }
    return undefined;
  }
  const statement = parseStatement(content.envelope.payload);
  if (!statementCovers(statement, digest)) throw new SignError('PAYLOAD_DIGEST_MISMATCH', `${found.location}: the statement's subject is not ${digest}`);
  if (found.predicateType !== undefined && found.predicateType !== statement.predicateType && found.scheme === 'legacy') {
    throw new SignError('ATTESTATION_INVALID', `${found.location} is annotated ${found.predicateType} but states ${statement.predicateType}`);
  }
  return statement;
}

function referenceMatches(signed: string, expected: { readonly reference: string } | { readonly repository: string }): boolean {
  if ('reference' in expected) return signed === expected.reference;
  try {
    const parsed = parseReference(signed);
    return parsed.repository === expected.repository;
  } catch {
    return false;
  }
}
