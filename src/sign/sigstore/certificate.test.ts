import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { describe, it } from 'node:test';
import { legacyRekorBundle } from './bundle.ts';
import { certificateIdentity, verifyCertificateChain } from './certificate.ts';
import { firstEntry, fixtureJson, fixtureText, flipByte, leafCertificate, publicGoodRoot } from '../../testing/sigstore-fixtures.ts';
import { parseTrustedRoot, type TrustedRoot } from './trusted-root.ts';
import { expectSignError } from '../../testing/sign-error-assert.ts';

const COSIGN = 'cosign-oci-attestation.sigstore.json';


function integratedTime(fixture: string): Date {
  return new Date(firstEntry(fixture).integratedTime * 1000);
}

/** The certificate in a legacy annotation's hashedrekord body (PEM there), as DER. */
function talosCertificate(): Buffer {
  const entry = legacyRekorBundle(fixtureText('talos-installer-v1.4.0.cosign-bundle.json'));
  const body = JSON.parse(entry.canonicalizedBody.toString('utf8')) as { spec: { signature: { publicKey: { content: string } } } };
  return Buffer.from(new X509Certificate(Buffer.from(body.spec.signature.publicKey.content, 'base64')).raw);
}

describe('verifyCertificateChain', () => {
  const root = publicGoodRoot();

  it('chains real Fulcio leaves to the public-good CAs at their integrated time', () => {
    // The 2022+ intermediate → root CA …
    verifyCertificateChain(leafCertificate(COSIGN), root, integratedTime(COSIGN));
    verifyCertificateChain(leafCertificate('sigstore-go-sigstore-js-2.0.0-provenance.sigstore.json'), root, integratedTime('sigstore-go-sigstore-js-2.0.0-provenance.sigstore.json'));
    verifyCertificateChain(leafCertificate('sigstore-js-v3-message-signature.sigstore.json'), root, integratedTime('sigstore-js-v3-message-signature.sigstore.json'));
    verifyCertificateChain(talosCertificate(), root, new Date(1681843022 * 1000));
    // … and a private deployment's CA.
    const scaffolding = parseTrustedRoot(fixtureJson('sigstore-go-trusted-root-scaffolding.json'));
    verifyCertificateChain(leafCertificate('sigstore-go-othername.sigstore.json'), scaffolding, integratedTime('sigstore-go-othername.sigstore.json'));
  });

  it('holds at both ends of the leaf\'s 10 minutes and refuses a time outside them', () => {
    const leaf = leafCertificate(COSIGN);
    const cert = new X509Certificate(leaf);
    const notBefore = new Date(cert.validFrom);
    const notAfter = new Date(cert.validTo);
    assert.equal(notBefore.toISOString(), '2025-02-28T19:18:11.000Z');
    assert.equal(notAfter.toISOString(), '2025-02-28T19:28:11.000Z');
    verifyCertificateChain(leaf, root, notBefore);
    verifyCertificateChain(leaf, root, notAfter);
    const message = /the certificate is valid 2025-02-28T19:18:11\.000Z–2025-02-28T19:28:11\.000Z, not at the signing time/;
    expectSignError(() => verifyCertificateChain(leaf, root, new Date(notAfter.getTime() + 1000)), 'CERTIFICATE_NOT_VALID_AT_SIGNING_TIME', message);
    expectSignError(() => verifyCertificateChain(leaf, root, new Date(notBefore.getTime() - 1000)), 'CERTIFICATE_NOT_VALID_AT_SIGNING_TIME', message);
    expectSignError(() => verifyCertificateChain(leaf, root, new Date('2026-01-01T00:00:00Z')), 'CERTIFICATE_NOT_VALID_AT_SIGNING_TIME', message);
  });

  it('refuses a leaf no CA of the root issued', () => {
    const othername = leafCertificate('sigstore-go-othername.sigstore.json');
    expectSignError(() => verifyCertificateChain(othername, root, integratedTime('sigstore-go-othername.sigstore.json')), 'CERTIFICATE_CHAIN_INVALID', /does not chain to any certificate authority of the trusted root/);
  });

  it('refuses a leaf whose signature was altered', () => {
    const leaf = leafCertificate(COSIGN);
    expectSignError(() => verifyCertificateChain(flipByte(leaf, -5), root, integratedTime(COSIGN)), 'CERTIFICATE_CHAIN_INVALID', /does not chain/);
  });

  it('refuses a CA the root no longer (or not yet) trusted at the signing time', () => {
    const cas = root.certificateAuthorities.map((ca) => ({ ...ca, validFor: { start: ca.validFor.start, end: new Date('2024-12-31T23:59:59Z') } }));
    const expired: TrustedRoot = { ...root, certificateAuthorities: cas };
    expectSignError(() => verifyCertificateChain(leafCertificate(COSIGN), expired, integratedTime(COSIGN)), 'CERTIFICATE_CHAIN_INVALID', /chains to a CA the trusted root trusts only \[2022-04-13T20:06:15\.000Z, 2024-12-31T23:59:59\.000Z\], not at 2025-02-28T19:18:11\.000Z/);
  });

  it('refuses a leaf that is not for code signing (the public-good TSA certificate, timeStamping only)', () => {
    const goodRoot = parseTrustedRoot(fixtureJson('sigstore-go-trusted-root-public-good.json'));
    const [tsaLeaf, ...tsaChain] = goodRoot.timestampAuthorities[0]?.chain ?? [];
    assert.ok(tsaLeaf !== undefined);
    const tsaAsCa: TrustedRoot = { ...goodRoot, certificateAuthorities: [{ chain: tsaChain, validFor: { start: new Date(0) } }] };
    expectSignError(() => verifyCertificateChain(tsaLeaf.root.toDER(), tsaAsCa, new Date('2023-06-01T00:00:00Z')), 'CERTIFICATE_CHAIN_INVALID', /not for code signing/);
  });

  it('refuses bytes that are not a certificate', () => {
    expectSignError(() => verifyCertificateChain(Buffer.from('not a certificate'), root, new Date()), 'SIGNATURE_MALFORMED', /not an X\.509 certificate/);
  });
});

describe('certificateIdentity', () => {
  it('reads an email SAN and the v2 issuer extension (cosign fixture)', () => {
    assert.deepEqual(certificateIdentity(leafCertificate(COSIGN)), { subject: 'cody@soyland.com', issuer: 'https://github.com/login/oauth' });
  });

  it('reads a URI SAN (GitHub Actions workflow identity)', () => {
    assert.deepEqual(certificateIdentity(leafCertificate('sigstore-go-sigstore-js-2.0.0-provenance.sigstore.json')), {
      subject: 'https://github.com/sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/main',
      issuer: 'https://token.actions.githubusercontent.com',
    });
  });

  it('reads a Fulcio OtherName SAN (username), as sigstore-go\'s summarize test expects', () => {
    assert.deepEqual(certificateIdentity(leafCertificate('sigstore-go-othername.sigstore.json')), { subject: 'foo!oidc.local', issuer: 'http://oidc.local:8080' });
  });

  it('falls back to the v1 (raw) issuer extension of older certificates', () => {
    assert.deepEqual(certificateIdentity(leafCertificate('sigstore-js-v3-message-signature.sigstore.json')), { subject: 'brian@dehamer.com', issuer: 'https://github.com/login/oauth' });
    assert.deepEqual(certificateIdentity(talosCertificate()), { subject: 'andrey.smirnov@siderolabs.com', issuer: 'https://accounts.google.com' });
  });

  it('refuses a certificate without a usable SAN, and bytes that are not a certificate', () => {
    const goodRoot = parseTrustedRoot(fixtureJson('sigstore-go-trusted-root-public-good.json'));
    const fulcioRoot = goodRoot.certificateAuthorities[1]?.chain[1];
    assert.ok(fulcioRoot !== undefined);
    expectSignError(() => certificateIdentity(fulcioRoot.root.toDER()), 'IDENTITY_MISMATCH', /names no email, URI or username/);
    expectSignError(() => certificateIdentity(Buffer.from([0x30, 0x03, 0x02, 0x01, 0x01])), 'SIGNATURE_MALFORMED', /not an X\.509 certificate/);
  });
});
