import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, it } from 'node:test';
import type { BlobDriver } from './blob-driver.ts';
import { StorageError } from './storage-error.ts';

/**
 * The one suite every blob driver runs (filesystem now, S3-compatible storage next): the
 * behaviour the blob store above relies on, stated once.
 */
export function runBlobDriverConformance(
  name: string,
  makeDriver: () => Promise<{ driver: BlobDriver; cleanup(): Promise<void> }>,
): void {
  describe(`blob driver conformance: ${name}`, () => {
    let driver: BlobDriver;
    let made: { cleanup(): Promise<void> } | undefined;

    before(async () => {
      const result = await makeDriver();
      driver = result.driver;
      made = result;
    });
    after(() => made?.cleanup());

    const text = async (stream: Readable) => {
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString();
    };
    const notFound = (error: unknown) => error instanceof StorageError && error.code === 'NOT_FOUND';

    it('stats files and directories, and nothing where nothing is', async () => {
      await driver.putContent('/stat/a/file', Buffer.from('hello'));
      const file = await driver.stat('/stat/a/file');
      assert.equal(file?.size, 5);
      assert.equal(file?.isDirectory, false);
      assert.ok(file.modifiedAt instanceof Date);
      assert.equal((await driver.stat('/stat/a'))?.isDirectory, true);
      assert.equal(await driver.stat('/stat/missing'), undefined);
    });

    it('reads whole files, from an offset, a length, and fails on missing ones', async () => {
      await driver.putContent('/read/f', Buffer.from('0123456789'));
      assert.equal(await text(await driver.read('/read/f')), '0123456789');
      assert.equal(await text(await driver.read('/read/f', { offset: 4 })), '456789');
      assert.equal(await text(await driver.read('/read/f', { offset: 2, length: 3 })), '234');
      await assert.rejects(() => driver.read('/read/missing'), notFound);
      await assert.rejects(() => driver.getContent('/read/missing'), notFound);
    });

    it('copies whole files and ranges into a writable, and fails on missing ones', async () => {
      const data = randomBytes(3 * 1024 * 1024 + 17);
      await driver.putContent('/copy/f', data);
      const collect = async (o?: { offset?: number; length?: number }) => {
        const chunks: Buffer[] = [];
        const sink = new Writable({
          write(chunk: Buffer, _e, cb) {
            chunks.push(Buffer.from(chunk));
            setImmediate(cb);
          },
        });
        await driver.copyTo('/copy/f', sink, o);
        return Buffer.concat(chunks);
      };
      assert.deepEqual(await collect(), data);
      assert.deepEqual(await collect({ offset: 1_000_000, length: 2_500_000 }), data.subarray(1_000_000, 3_500_000));
      assert.deepEqual(await collect({ offset: data.byteLength - 5 }), data.subarray(-5));
      await assert.rejects(() => driver.copyTo('/copy/missing', new Writable({ write: (_c, _e, cb) => cb() })), notFound);
      const broken = new Writable({ write: (_c, _e, cb) => cb(new Error('client gone')) });
      broken.on('error', () => undefined);
      await assert.rejects(() => driver.copyTo('/copy/f', broken), /client gone/);
    });

    it('opens a file to be read in place where it has local files, and fails on missing ones', async (t) => {
      if (driver.openFile === undefined) {
        t.skip(`the ${driver.name} driver has no local files: layers are streamed (read)`);
        return;
      }
      await driver.putContent('/local/f', Buffer.from('0123456789'));
      const handle = await driver.openFile('/local/f');
      try {
        const { bytesRead, buffer } = await handle.read(Buffer.alloc(16), 0, 16, 3);
        assert.equal(buffer.subarray(0, bytesRead).toString(), '3456789');
      } finally {
        await handle.close();
      }
      await assert.rejects(() => driver.openFile?.('/local/missing') ?? Promise.resolve(), notFound);
      await assert.rejects(() => driver.openFile?.('/local/../f') ?? Promise.resolve(), (e: unknown) => e instanceof StorageError && e.code === 'PATH_INVALID');
    });

    it('writes, appends, commits and cancels', async () => {
      const w = await driver.writer('/write/f');
      w.stream.end(Buffer.from('abc'));
      await w.commit();
      assert.equal((await driver.getContent('/write/f')).toString(), 'abc');
      const a = await driver.writer('/write/f', { append: true });
      a.stream.end(Buffer.from('def'));
      await a.commit();
      assert.equal(a.size, 6);
      assert.equal((await driver.getContent('/write/f')).toString(), 'abcdef');
      const c = await driver.writer('/write/f', { append: true });
      c.stream.write(Buffer.from('XYZ'));
      await c.cancel();
      assert.equal((await driver.getContent('/write/f')).toString(), 'abcdef', 'a cancelled append leaves the file as it was');
      const n = await driver.writer('/write/new');
      n.stream.write(Buffer.from('gone'));
      await n.cancel();
      assert.equal(await driver.stat('/write/new'), undefined, 'a cancelled new file is gone');
      await assert.rejects(() => driver.writer('/write/absent', { append: true }), notFound);
    });

    it('streams a large write and reads it back intact', async () => {
      const size = 64 * 1024 * 1024;
      const hash = createHash('sha256');
      const chunk = randomBytes(1 << 20);
      const source = Readable.from(
        (function* () {
          for (let i = 0; i < size / chunk.byteLength; i += 1) {
            hash.update(chunk);
            yield chunk;
          }
        })(),
      );
      const w = await driver.writer('/large/f');
      await pipeline(source, w.stream);
      await w.commit();
      const back = createHash('sha256');
      for await (const part of await driver.read('/large/f')) back.update(part as Buffer);
      assert.equal(back.digest('hex'), hash.digest('hex'));
      assert.equal((await driver.stat('/large/f'))?.size, size);
      await driver.delete('/large');
    });

    it('replaces content atomically and moves files over others', async () => {
      await driver.putContent('/put/f', Buffer.from('one'));
      await driver.putContent('/put/f', Buffer.from('two'));
      assert.equal((await driver.getContent('/put/f')).toString(), 'two');
      await driver.putContent('/move/src', Buffer.from('moved'));
      await driver.putContent('/move/dst/f', Buffer.from('old'));
      await driver.move('/move/src', '/move/dst/f');
      assert.equal((await driver.getContent('/move/dst/f')).toString(), 'moved');
      assert.equal(await driver.stat('/move/src'), undefined);
      await driver.move('/move/dst/f', '/move/deep/new/place');
      assert.equal((await driver.getContent('/move/deep/new/place')).toString(), 'moved');
      await assert.rejects(() => driver.move('/move/nothing', '/move/x'), notFound);
    });

    it('deletes files and trees; deleting nothing is fine', async () => {
      await driver.putContent('/del/a/b/c', Buffer.from('x'));
      await driver.putContent('/del/a/d', Buffer.from('y'));
      await driver.delete('/del/a/d');
      assert.equal(await driver.stat('/del/a/d'), undefined);
      await driver.delete('/del/a');
      assert.equal(await driver.stat('/del/a/b/c'), undefined);
      await driver.delete('/del/never');
    });

    it('lists children and walks trees in sorted order', async () => {
      for (const path of ['/tree/b/2', '/tree/a/1', '/tree/b/1', '/tree/c']) await driver.putContent(path, Buffer.from(path));
      assert.deepEqual(await driver.list('/tree'), ['/tree/a', '/tree/b', '/tree/c']);
      assert.deepEqual(await driver.list('/tree/none'), []);
      const walked: string[] = [];
      for await (const file of driver.walk('/tree')) walked.push(file.path);
      assert.deepEqual(walked, ['/tree/a/1', '/tree/b/1', '/tree/b/2', '/tree/c']);
    });

    it('refuses paths that could escape or confuse', async () => {
      for (const path of ['../x', '/a/../b', '/a//b', '/a/./b', 'relative', '/with space', '/nul\0byte', '/a/']) {
        await assert.rejects(() => driver.putContent(path, Buffer.from('x')), (e: unknown) => e instanceof StorageError && e.code === 'PATH_INVALID', path);
        await assert.rejects(() => driver.stat(path), (e: unknown) => e instanceof StorageError && e.code === 'PATH_INVALID', path);
      }
    });

    it('takes concurrent writers to different paths', async () => {
      await Promise.all(
        Array.from({ length: 16 }, async (_, i) => {
          const w = await driver.writer(`/concurrent/${i}`);
          w.stream.end(Buffer.from(`content ${i}`));
          await w.commit();
        }),
      );
      for (let i = 0; i < 16; i += 1) assert.equal((await driver.getContent(`/concurrent/${i}`)).toString(), `content ${i}`);
    });

    it('honours an aborted signal', async () => {
      const controller = new AbortController();
      controller.abort();
      await assert.rejects(() => driver.putContent('/abort/f', Buffer.from('x'), { signal: controller.signal }));
      assert.equal(await driver.stat('/abort/f'), undefined);
    });
  });
}
