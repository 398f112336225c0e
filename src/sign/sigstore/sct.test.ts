import assert from 'node:assert/strict';
import { X509Certificate as NodeX509 } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { EXTENSION_OID_SCT, X509Certificate } from '@sigstore/core';
import { startFakeSigstore, type FakeSigstore } from '../../testing/fake-sigstore.ts';
import { firstEntry, fixtureJson, fixtureText, leafCertificate, publicGoodRoot } from '../../testing/sigstore-fixtures.ts';
import { legacyRekorBundle } from './bundle.ts';
import { keylessSigner } from '../signer.ts';
import { verifyCertificateChain, type VerifiedChain } from './certificate.ts';
import { verifyEmbeddedScts } from './sct.ts';
import { parseTrustedRoot, type TransparencyLog, type TrustedRoot } from './trusted-root.ts';
import { expectSignError } from '../../testing/sign-error-assert.ts';

const ISSUER = 'https://oidc.ci.example';


const sctIndex = (cert: X509Certificate): number => cert.extensions.findIndex((ext) => ext.subs[0]?.toOID() === EXTENSION_OID_SCT);

/** `target` with its SCT extension replaced by `donor`'s (or removed): the CA signature breaks, the SCT check must too. */
function withSctExtensionOf(target: X509Certificate, donor: X509Certificate | undefined): X509Certificate {
  const copy = target.clone();
  const index = sctIndex(copy);
  assert.ok(index >= 0, 'the certificate has an SCT extension');
  const replacement = donor === undefined ? [] : [donor.extensions[sctIndex(donor)]].filter((ext) => ext !== undefined);
  copy.extensions.splice(index, 1, ...replacement);
  return X509Certificate.parse(Buffer.from(copy.root.toDER()));
}

function onlySct(cert: X509Certificate): { logId: Buffer; time: Date } {
  const scts = cert.extSCT?.signedCertificateTimestamps ?? [];
  assert.equal(scts.length, 1, 'the certificate embeds one SCT');
  const [sct] = scts;
  assert.ok(sct !== undefined);
  return { logId: sct.logID, time: sct.datetime };
}

function withCtlogs(root: TrustedRoot, ctlogs: readonly TransparencyLog[]): TrustedRoot {
  return { ...root, ctlogs };
}

describe('verifyEmbeddedScts with the fake Sigstore (@sigstore/mock SCTs)', () => {
  let sigstore: FakeSigstore;
  let other: FakeSigstore;
  let root: TrustedRoot;
  let otherRoot: TrustedRoot;
  let chain: VerifiedChain;
  let second: VerifiedChain;

  async function issue(s: FakeSigstore, trustedRoot: TrustedRoot, email: string): Promise<VerifiedChain> {
    const signer = await keylessSigner({ fulcioUrl: s.fulcioUrl, identityToken: s.identityToken({ email, issuer: ISSUER }) });
    assert.equal(signer.material.kind, 'certificate');
    if (signer.material.kind !== 'certificate') assert.fail('keyless');
    return verifyCertificateChain(signer.material.certificate, trustedRoot, new Date());
  }

  before(async () => {
    [sigstore, other] = await Promise.all([startFakeSigstore(), startFakeSigstore()]);
    root = parseTrustedRoot(sigstore.trustedRoot);
    otherRoot = parseTrustedRoot(other.trustedRoot);
    chain = await issue(sigstore, root, 'release-bot@ci.example');
    second = await issue(sigstore, root, 'other-bot@ci.example');
  });
  after(() => Promise.all([sigstore.close(), other.close()]));

  it('verifies the SCT of a certificate the fake Fulcio issued, from the CT log its trusted root lists', () => {
    const [ctlog] = root.ctlogs;
    assert.ok(ctlog !== undefined);
    assert.ok(onlySct(chain.leaf).logId.equals(ctlog.logId), 'the SCT names the trusted CT log');
    verifyEmbeddedScts(chain.leaf, chain.issuer, root.ctlogs);
    verifyEmbeddedScts(chain.leaf, chain.issuer, root.ctlogs, 1);
  });

  it('refuses with CERTIFICATE_SCT_MISSING when the root lists no CT log, or only another one', () => {
    expectSignError(() => verifyEmbeddedScts(chain.leaf, chain.issuer, []), 'CERTIFICATE_SCT_MISSING', /SCTs from none of the trusted root's CT logs \(1 required\): log [0-9a-f]{64} is not a CT log of the trusted root/);
    expectSignError(() => verifyEmbeddedScts(chain.leaf, chain.issuer, otherRoot.ctlogs), 'CERTIFICATE_SCT_MISSING', /is not a CT log of the trusted root/);
  });

  it('refuses with CERTIFICATE_SCT_INVALID when the trusted log ID comes with another key', () => {
    const [ctlog] = root.ctlogs;
    const [otherLog] = otherRoot.ctlogs;
    assert.ok(ctlog !== undefined && otherLog !== undefined);
    const impostor = { ...ctlog, publicKey: otherLog.publicKey };
    expectSignError(() => verifyEmbeddedScts(chain.leaf, chain.issuer, [impostor]), 'CERTIFICATE_SCT_INVALID', /SCT from CT log .*\/ct \(log ID [0-9a-f]{64}, .*\) does not verify over the certificate/);
  });

  it('refuses with CERTIFICATE_SCT_INVALID an SCT over another precertificate: another leaf\'s TBS, another issuer', () => {
    // The first leaf's SCT moved into the second leaf: the log signed the first leaf's TBS, not this one.
    expectSignError(() => verifyEmbeddedScts(withSctExtensionOf(second.leaf, chain.leaf), chain.issuer, root.ctlogs), 'CERTIFICATE_SCT_INVALID', /does not verify/);
    // The issuer key hash is part of the precertificate.
    const otherCa = otherRoot.certificateAuthorities[0]?.chain[0];
    assert.ok(otherCa !== undefined);
    expectSignError(() => verifyEmbeddedScts(chain.leaf, otherCa, root.ctlogs), 'CERTIFICATE_SCT_INVALID', /does not verify/);
    // Untouched, both still verify.
    verifyEmbeddedScts(second.leaf, second.issuer, root.ctlogs);
  });

  it('does not use a CT log outside its validFor at the SCT time (CERTIFICATE_SCT_MISSING)', () => {
    const [ctlog] = root.ctlogs;
    assert.ok(ctlog !== undefined);
    const { time } = onlySct(chain.leaf);
    const ended = { ...ctlog, validFor: { start: ctlog.validFor.start, end: new Date(time.getTime() - 1) } };
    expectSignError(() => verifyEmbeddedScts(chain.leaf, chain.issuer, [ended]), 'CERTIFICATE_SCT_MISSING', /log [0-9a-f]{64} is trusted only \[.*\], not at /);
    const later = { ...ctlog, validFor: { start: new Date(time.getTime() + 1) } };
    expectSignError(() => verifyEmbeddedScts(chain.leaf, chain.issuer, [later]), 'CERTIFICATE_SCT_MISSING', /trusted only/);
    // Its period ending exactly at the SCT time still covers it (both ends inclusive).
    verifyEmbeddedScts(chain.leaf, chain.issuer, [{ ...ctlog, validFor: { start: ctlog.validFor.start, end: time } }]);
  });

  it('refuses a certificate without an SCT extension, and fewer trusted logs than the threshold, with CERTIFICATE_SCT_MISSING', () => {
    expectSignError(() => verifyEmbeddedScts(withSctExtensionOf(chain.leaf, undefined), chain.issuer, root.ctlogs), 'CERTIFICATE_SCT_MISSING', /has no embedded SCT \(1\.3\.6\.1\.4\.1\.11129\.2\.4\.2\)/);
    // The same log listed twice is still one log.
    expectSignError(() => verifyEmbeddedScts(chain.leaf, chain.issuer, [...root.ctlogs, ...root.ctlogs], 2), 'CERTIFICATE_SCT_MISSING', /SCTs from only 1 of the trusted root's CT logs \(2 required\)$/);
  });

  it('leaves the certificate it checks untouched', () => {
    const original = chain.leaf.root.toDER();
    verifyEmbeddedScts(chain.leaf, chain.issuer, root.ctlogs);
    assert.ok(chain.leaf.root.toDER().equals(original));
    assert.ok(chain.leaf.extSCT !== undefined);
  });
});

describe('verifyEmbeddedScts with real Fulcio certificates (known answers)', () => {
  const publicGood = publicGoodRoot();
  const scaffolding = parseTrustedRoot(fixtureJson('sigstore-go-trusted-root-scaffolding.json'));
  const at = (fixture: string): Date => new Date(firstEntry(fixture).integratedTime * 1000);

  /** The certificate in the Talos legacy annotation's hashedrekord body (PEM there), as DER, and its integrated time. */
  function talos(): { leaf: Buffer; time: Date } {
    const entry = legacyRekorBundle(fixtureText('talos-installer-v1.4.0.cosign-bundle.json'));
    const body = JSON.parse(entry.canonicalizedBody.toString('utf8')) as { spec: { signature: { publicKey: { content: string } } } };
    return { leaf: Buffer.from(new NodeX509(Buffer.from(body.spec.signature.publicKey.content, 'base64')).raw), time: new Date(entry.integratedTime * 1000) };
  }

  const cases = [
    ...[
      'cosign-oci-attestation.sigstore.json',
      'sigstore-go-sigstore-js-2.0.0-provenance.sigstore.json',
      'sigstore-js-v3-message-signature.sigstore.json',
      'sigstore-js-v3-dsse.sigstore.json',
      'sigstore-go-dsse-intoto.sigstore.json',
    ].map((name) => ({ name, leaf: leafCertificate(name), time: at(name), root: publicGood })),
    { name: 'talos', ...talos(), root: publicGood },
    { name: 'sigstore-go-othername.sigstore.json', leaf: leafCertificate('sigstore-go-othername.sigstore.json'), time: at('sigstore-go-othername.sigstore.json'), root: scaffolding },
  ];

  for (const c of cases) {
    it(`${c.name}: its SCT verifies with the root's CT log, and without that log it is refused`, () => {
      const chain = verifyCertificateChain(c.leaf, c.root, c.time);
      const { logId } = onlySct(chain.leaf);
      assert.ok(c.root.ctlogs.some((log) => log.logId.equals(logId)), 'the SCT is from a CT log of the root');
      verifyEmbeddedScts(chain.leaf, chain.issuer, c.root.ctlogs);
      const others = c.root.ctlogs.filter((log) => !log.logId.equals(logId));
      expectSignError(() => verifyEmbeddedScts(chain.leaf, chain.issuer, withCtlogs(c.root, others).ctlogs), 'CERTIFICATE_SCT_MISSING', /none of the trusted root's CT logs/);
    });
  }

  it('refuses a public-good SCT checked against the wrong issuer (the Fulcio root instead of the intermediate)', () => {
    const name = 'cosign-oci-attestation.sigstore.json';
    const chain = verifyCertificateChain(leafCertificate(name), publicGood, at(name));
    const ca = publicGood.certificateAuthorities.find((candidate) => candidate.chain[0]?.equals(chain.issuer));
    const anchor = ca?.chain.at(-1);
    assert.ok(anchor !== undefined && !anchor.equals(chain.issuer), 'the CA has an intermediate');
    expectSignError(() => verifyEmbeddedScts(chain.leaf, anchor, publicGood.ctlogs), 'CERTIFICATE_SCT_INVALID', /ctfe\.sigstore\.dev\/2022 .* does not verify/);
  });
});
