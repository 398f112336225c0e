import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fixedCredentials } from '../../core/oci/client/credentials.ts';
import { createRegistryClient, type RegistryClient, type RepositoryClient } from '../../core/oci/client/registry-client.ts';
import { digestHex, type Digest } from '../../core/oci/digest.ts';
import { isolatedCredentialEnv, runSlipway } from '../../testing/cli.ts';
import { startDockerRegistry, type TestDockerRegistry } from '../../testing/docker-registry.ts';
import { startSlipway, type TestSlipway } from '../../testing/slipway-server.ts';
import { buildArtifact, buildCosignSignatureManifest, buildImage, buildIndex, pushIndexToRegistry, pushToRegistry, type TestIndex } from '../../testing/test-images.ts';

/**
 * The issue's interop promise, through the real CLI: `slipway copy` between Slipway and a real
 * CNCF distribution registry (no referrers API: the tag schema is the only way) in both
 * directions keeps every digest and carries cosign's `.sig` tags and OCI 1.1 referrers.
 */
describe('slipway copy between Slipway and docker-registry', () => {
  let slipway: TestSlipway;
  let peer: TestDockerRegistry;
  let admin: RegistryClient;
  let anonymous: RegistryClient;
  let dir: string;
  let env: Record<string, string>;
  let index: TestIndex;
  let signatureDigest: string;
  let sbomDigest: string;
  let reportDigest: string;

  const sigTag = (digest: Digest) => `sha256-${digestHex(digest)}.sig`;
  const digestAt = async (repo: RepositoryClient, ref: string) => (await repo.getManifest(ref))?.digest;

  before(async () => {
    [slipway, peer] = await Promise.all([startSlipway(), startDockerRegistry()]);
    admin = createRegistryClient({ insecure: true, credentials: fixedCredentials({ kind: 'basic', username: 'admin', password: slipway.adminPassword }) });
    anonymous = createRegistryClient({ insecure: true });
    dir = await mkdtemp(join(tmpdir(), 'slipway-copy-interop-'));
    env = isolatedCredentialEnv(dir);

    const source = admin.repository(slipway.host, 'platform-dev/myservice');
    const amd64 = buildImage({ seed: 'interop-amd64', layers: 2, layerBytes: 64 * 1024, platform: { architecture: 'amd64', os: 'linux' } });
    const arm64 = buildImage({ seed: 'interop-arm64', layers: 2, layerBytes: 64 * 1024, platform: { architecture: 'arm64', os: 'linux', variant: 'v8' } });
    index = buildIndex([amd64, arm64]);
    await pushIndexToRegistry(source, index, '1.4.2-a1b2c3d');

    const signature = buildCosignSignatureManifest({ subject: index.index.descriptor, dockerReference: `${slipway.host}/platform-dev/myservice` });
    await pushToRegistry(source, signature.blobs, signature.manifest, signature.tag);
    signatureDigest = signature.manifest.descriptor.digest;

    const sbom = buildArtifact({ subject: index.index.descriptor, artifactType: 'application/spdx+json', payload: '{"spdxVersion":"SPDX-2.3"}' });
    const indexed = await pushToRegistry(source, sbom.blobs, sbom.manifest);
    assert.ok(indexed.subjectIndexed, 'Slipway has the referrers API');
    sbomDigest = sbom.manifest.descriptor.digest;

    const firstChild = index.images[0]?.manifest.descriptor;
    assert.ok(firstChild !== undefined);
    const report = buildArtifact({ subject: firstChild, artifactType: 'application/vnd.example.scan-report.v1+json', payload: '{"findings":[]}' });
    await pushToRegistry(source, report.blobs, report.manifest);
    reportDigest = report.manifest.descriptor.digest;
  });
  after(async () => {
    admin.close();
    anonymous.close();
    await Promise.all([slipway.stop(), peer.stop()]);
    await rm(dir, { recursive: true, force: true });
  });

  it('logs in to Slipway with --password-stdin, then copies Slipway → docker-registry with every digest, .sig tag and referrer', async () => {
    const login = await runSlipway(['login', slipway.host, '--username', 'admin', '--password-stdin', '--insecure'], env, `${slipway.adminPassword}\n`);
    assert.equal(login.code, 0, login.stderr);

    const out = await runSlipway(
      ['copy', `docker://${slipway.host}/platform-dev/myservice:1.4.2-a1b2c3d`, `docker://${peer.host}/mirror/myservice:1.4.2-a1b2c3d`, '--insecure', '--output', 'json'],
      env,
    );
    assert.equal(out.code, 0, out.stderr);
    const result = JSON.parse(out.stdout) as { digest: string; failures: unknown[]; referrers: { manifests: number; tags: string[] } };
    assert.deepEqual(result.failures, []);
    assert.equal(result.digest, index.index.descriptor.digest);
    assert.equal(result.referrers.manifests, 3, 'the .sig, the SBOM and the child scan report');

    const mirror = anonymous.repository(peer.host, 'mirror/myservice');
    assert.equal(await digestAt(mirror, '1.4.2-a1b2c3d'), index.index.descriptor.digest);
    for (const image of index.images) assert.equal(await digestAt(mirror, image.manifest.descriptor.digest), image.manifest.descriptor.digest);
    assert.equal(await digestAt(mirror, sigTag(index.index.descriptor.digest)), signatureDigest, 'the cosign signature tag travelled');
    // docker-registry 2.8 has no referrers API: the referrers are found through the sha256-<hex> index tag.
    const fallback = await mirror.getManifest(`sha256-${digestHex(index.index.descriptor.digest)}`);
    assert.ok(fallback !== undefined, 'the referrers fallback tag was written');
    assert.deepEqual((await mirror.referrers(index.index.descriptor.digest)).map((d) => [d.digest, d.artifactType]), [[sbomDigest, 'application/spdx+json']]);
    const child = index.images[0]?.manifest.descriptor.digest;
    assert.ok(child !== undefined);
    assert.deepEqual((await mirror.referrers(child)).map((d) => d.digest), [reportDigest]);
  });

  it('copies docker-registry → Slipway (another project) and the referrers API serves what came through the tag schema', async () => {
    const out = await runSlipway(
      ['copy', `${peer.host}/mirror/myservice:1.4.2-a1b2c3d`, `${slipway.host}/platform-staging/myservice:1.4.2-a1b2c3d`, '--insecure', '--output', 'json'],
      env,
    );
    assert.equal(out.code, 0, out.stderr);
    const result = JSON.parse(out.stdout) as { digest: string; failures: unknown[] };
    assert.deepEqual(result.failures, []);
    assert.equal(result.digest, index.index.descriptor.digest);

    const staging = admin.repository(slipway.host, 'platform-staging/myservice');
    assert.equal(await digestAt(staging, '1.4.2-a1b2c3d'), index.index.descriptor.digest);
    assert.equal(await digestAt(staging, sigTag(index.index.descriptor.digest)), signatureDigest);
    const response = await fetch(`${slipway.url}/v2/platform-staging/myservice/referrers/${index.index.descriptor.digest}`, {
      headers: { authorization: `Basic ${Buffer.from(`admin:${slipway.adminPassword}`).toString('base64')}` },
    });
    assert.equal(response.status, 200);
    const referrers = (await response.json()) as { manifests: { digest: string; artifactType?: string }[] };
    assert.deepEqual(
      referrers.manifests.map((d) => [d.digest, d.artifactType]),
      [[sbomDigest, 'application/spdx+json']],
      'the referrers API, not a fallback tag, on the Slipway side',
    );
    const tags: string[] = [];
    for await (const tag of staging.listTags()) tags.push(tag);
    assert.ok(!tags.includes(`sha256-${digestHex(index.index.descriptor.digest)}`), 'no fallback tag is written where the referrers API exists');
  });

  it('without a login, a private Slipway project refuses the copy with a clear authentication error', async () => {
    const out = await runSlipway(['copy', `${slipway.host}/platform-dev/myservice:1.4.2-a1b2c3d`, `oci:${join(dir, 'layout')}`, '--insecure'], isolatedCredentialEnv(join(dir, 'nobody')));
    assert.equal(out.code, 1);
    assert.match(out.stderr, /401|unauthori[sz]ed|credentials/i);
  });
});
