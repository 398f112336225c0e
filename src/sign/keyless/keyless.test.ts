import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, sign, X509Certificate as NodeCertificate, type KeyObject } from 'node:crypto';
import { createServer } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { dsse, X509Certificate } from '@sigstore/core';
import { startFakeSigstore, type FakeSigstore, type IdentityClaims } from '../../testing/fake-sigstore.ts';
import { listenLocal } from '../../testing/local-server.ts';
import { inclusionProblems, setVerifies, verifyWithSigstoreJs } from '../../testing/sigstore-checks.ts';
import { SignError } from '../sign-error.ts';
import type { TlogEntry } from '../model.ts';
import { requestSigningCertificate, type SigningCertificate } from './fulcio-client.ts';
import { uploadDsse, uploadHashedRekord } from './rekor-client.ts';

const ISSUER = 'https://issuer.example';
const EMAIL = 'dev@example.com';
const IDENTITY: IdentityClaims = { email: EMAIL, issuer: ISSUER };
const OID_ISSUER_V2 = '1.3.6.1.4.1.57264.1.8';

interface EphemeralKey {
  readonly publicKey: KeyObject;
  readonly sign: (data: Uint8Array) => Buffer;
}

function ephemeralKey(): EphemeralKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { publicKey, sign: (data) => sign('sha256', data, privateKey) };
}

async function certify(fake: FakeSigstore, claims: IdentityClaims = IDENTITY): Promise<SigningCertificate & { key: EphemeralKey }> {
  const key = ephemeralKey();
  const certificate = await requestSigningCertificate({ fulcioUrl: fake.fulcioUrl, identityToken: fake.identityToken(claims), publicKey: key.publicKey, sign: key.sign });
  return { ...certificate, key };
}

function pem(der: Buffer): Buffer {
  return Buffer.from(new NodeCertificate(der).toString(), 'utf8');
}

function signedEnvelope(payload: Buffer, key: EphemeralKey): string {
  const payloadType = 'application/vnd.in-toto+json';
  const sig = key.sign(dsse.preAuthEncoding(payloadType, payload));
  return JSON.stringify({ payload: payload.toString('base64'), payloadType, signatures: [{ keyid: '', sig: sig.toString('base64') }] });
}

async function signBlob(fake: FakeSigstore, artifact: Buffer, signer?: SigningCertificate & { key: EphemeralKey }) {
  const certified = signer ?? (await certify(fake));
  const signature = certified.key.sign(artifact);
  const digest = createHash('sha256').update(artifact).digest();
  const entry = await uploadHashedRekord({ rekorUrl: fake.rekorUrl, digest, signature, verifier: pem(certified.certificate) });
  return { certified, signature, entry };
}

function assertLogged(fake: FakeSigstore, entry: TlogEntry): void {
  assert.deepEqual(entry.logId, Buffer.from(fake.trustedRoot.tlogs[0]?.logId.keyId ?? '', 'base64'));
  assert.ok(setVerifies(entry, fake.trustedRoot), 'the SET verifies with the trusted log key');
  assert.deepEqual(inclusionProblems(entry, fake.trustedRoot), []);
  assert.equal(entry.logIndex, (entry.inclusionProof?.logIndex ?? -1) + 1000, 'global index = shard index + the fake shard offset');
}

/** @sigstore/verify's chain error, whose cause says why. */
function chainFailure(why: RegExp): (error: unknown) => boolean {
  return (error) => error instanceof Error && /certificate chain/.test(error.message) && error.cause instanceof Error && why.test(error.cause.message);
}

async function rejection(promise: Promise<unknown>): Promise<SignError> {
  const error: unknown = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  assert.ok(error instanceof SignError, `expected a SignError, got ${String(error)}`);
  return error;
}

describe('keyless signing against a fake Sigstore', () => {
  let fake: FakeSigstore;
  let other: FakeSigstore;

  before(async () => {
    [fake, other] = await Promise.all([startFakeSigstore(), startFakeSigstore()]);
  });
  after(async () => {
    await Promise.all([fake.close(), other.close()]);
  });

  it('Fulcio certifies an ephemeral key for the token email and issuer, chained to the trusted CA', async () => {
    const { certificate, chain, key } = await certify(fake);
    const leaf = X509Certificate.parse(Buffer.from(certificate));
    assert.equal(leaf.subjectAltName, EMAIL);
    assert.equal(leaf.extension(OID_ISSUER_V2)?.valueObj.subs[0]?.value.toString('utf8'), ISSUER);
    const node = new NodeCertificate(certificate);
    assert.ok(node.publicKey.equals(key.publicKey));
    assert.equal(node.validToDate.getTime() - node.validFromDate.getTime(), 10 * 60_000);
    const trustedCa = Buffer.from(fake.trustedRoot.certificateAuthorities[0]?.certChain.certificates.at(-1)?.rawBytes ?? '', 'base64');
    assert.deepEqual(chain, [trustedCa]);
    const root = new NodeCertificate(trustedCa);
    assert.ok(node.checkIssued(root) && node.verify(root.publicKey), 'the leaf is signed by the trusted root');
  });

  it('without an email the certificate names the token subject', async () => {
    const { certificate } = await certify(fake, { subject: 'https://ci.example/pipelines/7', issuer: ISSUER });
    assert.equal(X509Certificate.parse(Buffer.from(certificate)).subjectAltName, 'https://ci.example/pipelines/7');
  });

  it('a hashedrekord entry carries a verifying SET and inclusion proof, and @sigstore/verify accepts the bundle', async () => {
    const artifact = Buffer.from('{"critical":{"image":{"docker-manifest-digest":"sha256:00"}}}');
    const { certified, signature, entry } = await signBlob(fake, artifact);
    assert.equal(entry.kind, 'hashedrekord');
    assert.equal(entry.version, '0.0.1');
    assert.ok(Math.abs(entry.integratedTime - Date.now() / 1000) < 60);
    const body = JSON.parse(entry.canonicalizedBody.toString('utf8')) as { spec: { data: { hash: { value: string } }; signature: { content: string } } };
    assert.equal(body.spec.data.hash.value, createHash('sha256').update(artifact).digest('hex'));
    assert.equal(body.spec.signature.content, signature.toString('base64'));
    assertLogged(fake, entry);
    const signer = verifyWithSigstoreJs({
      trustedRoot: fake.trustedRoot,
      certificate: certified.certificate,
      entry,
      content: { kind: 'message', artifact, signature },
      policy: { subjectAlternativeName: EMAIL, issuer: ISSUER },
    });
    assert.equal(signer.identity?.extensions?.issuer, ISSUER);
  });

  it('a dsse entry stores the payload hash and signature, and @sigstore/verify accepts the bundle', async () => {
    const certified = await certify(fake);
    const payload = Buffer.from(JSON.stringify({ _type: 'https://in-toto.io/Statement/v1', subject: [{ digest: { sha256: '00'.repeat(32) } }], predicateType: 'https://example.com/p', predicate: {} }));
    const envelope = signedEnvelope(payload, certified.key);
    const entry = await uploadDsse({ rekorUrl: fake.rekorUrl, envelope, verifiers: [pem(certified.certificate)] });
    assert.equal(entry.kind, 'dsse');
    assert.equal(entry.version, '0.0.1');
    const body = JSON.parse(entry.canonicalizedBody.toString('utf8')) as { spec: Record<string, { value: string }> };
    assert.equal(body.spec['payloadHash']?.value, createHash('sha256').update(payload).digest('hex'));
    assert.equal(body.spec['envelopeHash']?.value, createHash('sha256').update(envelope).digest('hex'));
    assertLogged(fake, entry);
    verifyWithSigstoreJs({ trustedRoot: fake.trustedRoot, certificate: certified.certificate, entry, content: { kind: 'dsse', envelope }, policy: { subjectAlternativeName: EMAIL, issuer: ISSUER } });
  });

  it('an entry the log already holds is fetched, with a proof against the grown tree', async () => {
    const artifact = Buffer.from('uploaded twice');
    const first = await signBlob(fake, artifact);
    await signBlob(fake, Buffer.from('a later entry'));
    const again = await uploadHashedRekord({ rekorUrl: fake.rekorUrl, digest: createHash('sha256').update(artifact).digest(), signature: first.signature, verifier: pem(first.certified.certificate) });
    assert.equal(again.logIndex, first.entry.logIndex);
    assert.deepEqual(again.canonicalizedBody, first.entry.canonicalizedBody);
    assert.ok((again.inclusionProof?.treeSize ?? 0) > (first.entry.inclusionProof?.treeSize ?? 0));
    assert.ok((again.inclusionProof?.hashes.length ?? 0) > 0);
    assertLogged(fake, again);
    verifyWithSigstoreJs({ trustedRoot: fake.trustedRoot, certificate: first.certified.certificate, entry: again, content: { kind: 'message', artifact, signature: first.signature } });
  });

  it('a certificate of another Sigstore does not chain to this trusted root', async () => {
    const artifact = Buffer.from('signed elsewhere');
    const { certified, signature, entry } = await signBlob(fake, artifact, await certify(other));
    assert.throws(() => verifyWithSigstoreJs({ trustedRoot: fake.trustedRoot, certificate: certified.certificate, entry, content: { kind: 'message', artifact, signature } }), chainFailure(/certificate path/));
  });

  it('caClock an hour back issues certificates expired when the log integrates them', async () => {
    const stale = await startFakeSigstore({ caClock: new Date(Date.now() - 3_600_000) });
    try {
      const artifact = Buffer.from('signed too late');
      const { certified, signature, entry } = await signBlob(stale, artifact, await certify(stale));
      assert.ok(new NodeCertificate(certified.certificate).validToDate.getTime() < entry.integratedTime * 1000);
      assertLogged(stale, entry);
      assert.throws(() => verifyWithSigstoreJs({ trustedRoot: stale.trustedRoot, certificate: certified.certificate, entry, content: { kind: 'message', artifact, signature } }), chainFailure(/expired/));
    } finally {
      await stale.close();
    }
  });

  it('an unreadable identity token is IDENTITY_TOKEN_INVALID before anything is sent', async () => {
    const key = ephemeralKey();
    const payload = (claims: unknown) => `e30.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`;
    for (const identityToken of ['', 'not-a-jwt', 'a.%%%.c', payload([1]), payload({ iss: ISSUER })]) {
      const error = await rejection(requestSigningCertificate({ fulcioUrl: 'http://127.0.0.1:9', identityToken, publicKey: key.publicKey, sign: key.sign }));
      assert.equal(error.code, 'IDENTITY_TOKEN_INVALID', identityToken);
    }
  });

  it('a token Fulcio rejects is SIGSTORE_UNAVAILABLE with the status and Fulcio message', async () => {
    const key = ephemeralKey();
    const error = await rejection(requestSigningCertificate({ fulcioUrl: fake.fulcioUrl, identityToken: other.identityToken(IDENTITY), publicKey: key.publicKey, sign: key.sign }));
    assert.equal(error.code, 'SIGSTORE_UNAVAILABLE');
    assert.match(error.message, /HTTP 401: There was an error processing the identity token/);
  });

  it('an unreachable Fulcio is SIGSTORE_UNAVAILABLE', async () => {
    const server = createServer();
    const address = await listenLocal(server);
    await new Promise((resolve) => server.close(resolve));
    const key = ephemeralKey();
    const error = await rejection(requestSigningCertificate({ fulcioUrl: `http://${address}`, identityToken: fake.identityToken(IDENTITY), publicKey: key.publicKey, sign: key.sign }));
    assert.equal(error.code, 'SIGSTORE_UNAVAILABLE');
    assert.match(error.message, /could not be reached/);
  });

  it('an envelope Rekor cannot verify is SIGSTORE_UNAVAILABLE with Rekor message', async () => {
    const certified = await certify(fake);
    const envelope = signedEnvelope(Buffer.from('{}'), ephemeralKey());
    const error = await rejection(uploadDsse({ rekorUrl: fake.rekorUrl, envelope, verifiers: [pem(certified.certificate)] }));
    assert.equal(error.code, 'SIGSTORE_UNAVAILABLE');
    assert.match(error.message, /HTTP 400: .*all signatures must have a key that verifies it/);
  });

  it('a caller abort rejects with the abort reason', async () => {
    const key = ephemeralKey();
    const controller = new AbortController();
    controller.abort();
    const call = requestSigningCertificate({ fulcioUrl: fake.fulcioUrl, identityToken: fake.identityToken(IDENTITY), publicKey: key.publicKey, sign: key.sign, signal: controller.signal });
    await assert.rejects(call, { name: 'AbortError' });
  });
});
