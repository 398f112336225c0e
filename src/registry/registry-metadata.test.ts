import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { MetadataDatabase } from '../core/storage/metadata/database.ts';
import { describeEachDatabase } from '../testing/databases.ts';
import { createRegistryMetadata, type RegistryMetadata } from './registry-metadata.ts';

const A = `sha256:${'a'.repeat(64)}`;
const B = `sha256:${'b'.repeat(64)}`;
const C = `sha256:${'c'.repeat(64)}`;

describeEachDatabase('registry metadata', (open) => {
  let database: MetadataDatabase;
  let metadata: RegistryMetadata;
  let repo: number;
  let other: number;

  before(async () => {
    database = await open();
    metadata = createRegistryMetadata(database);
    const project = await metadata.ensureProject('platform-dev', { public: false, now: 1 });
    assert.equal(await metadata.ensureProject('platform-dev', { public: true, now: 2 }), project, 'ensureProject is idempotent');
    repo = await metadata.ensureRepository('platform-dev/app', project, 1);
    other = await metadata.ensureRepository('platform-dev/other', project, 1);
    assert.equal(await metadata.ensureRepository('platform-dev/app', project, 5), repo);
  });
  after(() => database.close());

  it('links blobs per repository, counting each blob once', async () => {
    await metadata.linkBlob(repo, A, 5 * 1024 ** 3, 10);
    await metadata.linkBlob(repo, A, 5 * 1024 ** 3, 11);
    assert.equal(await metadata.linkedBlobSize(repo, A), 5 * 1024 ** 3, 'sizes above 2^32 come back exactly, as numbers');
    assert.equal(await metadata.linkedBlobSize(other, A), undefined, 'a blob is not readable from a repository it is not linked into');
    assert.deepEqual([...(await metadata.linkedBlobs(repo, [A, B]))], [[A, 5 * 1024 ** 3]]);
    assert.equal(await metadata.unlinkBlob(repo, A), true);
    assert.equal(await metadata.unlinkBlob(repo, A), false);
    assert.equal(await metadata.linkedBlobSize(repo, A), undefined);
  });

  it('stores a manifest, its references and its tag in one step, and deletes them together', async () => {
    await metadata.putManifest({
      repositoryId: repo,
      digest: B,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      size: 300,
      artifactType: undefined,
      subjectDigest: undefined,
      annotations: undefined,
      references: [{ digest: C, kind: 'manifest' }],
      tag: 'v1',
      now: 20,
    });
    assert.equal(await metadata.resolveTag(repo, 'v1'), B);
    assert.deepEqual(await metadata.parentsOf(repo, C), [B]);
    assert.deepEqual(await metadata.parentsOf(other, C), []);
    const row = await metadata.findManifest(repo, B);
    assert.equal(row?.size, 300);
    assert.equal(row?.pushedAt, 20);
    assert.equal(await metadata.deleteManifest(repo, B), true);
    assert.equal(await metadata.resolveTag(repo, 'v1'), undefined, 'tags on a deleted manifest go with it');
    assert.deepEqual(await metadata.parentsOf(repo, C), [], 'references go with their manifest');
  });

  it('moves a tag when the same tag is pushed again', async () => {
    for (const digest of [A, B]) {
      await metadata.putManifest(manifest(repo, digest, { tag: 'latest' }));
    }
    assert.equal(await metadata.resolveTag(repo, 'latest'), B);
    assert.equal(await metadata.deleteTag(repo, 'latest'), true);
    assert.ok(await metadata.findManifest(repo, B), 'untagging keeps the manifest');
  });

  it('lists tags and repositories in byte order, page by page', async () => {
    for (const tag of ['b', 'B', 'a', 'A', '1.10', '1.9', 'a-b', 'a_b']) await metadata.putManifest(manifest(other, A, { tag }));
    const all = await metadata.listTags(other, { n: 100, last: undefined });
    assert.deepEqual(all, ['1.10', '1.9', 'A', 'B', 'a', 'a-b', 'a_b', 'b']);
    assert.deepEqual(await metadata.listTags(other, { n: 3, last: 'A' }), ['B', 'a', 'a-b']);
    assert.deepEqual(await metadata.listRepositories({ n: 1, last: 'platform-dev/app' }), ['platform-dev/other']);
  });

  it('finds referrers by subject, optionally by artifact type', async () => {
    const sig = `sha256:${'d'.repeat(64)}`;
    const sbom = `sha256:${'e'.repeat(64)}`;
    await metadata.putManifest(manifest(repo, sig, { subject: A, artifactType: 'application/vnd.dev.cosign.artifact.sig.v1+json', annotations: '{"k":"v"}' }));
    await metadata.putManifest(manifest(repo, sbom, { subject: A, artifactType: 'application/spdx+json' }));
    const all = await metadata.referrers(repo, A, undefined);
    assert.deepEqual(all.map((r) => r.digest).sort(), [sig, sbom].sort());
    const sigs = await metadata.referrers(repo, A, 'application/vnd.dev.cosign.artifact.sig.v1+json');
    assert.deepEqual(sigs.map((r) => [r.digest, r.annotations]), [[sig, '{"k":"v"}']]);
    assert.deepEqual(await metadata.referrers(other, A, undefined), [], 'referrers are per repository');
  });

  it('tracks upload sessions and finds the stale ones', async () => {
    await metadata.createUpload('u1', repo, 100);
    await metadata.createUpload('u2', repo, 100);
    await metadata.updateUpload('u2', 4096, 500);
    assert.deepEqual(await metadata.findUpload('u2'), { id: 'u2', repositoryId: repo, size: 4096, updatedAt: 500 });
    assert.deepEqual(await metadata.staleUploads(200, 10), ['u1']);
    assert.deepEqual([await metadata.staleUploads(600, 1), await metadata.staleUploads(600, 1, 'u1'), await metadata.staleUploads(600, 1, 'u2')], [['u1'], ['u2'], []], 'paged by id');
    assert.equal(await metadata.expireUpload('u2', 200), false, 'changed since: kept');
    assert.equal(await metadata.expireUpload('u1', 200), true);
    assert.equal(await metadata.uploadExists('u1'), false);
    assert.equal(await metadata.uploadExists('u2'), true);
    await metadata.deleteUpload('u2');
    assert.equal(await metadata.uploadExists('u2'), false);
  });

  it('records pulls at most once a minute', async () => {
    const row = await metadata.findManifest(repo, B);
    assert.ok(row);
    await metadata.touchPulled(row.id, 1_000_000);
    await metadata.touchPulled(row.id, 1_030_000);
    assert.equal((await metadata.findManifest(repo, B))?.pulledAt, 1_000_000);
    await metadata.touchPulled(row.id, 1_070_000);
    assert.equal((await metadata.findManifest(repo, B))?.pulledAt, 1_070_000);
  });
});

function manifest(
  repositoryId: number,
  digest: string,
  options: { tag?: string; subject?: string; artifactType?: string; annotations?: string },
): Parameters<RegistryMetadata['putManifest']>[0] {
  return {
    repositoryId,
    digest,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    size: 100,
    artifactType: options.artifactType,
    subjectDigest: options.subject,
    annotations: options.annotations,
    references: [],
    tag: options.tag,
    now: 30,
  };
}
