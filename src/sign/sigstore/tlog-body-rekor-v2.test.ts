import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { expectSignError } from '../../testing/sign-error-assert.ts';
import { conformanceCase, flipByte } from '../../testing/sigstore-fixtures.ts';
import type { TlogEntry } from '../model.ts';
import { preAuthEncoding } from '../payload/dsse.ts';
import { checkTlogBody, type TlogBodyExpectation } from './tlog-body.ts';

/** A conformance case's first log entry and what the verifier expects it to be about (verifier as certificate DER). */
function entryAndExpectation(name: string): { entry: TlogEntry; expected: TlogBodyExpectation } {
  const { found, artifact } = conformanceCase(name);
  const [entry] = found.tlogEntries;
  assert.ok(entry !== undefined && found.material.kind === 'certificate');
  const verifier = found.material.certificate;
  if (found.content.kind === 'message') {
    return { entry, expected: { kind: 'message', digest: createHash('sha256').update(artifact).digest(), signature: found.content.signature, verifier } };
  }
  const { payloadType, payload, signatures } = found.content.envelope;
  return { entry, expected: { kind: 'dsse', payloadType, payload, signatures: signatures.map((s) => ({ sig: s.sig, verifier })) } };
}

function expectMismatch(entry: TlogEntry, expected: TlogBodyExpectation, message: RegExp): void {
  expectSignError(() => checkTlogBody(entry, expected), 'TLOG_BODY_MISMATCH', message);
}

/** The parts of a hashedrekord 0.0.2 body the tests edit. */
interface HashedRekordV002Body {
  spec: { hashedRekordV002?: { data: { algorithm: string; digest: string }; signature: { verifier: Record<string, unknown> } } };
}

/** The entry with its body edited (a body check reads the body only; the proof is checked elsewhere). */
function edited(entry: TlogEntry, edit: (spec: NonNullable<HashedRekordV002Body['spec']['hashedRekordV002']>, body: HashedRekordV002Body) => void): TlogEntry {
  const body = JSON.parse(entry.canonicalizedBody.toString('utf8')) as HashedRekordV002Body;
  const spec = body.spec.hashedRekordV002;
  assert.ok(spec !== undefined);
  edit(spec, body);
  return { ...entry, canonicalizedBody: Buffer.from(JSON.stringify(body)) };
}

describe('checkTlogBody: hashedrekord 0.0.2 (Rekor v2)', () => {
  const { entry, expected } = entryAndExpectation('rekor2-happy-path');
  assert.ok(expected.kind === 'message');

  it('matches the message signature it logs, the certificate compared as DER', () => {
    checkTlogBody(entry, expected);
  });

  it('refuses another digest, signature or verifier', () => {
    expectMismatch(entry, { ...expected, digest: flipByte(expected.digest, 0) }, /the artifact hash is not /);
    expectMismatch(entry, { ...expected, signature: flipByte(expected.signature, 12) }, /the logged signature is another signature/);
    const key = Buffer.from(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }));
    expectMismatch(entry, { ...expected, verifier: key }, /the logged verifier is another key or certificate than the signer's/);
  });

  it('refuses a digest of another algorithm than the verifier has, and verifiers of the wrong shape', () => {
    expectMismatch(edited(entry, (spec) => (spec.data.algorithm = 'SHA2_384')), expected, /is a SHA2_384 hash; the verifier has a SHA2_256 one/);
    expectMismatch(edited(entry, (spec) => (spec.data.algorithm = 'MD5')), expected, /is a MD5 hash/);
    expectMismatch(edited(entry, ({ signature: { verifier } }) => (verifier['publicKey'] = verifier['x509Certificate'])), expected, /must hold either a publicKey or an x509Certificate/);
    const certificateAsKey = edited(entry, ({ signature: { verifier } }) => {
      verifier['publicKey'] = verifier['x509Certificate'];
      delete verifier['x509Certificate'];
    });
    expectMismatch(certificateAsKey, expected, /publicKey\.rawBytes is not a DER public key/);
    expectMismatch(edited(entry, (_, body) => delete body.spec.hashedRekordV002), expected, /spec\.hashedRekordV002 is missing/);
  });
});

describe('checkTlogBody: a DSSE envelope in Rekor v2', () => {
  it('matches hashedrekord 0.0.2 over the envelope\'s PAE, and refuses another payload, type or signature count', () => {
    const { entry, expected } = entryAndExpectation('rekor2-dsse-happy-path');
    assert.ok(expected.kind === 'dsse');
    checkTlogBody(entry, expected);
    expectMismatch(entry, { ...expected, payload: Buffer.concat([expected.payload, Buffer.from(' ')]) }, /the hash of the envelope's PAE is not/);
    expectMismatch(entry, { ...expected, payloadType: 'text/plain' }, /the hash of the envelope's PAE is not/);
    const [signature] = expected.signatures;
    assert.ok(signature !== undefined);
    expectMismatch(entry, { ...expected, signatures: [signature, signature] }, /a hashedrekord 0\.0\.2 entry logs one signature; the envelope has 2/);
  });

  it('hashes the PAE with the algorithm the entry names (SHA-384 for a P-384 key)', () => {
    const { entry, expected } = entryAndExpectation('rekor2-dsse-happy-path');
    assert.ok(expected.kind === 'dsse');
    const sha384 = createHash('sha384').update(preAuthEncoding(expected.payloadType, expected.payload)).digest('base64');
    checkTlogBody(edited(entry, (spec) => (spec.data = { algorithm: 'SHA2_384', digest: sha384 })), expected);
  });

  it('matches dsse 0.0.2, and refuses another payload or signature, and a message expectation', () => {
    const { entry, expected } = entryAndExpectation('rekor2-dsse-v002-happy-path');
    assert.ok(expected.kind === 'dsse' && entry.kind === 'dsse');
    checkTlogBody(entry, expected);
    expectMismatch(entry, { ...expected, payload: Buffer.from('{}') }, /the payload hash is not/);
    const [signature] = expected.signatures;
    assert.ok(signature !== undefined);
    expectMismatch(entry, { ...expected, signatures: [{ ...signature, sig: flipByte(signature.sig, 8) }] }, /envelope signature 0 is not logged/);
    expectMismatch(entry, entryAndExpectation('rekor2-happy-path').expected, /a dsse entry cannot be about a message signature/);
  });
});
