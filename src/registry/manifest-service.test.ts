import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { ANONYMOUS } from '../core/auth/authorizer.ts';
import type { BlobStore } from '../core/storage/blob-store.ts';
import { openTestDatabase, type TestDatabase } from '../testing/databases.ts';
import { buildIndex } from '../testing/test-images.ts';
import { openTestRegistry, type TestRegistry } from '../testing/test-registry.ts';
import { parseRepositoryName, RegistryError, type Registry } from './index.ts';

const REPO = parseRepositoryName('manifests/app');

describe('manifest service', () => {
  let database: TestDatabase;
  let store: BlobStore;
  let registry: Registry;
  let fixture: TestRegistry;

  before(async () => {
    database = await openTestDatabase('sqlite');
    fixture = await openTestRegistry(database, { project: 'manifests' });
    ({ store, registry } = fixture);
  });
  after(async () => {
    await database.cleanup();
    await fixture.remove();
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
