import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setImmediate as tick } from 'node:timers/promises';
import type { ScanResult } from '../report/scan-result.ts';
import { AdapterError } from './adapter-error.ts';
import { createAdapterScans, type AdapterScanRunner } from './adapter-scans.ts';
import type { AdapterScanRequest } from './registry-scan.ts';
import type { VulnDb } from '../vulndb/vulndb.ts';

const DIGEST = `sha256:${'a'.repeat(64)}`;
const request: AdapterScanRequest = { registry: { url: 'https://registry.example' }, artifact: { repository: 'team/app', digest: DIGEST } };

/** A runner whose scans finish when the test says so. */
function manualRunner(): { run: AdapterScanRunner; finish: (n: number) => void; started: () => number; signals: AbortSignal[] } {
  const pending: ((r: ScanResult) => void)[] = [];
  const signals: AbortSignal[] = [];
  return {
    run: (_request, { signal }) =>
      new Promise((resolve, reject) => {
        signals.push(signal);
        pending.push(resolve);
        signal.addEventListener('abort', () => reject(signal.reason as Error));
      }),
    finish: (n) => pending.splice(0, n).forEach((resolve) => resolve({ findings: [] } as unknown as ScanResult)),
    started: () => signals.length,
    signals,
  };
}

/** The runner is injected: the database is never asked. */
const unusedVulnDb: VulnDb = { status: () => Promise.reject(new Error('unused')), match: () => Promise.resolve([]), matchAll: () => Promise.resolve([]) };
const deps = { vulndb: unusedVulnDb, catalogers: [], version: 'test' };

describe('adapter scan requests', () => {
  it('runs a few at a time, keeps them until the TTL, and cancels what expires', async () => {
    let clock = 1000;
    const runner = manualRunner();
    const scans = createAdapterScans({ ...deps, run: runner.run, concurrency: 2, ttlMs: 60_000, now: () => clock });
    const ids = [scans.submit(request), scans.submit(request), scans.submit(request)];
    await tick();
    assert.equal(runner.started(), 2, 'the third waits its turn');
    runner.finish(1);
    await tick();
    await tick();
    assert.equal(scans.get(ids[0] ?? '')?.state.status, 'done');
    assert.equal(runner.started(), 3);
    clock += 60_000;
    assert.equal(scans.get(ids[1] ?? ''), undefined, 'expired');
    assert.ok(runner.signals[1]?.aborted, 'its scan is cancelled');
  });

  it('is bounded: the oldest finished request makes room, else BUSY', async () => {
    const runner = manualRunner();
    const scans = createAdapterScans({ ...deps, run: runner.run, maxEntries: 2 });
    const first = scans.submit(request);
    scans.submit(request);
    assert.throws(() => scans.submit(request), (e: unknown) => e instanceof AdapterError && e.code === 'BUSY');
    runner.finish(1);
    await tick();
    await tick();
    scans.submit(request);
    assert.equal(scans.get(first), undefined, 'evicted');
    scans.close();
    assert.throws(() => scans.submit(request), (e: unknown) => e instanceof AdapterError && e.code === 'CLOSED');
  });

  it('refuses requests it cannot act on', () => {
    const scans = createAdapterScans({ ...deps, run: manualRunner().run });
    const bad = (registry: AdapterScanRequest['registry'], artifact = request.artifact) => () => scans.submit({ registry, artifact });
    for (const attempt of [
      bad({ url: 'not a url' }),
      bad({ url: 'file:///etc' }),
      bad({ url: 'https://r', authorization: 'Basic bm9jb2xvbg==' }),
      bad({ url: 'https://r' }, { repository: 'Team/App', digest: DIGEST }),
      bad({ url: 'https://r' }, { repository: 'team/app', digest: 'sha256:abc' }),
    ]) {
      assert.throws(attempt, (e: unknown) => e instanceof AdapterError && e.code === 'INVALID_REQUEST');
    }
  });
});
