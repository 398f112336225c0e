/**
 * The worker thread behind `openVulnDbThread`: opens the database named by `workerData` at once
 * (while the main thread walks the image) and answers VulnDb calls, one reply per request id.
 * `close` closes the database; the main thread then ends the thread.
 */
import { enableCompileCache } from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';
import type { DatabaseConfig, MetadataDatabase } from '../../core/storage/metadata/database.ts';
import type { VulnDb } from './vulndb.ts';
import type { ThreadError, VulnDbReply, VulnDbRequest } from './vulndb-thread.ts';

enableCompileCache();
const port = parentPort;
if (port === null) throw new Error('vulndb-worker runs as a worker thread (openVulnDbThread)');

const opening: Promise<{ database: MetadataDatabase; vulndb: VulnDb }> = (async () => {
  const [{ openDatabase }, { createVulnDb }] = await Promise.all([import('../../core/storage/metadata/database.ts'), import('./vulndb.ts')]);
  const database = await openDatabase(workerData as DatabaseConfig);
  return { database, vulndb: createVulnDb(database) };
})();
// Answered through the first call; until then a failure to open must not count as unhandled.
opening.catch(() => undefined);

port.on('message', (request: VulnDbRequest) => {
  void answer(request).then((reply) => port.postMessage(reply));
});

async function answer(request: VulnDbRequest): Promise<VulnDbReply> {
  try {
    if (request.method === 'close') {
      const { database } = await opening.catch(() => ({ database: undefined }));
      await database?.close();
      return { id: request.id, value: undefined };
    }
    const { vulndb } = await opening;
    const value = await (vulndb[request.method] as (...args: typeof request.args) => Promise<unknown>)(...request.args);
    return { id: request.id, value };
  } catch (error) {
    return { id: request.id, error: asThreadError(error) };
  }
}

function asThreadError(error: unknown): ThreadError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const code = (error as { code?: unknown }).code;
  return { name: error.name, message: error.message, ...(typeof code === 'string' ? { code } : {}) };
}
