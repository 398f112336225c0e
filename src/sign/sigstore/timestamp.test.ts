import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RFC3161Timestamp } from '@sigstore/core';
import { createFakeTsa } from '../../testing/fake-tsa.ts';
import { expectSignError } from '../../testing/sign-error-assert.ts';
import { bundleFixture, fixtureJson, flipByte } from '../../testing/sigstore-fixtures.ts';
import { SignError } from '../sign-error.ts';
import { verifyTimestamp } from './timestamp.ts';
import { parseTrustedRoot, type CertificateAuthority } from './trusted-root.ts';

const HAPPY = 'conformance/rekor2-happy-path';
const STAGING_TSA = 'https://timestamp.sigstage.dev/api/v1/timestamp';

/** The staging bundle's timestamp, the signature it covers and the staging root's TSAs. */
function staging(): { token: Buffer; signature: Buffer; authorities: readonly CertificateAuthority[] } {
  const bundle = bundleFixture(`${HAPPY}/bundle.sigstore.json`);
  const [token] = bundle.timestamps;
  assert.ok(token !== undefined && bundle.content.kind === 'message');
  const root = parseTrustedRoot(fixtureJson(`${HAPPY}/trusted_root.json`));
  return { token, signature: bundle.content.signature, authorities: root.timestampAuthorities };
}

/** Where `part` sits in `whole`, as the indexes to flip. */
function indexesOf(whole: Buffer, part: Buffer): number[] {
  const at = whole.indexOf(part);
  assert.ok(at >= 0, 'the part is in the token');
  return Array.from({ length: part.length }, (_, i) => at + i);
}

describe('verifyTimestamp with a real timestamp (timestamp.sigstage.dev)', () => {
  it('verifies over the bundle signature: the genTime, vouched for by the trusted TSA', () => {
    const { token, signature, authorities } = staging();
    assert.deepEqual(verifyTimestamp(token, signature, authorities), { time: new Date('2025-06-12T12:02:20Z'), authority: STAGING_TSA });
  });

  it('refuses it over other bytes: the message imprint is the signature\'s', () => {
    const { token, signature, authorities } = staging();
    expectSignError(() => verifyTimestamp(token, flipByte(signature, 10), authorities), 'TIMESTAMP_INVALID', /its message imprint is not the sha256 of the signature/);
    expectSignError(() => verifyTimestamp(token, Buffer.from('payload'), authorities, 'the stored DSSE envelope'), 'TIMESTAMP_INVALID', /not the sha256 of the stored DSSE envelope/);
  });

  it('refuses it without the TSA in the root, or with the root trusting the TSA only before the genTime', () => {
    const { token, signature, authorities } = staging();
    expectSignError(() => verifyTimestamp(token, signature, []), 'TIMESTAMP_INVALID', /signed by a timestamp authority \(serial 0a35a106.*\) that is not one of the trusted root's/);
    const [tsa] = authorities;
    assert.ok(tsa !== undefined);
    const ended = { ...tsa, validFor: { start: tsa.validFor.start, end: new Date('2025-06-12T12:02:19Z') } };
    expectSignError(() => verifyTimestamp(token, signature, [ended]), 'TIMESTAMP_INVALID', /trusts https:\/\/timestamp\.sigstage\.dev\/api\/v1\/timestamp only \[.*, 2025-06-12T12:02:19\.000Z\], not at 2025-06-12T12:02:20\.000Z/);
    const later = { ...tsa, validFor: { start: new Date('2025-06-12T12:02:21Z') } };
    expectSignError(() => verifyTimestamp(token, signature, [later]), 'TIMESTAMP_INVALID', /trusts .* only/);
    const atEnd = { ...tsa, validFor: { start: tsa.validFor.start, end: new Date('2025-06-12T12:02:20Z') } };
    assert.equal(verifyTimestamp(token, signature, [atEnd]).authority, STAGING_TSA, 'both ends are inclusive');
  });

  it('refuses a flipped byte of the TSTInfo, of the TSA\'s signature or of the certificate it embeds', () => {
    const { token, signature, authorities } = staging();
    const parsed = RFC3161Timestamp.parse(Buffer.from(token));
    const leaf = authorities[0]?.chain[0];
    assert.ok(leaf !== undefined);
    const parts = { TSTInfo: parsed.tstInfo.raw, signature: parsed.signatureValue, 'embedded certificate': leaf.root.toDER() };
    for (const [part, bytes] of Object.entries(parts)) {
      for (const i of indexesOf(token, bytes)) {
        assert.throws(() => verifyTimestamp(flipByte(token, i), signature, authorities), (error: unknown) => {
          assert.ok(error instanceof SignError && error.code === 'TIMESTAMP_INVALID', `${part} byte ${i}: ${String(error)}`);
          return true;
        });
      }
    }
  });

  it('refuses bytes that are no TimeStampResp, and a response that does not grant a timestamp', () => {
    const { token, signature, authorities } = staging();
    expectSignError(() => verifyTimestamp(Buffer.from('not DER'), signature, authorities), 'TIMESTAMP_INVALID', /is not a readable DER TimeStampResp/);
    expectSignError(() => verifyTimestamp(token.subarray(0, 200), signature, authorities), 'TIMESTAMP_INVALID', /is not a readable DER TimeStampResp/);
    const status = token.indexOf(Buffer.from('3003020100', 'hex')) + 4;
    const rejected = Buffer.from(token);
    rejected[status] = 2;
    expectSignError(() => verifyTimestamp(rejected, signature, authorities), 'TIMESTAMP_INVALID', /did not grant it \(PKIStatus 2\)/);
    const withMods = Buffer.from(token);
    withMods[status] = 1;
    assert.equal(verifyTimestamp(withMods, signature, authorities).authority, STAGING_TSA, 'grantedWithMods is granted');
  });
});

describe('verifyTimestamp with an in-process TSA (@sigstore/mock)', () => {
  const signature = Buffer.from('the signature bytes');
  const DAY = 24 * 3600 * 1000;

  it('verifies a token over SHA-256 or SHA-512, with or without its certificate embedded, and returns its genTime', async () => {
    const now = new Date(Math.floor(Date.now() / 1000) * 1000 + 5000);
    const tsa = await createFakeTsa({ clock: now });
    for (const options of [{}, { hash: 'sha512' as const }, { embedCertificate: false }]) {
      assert.deepEqual(verifyTimestamp(await tsa.timestamp(signature, options), signature, [tsa.authority]), { time: now, authority: tsa.uri });
    }
  });

  it('refuses a token whose genTime is outside the TSA certificates\' validity (they are valid for a year from now)', async () => {
    for (const clock of [new Date(Date.now() + 366 * DAY), new Date(Date.now() - DAY)]) {
      const tsa = await createFakeTsa({ clock });
      const token = await tsa.timestamp(signature);
      expectSignError(() => verifyTimestamp(token, signature, [tsa.authority]), 'TIMESTAMP_INVALID', /certificate 0 of https:\/\/tsa\.test\/api\/v1\/timestamp is valid .*, not at the timestamp's time/);
    }
  });

  it('refuses a token of another TSA with the same names: its embedded certificate, or its signature, is not the trusted one\'s', async () => {
    const [trusted, other] = await Promise.all([createFakeTsa(), createFakeTsa()]);
    const embedded = await other.timestamp(signature);
    expectSignError(() => verifyTimestamp(embedded, signature, [trusted.authority]), 'TIMESTAMP_INVALID', /the signer certificate it embeds is not the trusted certificate of https:\/\/tsa\.test/);
    const bare = await other.timestamp(signature, { embedCertificate: false });
    expectSignError(() => verifyTimestamp(bare, signature, [trusted.authority]), 'TIMESTAMP_INVALID', /it does not verify with the key of https:\/\/tsa\.test\/api\/v1\/timestamp: signature verification failed/);
    assert.equal(verifyTimestamp(bare, signature, [trusted.authority, other.authority]).authority, other.uri, 'the TSA that did sign it, when trusted too');
  });

  it('refuses a TSA whose chain does not lead to its anchor', async () => {
    const [trusted, other] = await Promise.all([createFakeTsa(), createFakeTsa()]);
    const [leaf] = trusted.authority.chain;
    const [, otherRoot] = other.authority.chain;
    assert.ok(leaf !== undefined && otherRoot !== undefined);
    const token = await trusted.timestamp(signature);
    expectSignError(() => verifyTimestamp(token, signature, [{ ...trusted.authority, chain: [leaf, otherRoot] }]), 'TIMESTAMP_INVALID', /the certificate chain of https:\/\/tsa\.test\/api\/v1\/timestamp does not verify \(certificate 0 is not issued by certificate 1\)/);
  });
});
