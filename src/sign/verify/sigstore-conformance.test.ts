/**
 * Real bundles of the sigstore-conformance suite (see `testdata/README.md`): Rekor v2 entries (hashedrekord 0.0.2, also
 * over a DSSE envelope, and dsse 0.0.2) whose signing time comes from an RFC 3161 timestamp, and Rekor v1 entries with
 * a timestamp as well. The `_fail` cases must be refused, each for its own reason.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { expectSignError } from '../../testing/sign-error-assert.ts';
import { CONFORMANCE_IDENTITY, conformanceCase, fixtureJson } from '../../testing/sigstore-fixtures.ts';
import type { TrustedTime } from '../model.ts';
import { parseBundle } from '../sigstore/bundle.ts';
import type { SignErrorCode } from '../sign-error.ts';
import { verifySignature, verifySignedMaterial, type VerifiedMaterial } from './verify-signature.ts';

const STAGING_TSA = 'https://timestamp.sigstage.dev/api/v1/timestamp';

function tsa(time: string, authority = STAGING_TSA): TrustedTime {
  return { source: 'timestamp-authority', time: new Date(time), authority };
}

/** Verifies a case as Slipway does: a DSSE bundle through the whole pipeline (its statement names the artifact), a message signature up to its claims. */
function verifyCase(name: string): VerifiedMaterial {
  const c = conformanceCase(name);
  if (c.found.content.kind === 'message') return verifySignedMaterial(c.found, c.policy);
  const outcome = verifySignature(c.found, c.digest, c.policy);
  if (!outcome.verified) throw Object.assign(new Error(outcome.message), { code: outcome.code });
  assert.equal(outcome.statement?.predicateType, 'https://slsa.dev/provenance/v1');
  return outcome;
}

/** Runs `verifyCase` and returns the code it fails with (`SignError` or a refused outcome). */
function refusal(name: string): { code: SignErrorCode; message: string } {
  try {
    verifyCase(name);
  } catch (error) {
    const { code, message } = error as { code: SignErrorCode; message: string };
    return { code, message };
  }
  return assert.fail(`${name} verified`);
}

describe('sigstore-conformance: Rekor v2 entries with RFC 3161 timestamps', () => {
  it('verifies a hashedrekord 0.0.2 message signature; its signing time is the timestamp\'s genTime', () => {
    const { signer, signingTimes } = verifyCase('rekor2-happy-path');
    assert.deepEqual(signer, { kind: 'keyless', subject: CONFORMANCE_IDENTITY.subject, issuer: CONFORMANCE_IDENTITY.issuer });
    assert.deepEqual(signingTimes, [tsa('2025-06-12T12:02:20Z')]);
  });

  it('verifies a DSSE envelope logged as hashedrekord 0.0.2 over its PAE, through the whole pipeline', () => {
    const c = conformanceCase('rekor2-dsse-happy-path');
    const outcome = verifySignature(c.found, c.digest, c.policy);
    assert.ok(outcome.verified, outcome.verified ? '' : outcome.message);
    assert.equal(outcome.integratedTime, undefined, 'a Rekor v2 entry has no integrated time');
    assert.deepEqual(outcome.signingTimes, [tsa('2026-05-13T19:23:33Z')]);
  });

  it('verifies a dsse 0.0.2 entry (the deprecated Rekor v2 DSSE kind)', () => {
    assert.equal(conformanceCase('rekor2-dsse-v002-happy-path').found.tlogEntries[0]?.kind, 'dsse');
    assert.deepEqual(verifyCase('rekor2-dsse-v002-happy-path').signingTimes, [tsa('2025-07-25T19:53:04Z')]);
  });

  it('verifies timestamps with and without an embedded TSA certificate, and from a TSA whose chain has expired since', () => {
    assert.deepEqual(verifyCase('rekor2-timestamp-with-embedded-cert').signingTimes, [tsa('2025-08-06T18:51:36Z')]);
    assert.deepEqual(verifyCase('rekor2-timestamp-with-expired-cert-chain').signingTimes, [tsa('2025-08-07T15:32:26Z', 'https://localhost:3000/api/v1/timestamp')]);
  });

  it('verifies a timestamp at the very end of the TSA\'s trusted period, and a checkpoint whose first signature is a witness\'s', () => {
    assert.equal(verifyCase('trust-root-tsa-validity-end-inclusive').signingTimes.length, 1);
    assert.equal(verifyCase('rekor2-checkpoint-origin-not-first').signingTimes.length, 1);
  });

  it('refuses a Rekor v2 entry without any timestamp with TIMESTAMP_MISSING', () => {
    const { code, message } = refusal('rekor2-no-timestamp_fail');
    assert.equal(code, 'TIMESTAMP_MISSING');
    assert.match(message, /log entry 735 is a Rekor v2 entry \(hashedrekord 0\.0\.2\) without integrated time/);
  });

  it('refuses a Rekor v2 entry without inclusion proof (the bundle is invalid for v0.3)', () => {
    expectSignError(() => parseBundle(fixtureJson('conformance/rekor2-no-inclusion-proof_fail/bundle.sigstore.json')), 'SIGNATURE_MALFORMED', /inclusionProof/);
  });

  it('refuses timestamps that do not verify with TIMESTAMP_INVALID, each for its reason', () => {
    const cases: readonly (readonly [string, RegExp])[] = [
      ['rekor2-timestamp-payload-mismatch_fail', /message imprint is not the sha256 of the signature/],
      ['rekor2-timestamp-untrusted-tsa-with-embedded-cert_fail', /signed by a timestamp authority \(serial 00c1e986160da8e982\) that is not one of the trusted root's/],
      ['rekor2-timestamp-outside-tsa-cert-validity_fail', /certificate 0 of https:\/\/localhost:3000\/api\/v1\/timestamp is valid .*, not at the timestamp's time 2025-08-07T15:38:32\.000Z/],
      ['rekor2-timestamp-outside-trust-root-tsa-validity_fail', /the trusted root trusts https:\/\/timestamp\.sigstage\.dev\/api\/v1\/timestamp only \[2025-04-09T00:00:00\.000Z, 2025-06-01T00:00:00\.000Z\], not at 2025-06-12T12:02:20\.000Z/],
    ];
    for (const [name, message] of cases) {
      const refused = refusal(name);
      assert.equal(refused.code, 'TIMESTAMP_INVALID', `${name}: ${refused.message}`);
      assert.match(refused.message, message, name);
    }
  });

  it('refuses a certificate that was not valid at the timestamp\'s time', () => {
    const { code, message } = refusal('rekor2-timestamp-with-incorrect-time_fail');
    assert.equal(code, 'CERTIFICATE_NOT_VALID_AT_SIGNING_TIME');
    assert.match(message, /not at the signing time 2025-07-15T10:33:31\.000Z \(timestamped by https:\/\/timestamp\.sigstage\.dev\/api\/v1\/timestamp\)/);
  });

  it('refuses checkpoints without the log\'s signature, or signed under another name', () => {
    assert.deepEqual(refusal('rekor2-checkpoint-missing-log-signature_fail'), { code: 'TLOG_PROOF_INVALID', message: 'checkpoint: the note has no signatures' });
    const renamed = refusal('rekor2-checkpoint-no-matching-signature_fail');
    assert.equal(renamed.code, 'TLOG_PROOF_INVALID');
    assert.match(renamed.message, /no signature carries the key hint f30d5a99 and the name log2025-alpha1\.rekor\.sigstage\.dev/);
  });

  it('refuses DSSE bundles whose envelope is not the logged one, or whose signature does not verify', () => {
    assert.equal(refusal('rekor2-dsse-mismatch-sig_fail').code, 'TLOG_BODY_MISMATCH');
    assert.match(refusal('rekor2-dsse-mismatch-envelope_fail').message, /the hash of the envelope's PAE is not/);
    assert.equal(refusal('rekor2-dsse-invalid-sig_fail').code, 'SIGNATURE_INVALID');
  });
});

describe('sigstore-conformance: Rekor v1 entries with an RFC 3161 timestamp as well', () => {
  it('trusts both times of a key-signed public-good bundle (Rekor v1 and timestamp.sigstore.dev)', () => {
    const { signer, signingTimes } = verifyCase('managed-key-happy-path');
    assert.equal(signer.kind, 'key');
    assert.deepEqual(signingTimes, [
      { source: 'tlog', time: new Date('2025-12-18T17:04:39Z'), authority: 'https://rekor.sigstore.dev' },
      tsa('2025-12-18T17:04:39Z', 'https://timestamp.sigstore.dev/api/v1/timestamp'),
    ]);
  });

  it('needs the certificate valid at every trusted time: the integrated time alone is not enough', () => {
    assert.equal(verifyCase('intoto-with-custom-trust-root').signingTimes.length, 2);
    const { code, message } = refusal('intoto-tsa-timestamp-outside-cert-validity_fail');
    assert.equal(code, 'CERTIFICATE_NOT_VALID_AT_SIGNING_TIME');
    assert.match(message, /valid 2023-02-01T00:00:00\.000Z–2023-02-01T00:10:00\.000Z, not at the signing time 2023-02-02T00:00:00\.000Z \(timestamped by http:\/\/localhost:8000\)/);
  });
});
