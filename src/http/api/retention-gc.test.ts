import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fixedCredentials } from '../../core/oci/client/credentials.ts';
import { createRegistryClient, type RegistryClient } from '../../core/oci/client/registry-client.ts';
import type { Digest } from '../../core/oci/digest.ts';
import { blobPath } from '../../core/storage/blob-store.ts';
import { databaseKinds } from '../../testing/databases.ts';
import { apiCaller, type ApiCaller } from '../../testing/management-api.ts';
import { startSlipway, type TestSlipway } from '../../testing/slipway-server.ts';
import { until } from '../../testing/until.ts';
import { buildCosignSignatureManifest, buildImage, pushToRegistry, type Blob, type TestImage } from '../../testing/test-images.ts';

interface Execution {
  id: number;
  status: string;
  dry_run: boolean;
  total: number;
  deleted: number;
  decisions: { repository: string; digest: string; tags: string[]; outcome: string; reason: string }[];
}
interface GcRun {
  id: number;
  job_status: string;
  report: { dryRun: boolean; blobsDeleted: number; bytesFreed: number; deleted: { digest: string; size: number }[]; errors: unknown[] } | null;
}

const untaggedOnly = '{"untagged":false}';
const POLICY = {
  algorithm: 'or',
  scope: { level: 'project', ref: 'retained' },
  rules: [
    {
      action: 'retain',
      template: 'latestPushedK',
      params: { latestPushedK: 2 },
      tag_selectors: [{ kind: 'doublestar', decoration: 'matches', pattern: 'v*', extras: untaggedOnly }],
      scope_selectors: { repository: [{ kind: 'doublestar', decoration: 'repoMatches', pattern: 'app' }] },
    },
    {
      action: 'retain',
      template: 'always',
      params: {},
      tag_selectors: [{ kind: 'regexp', decoration: 'matches', pattern: 'keep-[0-9]+', extras: untaggedOnly }],
      scope_selectors: { repository: [{ kind: 'doublestar', decoration: 'repoMatches', pattern: 'app' }] },
    },
  ],
};

/** Every image shares one base layer; each has one layer of its own. */
const image = (seed: string): TestImage => buildImage({ seed, files: [{ 'etc/base.txt': 'the shared base layer' }, { 'app/own.txt': seed.repeat(200) }] });

/**
 * Retention on a fixture set: the dry run lists exactly what would go, the real run removes that
 * and nothing else (signatures go with their image), and GC afterwards frees exactly the unshared
 * blobs while the shared base layer stays. Both databases, through the API and durable jobs.
 */
for (const kind of databaseKinds) {
  describe(`retention and garbage collection (${kind})`, () => {
    let server: TestSlipway;
    let admin: ApiCaller;
    let client: RegistryClient;
    const images: Record<string, TestImage> = {};
    let signature: { manifest: Blob; blobs: Blob[]; tag: string };
    let policyId: number;

    const push = async (repo: string, img: TestImage, tag?: string) => {
      await pushToRegistry(client.repository(server.host, `retained/${repo}`), [img.config, ...img.layers], img.manifest, tag);
      await sleep(3); // distinct push times, so "latest pushed" is well defined
    };
    const digestOf = (name: string) => images[name]?.manifest.descriptor.digest ?? '';
    const execute = async (dryRun: boolean) => {
      const started = await admin.ok<Execution>('POST', `/retentions/${policyId}/executions`, { dry_run: dryRun });
      return until(() => admin.ok<Execution>('GET', `/retentions/${policyId}/executions/${started.id}`), (e) => e.status === 'Success' || e.status === 'Failed');
    };
    const gc = async (dryRun: boolean) => {
      const started = await admin.ok<GcRun>('POST', '/system/gc', { dry_run: dryRun, grace_period_seconds: 0 });
      return until(() => admin.ok<GcRun>('GET', `/system/gc/${started.id}`), (r) => r.job_status === 'succeeded' || r.job_status === 'failed');
    };
    const onDisk = async (digest: string) => (await stat(join(server.blobRoot, blobPath(digest as Digest))).catch(() => undefined)) !== undefined;

    before(async () => {
      server = await startSlipway({ database: kind, projects: [] });
      admin = apiCaller(server.url, { username: 'admin', password: server.adminPassword });
      client = createRegistryClient({ insecure: true, credentials: fixedCredentials({ kind: 'basic', username: 'admin', password: server.adminPassword }) });
      await admin.ok('POST', '/projects', { project_name: 'retained' });
      for (const name of ['v1', 'v2', 'v3', 'v4', 'keep-1', 'untagged', 'other']) images[name] = image(`${kind}-${name}`);
      for (const name of ['v1', 'v2', 'v3', 'v4', 'keep-1']) await push('app', images[name] as TestImage, name);
      await push('app', images['untagged'] as TestImage);
      await push('other', images['other'] as TestImage, 'v0');
      signature = buildCosignSignatureManifest({ subject: images['v1']?.manifest.descriptor ?? { mediaType: '', digest: '' as Digest, size: 0 }, dockerReference: 'retained/app' });
      await pushToRegistry(client.repository(server.host, 'retained/app'), signature.blobs, signature.manifest, signature.tag);
      policyId = (await admin.ok<{ id: number }>('POST', '/retentions', POLICY)).id;
    });
    after(async () => {
      client.close();
      await server.stop();
    });

    it('a dry run lists exactly the expected artifacts and deletes nothing', async () => {
      const run = await execute(true);
      assert.equal(run.status, 'Success');
      const byOutcome = (outcome: string) => run.decisions.filter((d) => d.outcome === outcome).map((d) => `${d.repository}@${d.digest}`).toSorted();
      assert.deepEqual(byOutcome('DEL'), [`app@${digestOf('untagged')}`, `app@${digestOf('v1')}`, `app@${digestOf('v2')}`].toSorted());
      assert.deepEqual(byOutcome('RETAIN'), [`app@${digestOf('keep-1')}`, `app@${digestOf('v3')}`, `app@${digestOf('v4')}`, `other@${digestOf('other')}`].toSorted());
      assert.equal(run.decisions.find((d) => d.digest === digestOf('other'))?.reason, 'no rule applies to the repository');
      assert.equal(run.total, 7, 'the signature is an accessory of v1, not a candidate');
      for (const name of ['v1', 'v2']) assert.equal((await client.repository(server.host, 'retained/app').getManifest(name))?.digest, digestOf(name));
    });

    it('the real run removes them, their signatures with them, and nothing else; GC then frees their unshared blobs only', async () => {
      const run = await execute(false);
      assert.equal(run.status, 'Success');
      assert.equal(run.deleted, 3);
      const app = client.repository(server.host, 'retained/app');
      for (const name of ['v1', 'v2', 'untagged']) assert.equal(await app.getManifest(digestOf(name)), undefined, `${name} is gone`);
      assert.equal(await app.getManifest(signature.tag), undefined, "v1's signature went with it");
      for (const name of ['v3', 'v4', 'keep-1']) assert.equal((await app.getManifest(name))?.digest, digestOf(name), `${name} is kept`);
      assert.equal((await client.repository(server.host, 'retained/other').getManifest('v0'))?.digest, digestOf('other'));

      const removed = [...['v1', 'v2', 'untagged'].flatMap((name) => {
        const img = images[name] as TestImage;
        return [img.manifest, img.config, img.layers[1] as Blob];
      }), signature.manifest, ...signature.blobs];
      const expected = new Map(removed.map((b) => [b.descriptor.digest as string, b.bytes.byteLength]));
      const shared = images['v1']?.layers[0]?.descriptor.digest ?? '';
      assert.equal(shared, images['v3']?.layers[0]?.descriptor.digest, 'the fixture shares its base layer');

      const dry = await gc(true);
      assert.equal(dry.job_status, 'succeeded');
      assert.deepEqual(new Map(dry.report?.deleted.map((d) => [d.digest, d.size])), expected, 'the dry run names exactly the unshared blobs');
      for (const digest of expected.keys()) assert.ok(await onDisk(digest), 'a dry run deletes nothing');

      const real = await gc(false);
      assert.equal(real.job_status, 'succeeded');
      assert.deepEqual(real.report?.errors, []);
      assert.equal(real.report?.blobsDeleted, expected.size);
      assert.equal(real.report?.bytesFreed, [...expected.values()].reduce((a, b) => a + b, 0));
      for (const digest of expected.keys()) assert.equal(await onDisk(digest), false, `${digest} was freed`);
      assert.ok(await onDisk(shared), 'the shared base layer stays');
      for (const name of ['v3', 'v4', 'keep-1']) {
        const img = images[name] as TestImage;
        for (const blob of [img.config, ...img.layers]) {
          let size = 0;
          for await (const chunk of await app.openBlob(blob.descriptor.digest)) size += (chunk as Buffer).byteLength;
          assert.equal(size, blob.bytes.byteLength, `${name} is still whole`);
        }
      }
      const again = await gc(false);
      assert.equal(again.report?.blobsDeleted, 0, 'a second run finds nothing');
      const log = await admin.ok<{ resource: string; operation: string; username: string }[]>('GET', '/audit-logs?project=retained&operation=delete&page_size=100');
      assert.ok(log.filter((e) => e.username === 'retention').length >= 3, 'retention deletes are audited');
    });

    it('runs on its schedule, once per due time', async () => {
      await admin.ok('PUT', `/retentions/${policyId}`, { ...POLICY, trigger: { kind: 'Schedule', settings: { cron: '* * * * * *' } } });
      const scheduled = await until(
        () => admin.ok<{ id: number; trigger: string; status: string }[]>('GET', `/retentions/${policyId}/executions`),
        (list) => list.some((e) => e.trigger === 'SCHEDULE' && e.status === 'Success'),
      );
      await admin.ok('PUT', `/retentions/${policyId}`, POLICY);
      assert.ok(scheduled.filter((e) => e.trigger === 'SCHEDULE').length >= 1);
      await sleep(1200); // a run enqueued just before the change may still finish
      const count = (await admin.ok<unknown[]>('GET', `/retentions/${policyId}/executions`)).length;
      await sleep(2100);
      assert.equal((await admin.ok<unknown[]>('GET', `/retentions/${policyId}/executions`)).length, count, 'without a trigger the schedule is gone');
    });
  });
}
