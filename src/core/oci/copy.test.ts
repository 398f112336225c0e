import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { startDockerRegistry, type TestDockerRegistry } from '../../testing/docker-registry.ts';
import { createRegistryClient, type RegistryClient, type RepositoryClient } from './client/registry-client.ts';
import { copyImage } from './copy.ts';
import { registrySource, registryTarget } from './copy-endpoints.ts';
import type { Descriptor } from './descriptor.ts';
import { digestOf } from './digest.ts';
import { openImageLayout } from './image-layout.ts';
import { layoutSource, layoutTarget } from './layout-endpoints.ts';
import { parseManifest } from './manifest.ts';
import { MediaType } from './media-types.ts';
import { referrerDescriptor } from './referrer-tags.ts';

/** Deterministic pseudo-random bytes, so each fixture blob is distinct and reproducible. */
function bytesFor(seed: string, size: number): Buffer {
  const out = Buffer.alloc(size);
  for (let offset = 0, i = 0; offset < size; i++) offset += createHash('sha256').update(`${seed}/${i}`).digest().copy(out, offset);
  return out;
}

interface Pushed {
  readonly bytes: Buffer;
  readonly descriptor: Descriptor;
}

async function pushBlob(repo: RepositoryClient, bytes: Buffer, mediaType: string): Promise<Descriptor> {
  const descriptor = { mediaType, digest: digestOf(bytes), size: bytes.byteLength };
  await repo.uploadBlob(descriptor, () => Promise.resolve(Readable.from([bytes])));
  return descriptor;
}

async function pushManifest(repo: RepositoryClient, json: Record<string, unknown>, tag?: string): Promise<Pushed> {
  const bytes = Buffer.from(JSON.stringify(json));
  const mediaType = String(json['mediaType']);
  const { digest, subjectIndexed } = await repo.putManifest(tag ?? digestOf(bytes), bytes, mediaType);
  const model = parseManifest(bytes, mediaType);
  if (model.subject !== undefined && !subjectIndexed) await repo.addReferrerToFallbackTag(model.subject.digest, referrerDescriptor(model, bytes));
  return { bytes, descriptor: { mediaType, digest, size: bytes.byteLength } };
}

async function pushImage(repo: RepositoryClient, arch: string, shared: Descriptor): Promise<Pushed> {
  const config = await pushBlob(repo, Buffer.from(JSON.stringify({ architecture: arch, os: 'linux', rootfs: { type: 'layers', diff_ids: [] } })), MediaType.ociConfig);
  const own = await pushBlob(repo, bytesFor(arch, 200_000), MediaType.ociLayerGzip);
  return pushManifest(repo, { schemaVersion: 2, mediaType: MediaType.ociManifest, config, layers: [shared, own] });
}

/** An artifact with an empty config and one layer, attached to `subject`. */
async function pushArtifact(repo: RepositoryClient, artifactType: string, subject: Descriptor, content: string): Promise<Pushed> {
  const config = await pushBlob(repo, Buffer.from('{}'), MediaType.ociEmpty);
  const layer = await pushBlob(repo, Buffer.from(content), artifactType);
  return pushManifest(repo, {
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    artifactType,
    config,
    layers: [layer],
    subject,
    annotations: { 'org.opencontainers.image.created': '2025-05-01T10:00:00Z' },
  });
}

/** A cosign legacy signature under `sha256-<hex>.sig`. */
async function pushCosignSignature(repo: RepositoryClient, signed: Descriptor): Promise<Pushed> {
  const payload = Buffer.from(JSON.stringify({ critical: { identity: { 'docker-reference': 'x' }, image: { 'docker-manifest-digest': signed.digest }, type: 'cosign container image signature' }, optional: null }));
  const layer = await pushBlob(repo, payload, 'application/vnd.dev.cosign.simplesigning.v1+json');
  const config = await pushBlob(repo, Buffer.from(JSON.stringify({ architecture: '', os: '', rootfs: { type: 'layers', diff_ids: [layer.digest] }, config: {} })), MediaType.ociConfig);
  const annotated = { ...layer, annotations: { 'dev.cosignproject.cosign/signature': 'MEUCIQ-fake' } };
  return pushManifest(repo, { schemaVersion: 2, mediaType: MediaType.ociManifest, config, layers: [annotated] }, `sha256-${signed.digest.slice(7)}.sig`);
}

describe('copyImage: docker-registry → OCI layout → docker-registry', () => {
  let registry: TestDockerRegistry;
  let client: RegistryClient;
  let work: string;
  const fixture: Record<string, Pushed> = {};

  before(async () => {
    registry = await startDockerRegistry();
    client = createRegistryClient({ insecure: true });
    work = await mkdtemp(join(tmpdir(), 'slipway-copy-'));
    const repo = client.repository(registry.host, 'src/app');
    const shared = await pushBlob(repo, bytesFor('shared', 300_000), MediaType.ociLayerGzip);
    fixture['amd64'] = await pushImage(repo, 'amd64', shared);
    fixture['arm64'] = await pushImage(repo, 'arm64', shared);
    const platforms = [
      { ...fixture['amd64'].descriptor, platform: { architecture: 'amd64', os: 'linux' } },
      { ...fixture['arm64'].descriptor, platform: { architecture: 'arm64', os: 'linux', variant: 'v8' } },
    ];
    fixture['index'] = await pushManifest(repo, { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: platforms }, 'v1');
    fixture['sig'] = await pushCosignSignature(repo, fixture['index'].descriptor);
    fixture['sbom'] = await pushArtifact(repo, 'application/spdx+json', fixture['index'].descriptor, '{"spdxVersion":"SPDX-2.3"}');
    fixture['sbomSig'] = await pushCosignSignature(repo, fixture['sbom'].descriptor);
    fixture['childReport'] = await pushArtifact(repo, 'application/vnd.example.scan-report.v1+json', fixture['amd64'].descriptor, '{"findings":[]}');
  });
  after(async () => {
    client.close();
    await registry.stop();
    await rm(work, { recursive: true, force: true });
  });

  const digestAt = async (repo: RepositoryClient, ref: string) => (await repo.getManifest(ref))?.digest;

  it('keeps every digest of an index, its children, referrers and cosign tags', async () => {
    const source = registrySource(client.repository(registry.host, 'src/app'));
    const layout = await openImageLayout(join(work, 'layout'), { create: true });
    const toLayout = await copyImage(source, layoutTarget(layout), { reference: 'v1', targetTag: 'v1' });
    assert.deepEqual(toLayout.failures, []);
    assert.equal(toLayout.digest, fixture['index']?.descriptor.digest);
    assert.equal(toLayout.referrers.manifests, 4, 'sbom, child report, .sig of the index, .sig of the sbom');
    assert.deepEqual(toLayout.referrers.tags.toSorted(), [`sha256-${fixture['index']?.descriptor.digest.slice(7)}.sig`, `sha256-${fixture['sbom']?.descriptor.digest.slice(7)}.sig`].toSorted());
    assert.equal(toLayout.manifests.copied, 7);
    assert.equal(toLayout.blobs.copied, 12, 'the shared layer and the empty config once each');

    const target = client.repository(registry.host, 'dst/app');
    const back = await copyImage(layoutSource(await openImageLayout(join(work, 'layout'), { create: false })), registryTarget(target), { reference: 'v1', targetTag: 'v1' });
    assert.deepEqual(back.failures, []);
    assert.equal(back.referrers.manifests, 4);
    for (const name of ['index', 'amd64', 'arm64', 'sbom', 'childReport'] as const) {
      const pushed = fixture[name];
      assert.ok(pushed !== undefined);
      assert.deepEqual((await target.getManifest(pushed.descriptor.digest))?.bytes, pushed.bytes, `${name} byte for byte`);
    }
    assert.equal(await digestAt(target, 'v1'), fixture['index']?.descriptor.digest);
    assert.equal(await digestAt(target, `sha256-${fixture['index']?.descriptor.digest.slice(7)}.sig`), fixture['sig']?.descriptor.digest);
    assert.equal(await digestAt(target, `sha256-${fixture['sbom']?.descriptor.digest.slice(7)}.sig`), fixture['sbomSig']?.descriptor.digest);
    const indexReferrers = await target.referrers(fixture['index']?.descriptor.digest ?? digestOf(''));
    assert.deepEqual(indexReferrers.map((d) => d.digest), [fixture['sbom']?.descriptor.digest]);
    assert.equal(indexReferrers[0]?.artifactType, 'application/spdx+json');
    const childReferrers = await target.referrers(fixture['amd64']?.descriptor.digest ?? digestOf(''));
    assert.deepEqual(childReferrers.map((d) => d.digest), [fixture['childReport']?.descriptor.digest]);
  });

  it('writes again what a layout holds damaged at a digest’s path, instead of trusting it', async () => {
    const source = registrySource(client.repository(registry.host, 'src/app'));
    const dir = join(work, 'damaged');
    assert.deepEqual((await copyImage(source, layoutTarget(await openImageLayout(dir, { create: true })), { reference: 'v1', targetTag: 'v1' })).failures, []);
    const blobs = join(dir, 'blobs', 'sha256');
    for (const name of await readdir(blobs)) await writeFile(join(blobs, name), 'junk');
    const again = await copyImage(source, layoutTarget(await openImageLayout(dir, { create: false })), { reference: 'v1', targetTag: 'v1' });
    assert.deepEqual(again.failures, []);
    assert.equal(again.manifests.copied, 7, 'every manifest is written again');
    assert.equal(again.blobs.copied, 12, 'every blob is written again');
    const target = client.repository(registry.host, 'dst/repaired');
    const back = await copyImage(layoutSource(await openImageLayout(dir, { create: false })), registryTarget(target), { reference: 'v1', targetTag: 'v1' });
    assert.deepEqual(back.failures, [], 'the repaired layout reads back whole');
    assert.deepEqual((await target.getManifest('v1'))?.bytes, fixture['index']?.bytes);
  });

  it('mounts blobs between repositories of one registry, and skips what is there', async () => {
    const source = registrySource(client.repository(registry.host, 'src/app'));
    const target = registryTarget(client.repository(registry.host, 'mounted/app'));
    const first = await copyImage(source, target, { reference: 'v1', targetTag: 'v1' });
    assert.deepEqual(first.failures, []);
    assert.equal(first.blobs.copied, 0, 'no byte travels');
    assert.equal(first.blobs.mounted, 12);
    assert.equal(first.referrers.manifests, 4);
    const mounted = client.repository(registry.host, 'mounted/app');
    assert.equal(await digestAt(mounted, `sha256-${fixture['index']?.descriptor.digest.slice(7)}.sig`), fixture['sig']?.descriptor.digest);
    assert.deepEqual((await mounted.referrers(fixture['index']?.descriptor.digest ?? digestOf(''))).map((d) => d.digest), [fixture['sbom']?.descriptor.digest]);
    const again = await copyImage(source, target, { reference: 'v1', targetTag: 'v1' });
    assert.deepEqual(again.failures, []);
    assert.equal(again.manifests.copied, 0);
    assert.equal(again.blobs.copied + again.blobs.mounted, 0);
  });

  it('copies the image alone with referrers: false', async () => {
    const target = client.repository(registry.host, 'bare/app');
    const result = await copyImage(registrySource(client.repository(registry.host, 'src/app')), registryTarget(target), {
      reference: fixture['index']?.descriptor.digest ?? '',
      referrers: false,
    });
    assert.deepEqual(result.failures, []);
    assert.equal(result.referrers.manifests, 0);
    assert.equal(result.manifests.copied, 3);
    assert.deepEqual(await target.referrers(fixture['index']?.descriptor.digest ?? digestOf('')), []);
  });

  it('collects failures past the root instead of stopping at the first', async () => {
    const repo = client.repository(registry.host, 'src/broken');
    const shared = await pushBlob(repo, bytesFor('broken-shared', 1000), MediaType.ociLayerGzip);
    const image = await pushImage(repo, 'amd64', shared);
    await repo.putManifest('v1', image.bytes, MediaType.ociManifest);
    const report = await pushArtifact(repo, 'application/vnd.example.scan-report.v1+json', image.descriptor, '{"broken":true}');
    await repo.deleteBlob(digestOf('{"broken":true}'));
    const target = client.repository(registry.host, 'dst/broken');
    const result = await copyImage(registrySource(repo), registryTarget(target), { reference: 'v1', targetTag: 'v1' });
    assert.equal(result.digest, image.descriptor.digest);
    assert.equal(await digestAt(target, 'v1'), image.descriptor.digest, 'the image itself arrived');
    assert.deepEqual(result.failures.map((f) => f.item), [`blob ${digestOf('{"broken":true}')}`, `manifest ${report.descriptor.digest}`]);
    assert.equal(result.failures[0]?.code, 'NOT_FOUND');
  });
});
