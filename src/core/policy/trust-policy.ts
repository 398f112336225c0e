/**
 * A project's trust policy for signatures: which keys and keyless (Fulcio) identities may sign,
 * how many distinct trusted signers must have signed, which attestation types must be present.
 * Pure functions from verified facts to a verdict; the signing stage does the cryptography and
 * applies `requireTlog` and `ignoreDockerReference` while producing the facts.
 */

export interface TrustPolicy {
  readonly keys: readonly TrustedKey[];
  readonly identities: readonly TrustedIdentity[];
  /** How many DISTINCT trusted signers must have signed (a key once, a keyless signer once per subject and issuer). */
  readonly threshold: number;
  /** Predicate type URIs; each needs at least one attestation by a trusted signer. */
  readonly requiredAttestations: readonly string[];
  /** Signatures must come with a verified transparency-log entry. */
  readonly requireTlog: boolean;
  /** Do not check that a simple-signing payload's `docker-reference` names the repository. */
  readonly ignoreDockerReference: boolean;
}

export interface TrustedKey {
  readonly name: string;
  /** PEM (`-----BEGIN PUBLIC KEY-----`, as `cosign.pub`). */
  readonly publicKey: string;
  /** Standard base64 of the SHA-256 of the key's SPKI DER (sigstore's key hint). */
  readonly keyId: string;
}

/**
 * A keyless identity: the certificate's subject (SAN) and OIDC issuer, each exact or a regular
 * expression (both given: both must match). Regular expressions are ANCHORED here: they must match
 * the whole value. cosign, sigstore-go and sigstore-js match unanchored, a known footgun
 * (`https://github.com/acme/` would also trust `https://github.com/acme/../evil` or
 * `https://evil.example/?https://github.com/acme/`); write `.*` where a prefix is meant.
 */
export interface TrustedIdentity {
  readonly subject?: string;
  readonly subjectRegExp?: string;
  readonly issuer?: string;
  readonly issuerRegExp?: string;
}

export type TrustSigner = { readonly kind: 'key'; readonly keyId: string } | { readonly kind: 'keyless'; readonly subject: string; readonly issuer: string };

/** What verification proved about an artifact's signatures and attestations. */
export interface TrustFacts {
  readonly signers: readonly TrustSigner[];
  readonly attestations: readonly { readonly predicateType: string; readonly signer: TrustSigner }[];
  /** Why other signatures did not verify. */
  readonly failures: readonly string[];
}

export type TrustVerdict = { readonly passed: true; readonly by: readonly string[] } | { readonly passed: false; readonly reasons: readonly string[] };

/** A policy as callers send it: each key's `keyId` is computed from its PEM by whoever stores it. */
export type TrustPolicyInput = Omit<TrustPolicy, 'keys'> & { readonly keys: readonly Omit<TrustedKey, 'keyId'>[] };

export type TrustPolicyValidation = { readonly ok: true; readonly policy: TrustPolicyInput } | { readonly ok: false; readonly errors: readonly string[] };

/** The policy of a project that has none: it trusts nothing, so a signature gate fails closed. */
export const EMPTY_TRUST_POLICY: TrustPolicy = { keys: [], identities: [], threshold: 1, requiredAttestations: [], requireTlog: true, ignoreDockerReference: false };

/** `cosign attest --type` short names → predicate type URIs (formats/cosign-sigstore.md §4). */
export const ATTESTATION_TYPES = {
  custom: 'https://cosign.sigstore.dev/attestation/v1',
  slsaprovenance: 'https://slsa.dev/provenance/v0.2',
  slsaprovenance02: 'https://slsa.dev/provenance/v0.2',
  slsaprovenance1: 'https://slsa.dev/provenance/v1',
  spdx: 'https://spdx.dev/Document',
  spdxjson: 'https://spdx.dev/Document',
  cyclonedx: 'https://cyclonedx.org/bom',
  link: 'https://in-toto.io/Link/v1',
  vuln: 'https://cosign.sigstore.dev/attestation/vuln/v1',
  openvex: 'https://openvex.dev/ns',
} as const satisfies Readonly<Record<string, string>>;

export type AttestationTypeName = keyof typeof ATTESTATION_TYPES;

/** The short names, for help texts and errors: `custom, slsaprovenance, …`. */
export const ATTESTATION_TYPE_NAMES = Object.keys(ATTESTATION_TYPES).join(', ');

/** The predicate type URI of a cosign short name (case-insensitive) or of a URI (itself); undefined otherwise. */
export function predicateTypeOf(nameOrUri: string): string | undefined {
  const name = nameOrUri.trim().toLowerCase();
  if (Object.hasOwn(ATTESTATION_TYPES, name)) return ATTESTATION_TYPES[name as AttestationTypeName];
  return /^[a-z][a-z0-9+.-]*:\S+$/i.test(nameOrUri) && URL.canParse(nameOrUri) ? nameOrUri : undefined;
}

const compiled = new Map<string, RegExp>();

/** `pattern` as a regular expression that must match the whole value. */
function anchored(pattern: string): RegExp {
  let re = compiled.get(pattern);
  if (re === undefined) {
    re = new RegExp(`^(?:${pattern})$`);
    if (compiled.size >= 1000) compiled.clear();
    compiled.set(pattern, re);
  }
  return re;
}

function fieldMatches(exact: string | undefined, pattern: string | undefined, value: string): boolean {
  if (exact === undefined && pattern === undefined) return false;
  if (exact !== undefined && exact !== value) return false;
  if (pattern === undefined) return true;
  try {
    return anchored(pattern).test(value);
  } catch {
    return false; // a pattern that does not compile trusts nothing
  }
}

/** Whether a keyless signer (certificate subject and OIDC issuer) is this identity; regexes anchored. */
export function matchesIdentity(identity: TrustedIdentity, subject: string, issuer: string): boolean {
  return fieldMatches(identity.subject, identity.subjectRegExp, subject) && fieldMatches(identity.issuer, identity.issuerRegExp, issuer);
}

function describeField(exact: string | undefined, pattern: string | undefined): string {
  return [exact, pattern === undefined ? undefined : `/${pattern}/`].filter((part) => part !== undefined).join(' and ');
}

/** `identity alice@example.com (issuer https://accounts.example.com)`, regexes between slashes. */
export function describeIdentity(identity: TrustedIdentity): string {
  return `identity ${describeField(identity.subject, identity.subjectRegExp)} (issuer ${describeField(identity.issuer, identity.issuerRegExp)})`;
}

export function describeTrustSigner(signer: TrustSigner): string {
  switch (signer.kind) {
    case 'key':
      return `key ${signer.keyId}`;
    case 'keyless':
      return `${signer.subject} (issuer ${signer.issuer})`;
  }
}

/** The name of the trusted key, or the description of the first trusted identity, that `signer` is; undefined when the policy does not trust it. */
export function signerTrusted(policy: TrustPolicy, signer: TrustSigner): string | undefined {
  switch (signer.kind) {
    case 'key':
      return policy.keys.find((key) => key.keyId === signer.keyId)?.name;
    case 'keyless': {
      const identity = policy.identities.find((candidate) => matchesIdentity(candidate, signer.subject, signer.issuer));
      return identity === undefined ? undefined : describeIdentity(identity);
    }
  }
}

/** One entry per distinct signer: a key by its id, a keyless signer by subject and issuer. */
function signerKey(signer: TrustSigner): string {
  return signer.kind === 'key' ? `key\0${signer.keyId}` : `keyless\0${signer.subject}\0${signer.issuer}`;
}

function trustedAnchors(policy: TrustPolicy): string {
  return [...policy.keys.map((key) => `key ${key.name}`), ...policy.identities.map(describeIdentity)].join(', ');
}

function signerReasons(policy: TrustPolicy, signers: readonly TrustSigner[]): { trusted: string[]; reasons: string[] } {
  const trusted = new Map<string, string>();
  const untrusted = new Map<string, string>();
  for (const signer of signers) {
    const name = signerTrusted(policy, signer);
    if (name !== undefined) trusted.set(signerKey(signer), signer.kind === 'key' ? `key ${name}` : describeTrustSigner(signer));
    else untrusted.set(signerKey(signer), `the signature by ${describeTrustSigner(signer)} verified, but the trust policy does not trust that signer`);
  }
  const names = [...trusted.values()];
  if (names.length >= policy.threshold) return { trusted: names, reasons: [] };
  const shortfall =
    names.length === 0
      ? `not signed by any signer the trust policy trusts (${trustedAnchors(policy)})`
      : `signed by ${names.length} trusted signer${names.length === 1 ? '' : 's'} (${names.join(', ')}); the trust policy requires ${policy.threshold}`;
  return { trusted: names, reasons: [shortfall, ...untrusted.values()] };
}

function attestationReasons(policy: TrustPolicy, facts: TrustFacts): string[] {
  const reasons: string[] = [];
  for (const type of policy.requiredAttestations) {
    const ofType = facts.attestations.filter((a) => a.predicateType === type);
    if (ofType.some((a) => signerTrusted(policy, a.signer) !== undefined)) continue;
    const signers = [...new Set(ofType.map((a) => describeTrustSigner(a.signer)))];
    reasons.push(
      signers.length === 0
        ? `no verified attestation of type ${type}, which the trust policy requires`
        : `the attestation of type ${type} is signed only by ${signers.join(', ')}, which the trust policy does not trust`,
    );
  }
  return reasons;
}

/**
 * The verdict of `policy` over what verification proved. Fails closed: a policy naming no keys or
 * identities trusts nothing. Reasons name the keys, identities and predicate types concerned, then
 * why the other signatures did not verify.
 */
export function evaluateTrust(policy: TrustPolicy, facts: TrustFacts): TrustVerdict {
  if (policy.keys.length === 0 && policy.identities.length === 0) {
    return { passed: false, reasons: ['the trust policy names no keys or identities', ...facts.failures] };
  }
  const signers = signerReasons(policy, facts.signers);
  const reasons = [...signers.reasons, ...attestationReasons(policy, facts)];
  if (reasons.length > 0) return { passed: false, reasons: [...reasons, ...facts.failures] };
  return { passed: true, by: signers.trusted };
}

const POLICY_FIELDS = ['keys', 'identities', 'threshold', 'requiredAttestations', 'requireTlog', 'ignoreDockerReference'];
const IDENTITY_FIELDS = ['subject', 'subjectRegExp', 'issuer', 'issuerRegExp'] as const;
const PEM_LABEL = /-----BEGIN ([A-Z0-9 ]+)-----/;

function isRecord(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function listOf(value: unknown, where: string, errors: string[]): readonly unknown[] {
  if (value === undefined) return [];
  if (Array.isArray(value)) return value;
  errors.push(`${where} must be a list`);
  return [];
}

function unknownFields(value: Readonly<Record<string, unknown>>, known: readonly string[], where: string, errors: string[]): void {
  for (const field of Object.keys(value)) if (!known.includes(field)) errors.push(`${where} has an unknown field ${JSON.stringify(field)}`);
}

function validateKey(value: unknown, where: string, errors: string[]): Omit<TrustedKey, 'keyId'> | undefined {
  if (!isRecord(value)) {
    errors.push(`${where} must be an object with name and publicKey`);
    return undefined;
  }
  // keyId is what the server computes from publicKey; one read back may be sent again.
  unknownFields(value, ['name', 'publicKey', 'keyId'], where, errors);
  const { name, publicKey } = value;
  const before = errors.length;
  if (typeof name !== 'string' || name.trim() === '') errors.push(`${where}.name must be a non-empty string`);
  if (typeof publicKey !== 'string' || !PEM_LABEL.test(publicKey)) {
    errors.push(`${where}.publicKey must be a PEM public key (-----BEGIN PUBLIC KEY-----)`);
  } else if (PEM_LABEL.exec(publicKey)?.[1]?.includes('PRIVATE') === true) {
    errors.push(`${where}.publicKey is a private key; give its public key (cosign.pub)`);
  }
  return errors.length === before ? { name: String(name).trim(), publicKey: String(publicKey) } : undefined;
}

function validateIdentity(value: unknown, where: string, errors: string[]): TrustedIdentity | undefined {
  if (!isRecord(value)) {
    errors.push(`${where} must be an object with subject or subjectRegExp, and issuer or issuerRegExp`);
    return undefined;
  }
  unknownFields(value, IDENTITY_FIELDS, where, errors);
  const before = errors.length;
  const identity: Record<string, string> = {};
  for (const field of IDENTITY_FIELDS) {
    const given = value[field];
    if (given === undefined) continue;
    if (typeof given !== 'string' || given === '') {
      errors.push(`${where}.${field} must be a non-empty string`);
      continue;
    }
    if (field.endsWith('RegExp')) {
      try {
        anchored(given);
      } catch (error) {
        errors.push(`${where}.${field} is not a valid regular expression: ${(error as Error).message}`);
      }
    }
    identity[field] = given;
  }
  if (identity['subject'] === undefined && identity['subjectRegExp'] === undefined) errors.push(`${where} needs subject or subjectRegExp`);
  if (identity['issuer'] === undefined && identity['issuerRegExp'] === undefined) errors.push(`${where} needs issuer or issuerRegExp`);
  return errors.length === before ? identity : undefined;
}

function validateAttestations(value: unknown, errors: string[]): string[] {
  const types = new Set<string>();
  listOf(value, 'requiredAttestations', errors).forEach((entry, i) => {
    const type = typeof entry === 'string' ? predicateTypeOf(entry) : undefined;
    if (type === undefined) {
      errors.push(`requiredAttestations[${i}] must be a predicate type URI or one of ${Object.keys(ATTESTATION_TYPES).join(', ')}; got ${JSON.stringify(entry)}`);
    } else types.add(type);
  });
  return [...types];
}

function flag(value: unknown, name: string, fallback: boolean, errors: string[]): boolean {
  if (value === undefined) return fallback;
  if (typeof value === 'boolean') return value;
  errors.push(`${name} must be true or false`);
  return fallback;
}

/**
 * Checks a policy as a caller sends it and fills in the defaults (threshold 1, requireTlog true,
 * everything else empty or false). Attestation short names become predicate type URIs. Collects
 * every mistake rather than stopping at the first.
 */
export function validateTrustPolicy(input: unknown): TrustPolicyValidation {
  if (!isRecord(input)) return { ok: false, errors: ['the trust policy must be an object'] };
  const errors: string[] = [];
  unknownFields(input, POLICY_FIELDS, 'the trust policy', errors);
  const keys = listOf(input['keys'], 'keys', errors).map((key, i) => validateKey(key, `keys[${i}]`, errors));
  const identities = listOf(input['identities'], 'identities', errors).map((identity, i) => validateIdentity(identity, `identities[${i}]`, errors));
  const names = keys.flatMap((key) => (key === undefined ? [] : [key.name]));
  for (const repeated of new Set(names.filter((name, i) => names.indexOf(name) !== i))) errors.push(`more than one key is named ${JSON.stringify(repeated)}`);
  const threshold = input['threshold'] ?? 1;
  if (typeof threshold !== 'number' || !Number.isSafeInteger(threshold) || threshold < 1) {
    errors.push(`threshold must be a whole number of at least 1, got ${JSON.stringify(threshold)}`);
  } else if (identities.length === 0 && keys.length > 0 && threshold > keys.length) {
    errors.push(`threshold ${threshold} is more than the ${keys.length} key${keys.length === 1 ? '' : 's'} the policy trusts: no image could pass`);
  }
  const policy: TrustPolicyInput = {
    keys: keys.filter((key) => key !== undefined),
    identities: identities.filter((identity) => identity !== undefined),
    threshold: Number(threshold),
    requiredAttestations: validateAttestations(input['requiredAttestations'], errors),
    requireTlog: flag(input['requireTlog'], 'requireTlog', true, errors),
    ignoreDockerReference: flag(input['ignoreDockerReference'], 'ignoreDockerReference', false, errors),
  };
  return errors.length === 0 ? { ok: true, policy } : { ok: false, errors };
}
