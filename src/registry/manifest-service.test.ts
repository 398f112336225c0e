import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { ANONYMOUS } from '../core/auth/authorizer.ts';
import { createBlobStore, type BlobStore } from '../core/storage/blob-store.ts';
import { createFilesystemDriver } from '../core/storage/fs-driver.ts';
import { openTestDatabase, type TestDatabase } from '../testing/databases.ts';
import { buildIndex } from '../testing/test-images.ts';
import { createRegistry, parseRepositoryName, RegistryError, type Registry } from './index.ts';

const REPO = parseRepositoryName('manifests/app');

describe('manifest service', () => {
  let dir: string;
  let database: TestDatabase;
  let store: BlobStore;
  let registry: Registry;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'slipway-manifests-'));
    database = await openTestDatabase('sqlite');
    store = createBlobStore(createFilesystemDriver({ root: dir, fsync: false }));
    registry = createRegistry({ database, blobs: store });
    await registry.ensureProject('manifests', { public: false });
  });
  after(async () => {
    await database.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  it('reports a manifest whose stored bytes are gone as unknown, not as an internal error', async () => {
    const { index } = buildIndex([]);
    await registry.manifests.putManifest(REPO, 'latest', Readable.from([index.bytes]), index.descriptor.mediaType);
    await store.delete(index.descriptor.digest);
    for (const reference of ['latest', index.descriptor.digest]) {
      await assert.rejects(
        registry.manifests.getManifest(REPO, reference, ANONYMOUS),
        (error) => error instanceof RegistryError && error.code === 'MANIFEST_UNKNOWN' && /missing from storage/.test(error.message),
        reference,
      );
    }
  });
});
