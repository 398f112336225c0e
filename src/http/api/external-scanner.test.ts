import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fixedCredentials } from '../../core/oci/client/credentials.ts';
import { createRegistryClient, type RegistryClient } from '../../core/oci/client/registry-client.ts';
import { MediaType } from '../../core/oci/media-types.ts';
import { importOsv } from '../../scan/index.ts';
import { apiCaller } from '../../testing/management-api.ts';
import { registryHttp } from '../../testing/registry-http.ts';
import { startSlipway, type TestSlipway } from '../../testing/slipway-server.ts';
import { buildImage, pushToRegistry } from '../../testing/test-images.ts';
import { sharedData } from '../../testing/shared-data.ts';

const OSV_NPM = sharedData('osv/npm/');
const ADAPTER_KEY = 'external-adapter-key-1';

/**
 * Slipway scanning through an external Harbor Pluggable Scanner adapter instead of its own: here
 * the adapter is a second Slipway (which is what a real Harbor would talk to as well). The
 * adapter pulls the image back from the first server with the scanner's token, which passes the
 * pull gate of a project that blocks unscanned images.
 */
describe('scanning with an external scanner adapter', () => {
  let adapter: TestSlipway | undefined;
  let server: TestSlipway | undefined;
  let client: RegistryClient | undefined;

  before(async () => {
    adapter = await startSlipway({ projects: [], config: { scannerAdapter: { enabled: true, apiKey: ADAPTER_KEY } } });
    await importOsv(adapter.app.database, OSV_NPM);
    server = await startSlipway({ projects: [], config: { externalScanner: { url: adapter.url, auth: { kind: 'APIKey', credential: ADAPTER_KEY } } } });
    client = createRegistryClient({ insecure: true, credentials: fixedCredentials({ kind: 'basic', username: 'admin', password: server.adminPassword }) });
  });
  // Whatever started is stopped, even when the setup failed half-way (else the file never exits).
  after(async () => {
    client?.close();
    await Promise.all([server?.stop(), adapter?.stop()]);
  });

  it('stores the adapter’s findings and gates pulls on them', async () => {
    assert.ok(server !== undefined && adapter !== undefined && client !== undefined);
    const admin = apiCaller(server.url, { username: 'admin', password: server.adminPassword });
    await admin.ok('POST', '/projects', { project_name: 'outsourced', metadata: { auto_scan: 'true', prevent_vul: 'true', severity: 'critical' } });
    const image = buildImage({ seed: 'external', files: [{ 'etc/os-release': 'ID=debian\nVERSION_ID="12"\n', 'srv/node_modules/minimist/package.json': JSON.stringify({ name: 'minimist', version: '1.2.0' }) }] });
    await pushToRegistry(client.repository(server.host, 'outsourced/app'), [image.config, ...image.layers], image.manifest, 'v1');
    const digest = image.manifest.descriptor.digest;
    let report: { scan_status?: string; severity?: string; findings?: { id: string }[] } = {};
    for (let i = 0; i < 300 && report.scan_status !== 'Success' && report.scan_status !== 'Error'; i++) {
      await sleep(100);
      report = (await admin.call('GET', `/projects/outsourced/repositories/app/artifacts/${digest}/additions/vulnerabilities`)).body as typeof report;
    }
    assert.equal(report.scan_status, 'Success', JSON.stringify(report));
    assert.equal(report.severity, 'Critical');
    assert.ok(report.findings?.some((f) => f.id === 'CVE-2021-44906'));
    const http = registryHttp(server.url).withToken(await registryHttp(server.url).login('admin', server.adminPassword, ['repository:outsourced/app:pull']));
    const pull = await http.request('GET', '/v2/outsourced/app/manifests/v1', { headers: { accept: MediaType.ociManifest } });
    assert.equal(pull.status, 412);
    assert.match(pull.body.toString(), /CVE-2021-44906/);
  });
});
