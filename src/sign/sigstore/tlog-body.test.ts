import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { describe, it } from 'node:test';
import type { TlogEntry } from '../model.ts';
import { SignError } from '../sign-error.ts';
import { legacyRekorBundle } from './bundle.ts';
import { bundleFixture, firstEntry, fixtureText, flipByte, leafCertificate } from '../../testing/sigstore-fixtures.ts';
import { checkTlogBody, sameVerifier, type TlogBodyExpectation } from './tlog-body.ts';

const COSIGN = 'cosign-oci-attestation.sigstore.json';
const MESSAGE = 'sigstore-js-v3-message-signature.sigstore.json';
/** The artifact sigstore-js signed in its message-signature fixtures. */
const ARTIFACT = Buffer.from('hello, world!');

function pem(der: Buffer): Buffer {
  return Buffer.from(new X509Certificate(der).toString());
}

function sha256(data: Buffer): Buffer {
  return createHash('sha256').update(data).digest();
}

/** What a verifier expects of a DSSE bundle fixture's entry: its envelope, signed by its certificate. */
function dsseExpectation(fixture: string): Extract<TlogBodyExpectation, { kind: 'dsse' }> {
  const bundle = bundleFixture(fixture);
  assert.ok(bundle.content.kind === 'dsse' && bundle.material.kind === 'certificate');
  const verifier = pem(bundle.material.certificate);
  const { payloadType, payload, signatures } = bundle.content.envelope;
  return { kind: 'dsse', payloadType, payload, signatures: signatures.map((s) => ({ sig: s.sig, verifier })) };
}

function messageExpectation(): Extract<TlogBodyExpectation, { kind: 'message' }> {
  const bundle = bundleFixture(MESSAGE);
  assert.ok(bundle.content.kind === 'message');
  return { kind: 'message', digest: sha256(ARTIFACT), signature: bundle.content.signature, verifier: pem(leafCertificate(MESSAGE)) };
}

function expectMismatch(entry: TlogEntry, expected: TlogBodyExpectation, message: RegExp): void {
  assert.throws(() => checkTlogBody(entry, expected), (error: unknown) => {
    assert.ok(error instanceof SignError, String(error));
    assert.equal(error.code, 'TLOG_BODY_MISMATCH', error.message);
    assert.match(error.message, message);
    return true;
  });
}

function withBody(entry: TlogEntry, body: unknown, kind = entry.kind, version = entry.version): TlogEntry {
  return { ...entry, kind, version, canonicalizedBody: Buffer.from(JSON.stringify(body)) };
}

describe('checkTlogBody: dsse 0.0.1', () => {
  const entry = firstEntry(COSIGN);
  const expected = dsseExpectation(COSIGN);
  const [signature] = expected.signatures;
  assert.ok(signature !== undefined);

  it('matches the cosign v3 bundle it came with (and sigstore-js\'s)', () => {
    checkTlogBody(entry, expected);
    checkTlogBody(firstEntry('sigstore-js-v3-dsse.sigstore.json'), dsseExpectation('sigstore-js-v3-dsse.sigstore.json'));
  });

  it('compares the verifier as DER: other PEM line lengths and DER itself match', () => {
    const der = leafCertificate(COSIGN);
    const wrapped = Buffer.from(`-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/(.{76})/g, '$1\n')}\n-----END CERTIFICATE-----\n`);
    checkTlogBody(entry, { ...expected, signatures: [{ ...signature, verifier: wrapped }] });
    checkTlogBody(entry, { ...expected, signatures: [{ ...signature, verifier: der }] });
  });

  it('refuses another payload, signature or certificate', () => {
    expectMismatch(entry, { ...expected, payload: Buffer.concat([expected.payload, Buffer.from(' ')]) }, /the payload hash 15692616.* is not/);
    expectMismatch(entry, { ...expected, signatures: [{ ...signature, sig: flipByte(signature.sig, -1) }] }, /envelope signature 0 is not logged/);
    expectMismatch(entry, { ...expected, signatures: [{ ...signature, verifier: pem(leafCertificate(MESSAGE)) }] }, /is another key or certificate than the signer's/);
    const key = Buffer.from(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }));
    expectMismatch(entry, { ...expected, signatures: [{ ...signature, verifier: key }] }, /another key or certificate/);
  });

  it('refuses a signature count that differs, and a message expectation', () => {
    expectMismatch(entry, { ...expected, signatures: [signature, signature] }, /logs 1 signature\(s\); the envelope has 2/);
    expectMismatch(entry, messageExpectation(), /a dsse entry cannot be about a message signature/);
  });
});

describe('checkTlogBody: hashedrekord 0.0.1', () => {
  const entry = firstEntry(MESSAGE);
  const expected = messageExpectation();

  it('matches the sigstore-js message signature of "hello, world!"', () => {
    checkTlogBody(entry, expected);
  });

  it('refuses another digest, signature or verifier, and a DSSE expectation', () => {
    expectMismatch(entry, { ...expected, digest: sha256(Buffer.from('hello, world?')) }, /the artifact hash 68e656b2.* is not/);
    expectMismatch(entry, { ...expected, signature: flipByte(expected.signature, 10) }, /the logged signature is another signature/);
    expectMismatch(entry, { ...expected, verifier: pem(leafCertificate(COSIGN)) }, /the logged public key is another key or certificate/);
    expectMismatch(entry, dsseExpectation(COSIGN), /a hashedrekord entry cannot be about a DSSE envelope/);
  });

  it('checks a legacy cosign annotation\'s entry, the verifier given as certificate DER', () => {
    const legacy = legacyRekorBundle(fixtureText('talos-installer-v1.4.0.cosign-bundle.json'));
    const body = JSON.parse(legacy.canonicalizedBody.toString('utf8')) as { spec: { signature: { content: string; publicKey: { content: string } } } };
    const certPem = Buffer.from(body.spec.signature.publicKey.content, 'base64');
    const der = Buffer.from(new X509Certificate(certPem).raw);
    const talos = {
      kind: 'message',
      digest: Buffer.from('db8cae206f81909ffb8618f4d6233febc776939b8e1ffd135808ffc4806604a1', 'hex'),
      signature: Buffer.from(body.spec.signature.content, 'base64'),
      verifier: der,
    } as const;
    checkTlogBody(legacy, talos);
    expectMismatch(legacy, { ...talos, digest: flipByte(talos.digest, 0) }, /the artifact hash db8cae20/);
  });
});

describe('checkTlogBody: intoto', () => {
  it('matches intoto 0.0.2 (double-base64 signatures) of a sigstore-js v0.1 bundle', () => {
    const fixture = 'sigstore-go-dsse-intoto.sigstore.json';
    const entry = firstEntry(fixture);
    const expected = dsseExpectation(fixture);
    checkTlogBody(entry, expected);
    const [signature] = expected.signatures;
    assert.ok(signature !== undefined);
    expectMismatch(entry, { ...expected, signatures: [{ ...signature, sig: flipByte(signature.sig, 8) }] }, /envelope signature 0 is not logged/);
    expectMismatch(entry, { ...expected, payload: Buffer.from('{}') }, /the payload hash/);
  });

  it('matches intoto 0.0.1 by payload hash and public key', () => {
    const expected = dsseExpectation(COSIGN);
    const [signature] = expected.signatures;
    assert.ok(signature !== undefined);
    const hash = { algorithm: 'sha256', value: sha256(expected.payload).toString('hex') };
    const body = { apiVersion: '0.0.1', kind: 'intoto', spec: { content: { hash, payloadHash: hash }, publicKey: signature.verifier.toString('base64') } };
    const entry = withBody(firstEntry(COSIGN), body, 'intoto', '0.0.1');
    checkTlogBody(entry, expected);
    expectMismatch(entry, { ...expected, signatures: [{ ...signature, verifier: pem(leafCertificate(MESSAGE)) }] }, /the logged public key is another/);
    expectMismatch(entry, { ...expected, signatures: [signature, signature] }, /logs one signer; the envelope has 2/);
  });
});

describe('checkTlogBody refuses bodies it cannot read', () => {
  const entry = firstEntry(COSIGN);
  const expected = dsseExpectation(COSIGN);

  it('a body of another kind or version than the entry says', () => {
    expectMismatch({ ...entry, kind: 'hashedrekord' }, expected, /is a dsse 0\.0\.1 entry; the log entry says hashedrekord 0\.0\.1/);
    expectMismatch({ ...entry, version: '0.0.2' }, expected, /the log entry says dsse 0\.0\.2/);
  });

  it('unsupported kinds, bodies that are not JSON, and missing fields', () => {
    expectMismatch(withBody(entry, { apiVersion: '0.0.1', kind: 'rekord', spec: {} }, 'rekord'), expected, /rekord 0\.0\.1 entries are not supported/);
    expectMismatch({ ...entry, canonicalizedBody: Buffer.from('{"apiVersion"') }, expected, /is not JSON/);
    expectMismatch(withBody(entry, { apiVersion: '0.0.1', kind: 'dsse', spec: { signatures: [] } }), expected, /log entry body: spec\.payloadHash is missing/);
  });
});

describe('sameVerifier', () => {
  it('compares certificates and keys by DER, never a certificate with a key', () => {
    const der = leafCertificate(COSIGN);
    const cert = new X509Certificate(der);
    assert.ok(sameVerifier(pem(der), der));
    assert.ok(sameVerifier(Buffer.from(cert.publicKey.export({ type: 'spki', format: 'pem' })), Buffer.from(cert.publicKey.export({ type: 'spki', format: 'der' }))));
    assert.ok(!sameVerifier(pem(der), Buffer.from(cert.publicKey.export({ type: 'spki', format: 'pem' }))));
    assert.ok(!sameVerifier(Buffer.from('not a key'), Buffer.from('not a key')));
    assert.ok(!sameVerifier(Buffer.concat([pem(der), pem(der)]), pem(der)), 'one PEM block only');
  });
});
