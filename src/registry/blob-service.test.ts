import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, readdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, beforeEach, it } from 'node:test';
import { digestOf } from '../core/oci/digest.ts';
import type { BlobStore } from '../core/storage/blob-store.ts';
import type { MetadataDatabase } from '../core/storage/metadata/database.ts';
import { describeEachDatabase } from '../testing/databases.ts';
import { openTestRegistry, type TestRegistry } from '../testing/test-registry.ts';
import { createRegistry, parseRepositoryName, type Registry } from './index.ts';

const HOUR = 3_600_000;
const MIB = 1 << 20;
const REPO = parseRepositoryName('uploads/app');

describeEachDatabase('upload expiry', (open) => {
  let dir: string;
  let database: MetadataDatabase;
  let store: BlobStore;
  let registry: Registry;
  /** The registry's clock; files carry real times, so moving it ahead ages them as well as the records. */
  let now = Date.now();
  const clock = (): number => now;

  let fixture: TestRegistry;
  const otherNode = (): Registry => fixture.otherNode();
  const uploadDirs = async (): Promise<string[]> => readdir(join(dir, 'uploads')).catch(() => []);
  /** Sets a path's modification time `ms` into the past, as if it had last changed then. */
  const age = (path: string, ms: number): Promise<void> => utimes(path, new Date(Date.now() - ms), new Date(Date.now() - ms));

  /** Resolves once some of the request's bytes are in its data file (the writer gathers 1 MiB first). */
  async function landed(id: string): Promise<void> {
    while (((await store.uploadSize(id)) ?? 0) === 0) await sleep(5);
  }

  before(async () => {
    database = await open();
    fixture = await openTestRegistry(database, { project: 'uploads', clock });
    ({ dir, store, registry } = fixture);
  });
  after(async () => {
    await database.close();
    await fixture.remove();
  });
  beforeEach(() => {
    now = Date.now();
  });

  it('leaves a session alone while a PATCH streams into it for longer than the expiry', async () => {
    const data = randomBytes(3 * MIB);
    const { id } = await registry.blobs.startUpload(REPO);
    const body = new PassThrough();
    const patch = registry.blobs.appendUpload(REPO, id, body, undefined);
    body.write(data.subarray(0, MIB + 1));
    // Two hours pass by the clock while the one PATCH of a large layer goes on.
    now += 2 * HOUR;
    const expiry = registry.blobs.expireUploads(HOUR);
    // Expiry must not wait for the PATCH (it may stream for hours) and then delete the session it held.
    const finished = await Promise.race([expiry.then(() => true), sleep(300).then(() => false)]);
    body.end(data.subarray(MIB + 1));
    assert.equal((await patch).size, data.byteLength);
    assert.equal(await expiry, 0, 'a session with a request in flight is not expired');
    assert.ok(finished, 'expiry went on without waiting for the PATCH');
    assert.deepEqual(await registry.blobs.finishUpload(REPO, id, digestOf(data), undefined), { digest: digestOf(data), size: data.byteLength });
  });

  it("leaves a session alone while another node's PATCH writes into it, its record untouched since the PATCH began", async () => {
    const data = randomBytes(3 * MIB);
    now = Date.now() - 2 * HOUR;
    const { id } = await registry.blobs.startUpload(REPO);
    await age(join(dir, 'uploads', id, 'data'), 2 * HOUR);
    await age(join(dir, 'uploads', id), 2 * HOUR);
    now = Date.now();
    const body = new PassThrough();
    const patch = registry.blobs.appendUpload(REPO, id, body, undefined);
    try {
      body.write(data.subarray(0, MIB + 1));
      await landed(id);
      assert.equal(await otherNode().blobs.expireUploads(HOUR), 0, 'bytes landing in the session keep it, whichever node writes them');
    } finally {
      body.end(data.subarray(MIB + 1));
    }
    assert.equal((await patch).size, data.byteLength);
    assert.deepEqual(await registry.blobs.finishUpload(REPO, id, digestOf(data), undefined), { digest: digestOf(data), size: data.byteLength });
  });

  it('expires a session nobody has written to for longer than the expiry', async () => {
    now = Date.now() - 2 * HOUR;
    const { id } = await registry.blobs.startUpload(REPO);
    await age(join(dir, 'uploads', id, 'data'), 2 * HOUR);
    await age(join(dir, 'uploads', id), 2 * HOUR);
    now = Date.now();
    assert.equal(await otherNode().blobs.expireUploads(HOUR), 1);
    assert.ok(!(await uploadDirs()).includes(id), 'its data is gone');
    await assert.rejects(registry.blobs.uploadStatus(REPO, id), { code: 'BLOB_UPLOAD_UNKNOWN' });
  });

  it('keeps a session that another node wrote to after the expiry had picked it as stale', async () => {
    const ids = [(await registry.blobs.startUpload(REPO)).id, (await registry.blobs.startUpload(REPO)).id];
    now += 2 * HOUR;
    const chunk = randomBytes(1000);
    let patched: string | undefined;
    // Between the query for stale sessions and their removal, another node finishes a PATCH on the one not yet reached.
    const racing: BlobStore = {
      ...store,
      async uploadModifiedAt(id, o) {
        if (patched === undefined) {
          patched = ids.find((other) => other !== id) ?? '';
          await otherNode().blobs.appendUpload(REPO, patched, Readable.from([chunk]), undefined);
        }
        return store.uploadModifiedAt(id, o);
      },
    };
    assert.equal(await createRegistry({ database, blobs: racing, clock }).blobs.expireUploads(HOUR), 1, 'only the session nobody wrote to goes');
    assert.ok(patched !== undefined);
    assert.equal((await registry.blobs.uploadStatus(REPO, patched)).size, chunk.byteLength);
    await registry.blobs.cancelUpload(REPO, patched);
  });

  it('leaves the temporary data of a monolithic upload alone while it streams for longer than the expiry', async () => {
    const data = randomBytes(3 * MIB);
    const body = new PassThrough();
    const upload = registry.blobs.uploadMonolithic(REPO, digestOf(data), body, data.byteLength);
    try {
      body.write(data.subarray(0, MIB + 1));
      while (!(await uploadDirs()).some((name) => name.startsWith('put-'))) await sleep(5);
      now += 2 * HOUR;
      assert.equal(await registry.blobs.expireUploads(HOUR), 0);
    } finally {
      body.end(data.subarray(MIB + 1));
    }
    assert.deepEqual(await upload, { digest: digestOf(data), size: data.byteLength });
    assert.equal((await registry.blobs.statBlob(REPO, digestOf(data))).size, data.byteLength);
  });

  it("leaves another node's monolithic upload alone while its data is written, and removes what a crash left", async () => {
    const crashed = join(dir, 'uploads', `put-${randomUUID()}`);
    await mkdir(crashed, { recursive: true });
    await writeFile(join(crashed, 'data'), randomBytes(100));
    await age(join(crashed, 'data'), 2 * HOUR);
    await age(crashed, 2 * HOUR);

    const data = randomBytes(3 * MIB);
    const body = new PassThrough();
    const upload = registry.blobs.uploadMonolithic(REPO, digestOf(data), body, data.byteLength);
    try {
      body.write(data.subarray(0, MIB + 1));
      let live: string | undefined;
      while (live === undefined) {
        live = (await uploadDirs()).find((name) => name.startsWith('put-') && join(dir, 'uploads', name) !== crashed);
        if (live === undefined) await sleep(5);
      }
      while (((await store.uploadSize(live)) ?? 0) === 0) await sleep(5);
      // Its directory is as old as the upload; only its data file shows that bytes keep landing.
      await age(join(dir, 'uploads', live), 2 * HOUR);
      assert.equal(await otherNode().blobs.expireUploads(HOUR), 1, 'only the abandoned directory goes');
      assert.ok((await uploadDirs()).includes(live));
    } finally {
      body.end(data.subarray(MIB + 1));
    }
    assert.ok(!(await uploadDirs()).includes(crashed.split('/').at(-1) ?? ''), 'the directory a crash left is removed');
    assert.deepEqual(await upload, { digest: digestOf(data), size: data.byteLength });
  });
});
