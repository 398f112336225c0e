import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { SignError } from '../sign-error.ts';
import { legacyRekorBundle, parseBundle } from './bundle.ts';
import { bundleFixture, fixtureJson, fixtureRecord, fixtureText, publicGoodRoot, without } from '../../testing/sigstore-fixtures.ts';
import { verifyTlogEntry } from './tlog.ts';

const COSIGN = 'cosign-oci-attestation.sigstore.json';
const REKOR_LOG_ID = 'c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d';

function expectMalformed(run: () => unknown, message: RegExp): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof SignError, String(error));
    assert.equal(error.code, 'SIGNATURE_MALFORMED', error.message);
    assert.match(error.message, message);
    return true;
  });
}

function material(json: Record<string, unknown>): Record<string, unknown> {
  return json['verificationMaterial'] as Record<string, unknown>;
}

describe('parseBundle', () => {
  it('reads a cosign v3 DSSE bundle (v0.3, single certificate, SET + proof)', () => {
    const json = fixtureRecord(COSIGN);
    const bundle = parseBundle(json);
    assert.equal(bundle.mediaType, 'application/vnd.dev.sigstore.bundle.v0.3+json');
    assert.ok(bundle.content.kind === 'dsse');
    assert.equal(bundle.content.envelope.payloadType, 'application/vnd.in-toto+json');
    const statement = JSON.parse(bundle.content.envelope.payload.toString('utf8')) as Record<string, unknown>;
    assert.equal(statement['_type'], 'https://in-toto.io/Statement/v0.1');
    assert.equal(bundle.content.envelope.signatures.length, 1);
    assert.equal(bundle.content.envelope.signatures[0]?.sig.toString('base64').slice(0, 12), 'MEQCIDomiuYV');
    assert.ok(bundle.material.kind === 'certificate');
    assert.equal(bundle.material.certificate.toString('base64'), (material(json)['certificate'] as { rawBytes: string }).rawBytes);
    assert.deepEqual(bundle.material.chain, []);
    assert.deepEqual(bundle.timestamps, []);
    const [entry] = bundle.tlogEntries;
    assert.ok(entry !== undefined);
    assert.deepEqual(
      { logIndex: entry.logIndex, logId: entry.logId.toString('hex'), kind: entry.kind, version: entry.version, integratedTime: entry.integratedTime },
      { logIndex: 175508996, logId: REKOR_LOG_ID, kind: 'dsse', version: '0.0.1', integratedTime: 1740770291 },
    );
    assert.equal(entry.signedEntryTimestamp?.toString('base64').slice(0, 12), 'MEUCIQDIgcWm');
    assert.match(entry.canonicalizedBody.toString('utf8'), /^\{"apiVersion":"0\.0\.1","kind":"dsse","spec":/);
    const proof = entry.inclusionProof;
    assert.ok(proof !== undefined);
    assert.deepEqual([proof.logIndex, proof.treeSize, proof.hashes.length], [53604734, 53604735, 16]);
    assert.equal(proof.rootHash.toString('base64'), 'nd/V1IEweXlu0reIQGaGK1d51xW4Rj8fUyTrmcUkrMY=');
    assert.ok(proof.checkpoint.startsWith('rekor.sigstore.dev - 1193050959916656506\n53604735\n'));
  });

  it('reads a message signature: empty payload, the digest kept', () => {
    const bundle = bundleFixture('sigstore-js-v3-message-signature.sigstore.json');
    assert.equal(bundle.mediaType, 'application/vnd.dev.sigstore.bundle+json;version=0.3');
    assert.ok(bundle.content.kind === 'message');
    assert.equal(bundle.content.payload.length, 0);
    assert.deepEqual(bundle.content.digest, createHash('sha256').update('hello, world!').digest());
    assert.equal(bundle.content.signature.toString('base64').slice(0, 12), 'MEQCIHs5aUul');
    assert.equal(bundle.tlogEntries[0]?.kind, 'hashedrekord');
  });

  it('reads a v0.1 certificate chain as the leaf plus the rest', () => {
    const json = fixtureRecord('sigstore-go-sigstore-js-2.0.0-provenance.sigstore.json');
    const certificates = (material(json)['x509CertificateChain'] as { certificates: { rawBytes: string }[] }).certificates;
    const intermediate = fixtureRecord(COSIGN); // any certificate will do as a second chain member
    certificates.push({ rawBytes: (material(intermediate)['certificate'] as { rawBytes: string }).rawBytes });
    const bundle = parseBundle(json);
    assert.ok(bundle.material.kind === 'certificate');
    assert.equal(bundle.material.certificate.toString('base64'), certificates[0]?.rawBytes);
    assert.deepEqual(bundle.material.chain.map((c) => c.toString('base64')), [certificates[1]?.rawBytes]);
    assert.equal(bundle.tlogEntries[0]?.kind, 'intoto');
    assert.equal(bundle.tlogEntries[0]?.inclusionProof?.logIndex, 27657874);
  });

  it('reads key material with its hint, SET-only entries and RFC 3161 timestamps', () => {
    const publish = bundleFixture('sigstore-go-bundle-publish.sigstore.json');
    assert.deepEqual(publish.material, { kind: 'key', hint: 'SHA256:jl3bwswu80PjjokCgh0o2w5c2U4LhQAE57gj9cz1kzA' });
    assert.equal(publish.tlogEntries[0]?.inclusionProof, undefined);
    assert.ok(publish.tlogEntries[0]?.signedEntryTimestamp !== undefined);
    const validity = bundleFixture('sigstore-go-public-key-validity.sigstore.json');
    assert.deepEqual(validity.material, { kind: 'key', hint: 'IpekKjxVkmTfB4YqY8q5sGEAeVtF9x3m7jHdhAxpgjQ=' });
    assert.deepEqual(validity.tlogEntries, []);
    assert.equal(validity.timestamps.length, 1);
    assert.equal(validity.timestamps[0]?.[0], 0x30, 'DER');
  });

  it('reads a Rekor v2 entry: no integrated time, no SET, an inclusion proof, and the RFC 3161 timestamp', () => {
    const bundle = bundleFixture('conformance/rekor2-happy-path/bundle.sigstore.json');
    const [entry] = bundle.tlogEntries;
    assert.ok(entry !== undefined);
    assert.deepEqual([entry.kind, entry.version, entry.integratedTime, entry.logIndex], ['hashedrekord', '0.0.2', 0, 735]);
    assert.equal(entry.signedEntryTimestamp, undefined);
    assert.deepEqual([entry.inclusionProof?.logIndex, entry.inclusionProof?.treeSize], [735, 736]);
    assert.match(entry.canonicalizedBody.toString('utf8'), /^\{"apiVersion":"0\.0\.2","kind":"hashedrekord","spec":\{"hashedRekordV002":/);
    assert.equal(bundle.timestamps.length, 1);
    assert.equal(bundle.timestamps[0]?.toString('base64').slice(0, 12), 'MIIE6jADAgEA');
  });

  it('leaves out an inclusion proof without checkpoint (its root is unsigned) in a v0.1 bundle', () => {
    const json = fixtureRecord('sigstore-go-sigstore-js-2.0.0-provenance.sigstore.json');
    const entry = (material(json)['tlogEntries'] as Record<string, Record<string, unknown>>[])[0];
    assert.ok(entry?.['inclusionProof'] !== undefined);
    delete entry['inclusionProof']['checkpoint'];
    const parsed = parseBundle(json).tlogEntries[0];
    assert.equal(parsed?.inclusionProof, undefined);
    assert.ok(parsed?.signedEntryTimestamp !== undefined);
  });

  it('refuses bundles invalid for their media type', () => {
    const chainInV3 = fixtureRecord('sigstore-go-sigstore-js-2.0.0-provenance.sigstore.json');
    chainInV3['mediaType'] = 'application/vnd.dev.sigstore.bundle.v0.3+json';
    expectMalformed(() => parseBundle(chainInV3), /invalid .*verificationMaterial\.content\.\$case/);
    const v2WithoutProof = fixtureRecord('sigstore-go-dsse-intoto.sigstore.json');
    v2WithoutProof['mediaType'] = 'application/vnd.dev.sigstore.bundle+json;version=0.2';
    expectMalformed(() => parseBundle(v2WithoutProof), /invalid verificationMaterial\.tlogEntries\[0\]\.inclusionProof/);
    const twoSignatures = fixtureRecord(COSIGN);
    const envelope = twoSignatures['dsseEnvelope'] as { signatures: unknown[] };
    envelope.signatures.push(envelope.signatures[0]);
    expectMalformed(() => parseBundle(twoSignatures), /invalid content\.dsseEnvelope\.signatures/);
    const noContent = fixtureRecord(COSIGN);
    delete noContent['dsseEnvelope'];
    expectMalformed(() => parseBundle(noContent), /invalid content/);
    const otherType = fixtureRecord(COSIGN);
    otherType['mediaType'] = 'application/json';
    expectMalformed(() => parseBundle(otherType), /invalid mediaType/);
    expectMalformed(() => parseBundle(null), /^bundle: /);
  });

  it('refuses a log index that is not an integer, and a message digest that is not SHA-256', () => {
    const json = fixtureRecord(COSIGN);
    (material(json)['tlogEntries'] as Record<string, unknown>[])[0]!['logIndex'] = '1e3';
    expectMalformed(() => parseBundle(json), /tlogEntries\[0\]\.logIndex "1e3" is not an integer/);
    const sha384 = fixtureRecord('sigstore-js-v3-message-signature.sigstore.json');
    ((sha384['messageSignature'] as Record<string, unknown>)['messageDigest'] as Record<string, unknown>)['algorithm'] = 'SHA2_384';
    expectMalformed(() => parseBundle(sha384), /message digest algorithm 2 is not SHA2_256/);
  });
});

describe('legacyRekorBundle', () => {
  it('reads the dev.sigstore.cosign/bundle annotation of a cosign-signed image (Talos installer v1.4.0)', () => {
    const entry = legacyRekorBundle(fixtureText('talos-installer-v1.4.0.cosign-bundle.json'));
    assert.deepEqual(
      { logIndex: entry.logIndex, logId: entry.logId.toString('hex'), kind: entry.kind, version: entry.version, integratedTime: entry.integratedTime },
      { logIndex: 18304044, logId: REKOR_LOG_ID, kind: 'hashedrekord', version: '0.0.1', integratedTime: 1681843022 },
    );
    assert.equal(entry.signedEntryTimestamp?.toString('base64').slice(0, 12), 'MEQCIERkQpgE');
    assert.equal(entry.inclusionProof, undefined);
  });

  it('reads what cosign writes from a bundle\'s entry (capitalised keys, hex logID), and its SET verifies', () => {
    const bundleEntry = bundleFixture(COSIGN).tlogEntries[0];
    assert.ok(bundleEntry?.signedEntryTimestamp !== undefined);
    const annotation = JSON.stringify({
      SignedEntryTimestamp: bundleEntry.signedEntryTimestamp.toString('base64'),
      Payload: { body: bundleEntry.canonicalizedBody.toString('base64'), integratedTime: bundleEntry.integratedTime, logIndex: bundleEntry.logIndex, logID: bundleEntry.logId.toString('hex') },
    });
    const entry = legacyRekorBundle(annotation);
    assert.deepEqual(entry, without(bundleEntry, 'inclusionProof'));
    assert.equal(verifyTlogEntry(entry, publicGoodRoot()).integratedTime.getTime(), 1740770291000);
  });

  it('refuses annotations that do not parse', () => {
    const good = fixtureJson('talos-installer-v1.4.0.cosign-bundle.json') as { SignedEntryTimestamp: string; Payload: Record<string, unknown> };
    const variant = (patch: (a: typeof good) => void): string => {
      const copy = structuredClone(good);
      patch(copy);
      return JSON.stringify(copy);
    };
    expectMalformed(() => legacyRekorBundle('{"SignedEntryTimestamp":'), /cosign bundle annotation is not JSON/);
    expectMalformed(() => legacyRekorBundle('[]'), /cosign bundle annotation must be a JSON object/);
    expectMalformed(() => legacyRekorBundle(variant((a) => delete (a as Partial<typeof a>).Payload)), /Payload is missing/);
    expectMalformed(() => legacyRekorBundle(variant((a) => (a.Payload['logID'] = 'wNI9atQGlz+VWfO6LRygH4QUfY/8W4RFwiT5i5WRgB0='))), /Payload\.logID is not a hex SHA-256/);
    expectMalformed(() => legacyRekorBundle(variant((a) => (a.Payload['body'] = Buffer.from('not json').toString('base64')))), /Payload\.body is not base64 of a JSON log entry/);
    expectMalformed(() => legacyRekorBundle(variant((a) => (a.Payload['body'] = Buffer.from('{"kind":"dsse"}').toString('base64')))), /Payload\.body\.apiVersion is missing/);
    expectMalformed(() => legacyRekorBundle(variant((a) => (a.Payload['integratedTime'] = -1))), /Payload\.integratedTime must be a non-negative integer/);
    expectMalformed(() => legacyRekorBundle(variant((a) => delete a.Payload['logIndex'])), /Payload\.logIndex is missing/);
    expectMalformed(() => legacyRekorBundle(variant((a) => (a.SignedEntryTimestamp = '*'))), /SignedEntryTimestamp is not base64/);
  });
});
