import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { runBlobDriverConformance } from './blob-driver.conformance.ts';
import { createFilesystemDriver } from './fs-driver.ts';

const run = promisify(execFile);

runBlobDriverConformance('filesystem', async () => {
  const root = await mkdtemp(join(tmpdir(), 'slipway-fs-driver-'));
  return { driver: createFilesystemDriver({ root }), cleanup: () => rm(root, { recursive: true, force: true }) };
});

describe('the filesystem driver when the file system takes less than it is given', () => {
  it('fails the write and stores nothing, rather than keep a short file under the full digest', async () => {
    const root = await mkdtemp(join(tmpdir(), 'slipway-fs-short-'));
    try {
      // A file-size limit (bash: ulimit -f, in KiB) makes write(2) take part of a buffer, then refuse: as a full disk does.
      const script = `
        import { Readable } from 'node:stream';
        import { createFilesystemDriver } from ${JSON.stringify(new URL('./fs-driver.ts', import.meta.url).pathname)};
        import { createBlobStore } from ${JSON.stringify(new URL('./blob-store.ts', import.meta.url).pathname)};
        const store = createBlobStore(createFilesystemDriver({ root: ${JSON.stringify(root)} }));
        const chunks = Array.from({ length: 40 }, (_, i) => Buffer.alloc(64 * 1024, i));
        const outcome = await store.put(Readable.from(chunks)).then((r) => 'stored ' + r.digest, (e) => 'refused ' + e.code);
        const blobs = []; for await (const b of store.walk()) blobs.push(b.digest);
        console.log(JSON.stringify({ outcome, blobs }));`;
      const { stdout } = await run('bash', ['-c', `ulimit -f 2200 && exec "$0" --input-type=module -e "$1"`, process.execPath, script]);
      assert.deepEqual(JSON.parse(stdout), { outcome: 'refused IO', blobs: [] });
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
