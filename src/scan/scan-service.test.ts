import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, it } from 'node:test';
import { digestOf } from '../core/oci/digest.ts';
import { openDatabase, type MetadataDatabase } from '../core/storage/metadata/database.ts';
import { catalogers } from './catalogers.ts';
import { createScanService } from './scan-service.ts';
import { importOsv } from './vulndb/osv-import.ts';
import { createVulnDb } from './vulndb/vulndb.ts';

let dir: string;
let database: MetadataDatabase;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-scan-service-'));
  database = await openDatabase({ kind: 'sqlite', path: join(dir, 'slipway.db') });
  // Scans need vulnerability data (without it they fail closed, before reading a layer).
  await writeFile(join(dir, 'advisory.json'), JSON.stringify({ id: 'TEST-1', modified: '2024-01-01T00:00:00Z', affected: [{ package: { ecosystem: 'npm', name: 'x' }, versions: ['1.0.0'] }] }));
  await importOsv(database, join(dir, 'advisory.json'));
});
after(async () => {
  await database.close();
  await rm(dir, { recursive: true, force: true });
});

/** An image whose one layer never arrives: it streams until the scan is stopped. */
function stalledImage() {
  const layer = `sha256:${'1'.repeat(64)}`;
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [`sha256:${'2'.repeat(64)}`] } }));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: digestOf(config), size: config.byteLength },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: layer, size: 1_000_000 }],
    }),
  );
  return {
    digest: digestOf(manifest),
    content: {
      manifest: () => Promise.resolve({ bytes: manifest, mediaType: 'application/vnd.oci.image.manifest.v1+json' }),
      openBlob: (digest: string, options?: { signal?: AbortSignal }) => {
        if (digest === digestOf(config)) return Promise.resolve(Readable.from([config]));
        const stalled = new Readable({ read: () => undefined });
        options?.signal?.addEventListener('abort', () => stalled.destroy(options.signal?.reason as Error));
        return Promise.resolve(stalled);
      },
    },
  };
}

it('leaves the stored result as it was when a scan is stopped (a shutdown), and does not call it an error', async () => {
  const image = stalledImage();
  const scans = createScanService({ database, content: image.content, catalogers, vulndb: createVulnDb(database), version: 'test' });
  const stopped = (signal: AbortSignal) => (error: unknown) => error === signal.reason;
  const status = async () => ({ ...(await database.db.selectFrom('scan_reports').select(['status', 'error']).where('digest', '=', image.digest).executeTakeFirst()) });

  // A first scan, stopped: still running as far as the gate knows (it refuses), and not an error.
  const first = AbortSignal.timeout(100);
  await assert.rejects(scans.run('team/app', image.digest, { signal: first }), stopped(first));
  assert.deepEqual(await status(), { status: 'Running', error: null });

  // A rescan of a scanned image, stopped: its last result stands for the gate.
  await database.db.updateTable('scan_reports').set({ status: 'Success', severity: 'High', findings: '[]' }).where('digest', '=', image.digest).execute();
  const rescan = AbortSignal.timeout(100);
  await assert.rejects(scans.run('team/app', image.digest, { signal: rescan, keepPrevious: true }), stopped(rescan));
  assert.deepEqual(await status(), { status: 'Success', error: null });
});
