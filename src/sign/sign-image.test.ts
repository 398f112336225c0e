import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { digestOf } from '../core/oci/digest.ts';
import { MediaType } from '../core/oci/media-types.ts';
import { memorySignatureStore } from '../testing/memory-signature-store.ts';
import { discover } from './discover.ts';
import { generateKeyPair, signingKeyOf } from './keys.ts';
import { attestImage, signImage } from './sign-image.ts';
import { keySigner } from './signer.ts';

/**
 * Attesting every new scan must not pile up attestations: an attestation made with `replaces`
 * removes the earlier ones of its predicate type that carry the same marks, in both schemes,
 * and leaves every other attestation alone.
 */
describe('attestImage with replaces', () => {
  it('replaces its own earlier attestations of the same type in both schemes, and nothing else', async () => {
    const store = memorySignatureStore('registry.example/team/app');
    const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociManifest, config: {}, layers: [] }));
    const subject = { mediaType: MediaType.ociManifest, digest: digestOf(manifest), size: manifest.byteLength };
    const signer = keySigner(signingKeyOf(generateKeyPair().privateKey));
    const attest = (predicateType: string, predicate: unknown, replaces?: Record<string, string>) =>
      attestImage(store, subject, { signer, schemes: ['legacy', 'bundle'], predicateType, predicate, ...(replaces === undefined ? {} : { replaces }) });
    const mark = { 'dev.slipway.attestor': 'scan' };

    await attest('https://spdx.dev/Document', { run: 1 }, mark);
    await attest('https://cosign.sigstore.dev/attestation/vuln/v1', { run: 1 }, mark);
    await attest('https://spdx.dev/Document', { team: 'own' });
    await attest('https://spdx.dev/Document', { run: 2 }, mark);

    const { found } = await discover(store, subject.digest, 'attestation');
    const predicates = found.map((f) => {
      const payload = f.content.kind === 'dsse' ? f.content.envelope.payload : Buffer.alloc(0);
      const statement = JSON.parse(payload.toString()) as { predicateType: string; predicate: unknown };
      return `${f.scheme} ${statement.predicateType} ${JSON.stringify(statement.predicate)}`;
    });
    assert.deepEqual(predicates.sort((a, b) => a.localeCompare(b)), [
      'bundle https://cosign.sigstore.dev/attestation/vuln/v1 {"run":1}',
      'bundle https://spdx.dev/Document {"run":2}',
      'bundle https://spdx.dev/Document {"team":"own"}',
      'legacy https://cosign.sigstore.dev/attestation/vuln/v1 {"run":1}',
      'legacy https://spdx.dev/Document {"run":2}',
      'legacy https://spdx.dev/Document {"team":"own"}',
    ]);
  });
});

describe('signImage, failing halfway', () => {
  it('has told of the legacy signature it stored when the bundle scheme then fails', async () => {
    const memory = memorySignatureStore('registry.example/team/app');
    // A registry that takes the .sig tag and then refuses the bundle referrer (a manifest with a subject).
    const store = {
      ...memory,
      putManifest: (reference: string, bytes: Buffer, mediaType: string, o?: Parameters<typeof memory.putManifest>[3]) =>
        (JSON.parse(bytes.toString()) as { subject?: unknown }).subject === undefined ? memory.putManifest(reference, bytes, mediaType, o) : Promise.reject(new Error('refused')),
    };
    const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociManifest, config: {}, layers: [] }));
    const subject = { mediaType: MediaType.ociManifest, digest: digestOf(manifest), size: manifest.byteLength };
    const signer = keySigner(signingKeyOf(generateKeyPair().privateKey));
    const written: string[] = [];
    await assert.rejects(signImage(store, subject, { signer, schemes: ['legacy', 'bundle'], written: (d) => written.push(d) }), /refused/);
    const { found } = await discover(memory, subject.digest, 'signature');
    assert.deepEqual(found.map((f) => f.scheme), ['legacy']);
    assert.equal(written.length, 1, 'the legacy .sig manifest, stored before the bundle failed');
  });
});
