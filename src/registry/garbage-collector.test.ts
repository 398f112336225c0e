import assert from 'node:assert/strict';
import { utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { after, before, it } from 'node:test';
import { ANONYMOUS } from '../core/auth/authorizer.ts';
import { digestOf, type Digest } from '../core/oci/digest.ts';
import { blobPath, type BlobStore } from '../core/storage/blob-store.ts';
import type { MetadataDatabase } from '../core/storage/metadata/database.ts';
import { describeEachDatabase } from '../testing/databases.ts';
import { buildImage, buildIndex, randomBlob, type Blob, type TestImage } from '../testing/test-images.ts';
import { openTestRegistry, type TestRegistry } from '../testing/test-registry.ts';
import { createGarbageCollector, type GarbageCollector, type GcReport } from './garbage-collector.ts';
import { parseRepositoryName, type Registry } from './index.ts';

const HOUR = 3_600_000;
const GRACE = HOUR;
const REPO = parseRepositoryName('gc/app');
const SHARED = { 'shared/data.txt': 'the same base layer in both images' };

describeEachDatabase('garbage collector', (open) => {
  let dir: string;
  let database: MetadataDatabase;
  let store: BlobStore;
  let registry: Registry;
  let gc: GarbageCollector;
  let fixture: TestRegistry;
  /** The registry's and the collector's clock; files carry real times, so moving it ahead ages them. */
  let now = Date.now();
  const clock = (): number => now;

  const imageA = buildImage({ seed: 'a', files: [SHARED, { 'a/only.txt': 'image a' }] });
  const imageB = buildImage({ seed: 'b', files: [SHARED, { 'b/only.txt': 'image b' }] });
  const unshared = [imageA.config, imageA.layers[1], imageA.manifest].map((b) => ({ digest: b?.descriptor.digest ?? '', size: b?.descriptor.size ?? 0 }));
  const young = randomBlob(2048, 'young');
  const pending = randomBlob(4096, 'pending');
  const orphan = randomBlob(1500, 'orphan');
  let uploadId: string;
  let firstReport: GcReport;

  async function push(image: TestImage, tag: string): Promise<void> {
    for (const blob of [image.config, ...image.layers]) {
      await registry.blobs.uploadMonolithic(REPO, blob.descriptor.digest, Readable.from([blob.bytes]), blob.descriptor.size);
    }
    await registry.manifests.putManifest(REPO, tag, Readable.from([image.manifest.bytes]), image.manifest.descriptor.mediaType);
  }

  const run = (dryRun: boolean): Promise<GcReport> => gc.run({ dryRun, gracePeriodMs: GRACE });
  const present = async (digest: string): Promise<boolean> => (await store.stat(digest as Digest)) !== undefined;
  const blobRow = (digest: string) => database.db.selectFrom('blobs').select('size').where('digest', '=', digest).executeTakeFirst();
  const sorted = <T extends { digest: string }>(items: readonly T[]): T[] => items.toSorted((a, b) => a.digest.localeCompare(b.digest));

  before(async () => {
    database = await open();
    fixture = await openTestRegistry(database, { project: 'gc', clock });
    ({ dir, store, registry } = fixture);
    gc = createGarbageCollector({ database, blobs: store, clock });
    await push(imageA, 'a');
    await push(imageB, 'b');
    await registry.manifests.deleteManifest(REPO, imageA.manifest.descriptor.digest);
    now += 2 * HOUR;
    // Within the grace period: a blob pushed just now that no manifest references yet.
    await registry.blobs.uploadMonolithic(REPO, digestOf(young), Readable.from([young]), young.byteLength);
    // An upload in progress: started and fed, not committed.
    uploadId = (await registry.blobs.startUpload(REPO)).id;
    await registry.blobs.appendUpload(REPO, uploadId, Readable.from([pending]), undefined);
  });
  after(async () => {
    await database.close();
    await fixture.remove();
  });

  it('reports exactly the unshared blobs of a deleted image in a dry run, and deletes nothing', async () => {
    const report = await run(true);
    assert.equal(report.dryRun, true);
    assert.deepEqual(sorted(report.deleted), sorted(unshared));
    assert.equal(report.blobsDeleted, 3, 'config, own layer and manifest bytes');
    assert.equal(report.linksRemoved, 2, 'the config and the own layer were linked; manifest bytes are not');
    assert.equal(report.bytesFreed, sum(unshared));
    assert.equal(report.orphanFilesDeleted, 0);
    assert.deepEqual(report.errors, []);
    for (const { digest } of unshared) {
      assert.ok(await present(digest), `${digest} is still stored`);
      assert.ok(await blobRow(digest), `${digest} still has its record`);
    }
    assert.ok(await registry.blobs.statBlob(REPO, imageA.config.descriptor.digest), 'links are kept too');
    firstReport = report;
  });

  it('frees them in a real run and keeps the shared layer and the other image pullable', async () => {
    const report = await run(false);
    assert.equal(report.dryRun, false);
    assert.deepEqual(counts(report), counts(firstReport), 'the dry run said exactly what the real run did');
    assert.deepEqual(sorted(report.deleted), sorted(firstReport.deleted));
    for (const { digest } of unshared) {
      assert.equal(await present(digest), false, `${digest} is gone`);
      assert.equal(await blobRow(digest), undefined);
    }
    await assert.rejects(registry.blobs.statBlob(REPO, imageA.config.descriptor.digest), { code: 'BLOB_UNKNOWN' });
    const pulled = await registry.manifests.getManifest(REPO, 'b', ANONYMOUS);
    assert.deepEqual(pulled.bytes, imageB.manifest.bytes);
    for (const blob of [imageB.config, ...imageB.layers]) assert.deepEqual(await readBlob(registry, blob), blob.bytes);
    assert.equal(imageB.layers[0]?.descriptor.digest, imageA.layers[0]?.descriptor.digest, 'the images do share a layer');
  });

  it('keeps blobs younger than the grace period', async () => {
    assert.equal((await registry.blobs.statBlob(REPO, digestOf(young))).size, young.byteLength);
    assert.ok(await present(digestOf(young)));
  });

  it('leaves an open upload alone, so that it can still be completed', async () => {
    const done = await registry.blobs.finishUpload(REPO, uploadId, digestOf(pending), undefined);
    assert.deepEqual(done, { digest: digestOf(pending), size: pending.byteLength });
    assert.equal((await registry.blobs.statBlob(REPO, digestOf(pending))).size, pending.byteLength);
  });

  it('deletes a file that has no record once it is older than the grace period', async () => {
    const { digest } = await store.put(orphan);
    const dry = await run(true);
    assert.deepEqual([dry.orphanFilesDeleted, dry.bytesFreed, dry.blobsDeleted, dry.deleted], [1, orphan.byteLength, 0, [{ digest, size: orphan.byteLength }]]);
    assert.ok(await present(digest), 'a dry run deletes nothing');
    const real = await run(false);
    assert.deepEqual([real.orphanFilesDeleted, real.bytesFreed, real.blobsDeleted, real.errors], [1, orphan.byteLength, 0, []]);
    assert.equal(await present(digest), false);
  });

  it('frees nothing on a second run', async () => {
    const report = await run(false);
    assert.deepEqual(counts(report), { linksRemoved: 0, blobsDeleted: 0, bytesFreed: 0, orphanFilesDeleted: 0, errors: [] });
    assert.deepEqual(report.deleted, []);
    assert.deepEqual((await registry.manifests.getManifest(REPO, 'b', ANONYMOUS)).bytes, imageB.manifest.bytes);
  });

  it('keeps the file of an old record when the file was written within the grace period', async () => {
    const bytes = randomBlob(777, 'rewritten');
    now = Date.now() - 10 * HOUR;
    await registry.blobs.uploadMonolithic(REPO, digestOf(bytes), Readable.from([bytes]), bytes.byteLength);
    await registry.blobs.deleteBlob(REPO, digestOf(bytes));
    now = Date.now();
    const report = await run(false);
    assert.deepEqual([report.blobsDeleted, report.bytesFreed, report.orphanFilesDeleted], [1, 0, 0]);
    assert.equal(await blobRow(digestOf(bytes)), undefined, 'the record goes');
    assert.ok(await present(digestOf(bytes)), 'the file stays: the same digest may just have been pushed again');
  });

  it('keeps the bytes of a deleted manifest pushed again between the look at its file and the unlink', async () => {
    const { index } = buildIndex([]);
    const pushIndex = () => registry.manifests.putManifest(REPO, index.descriptor.digest, Readable.from([index.bytes]), index.descriptor.mediaType);
    now = Date.now() - 10 * HOUR;
    await pushIndex();
    await registry.manifests.deleteManifest(REPO, index.descriptor.digest);
    await utimes(join(dir, ...blobPath(index.descriptor.digest).split('/')), new Date(now), new Date(now));
    now = Date.now();
    let pushed = false;
    const racing: BlobStore = {
      ...store,
      async stat(digest, o) {
        const info = await store.stat(digest, o);
        if (digest === index.descriptor.digest && !pushed) {
          pushed = true;
          await pushIndex();
        }
        return info;
      },
    };
    const report = await createGarbageCollector({ database, blobs: racing, clock }).run({ dryRun: false, gracePeriodMs: GRACE });
    assert.ok(pushed, 'the push raced the collection');
    assert.deepEqual([report.blobsDeleted, report.bytesFreed, report.errors], [1, 0, []], 'the old record went; the file stayed');
    assert.deepEqual((await registry.manifests.getManifest(REPO, index.descriptor.digest, ANONYMOUS)).bytes, index.bytes);
  });
});

function counts(report: GcReport) {
  const { linksRemoved, blobsDeleted, bytesFreed, orphanFilesDeleted, errors } = report;
  return { linksRemoved, blobsDeleted, bytesFreed, orphanFilesDeleted, errors };
}

function sum(items: readonly { size: number }[]): number {
  return items.reduce((total, item) => total + item.size, 0);
}

async function readBlob(registry: Registry, blob: Blob): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(Buffer.from(chunk));
      callback();
    },
  });
  await registry.blobs.sendBlob(REPO, blob.descriptor.digest, sink);
  return Buffer.concat(chunks);
}
