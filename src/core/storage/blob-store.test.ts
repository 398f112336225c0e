import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { digestOf, type Digest } from '../oci/digest.ts';
import { blobPath, createBlobStore, type BlobStore } from './blob-store.ts';
import { createFilesystemDriver } from './fs-driver.ts';
import { StorageError } from './storage-error.ts';

const code = (c: StorageError['code']) => (error: unknown) => error instanceof StorageError && error.code === c;

/** A stream that delivers `good` bytes and then fails, as a dropped client does. */
function breaking(good: Buffer): Readable {
  return new Readable({
    read() {
      this.push(good);
      this.destroy(new Error('connection reset'));
    },
  });
}

async function bytesOf(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('content-addressed blob store', () => {
  let root: string;
  let store: BlobStore;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'slipway-blob-store-'));
    store = createBlobStore(createFilesystemDriver({ root }));
  });
  after(() => rm(root, { recursive: true, force: true }));

  it('stores streams and bytes under their digest and reads them back', async () => {
    const data = randomBytes(300_000);
    const { digest, size } = await store.put(Readable.from([data.subarray(0, 1000), data.subarray(1000)]));
    assert.equal(digest, digestOf(data));
    assert.equal(size, data.byteLength);
    assert.deepEqual(await bytesOf(await store.open(digest)), data);
    assert.deepEqual(await bytesOf(await store.open(digest, { offset: 10, length: 5 })), data.subarray(10, 15));
    assert.equal((await store.stat(digest))?.size, data.byteLength);
    const small = await store.put(Buffer.from('{"a":1}'));
    assert.equal((await store.readAll(small.digest)).toString(), '{"a":1}');
    await assert.rejects(() => store.readAll(digest, { maxBytes: 100 }), code('TOO_LARGE'));
  });

  it('writes content already stored again, small or streamed, so that the file carries a fresh time', async () => {
    const small = Buffer.from('{"small":"manifest"}');
    const large = randomBytes(100_000);
    const puts = [() => store.put(small), () => store.put(Readable.from([large]))];
    for (const put of puts) {
      const { digest } = await put();
      const hourAgo = new Date(Date.now() - 3_600_000);
      await utimes(join(root, ...blobPath(digest).split('/')), hourAgo, hourAgo);
      await put();
      const modifiedAt = (await store.stat(digest))?.modifiedAt.getTime() ?? 0;
      assert.ok(modifiedAt > hourAgo.getTime() + 60_000, `${digest}: garbage collection sees it as just written`);
    }
  });

  it('leaves nothing behind when the digest or size is wrong', async () => {
    const data = randomBytes(5000);
    const wrong = digestOf('other');
    await assert.rejects(() => store.put(Readable.from([data]), { digest: wrong }), code('DIGEST_MISMATCH'));
    await assert.rejects(() => store.put(Readable.from([data]), { size: 4999 }), code('SIZE_MISMATCH'));
    assert.equal(await store.stat(digestOf(data)), undefined);
    assert.equal(await store.stat(wrong), undefined);
    assert.deepEqual(await readdir(join(root, 'uploads')).catch(() => []), [], 'no temporary data left');
  });

  it('stores nothing from a stream that breaks off', async () => {
    const data = randomBytes(10_000);
    await assert.rejects(() => store.put(breaking(data)), code('ABORTED'));
    assert.equal(await store.stat(digestOf(data)), undefined);
  });

  it('keeps one intact blob when the same content is put concurrently', async () => {
    const data = randomBytes(1 << 20);
    const results = await Promise.all(Array.from({ length: 8 }, () => store.put(Readable.from([data]))));
    assert.ok(results.every((r) => r.digest === digestOf(data)));
    assert.deepEqual(await bytesOf(await store.open(digestOf(data))), data);
  });

  it('takes an upload in chunks, checks offsets and survives a broken chunk', async () => {
    const data = randomBytes(30_000);
    await store.createUpload('chunks');
    assert.equal(await store.appendUpload('chunks', Readable.from([data.subarray(0, 10_000)]), { offset: 0 }), 10_000);
    await assert.rejects(() => store.appendUpload('chunks', Readable.from([data.subarray(0, 10_000)]), { offset: 0 }), code('OFFSET_MISMATCH'));
    await assert.rejects(() => store.appendUpload('chunks', breaking(data.subarray(10_000, 15_000))), code('ABORTED'));
    assert.equal(await store.uploadSize('chunks'), 10_000, 'a broken chunk leaves the session at its previous size');
    await assert.rejects(
      () => store.appendUpload('chunks', Readable.from([data.subarray(10_000, 20_000)]), { length: 5000 }),
      code('TOO_LARGE'),
    );
    assert.equal(await store.uploadSize('chunks'), 10_000);
    await assert.rejects(
      () => store.appendUpload('chunks', Readable.from([data.subarray(10_000, 13_000)]), { offset: 10_000, length: 5000 }),
      (error: unknown) => code('OFFSET_MISMATCH')(error) && /holds 3000 bytes, not the 5000 its range announced; the upload stays at 10000 bytes/.test((error as Error).message),
    );
    assert.equal(await store.uploadSize('chunks'), 10_000, 'a chunk shorter than its range is not kept');
    assert.equal(await store.appendUpload('chunks', Readable.from([data.subarray(10_000)]), { offset: 10_000 }), 30_000);
    await assert.rejects(() => store.commitUpload('chunks', { digest: digestOf('nope') }), code('DIGEST_MISMATCH'));
    assert.equal(await store.uploadSize('chunks'), 30_000, 'a wrong digest keeps the session');
    const result = await store.commitUpload('chunks', { digest: digestOf(data), size: 30_000 });
    assert.equal(result.digest, digestOf(data));
    assert.equal(await store.uploadSize('chunks'), undefined);
    assert.deepEqual(await bytesOf(await store.open(result.digest)), data);
  });

  it('commits an upload begun by another process, and sha512 uploads', async () => {
    const data = randomBytes(50_000);
    await store.createUpload('restart');
    await store.appendUpload('restart', Readable.from([data.subarray(0, 20_000)]));
    const restarted = createBlobStore(createFilesystemDriver({ root }));
    await restarted.appendUpload('restart', Readable.from([data.subarray(20_000)]));
    assert.equal((await restarted.commitUpload('restart', { digest: digestOf(data) })).size, 50_000);

    const sha512 = `sha512:${createHash('sha512').update(data).digest('hex')}` as Digest;
    await store.createUpload('five-twelve');
    await store.appendUpload('five-twelve', Readable.from([data]));
    assert.equal((await store.commitUpload('five-twelve', { digest: sha512 })).digest, sha512);
    assert.deepEqual(await bytesOf(await store.open(sha512)), data);
  });

  it('reports temporary data that vanished before its move as what it is, not as an unknown blob', async () => {
    const driver = createFilesystemDriver({ root });
    // As a sweeper deleting the temporary data just before the move would.
    const vanishing = createBlobStore({
      ...driver,
      async move(from, to, o) {
        await driver.delete(from);
        await driver.move(from, to, o);
      },
    });
    await assert.rejects(() => vanishing.put(Readable.from([randomBytes(1000)])), code('IO'));
    await vanishing.createUpload('vanishing');
    await vanishing.appendUpload('vanishing', Readable.from([Buffer.from('abc')]));
    await assert.rejects(() => vanishing.commitUpload('vanishing', { digest: digestOf('abc') }), code('UPLOAD_UNKNOWN'));
  });

  it('stores the empty blob, lists uploads, cancels them and walks blobs', async () => {
    const empty = await store.put(Readable.from([]));
    assert.equal(empty.size, 0);
    await store.createUpload('listed');
    const ids: string[] = [];
    for await (const upload of store.listUploads()) ids.push(upload.id);
    assert.ok(ids.includes('listed'));
    await store.cancelUpload('listed');
    assert.equal(await store.uploadSize('listed'), undefined);
    await assert.rejects(() => store.appendUpload('listed', Readable.from([Buffer.from('x')])), code('UPLOAD_UNKNOWN'));
    await assert.rejects(() => store.createUpload('../escape'), code('UPLOAD_UNKNOWN'));
    const walked: string[] = [];
    for await (const blob of store.walk()) walked.push(blob.digest);
    assert.ok(walked.includes(empty.digest));
    await store.delete(empty.digest);
    assert.equal(await store.stat(empty.digest), undefined);
  });
});
