import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fixedCredentials } from '../../core/oci/client/credentials.ts';
import { createRegistryClient, type RegistryClient } from '../../core/oci/client/registry-client.ts';
import { MediaType } from '../../core/oci/media-types.ts';
import { importOsv, parseOpenVex } from '../../scan/index.ts';
import { databaseKinds } from '../../testing/databases.ts';
import { apiCaller, type ApiCaller } from '../../testing/management-api.ts';
import { registryHttp } from '../../testing/registry-http.ts';
import { startSlipway, type TestSlipway } from '../../testing/slipway-server.ts';
import { buildImage, pushToRegistry } from '../../testing/test-images.ts';
import { sharedData } from '../../testing/shared-data.ts';

const OSV_NPM = sharedData('osv/npm/');
const OSV_ALPINE = sharedData('osv/Alpine/');
const ALPINE_DB = sharedData('pkgdb/alpine/v3.18-osv-scalibr/lib/apk/db/installed');
type Errors = { errors: { code: string; message: string }[] };

/** An image whose node_modules hold minimist 1.2.0 (CVE-2021-44906, Critical) and lodash 4.17.15 (High at most). */
const vulnerableImage = (seed: string) =>
  buildImage({
    seed,
    files: [
      { 'etc/os-release': 'ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n' },
      {
        'app/package.json': JSON.stringify({ name: 'app', version: '1.0.0' }),
        'app/node_modules/minimist/package.json': JSON.stringify({ name: 'minimist', version: '1.2.0', license: 'MIT' }),
        'app/node_modules/lodash/package.json': JSON.stringify({ name: 'lodash', version: '4.17.15', license: 'MIT' }),
      },
    ],
  });

/**
 * The scan gate end to end: push into a project that scans on push with threshold Critical; the
 * pull is refused naming the CVE; an exception with expiry lets it through; after the expiry it
 * is refused again. Both databases, real OSV data, durable scan jobs.
 */
for (const kind of databaseKinds) {
  describe(`scan on push and the vulnerability gate (${kind})`, () => {
    let server: TestSlipway;
    let admin: ApiCaller;
    let client: RegistryClient;

    before(async () => {
      server = await startSlipway({ database: kind, projects: [] });
      admin = apiCaller(server.url, { username: 'admin', password: server.adminPassword });
      client = createRegistryClient({ insecure: true, credentials: fixedCredentials({ kind: 'basic', username: 'admin', password: server.adminPassword }) });
      await importOsv(server.app.database, OSV_NPM);
      await admin.ok('POST', '/projects', { project_name: 'guarded', metadata: { auto_scan: 'true', prevent_vul: 'true', severity: 'critical' } });
    });
    after(async () => {
      client.close();
      await server.stop();
    });

    it('refuses the pull of a Critical image with the CVE id, allows it under an exception until the exception expires', async () => {
      const image = vulnerableImage(`gate-${kind}`);
      await pushToRegistry(client.repository(server.host, 'guarded/web'), [image.config, ...image.layers], image.manifest, '1.0.0');
      const digest = image.manifest.descriptor.digest;
      let report: { scan_status: string; severity: string; findings: { id: string; severity: string; package: string; fixed: string[] }[] } | undefined;
      for (let i = 0; i < 200; i++) {
        const response = await admin.call('GET', `/projects/guarded/repositories/web/artifacts/${digest}/additions/vulnerabilities`);
        report = response.body as typeof report;
        if (response.status === 200 && report?.scan_status !== 'Pending' && report?.scan_status !== 'Running') break;
        await sleep(50);
      }
      assert.equal(report?.scan_status, 'Success');
      assert.equal(report?.severity, 'Critical');
      const minimist = report?.findings.find((f) => f.id === 'CVE-2021-44906');
      assert.deepEqual([minimist?.package, minimist?.severity, minimist?.fixed], ['minimist', 'Critical', ['1.2.6']]);
      assert.ok(report?.findings.some((f) => f.id === 'CVE-2020-8203' && f.package === 'lodash'), 'lodash 4.17.15 is reported too');

      const http = registryHttp(server.url).withToken(await registryHttp(server.url).login('admin', server.adminPassword, ['repository:guarded/web:pull']));
      const pull = () => http.request('GET', '/v2/guarded/web/manifests/1.0.0', { headers: { accept: MediaType.ociManifest } });
      const refused = await pull();
      assert.equal(refused.status, 412);
      const error = refused.json<Errors>().errors[0];
      assert.equal(error?.code, 'PROJECTPOLICYVIOLATION');
      assert.match(error?.message ?? '', /^current image with \d+ vulnerabilities cannot be pulled due to configured policy in 'Prevent images with vulnerability severity of "Critical" or higher from running\.'.*CVE-2021-44906/);

      const expires = new Date(Date.now() + 1500).toISOString();
      const exception = await admin.call('POST', '/projects/guarded/scan-exceptions', { digest, vulnerability: 'CVE-2021-44906', justification: 'vulnerable_code_not_in_execute_path', expires_at: expires });
      assert.equal(exception.status, 201);
      assert.equal((await pull()).status, 200, 'under the exception the pull passes');
      const vex = parseOpenVex(await admin.ok('GET', '/projects/guarded/scan-exceptions?format=openvex'));
      assert.deepEqual(vex.statements.map((st) => [st.vulnerability.name, st.status, st.justification]), [['CVE-2021-44906', 'not_affected', 'vulnerable_code_not_in_execute_path']], 'exceptions export as OpenVEX');
      await sleep(1600);
      assert.equal((await pull()).status, 412, 'after the expiry it is refused again');

      const referrers = await http.request('GET', `/v2/guarded/web/referrers/${digest}`);
      const attached = referrers.json<{ manifests: { artifactType: string }[] }>().manifests.map((m) => m.artifactType).toSorted();
      assert.deepEqual(attached, ['application/spdx+json', 'application/vnd.slipway.vulnerability-report.v1+json'], 'the SBOM and the report travel with the image as referrers');

      const audit = await admin.ok<{ resource_type: string; operation: string; username: string }[]>('GET', '/projects/guarded/audit-logs?page_size=100');
      assert.ok(audit.some((e) => e.resource_type === 'scan' && e.operation === 'scan' && e.username === 'auto'), 'the scan is audited');
      assert.ok(audit.some((e) => e.resource_type === 'scan_exception' && e.operation === 'create' && e.username === 'admin'), 'the exception is audited with its author');
    });

    it('rescans everything after a vulnerability data import and lists the verdicts that changed', async () => {
      const alpine = buildImage({
        seed: `alpine-${kind}`,
        files: [{ 'etc/os-release': 'ID=alpine\nVERSION_ID=3.18.4\nPRETTY_NAME="Alpine Linux v3.18"\n', 'lib/apk/db/installed': await readFile(ALPINE_DB, 'utf8') }],
      });
      await pushToRegistry(client.repository(server.host, 'guarded/base'), [alpine.config, ...alpine.layers], alpine.manifest, '3.18');
      const digest = alpine.manifest.descriptor.digest;
      const reportOf = async () => (await admin.call('GET', `/projects/guarded/repositories/base/artifacts/${digest}/additions/vulnerabilities`)).body as { scan_status?: string; severity?: string };
      for (let i = 0; i < 200 && (await reportOf()).scan_status !== 'Success'; i++) await sleep(50);
      assert.equal((await reportOf()).severity, 'None', 'no Alpine data yet: clean');

      const { importId } = await importOsv(server.app.database, OSV_ALPINE);
      // What the per-minute schedule does: notice the new import and rescan once.
      await server.app.jobs.enqueue('vulndb-watch', {});
      let rescan: { result: { changed: { repository: string; digest: string; before: string; after: string }[]; trigger: string } | null } | undefined;
      for (let i = 0; i < 400 && (rescan?.result ?? null) === null; i++) {
        // The rescan for this import (the per-minute schedule may also have rescanned for an earlier one).
        const jobs = await server.app.jobs.list({ kind: 'rescan', status: 'succeeded' });
        const job = jobs.find((j) => (j.result as { trigger?: string } | null)?.trigger === `vulnerability data import ${importId}`);
        rescan = job === undefined ? undefined : { result: job.result as NonNullable<typeof rescan>['result'] };
        await sleep(50);
      }
      assert.match(rescan?.result?.trigger ?? '', /^vulnerability data import \d+$/);
      assert.deepEqual(
        rescan?.result?.changed.filter((c) => c.digest === digest),
        [{ repository: 'guarded/base', digest, before: 'Success/None', after: 'Success/Unknown' }],
        'musl 1.2.4-r0 is now known to be affected (ALPINE-CVE-2025-26519, no severity in the data)',
      );
      assert.equal(rescan?.result?.changed.some((c) => c.repository === 'guarded/web'), false, 'the npm image did not change');
    });
  });
}
