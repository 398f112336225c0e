import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fixedCredentials } from '../core/oci/client/credentials.ts';
import { createRegistryClient, type RegistryClient } from '../core/oci/client/registry-client.ts';
import { digestOf } from '../core/oci/digest.ts';
import { startSlipway, type TestSlipway } from '../testing/slipway-server.ts';
import { buildImage, pushToRegistry } from '../testing/test-images.ts';
import { generateKeyPair, signingKeyOf, verificationKeyOf } from './keys.ts';
import { readLegacy } from './scheme/legacy.ts';
import { signImage } from './sign-image.ts';
import { registrySignatureStore } from './signature-store.ts';
import { keySigner } from './signer.ts';
import { verifyImage } from './verify-image.ts';

/**
 * Several signers at once against Slipway's registry, which honours conditional PUTs: no
 * signature appended to the shared `.sig` tag is lost, nor any entry of a referrers fallback tag
 * (cosign's unconditional read-modify-PUT loses all but one).
 */
describe('concurrent signers', () => {
  let server: TestSlipway;
  let client: RegistryClient;
  before(async () => {
    server = await startSlipway({ projects: [{ name: 'team', public: false }] });
    client = createRegistryClient({ insecure: true, credentials: fixedCredentials({ kind: 'basic', username: 'admin', password: server.adminPassword }) });
  });
  after(async () => {
    client.close();
    await server.stop();
  });

  it('keeps every legacy signature when four keys sign the same image at once', async () => {
    const image = buildImage({ seed: 'concurrent-signers' });
    const repository = client.repository(server.host, 'team/app');
    await pushToRegistry(repository, [image.config, ...image.layers], image.manifest, '1');
    const store = registrySignatureStore(repository);
    const keys = Array.from({ length: 4 }, () => generateKeyPair());
    await Promise.all(keys.map((k) => signImage(store, image.manifest.descriptor, { signer: keySigner(signingKeyOf(k.privateKey)), schemes: ['legacy', 'bundle'] })));
    const digest = image.manifest.descriptor.digest;
    assert.equal((await readLegacy(store, digest, 'sig')).found.length, 4);
    const verified = await verifyImage(store, digest, 'signature', { keys: keys.map((k) => verificationKeyOf(k.publicKey)), identities: [], requireTlog: false, dockerReference: null });
    assert.equal(verified.outcomes.filter((o) => o.verified).length, 8, 'four signers, both schemes');
  });

  it('keeps every entry of a referrers fallback tag written at once', async () => {
    const repository = client.repository(server.host, 'team/fallback');
    const subject = digestOf(Buffer.from('a subject'));
    const entries = [];
    for (let i = 0; i < 4; i++) {
      const referrer = buildImage({ seed: `fallback-referrer-${i}` });
      await pushToRegistry(repository, [referrer.config, ...referrer.layers], referrer.manifest, `r${i}`);
      entries.push(referrer.manifest.descriptor);
    }
    const added = await Promise.all(entries.map((d) => repository.addReferrerToFallbackTag(subject, d)));
    assert.deepEqual(added, [true, true, true, true]);
    const index = await repository.getManifest(`sha256-${subject.slice('sha256:'.length)}`);
    const listed = (JSON.parse(index?.bytes.toString() ?? '{}') as { manifests: { digest: string }[] }).manifests.map((m) => m.digest);
    assert.deepEqual(listed.toSorted(), entries.map((e) => e.digest).toSorted());
  });
});
