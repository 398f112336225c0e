import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { digestOf } from '../core/oci/digest.ts';
import { memorySignatureStore } from '../testing/memory-signature-store.ts';
import { verificationKeyOf } from './keys.ts';
import { verifyImage } from './verify-image.ts';

describe('verifyImage with nothing stored', () => {
  const digest = digestOf('an image that nobody signed');
  const policy = { keys: [verificationKeyOf(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey)], identities: [], requireTlog: false, requireSct: true, dockerReference: null };

  it('says where it looked: both schemes, or only the one asked for', async () => {
    const store = memorySignatureStore('registry.example/team/app');
    const both = await verifyImage(store, digest, 'signature', policy);
    assert.deepEqual(both.outcomes.map((o) => (o.verified ? ['verified'] : [o.code, o.message])), [['SIGNATURE_NOT_FOUND', `no signature is stored for registry.example/team/app@${digest} (looked for the legacy .sig tag and sigstore bundle referrers)`]]);
    const legacy = await verifyImage(store, digest, 'attestation', policy, { schemes: ['legacy'] });
    assert.deepEqual(legacy.outcomes.map((o) => (o.verified ? ['verified'] : [o.scheme, o.message])), [['legacy', `no attestation is stored for registry.example/team/app@${digest} (looked for the legacy .att tag)`]]);
  });
});
