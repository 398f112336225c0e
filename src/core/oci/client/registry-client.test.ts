import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { after, before, describe, it } from 'node:test';
import type { Descriptor } from '../descriptor.ts';
import { digestOf, EMPTY_SHA256 } from '../digest.ts';
import { MediaType } from '../media-types.ts';
import { startDockerRegistry, type TestDockerRegistry } from '../../../testing/docker-registry.ts';
import { RegistryClientError } from './client-error.ts';
import { createRegistryClient, type RegistryClient, type RepositoryClient } from './registry-client.ts';

const blob = (bytes: Buffer, mediaType: string = MediaType.ociLayer): { bytes: Buffer; descriptor: Descriptor } => ({
  bytes,
  descriptor: { mediaType, digest: digestOf(bytes), size: bytes.byteLength },
});
const open = (bytes: Buffer) => () => Promise.resolve(Readable.from([bytes]));

async function pushImage(repo: RepositoryClient, seed: string, extra: Record<string, unknown> = {}) {
  const config = blob(Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, seed })), MediaType.ociConfig);
  const layer = blob(randomBytes(4096));
  for (const b of [config, layer]) await repo.uploadBlob(b.descriptor, open(b.bytes));
  const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociManifest, config: config.descriptor, layers: [layer.descriptor], ...extra }));
  return { bytes, descriptor: { mediaType: MediaType.ociManifest, digest: digestOf(bytes), size: bytes.byteLength } as Descriptor, layer };
}

describe('registry client against a real docker-registry', () => {
  let registry: TestDockerRegistry;
  let client: RegistryClient;

  before(async () => {
    registry = await startDockerRegistry();
    client = createRegistryClient({ insecure: true, retry: { attempts: 2, baseDelayMs: 10 } });
  });
  after(async () => {
    client.close();
    await registry.stop();
  });

  it('pings the registry over plain HTTP when insecure', async () => {
    const result = await client.ping(registry.host);
    assert.equal(result.origin, registry.url);
    assert.equal(result.apiVersion, 'registry/2.0');
  });

  it('uploads a blob monolithically, reads it back whole and from an offset', async () => {
    const repo = client.repository(registry.host, 'client/blobs');
    const b = blob(randomBytes(300_000));
    const seen: number[] = [];
    assert.deepEqual(await repo.uploadBlob(b.descriptor, open(b.bytes), { onProgress: (n) => seen.push(n) }), { skipped: false, mounted: false });
    assert.equal(seen.at(-1), b.bytes.byteLength);
    assert.equal(await repo.blobSize(b.descriptor.digest), b.bytes.byteLength);
    assert.deepEqual(await buffer(await repo.openBlob(b.descriptor.digest)), b.bytes);
    assert.deepEqual(await buffer(await repo.openBlob(b.descriptor.digest, { offset: 1000 })), b.bytes.subarray(1000));
    assert.deepEqual(await repo.uploadBlob(b.descriptor, open(b.bytes)), { skipped: true, mounted: false }, 'a present blob is skipped');
  });

  it('uploads a blob in chunks with Content-Range, and the empty blob', async () => {
    const repo = client.repository(registry.host, 'client/chunked');
    const b = blob(randomBytes(10_000));
    const seen: number[] = [];
    await repo.uploadBlob(b.descriptor, open(b.bytes), { chunkSize: 4096, onProgress: (n) => seen.push(n) });
    assert.deepEqual(seen, [4096, 8192, 10_000]);
    assert.deepEqual(await buffer(await repo.openBlob(b.descriptor.digest)), b.bytes);
    const empty = blob(Buffer.alloc(0));
    assert.equal(empty.descriptor.digest, EMPTY_SHA256);
    await repo.uploadBlob(empty.descriptor, open(empty.bytes), { chunkSize: 4096 });
    assert.equal(await repo.blobSize(EMPTY_SHA256), 0);
  });

  it('refuses a source whose bytes do not match the descriptor', async () => {
    const repo = client.repository(registry.host, 'client/bad');
    const b = blob(randomBytes(2048));
    await assert.rejects(repo.uploadBlob(b.descriptor, open(randomBytes(2048))), (e: unknown) => e instanceof RegistryClientError && e.code === 'DIGEST_MISMATCH');
    await assert.rejects(repo.uploadBlob(b.descriptor, open(b.bytes.subarray(0, 100))), (e: unknown) => e instanceof RegistryClientError && e.code === 'SIZE_MISMATCH');
    assert.equal(await repo.blobSize(b.descriptor.digest), undefined);
  });

  it('mounts a blob across repositories of the same registry', async () => {
    const from = client.repository(registry.host, 'client/mount-from');
    const to = client.repository(registry.host, 'client/mount-to');
    const b = blob(randomBytes(5000));
    await from.uploadBlob(b.descriptor, open(b.bytes));
    let opened = false;
    const result = await to.uploadBlob(b.descriptor, () => ((opened = true), open(b.bytes)()), { mountFrom: from.name });
    assert.deepEqual(result, { skipped: false, mounted: true });
    assert.equal(opened, false, 'a mount sends no bytes');
    assert.equal(await to.blobSize(b.descriptor.digest), 5000);
  });

  it('puts, gets, heads and deletes manifests, verbatim', async () => {
    const repo = client.repository(registry.host, 'client/manifests');
    const image = await pushImage(repo, 'm1');
    const put = await repo.putManifest('v1', image.bytes, MediaType.ociManifest);
    assert.deepEqual(put, { digest: image.descriptor.digest, subjectIndexed: false });
    for (const ref of ['v1', image.descriptor.digest]) {
      const got = await repo.getManifest(ref);
      assert.ok(got !== undefined);
      assert.deepEqual(got.bytes, image.bytes);
      assert.equal(got.digest, image.descriptor.digest);
      assert.equal(got.mediaType, MediaType.ociManifest);
    }
    assert.deepEqual(await repo.headManifest('v1'), { digest: image.descriptor.digest, size: image.bytes.byteLength, mediaType: MediaType.ociManifest });
    assert.equal(await repo.getManifest('missing'), undefined);
    assert.equal(await repo.headManifest('missing'), undefined);
    await repo.deleteManifest(image.descriptor.digest);
    assert.equal(await repo.getManifest(image.descriptor.digest), undefined);
    await assert.rejects(repo.deleteManifest(image.descriptor.digest), (e: unknown) => e instanceof RegistryClientError && e.code === 'NOT_FOUND' && e.ociCode === 'MANIFEST_UNKNOWN');
    await repo.deleteBlob(image.layer.descriptor.digest);
    assert.equal(await repo.blobSize(image.layer.descriptor.digest), undefined);
  });

  it('refuses to push bytes under a digest they do not have', async () => {
    const repo = client.repository(registry.host, 'client/manifests');
    const image = await pushImage(repo, 'm2');
    await assert.rejects(repo.putManifest(digestOf('other'), image.bytes, MediaType.ociManifest), (e: unknown) => e instanceof RegistryClientError && e.code === 'DIGEST_MISMATCH');
  });

  it('lists every tag (docker-registry 2.8 ignores n: one page; paging is tested in tag-requests.test.ts)', async () => {
    const repo = client.repository(registry.host, 'client/tags');
    const image = await pushImage(repo, 'tags');
    const tags = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
    for (const tag of tags) await repo.putManifest(tag, image.bytes, MediaType.ociManifest);
    const listed: string[] = [];
    for await (const tag of repo.listTags({ pageSize: 2 })) listed.push(tag);
    assert.deepEqual(listed.toSorted(), tags, 'every tag once, in storage order');
    const none: string[] = [];
    for await (const tag of client.repository(registry.host, 'client/never').listTags()) none.push(tag);
    assert.deepEqual(none, []);
  });

  it('keeps referrers in the fallback tag where the registry has no referrers API', async () => {
    const repo = client.repository(registry.host, 'client/referrers');
    const subject = await pushImage(repo, 'subject');
    await repo.putManifest('v1', subject.bytes, MediaType.ociManifest);
    assert.deepEqual(await repo.referrers(subject.descriptor.digest), []);
    const artifact = await pushImage(repo, 'sbom', {
      artifactType: 'application/spdx+json',
      subject: subject.descriptor,
      annotations: { 'org.opencontainers.image.created': '2025-05-01T10:00:00Z' },
    });
    const put = await repo.putManifest(artifact.descriptor.digest, artifact.bytes, MediaType.ociManifest);
    assert.equal(put.subjectIndexed, false, 'docker-registry 2.8 does not index subjects');
    const entry: Descriptor = { ...artifact.descriptor, artifactType: 'application/spdx+json', annotations: { 'org.opencontainers.image.created': '2025-05-01T10:00:00Z' } };
    assert.equal(await repo.addReferrerToFallbackTag(subject.descriptor.digest, entry), true);
    assert.equal(await repo.addReferrerToFallbackTag(subject.descriptor.digest, entry), false, 'duplicates are skipped');
    assert.deepEqual(await repo.referrers(subject.descriptor.digest), [entry]);
    assert.deepEqual(await repo.referrers(subject.descriptor.digest, { artifactType: 'application/spdx+json' }), [entry]);
    assert.deepEqual(await repo.referrers(subject.descriptor.digest, { artifactType: 'application/other' }), []);
    const tag = `sha256-${subject.descriptor.digest.slice(7)}`;
    const index = await repo.getManifest(tag);
    assert.equal(index?.mediaType, MediaType.ociIndex);
  });
});
