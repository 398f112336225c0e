import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBlobDriverConformance } from './blob-driver.conformance.ts';
import { createFilesystemDriver } from './fs-driver.ts';

runBlobDriverConformance('filesystem', async () => {
  const root = await mkdtemp(join(tmpdir(), 'slipway-fs-driver-'));
  return { driver: createFilesystemDriver({ root }), cleanup: () => rm(root, { recursive: true, force: true }) };
});
