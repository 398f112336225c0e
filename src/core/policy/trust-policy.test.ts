import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ATTESTATION_TYPES,
  EMPTY_TRUST_POLICY,
  evaluateTrust,
  matchesIdentity,
  predicateTypeOf,
  signerTrusted,
  validateTrustPolicy,
  type TrustFacts,
  type TrustPolicy,
  type TrustSigner,
} from './trust-policy.ts';

const GITHUB = 'https://token.actions.githubusercontent.com';
const release: TrustSigner = { kind: 'key', keyId: 'cmVsZWFzZQ==' };
const ci: TrustSigner = { kind: 'key', keyId: 'Y2k=' };
const stranger: TrustSigner = { kind: 'key', keyId: 'c3RyYW5nZXI=' };
const workflow = (ref: string): TrustSigner => ({ kind: 'keyless', subject: `https://github.com/acme/app/.github/workflows/release.yml@${ref}`, issuer: GITHUB });

const policy = (overrides: Partial<TrustPolicy> = {}): TrustPolicy => ({
  ...EMPTY_TRUST_POLICY,
  keys: [
    { name: 'release', publicKey: 'PEM', keyId: 'cmVsZWFzZQ==' },
    { name: 'ci', publicKey: 'PEM', keyId: 'Y2k=' },
  ],
  identities: [{ subjectRegExp: 'https://github\\.com/acme/app/\\.github/workflows/release\\.yml@refs/tags/v.*', issuer: GITHUB }],
  ...overrides,
});
const facts = (signers: readonly TrustSigner[], attestations: TrustFacts['attestations'] = [], failures: readonly string[] = []): TrustFacts => ({ signers, attestations, failures });

describe('trust policy', () => {
  it('anchors identity regular expressions (cosign and sigstore-go do not)', () => {
    const identity = { subjectRegExp: 'https://github\\.com/acme/.*', issuer: GITHUB };
    assert.equal(matchesIdentity(identity, 'https://github.com/acme/app/.github/workflows/x.yml@refs/heads/main', GITHUB), true);
    assert.equal(matchesIdentity(identity, 'https://evil.example/?https://github.com/acme/x', GITHUB), false, 'a match in the middle is not a match');
    assert.equal(matchesIdentity({ subjectRegExp: 'alice@example\\.com', issuer: GITHUB }, 'alice@example.com.evil', GITHUB), false, 'nor a match at the start');
    assert.equal(matchesIdentity({ subject: 'alice@example.com', issuerRegExp: 'https://accounts\\.(google|example)\\.com' }, 'alice@example.com', 'https://accounts.example.com'), true);
    assert.equal(matchesIdentity({ subject: 'alice@example.com', issuerRegExp: 'a|b' }, 'alice@example.com', 'ab'), false, 'alternation is grouped inside the anchors');
    assert.equal(matchesIdentity({ subject: 'alice@example.com', issuer: GITHUB }, 'alice@example.com', 'https://other'), false);
    assert.equal(matchesIdentity({ subject: 'alice@example.com' }, 'alice@example.com', GITHUB), false, 'an identity without an issuer trusts nothing');
    assert.equal(matchesIdentity({ subject: 'a', subjectRegExp: 'b', issuer: GITHUB }, 'a', GITHUB), false, 'both given: both must match');
  });

  it('names the key or identity a signer matches', () => {
    assert.equal(signerTrusted(policy(), release), 'release');
    assert.equal(signerTrusted(policy(), stranger), undefined);
    assert.match(signerTrusted(policy(), workflow('refs/tags/v1.2.0')) ?? '', /^identity \/https:.*\/ \(issuer https:\/\/token\.actions\.githubusercontent\.com\)$/);
    assert.equal(signerTrusted(policy(), workflow('refs/heads/main')), undefined);
  });

  it('passes with a trusted signer and names it', () => {
    assert.deepEqual(evaluateTrust(policy(), facts([stranger, release])), { passed: true, by: ['key release'] });
    assert.deepEqual(evaluateTrust(policy(), facts([workflow('refs/tags/v2')])), { passed: true, by: [`https://github.com/acme/app/.github/workflows/release.yml@refs/tags/v2 (issuer ${GITHUB})`] });
  });

  it('trusts nothing when it names no keys or identities', () => {
    const verdict = evaluateTrust(EMPTY_TRUST_POLICY, facts([release], [], ['sha256-abc.sig: signature does not verify']));
    assert.deepEqual(verdict, { passed: false, reasons: ['the trust policy names no keys or identities', 'sha256-abc.sig: signature does not verify'] });
  });

  it('counts distinct trusted signers against the threshold', () => {
    const two = policy({ threshold: 2 });
    const once = evaluateTrust(two, facts([release, release, release]));
    assert.equal(once.passed, false, 'one key signing three times is one signer');
    assert.deepEqual(once.passed ? [] : once.reasons, ['signed by 1 trusted signer (key release); the trust policy requires 2']);
    assert.deepEqual(evaluateTrust(two, facts([release, ci])), { passed: true, by: ['key release', 'key ci'] });
    const keyless = evaluateTrust(two, facts([workflow('refs/tags/v1'), workflow('refs/tags/v1')]));
    assert.equal(keyless.passed, false, 'the same subject and issuer twice is one signer');
    assert.equal(evaluateTrust(two, facts([workflow('refs/tags/v1'), workflow('refs/tags/v2')])).passed, true, 'two subjects matching one identity are two signers');
    assert.equal(evaluateTrust(two, facts([release, workflow('refs/tags/v1')])).passed, true);
  });

  it('explains a failure: the trusted signers, the untrusted ones that verified, and the failures', () => {
    const verdict = evaluateTrust(policy(), facts([stranger, workflow('refs/heads/main')], [], ['referrer sha256:1: the certificate expired']));
    assert.equal(verdict.passed, false);
    assert.deepEqual(verdict.passed ? [] : verdict.reasons, [
      'not signed by any signer the trust policy trusts (key release, key ci, identity /https://github\\.com/acme/app/\\.github/workflows/release\\.yml@refs/tags/v.*/ (issuer https://token.actions.githubusercontent.com))',
      'the signature by key c3RyYW5nZXI= verified, but the trust policy does not trust that signer',
      `the signature by https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main (issuer ${GITHUB}) verified, but the trust policy does not trust that signer`,
      'referrer sha256:1: the certificate expired',
    ]);
  });

  it('requires each required attestation type from a trusted signer', () => {
    const slsa = ATTESTATION_TYPES.slsaprovenance1;
    const sbom = ATTESTATION_TYPES.spdxjson;
    const strict = policy({ requiredAttestations: [slsa, sbom] });
    assert.deepEqual(evaluateTrust(strict, facts([release], [{ predicateType: slsa, signer: ci }, { predicateType: sbom, signer: release }])), { passed: true, by: ['key release'] });
    const missing = evaluateTrust(strict, facts([release], [{ predicateType: slsa, signer: stranger }]));
    assert.deepEqual(missing.passed ? [] : missing.reasons, [
      `the attestation of type ${slsa} is signed only by key c3RyYW5nZXI=, which the trust policy does not trust`,
      `no verified attestation of type ${sbom}, which the trust policy requires`,
    ]);
    const unsigned = evaluateTrust(strict, facts([], [{ predicateType: slsa, signer: release }, { predicateType: sbom, signer: release }]));
    assert.equal(unsigned.passed, false, 'attestations do not stand in for a signature');
  });

  it('maps cosign attestation short names to predicate types', () => {
    assert.equal(predicateTypeOf('spdxjson'), 'https://spdx.dev/Document');
    assert.equal(predicateTypeOf('spdx'), 'https://spdx.dev/Document');
    assert.equal(predicateTypeOf('cyclonedx'), 'https://cyclonedx.org/bom');
    assert.equal(predicateTypeOf('vuln'), 'https://cosign.sigstore.dev/attestation/vuln/v1');
    assert.equal(predicateTypeOf('slsaprovenance'), 'https://slsa.dev/provenance/v0.2');
    assert.equal(predicateTypeOf('slsaprovenance1'), 'https://slsa.dev/provenance/v1');
    assert.equal(predicateTypeOf('custom'), 'https://cosign.sigstore.dev/attestation/v1');
    assert.equal(predicateTypeOf('link'), 'https://in-toto.io/Link/v1');
    assert.equal(predicateTypeOf('openvex'), 'https://openvex.dev/ns');
    assert.equal(predicateTypeOf('https://example.com/my-predicate/v1'), 'https://example.com/my-predicate/v1');
    assert.equal(predicateTypeOf('sbom'), undefined);
    assert.equal(predicateTypeOf('toString'), undefined, 'not an inherited property');
  });

  it('validates a policy, filling in defaults and mapping attestation names', () => {
    const result = validateTrustPolicy({
      keys: [{ name: 'release', publicKey: '-----BEGIN PUBLIC KEY-----\nMFk=\n-----END PUBLIC KEY-----\n', keyId: 'ignored' }],
      identities: [{ subject: 'alice@example.com', issuer: 'https://accounts.example.com' }],
      requiredAttestations: ['slsaprovenance1', 'https://slsa.dev/provenance/v1', 'spdx'],
    });
    assert.deepEqual(result, {
      ok: true,
      policy: {
        keys: [{ name: 'release', publicKey: '-----BEGIN PUBLIC KEY-----\nMFk=\n-----END PUBLIC KEY-----\n' }],
        identities: [{ subject: 'alice@example.com', issuer: 'https://accounts.example.com' }],
        threshold: 1,
        requiredAttestations: ['https://slsa.dev/provenance/v1', 'https://spdx.dev/Document'],
        requireTlog: true,
        ignoreDockerReference: false,
      },
    });
    assert.deepEqual(validateTrustPolicy({}), { ok: true, policy: EMPTY_TRUST_POLICY });
  });

  it('refuses a malformed policy with every mistake named', () => {
    const result = validateTrustPolicy({
      keys: [
        { name: 'a', publicKey: 'not pem' },
        { name: 'b', publicKey: '-----BEGIN PRIVATE KEY-----\nMC4=\n-----END PRIVATE KEY-----' },
        { name: 'c', publicKey: '-----BEGIN PUBLIC KEY-----\nMFk=\n-----END PUBLIC KEY-----' },
        { name: 'c', publicKey: '-----BEGIN PUBLIC KEY-----\nMFk=\n-----END PUBLIC KEY-----' },
      ],
      identities: [{ subject: 'alice@example.com' }, { subjectRegExp: '(', issuer: 'x' }, { issuer: 'x' }],
      threshold: 0,
      requiredAttestations: ['sbom'],
      requireTlog: 'yes',
      extra: true,
    });
    assert.equal(result.ok, false);
    assert.deepEqual(result.ok ? [] : result.errors, [
      'the trust policy has an unknown field "extra"',
      'keys[0].publicKey must be a PEM public key (-----BEGIN PUBLIC KEY-----)',
      'keys[1].publicKey is a private key; give its public key (cosign.pub)',
      'identities[0] needs issuer or issuerRegExp',
      'identities[1].subjectRegExp is not a valid regular expression: Invalid regular expression: /^(?:()$/: Unterminated group',
      'identities[2] needs subject or subjectRegExp',
      'more than one key is named "c"',
      'threshold must be a whole number of at least 1, got 0',
      'requiredAttestations[0] must be a predicate type URI or one of custom, slsaprovenance, slsaprovenance02, slsaprovenance1, spdx, spdxjson, cyclonedx, link, vuln, openvex; got "sbom"',
      'requireTlog must be true or false',
    ]);
    const unreachable = validateTrustPolicy({ keys: [{ name: 'a', publicKey: '-----BEGIN PUBLIC KEY-----\nMFk=\n-----END PUBLIC KEY-----' }], threshold: 2 });
    assert.deepEqual(unreachable.ok ? [] : unreachable.errors, ['threshold 2 is more than the 1 key the policy trusts: no image could pass']);
    assert.deepEqual(validateTrustPolicy([]), { ok: false, errors: ['the trust policy must be an object'] });
  });
});
