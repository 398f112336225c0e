import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { createJobQueue, type JobQueue } from '../../core/jobs/job-queue.ts';
import { createJobWorker } from '../../core/jobs/job-worker.ts';
import { silentLogger } from '../../core/log/logger.ts';
import type { MetadataDatabase } from '../../core/storage/metadata/database.ts';
import { describeEachDatabase, twoPostgresNodes } from '../../testing/databases.ts';
import type { ScanResult } from '../report/scan-result.ts';
import type { VulnDb } from '../vulndb/vulndb.ts';
import { AdapterError } from './adapter-error.ts';
import { ADAPTER_SCAN_JOB, adapterScanJobHandler, createAdapterScans, type AdapterScanRunner } from './adapter-scans.ts';
import type { AdapterScanRequest } from './registry-scan.ts';

const DIGEST = `sha256:${'a'.repeat(64)}`;
const request: AdapterScanRequest = { registry: { url: 'https://registry.example', authorization: 'Bearer secret-token' }, artifact: { repository: 'team/app', digest: DIGEST } };
const RESULT = { artifact: { name: 'team/app', digest: DIGEST, layers: [] }, packages: [], findings: [], db: { updatedAt: null, advisories: 0 }, createdAt: 1, warnings: [] } as unknown as ScanResult;
/** The runner is injected: the database is never asked. */
const unusedVulnDb: VulnDb = { status: () => Promise.reject(new Error('unused')), lastImportAt: () => Promise.reject(new Error('unused')), match: () => Promise.resolve([]), matchAll: () => Promise.resolve([]) };

/** A node: the adapter's requests and a job worker over one queue, with a runner the test chooses. */
function node(queue: JobQueue, run: AdapterScanRunner, clock: () => number) {
  const scans = createAdapterScans({ queue, ttlMs: 60_000, maxPending: 3, now: clock });
  const handler = adapterScanJobHandler({ vulndb: unusedVulnDb, catalogers: [], version: 'test', ttlMs: 60_000, now: clock, run });
  const worker = createJobWorker({ queue, logger: silentLogger, handlers: { [ADAPTER_SCAN_JOB]: handler } });
  return { scans, runJobs: () => worker.runOnce() };
}

describeEachDatabase('adapter scan requests', (open) => {
  let database: MetadataDatabase;
  let queue: JobQueue;
  let clock = Date.now();
  const now = () => clock;
  before(async () => {
    database = await open();
    queue = createJobQueue(database, { clock: now, retryDelayMs: () => 0 });
  });

  it('are durable jobs: pending until a worker scans, then the result, read back through JSON', async () => {
    const ran: AdapterScanRequest[] = [];
    const { scans, runJobs } = node(queue, (r) => (ran.push(r), Promise.resolve(RESULT)), now);
    const id = await scans.submit(request);
    assert.match(id, /^\d+-[0-9a-f-]{36}$/);
    assert.equal((await scans.get(id))?.state.status, 'pending');
    assert.equal(await runJobs(), 1);
    assert.deepEqual(ran, [request]);
    const entry = await scans.get(id);
    assert.deepEqual(entry?.state, { status: 'done', result: RESULT });
    assert.deepEqual(entry.request, request);
  });

  it('report a failure with its reason after the retry', async () => {
    let attempts = 0;
    const { scans, runJobs } = node(queue, () => Promise.reject(new Error(`manifest unknown (attempt ${++attempts})`)), now);
    const id = await scans.submit(request);
    await runJobs();
    assert.equal(attempts, 2, 'one retry');
    assert.deepEqual((await scans.get(id))?.state, { status: 'failed', error: 'manifest unknown (attempt 2)' });
  });

  it('answer unknown for a wrong key, a malformed id, or a job of another kind', async () => {
    const { scans } = node(queue, () => Promise.resolve(RESULT), now);
    const id = await scans.submit(request);
    const [job] = id.split('-');
    assert.equal(await scans.get(`${job}-00000000-0000-4000-8000-000000000000`), undefined);
    for (const bad of ['', 'x', `${job}`, `${job}-`, `-${id}`, `${id}x`, '99999999999999999999-00000000-0000-4000-8000-000000000000']) assert.equal(await scans.get(bad), undefined, bad);
    const other = await queue.enqueue('gc', { key: '00000000-0000-4000-8000-000000000000' });
    assert.equal(await scans.get(`${other}-00000000-0000-4000-8000-000000000000`), undefined);
  });

  it('expire after their TTL: unknown, not run when not yet started, purged with their authorization', async () => {
    let ran = 0;
    const { scans, runJobs } = node(queue, () => (ran++, Promise.resolve(RESULT)), now);
    const done = await scans.submit(request);
    await runJobs();
    const late = await scans.submit(request);
    const ranBefore = ran;
    clock += 60_000;
    assert.equal(await scans.get(done), undefined);
    assert.equal(await scans.get(late), undefined);
    await runJobs();
    assert.equal(ran, ranBefore, 'the expired request is not scanned');
    assert.ok((await scans.purge()) >= 2);
    const left = await queue.list({ kind: ADAPTER_SCAN_JOB, limit: 1000 });
    assert.ok(!left.some((job) => JSON.stringify(job.payload).includes('secret-token')), 'no stored authorization outlives its request');
  });

  it('are bounded (BUSY) and validated (INVALID_REQUEST) before anything is stored', async () => {
    const { scans, runJobs } = node(queue, () => Promise.resolve(RESULT), now);
    await runJobs();
    for (let i = 0; i < 3; i++) await scans.submit(request);
    await assert.rejects(scans.submit(request), (e: unknown) => e instanceof AdapterError && e.code === 'BUSY');
    clock += 60_000;
    await scans.submit(request); // the three waiting ones have expired: they no longer count
    await runJobs();
    await scans.submit(request);
    const stored = (await queue.list({ kind: ADAPTER_SCAN_JOB, limit: 1000 })).length;
    const bad = (registry: AdapterScanRequest['registry'], artifact = request.artifact) => scans.submit({ registry, artifact });
    for (const attempt of [
      bad({ url: 'not a url' }),
      bad({ url: 'file:///etc' }),
      bad({ url: 'https://r', authorization: 'Basic bm9jb2xvbg==' }),
      bad({ url: 'https://r' }, { repository: 'Team/App', digest: DIGEST }),
      bad({ url: 'https://r' }, { repository: 'team/app', digest: 'sha256:abc' }),
    ]) {
      await assert.rejects(attempt, (e: unknown) => e instanceof AdapterError && e.code === 'INVALID_REQUEST');
    }
    assert.equal((await queue.list({ kind: ADAPTER_SCAN_JOB, limit: 1000 })).length, stored);
  });
});

describe('adapter scan requests across two nodes on one PostgreSQL', () => {
  const nodes = twoPostgresNodes();

  it('are submitted on one node, scanned by the other, and read back on either', async () => {
    const now = Date.now;
    const nodeA = node(createJobQueue(nodes[0] as MetadataDatabase), () => Promise.reject(new Error('node A does not scan in this test')), now);
    const nodeB = node(createJobQueue(nodes[1] as MetadataDatabase), () => Promise.resolve(RESULT), now);
    const id = await nodeA.scans.submit(request);
    assert.equal((await nodeB.scans.get(id))?.state.status, 'pending');
    assert.equal(await nodeB.runJobs(), 1);
    assert.deepEqual((await nodeA.scans.get(id))?.state, { status: 'done', result: RESULT });
  });
});
