import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBlobStore, type BlobStore } from '../core/storage/blob-store.ts';
import { createFilesystemDriver } from '../core/storage/fs-driver.ts';
import type { MetadataDatabase } from '../core/storage/metadata/database.ts';
import { createRegistry, type Registry } from '../registry/index.ts';

/** A registry in this process, on `database` and a storage directory of its own, with one private project. */
export interface TestRegistry {
  readonly dir: string;
  readonly store: BlobStore;
  readonly registry: Registry;
  /** Another node of the same deployment: the same database and storage, its own process state. */
  otherNode(): Registry;
  /** Removes the storage directory (the database is the caller's to close). */
  remove(): Promise<void>;
}

export async function openTestRegistry(database: MetadataDatabase, options: { readonly project: string; readonly clock?: () => number }): Promise<TestRegistry> {
  const dir = await mkdtemp(join(tmpdir(), `slipway-${options.project}-`));
  const clock = options.clock === undefined ? {} : { clock: options.clock };
  const storeAt = () => createBlobStore(createFilesystemDriver({ root: dir, fsync: false }));
  const store = storeAt();
  const registry = createRegistry({ database, blobs: store, ...clock });
  await registry.ensureProject(options.project, { public: false });
  return {
    dir,
    store,
    registry,
    otherNode: () => createRegistry({ database, blobs: storeAt(), ...clock }),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
