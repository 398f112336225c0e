import assert from 'node:assert/strict';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fixedCredentials } from '../../core/oci/client/credentials.ts';
import { createRegistryClient, type RegistryClient } from '../../core/oci/client/registry-client.ts';
import { MediaType } from '../../core/oci/media-types.ts';
import { AdapterError, AdapterMediaType, createAdapterScanner } from '../../scan/index.ts';
import { importOsv } from '../../scan/index.ts';
import { registryHttp } from '../../testing/registry-http.ts';
import { startSlipway, type TestSlipway } from '../../testing/slipway-server.ts';
import { buildImage, pushToRegistry } from '../../testing/test-images.ts';
import { SLIPWAY_VERSION } from '../../version.ts';
import { sharedData } from '../../testing/shared-data.ts';

const OSV_NPM = sharedData('osv/npm/');
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** node_modules with minimist 1.2.0: CVE-2021-44906, Critical, fixed in 1.2.6. */
const image = buildImage({
  seed: 'adapter',
  mediaType: 'docker',
  files: [
    { 'etc/os-release': 'ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n' },
    { 'app/node_modules/minimist/package.json': JSON.stringify({ name: 'minimist', version: '1.2.0', license: 'MIT' }) },
  ],
});
const digest = image.manifest.descriptor.digest;

/** A registry that holds every request until released, then answers 404: a scan that is slow, then fails. */
function heldRegistry(): { server: Server; url: () => string; release: () => void } {
  const held: ServerResponse[] = [];
  let released = false;
  const answer = (res: ServerResponse) => res.writeHead(404, { 'content-type': 'application/json' }).end('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"gone"}]}');
  const server = createServer((_req, res) => (released ? answer(res) : held.push(res)));
  return {
    server,
    url: () => `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    release() {
      released = true;
      held.splice(0).forEach(answer);
    },
  };
}

describe('Harbor scanner adapter (Pluggable Scanner API v1.2)', () => {
  let server: TestSlipway;
  let client: RegistryClient;
  const held = heldRegistry();
  const adapter = (path: string, init: RequestInit = {}) => fetch(`${server.url}/api/v1${path}`, { redirect: 'manual', ...init });
  const post = (body: unknown, contentType: string = AdapterMediaType.scanRequestV10) =>
    adapter('/scan', { method: 'POST', headers: { 'content-type': contentType }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const scanRequest = (extra: Record<string, unknown> = {}) => ({
    registry: { url: server.url, authorization: basic('admin', server.adminPassword) },
    artifact: { repository: 'team/web', digest, mime_type: MediaType.dockerManifest },
    ...extra,
  });

  before(async () => {
    await new Promise<void>((resolve) => held.server.listen(0, '127.0.0.1', resolve));
    server = await startSlipway({ projects: [{ name: 'team', public: false }], config: { scannerAdapter: { enabled: true, apiKey: undefined } } });
    client = createRegistryClient({ insecure: true, credentials: fixedCredentials({ kind: 'basic', username: 'admin', password: server.adminPassword }) });
    await importOsv(server.app.database, OSV_NPM);
    await pushToRegistry(client.repository(server.host, 'team/web'), [image.config, ...image.layers], image.manifest, '1.0.0');
  });
  after(async () => {
    held.release();
    held.server.close();
    client.close();
    await server.stop();
  });

  it('serves its metadata with the exact media types Harbor compares', async () => {
    const response = await adapter('/metadata', { headers: { accept: AdapterMediaType.metadataV10 } });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'application/vnd.scanner.adapter.metadata+json; version=1.1');
    const metadata = (await response.json()) as { scanner: unknown; capabilities: { type: string; consumes_mime_types: string[]; produces_mime_types: string[]; additional_attributes?: unknown }[]; properties: Record<string, string> };
    assert.deepEqual(metadata.scanner, { name: 'Slipway', vendor: 'Slipway', version: SLIPWAY_VERSION });
    const [vulnerability, sbom] = metadata.capabilities;
    assert.deepEqual(vulnerability?.consumes_mime_types, ['application/vnd.oci.image.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v2+json']);
    assert.deepEqual(vulnerability?.produces_mime_types, ['application/vnd.security.vulnerability.report; version=1.1', 'application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0']);
    assert.deepEqual(sbom?.produces_mime_types, ['application/vnd.security.sbom.report+json; version=1.0']);
    assert.deepEqual(sbom?.additional_attributes, { sbom_media_types: ['application/spdx+json', 'application/vnd.cyclonedx+json'] });
    assert.equal(metadata.properties['harbor.scanner-adapter/scanner-type'], 'os-package-vulnerability');
    assert.equal(metadata.properties['harbor.scanner-adapter/registry-authorization-type'], 'Bearer');
    assert.match(metadata.properties['harbor.scanner-adapter/vulnerability-database-updated-at'] ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const checked = await createAdapterScanner({ url: server.url }).metadata();
    assert.equal(checked.scanner.name, 'Slipway', 'the client accepts it under Harbor’s health rule');
  });

  it('scans an image of its own registry for a client that passes a registry token, polling as Harbor does', async () => {
    const token = await registryHttp(server.url).login('admin', server.adminPassword, ['repository:team/web:pull']);
    const waits: number[] = [];
    const scanner = createAdapterScanner({
      url: server.url,
      sleep: async (ms) => {
        waits.push(ms);
        await sleep(20);
      },
    });
    const result = await scanner.scan({ registryUrl: server.url, authorization: `Bearer ${token}`, repository: 'team/web', digest, mimeType: MediaType.dockerManifest });
    assert.equal(result.severity, 'Critical');
    assert.deepEqual(result.scanner.name, 'Slipway');
    const minimist = result.findings.find((f) => f.id === 'CVE-2021-44906');
    assert.deepEqual([minimist?.package.name, minimist?.package.version, minimist?.severity, minimist?.fixedVersions], ['minimist', '1.2.0', 'Critical', ['1.2.6']]);
    assert.ok(waits.every((ms) => ms === 2000), `every wait is the server's Refresh-After: ${waits.join(', ')}`);
  });

  it('answers every report type under its Accept, for a scan with Basic registry credentials', async () => {
    const accepted = await post(scanRequest({ artifact: { repository: 'team/web', digest, tag: '1.0.0', mime_type: MediaType.dockerManifest } }), AdapterMediaType.scanRequest);
    assert.equal(accepted.status, 202);
    assert.equal(accepted.headers.get('content-type'), 'application/vnd.scanner.adapter.scan.response+json; version=1.0');
    const { id } = (await accepted.json()) as { id: string };
    assert.match(id, /^\d+-[0-9a-f-]{36}$/);
    const report = (accept?: string, query = '') => adapter(`/scan/${id}/report${query}`, accept === undefined ? {} : { headers: { accept } });
    for (let i = 0; i < 200 && (await report()).status === 302; i++) await sleep(20);

    for (const [accept, type] of [
      [undefined, AdapterMediaType.genericReport],
      ['*/*', AdapterMediaType.genericReport],
      [AdapterMediaType.genericReport, AdapterMediaType.genericReport],
      [AdapterMediaType.nativeReport, AdapterMediaType.nativeReport],
    ] as const) {
      const response = await report(accept);
      assert.equal(response.status, 200, `Accept ${accept}`);
      assert.equal(response.headers.get('content-type'), type);
      const body = (await response.json()) as { severity: string; artifact: unknown; vulnerabilities: { id: string }[] };
      assert.equal(body.severity, 'Critical');
      assert.deepEqual(body.artifact, { repository: 'team/web', digest, tag: '1.0.0', mime_type: MediaType.dockerManifest }, 'the request’s artifact, its tag included');
      assert.ok(body.vulnerabilities.some((v) => v.id === 'CVE-2021-44906'));
    }
    const spdx = await report(AdapterMediaType.sbomReport, '?sbom_media_type=application%2Fspdx%2Bjson');
    assert.equal(spdx.status, 200);
    assert.equal(spdx.headers.get('content-type'), 'application/vnd.security.sbom.report+json; version=1.0');
    const spdxBody = (await spdx.json()) as { media_type: string; sbom: { spdxVersion: string }; scanner: { name: string } };
    assert.deepEqual([spdxBody.media_type, spdxBody.sbom.spdxVersion, spdxBody.scanner.name], ['application/spdx+json', 'SPDX-2.3', 'Slipway']);
    const cdx = (await (await report(AdapterMediaType.sbomReport, '?sbom_media_type=application/vnd.cyclonedx+json')).json()) as { media_type: string; sbom: { bomFormat: string } };
    assert.deepEqual([cdx.media_type, cdx.sbom.bomFormat], ['application/vnd.cyclonedx+json', 'CycloneDX']);

    const noSbomType = await report(AdapterMediaType.sbomReport);
    assert.equal(noSbomType.status, 400);
    assert.equal(noSbomType.headers.get('content-type'), 'application/vnd.scanner.adapter.error+json; version=1.0');
    assert.match(((await noSbomType.json()) as { error: { message: string } }).error.message, /sbom_media_type/);
    assert.equal((await report('text/html')).status, 501, 'no capability to produce that type');
    assert.equal((await adapter('/scan/00000000-0000-0000-0000-000000000000/report', { headers: { accept: 'text/html' } })).status, 404, 'an unknown id first');
  });

  it('answers 302 with Refresh-After while the scan runs, then 500 with the reason it failed', async () => {
    const accepted = await post(scanRequest({ registry: { url: held.url(), authorization: 'Bearer some-token' } }));
    assert.equal(accepted.status, 202);
    const { id } = (await accepted.json()) as { id: string };
    const pending = await adapter(`/scan/${id}/report`, { headers: { accept: AdapterMediaType.genericReport } });
    assert.equal(pending.status, 302);
    assert.equal(pending.headers.get('refresh-after'), '2');
    assert.equal(pending.headers.get('location'), null, 'nothing for a redirect-following client to loop on');
    held.release();
    let failed = pending;
    for (let i = 0; i < 200 && failed.status === 302; i++) {
      await sleep(20);
      failed = await adapter(`/scan/${id}/report`);
    }
    assert.equal(failed.status, 500);
    assert.equal(failed.headers.get('content-type'), AdapterMediaType.error);
    assert.match(((await failed.json()) as { error: { message: string } }).error.message, /scan failed: .*no such image/);
    const scanner = createAdapterScanner({ url: server.url, sleep: () => sleep(20) });
    await assert.rejects(
      scanner.scan({ registryUrl: held.url(), repository: 'team/web', digest, mimeType: MediaType.dockerManifest }),
      (error: unknown) => error instanceof AdapterError && error.code === 'SCAN_FAILED',
    );
  });

  it('refuses bad requests with the spec’s statuses: 400 not JSON or wrong JSON types, 422 invalid fields, 501 no capability, 415 wrong type, 404 unknown id', async () => {
    assert.equal((await post('{"registry":')).status, 400);
    assert.equal((await post(scanRequest(), 'text/plain')).status, 415);
    const invalid: readonly [string, number, unknown][] = [
      ['registry.url not a string', 400, scanRequest({ registry: { url: 5 } })],
      ['enabled_capabilities not an array', 400, scanRequest({ enabled_capabilities: { type: 'vulnerability' } })],
      ['no registry.url', 422, scanRequest({ registry: { authorization: '' } })],
      ['registry.url not http', 422, scanRequest({ registry: { url: 'ftp://registry.example' } })],
      ['no artifact.repository', 422, scanRequest({ artifact: { digest } })],
      ['no artifact.digest', 422, scanRequest({ artifact: { repository: 'team/web' } })],
      ['bad digest', 422, scanRequest({ artifact: { repository: 'team/web', digest: 'sha256:xyz' } })],
      ['capability without type', 422, scanRequest({ enabled_capabilities: [{ produces_mime_types: [AdapterMediaType.genericReport] }] })],
      ['unknown capability', 422, scanRequest({ enabled_capabilities: [{ type: 'malware', produces_mime_types: [] }] })],
      ['sbom without media types', 422, scanRequest({ enabled_capabilities: [{ type: 'sbom', produces_mime_types: [AdapterMediaType.sbomReport], parameters: null }] })],
      ['authorization scheme', 422, scanRequest({ registry: { url: 'https://registry.example', authorization: 'Digest abc' } })],
      ['unsupported sbom media type', 501, scanRequest({ enabled_capabilities: [{ type: 'sbom', produces_mime_types: [AdapterMediaType.sbomReport], parameters: { sbom_media_types: ['text/plain'] } }] })],
      ['report type not produced', 501, scanRequest({ enabled_capabilities: [{ type: 'vulnerability', produces_mime_types: [AdapterMediaType.rawReport] }] })],
      ['artifact type not scanned', 501, scanRequest({ artifact: { repository: 'team/web', digest, mime_type: 'application/vnd.oci.image.index.v1+json' } })],
    ];
    for (const [why, status, body] of invalid) {
      const response = await post(body);
      assert.equal(response.status, status, why);
      assert.equal(response.headers.get('content-type'), AdapterMediaType.error, why);
      assert.equal(typeof ((await response.json()) as { error: { message: string } }).error.message, 'string');
    }
    const sbom = await post(scanRequest({ enabled_capabilities: [{ type: 'sbom', produces_mime_types: [AdapterMediaType.sbomReport], parameters: { sbom_media_types: ['application/spdx+json'] } }] }));
    assert.equal(sbom.status, 202, 'what Harbor sends for an SBOM');
    assert.equal((await post(scanRequest({ enabled_capabilities: [{ type: 'vulnerability' }] }))).status, 202, 'produces_mime_types is optional');
    const unknown = await adapter('/scan/00000000-0000-0000-0000-000000000000/report');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.headers.get('content-type'), AdapterMediaType.error);
    assert.equal((await adapter('/metadata', { method: 'DELETE' })).status, 405);
  });
});

describe('Harbor scanner adapter: configuration', () => {
  it('requires the configured API key (as Harbor sends it for APIKey, Bearer and Basic registrations), and is not served unless enabled', async () => {
    const keyed = await startSlipway({ projects: [], config: { scannerAdapter: { enabled: true, apiKey: 'adapter-key-1' } } });
    const plain = await startSlipway({ projects: [] });
    try {
      const metadata = (headers: Record<string, string>) => fetch(`${keyed.url}/api/v1/metadata`, { headers });
      const refused = await metadata({});
      assert.equal(refused.status, 401);
      assert.equal(refused.headers.get('content-type'), AdapterMediaType.error);
      assert.equal((await metadata({ 'x-scanneradapter-api-key': 'wrong' })).status, 401);
      assert.equal((await metadata({ 'x-scanneradapter-api-key': 'adapter-key-1' })).status, 200);
      assert.equal((await metadata({ authorization: 'Bearer adapter-key-1' })).status, 200);
      const asBasic = (user: string, password: string) => ({ authorization: basic(user, password) });
      assert.equal((await metadata(asBasic('harbor', 'adapter-key-1'))).status, 200, 'Basic: any user, the key as the password');
      assert.equal((await metadata(asBasic('adapter-key-1', ''))).status, 401, 'the key as the user name is not the key');
      assert.equal((await metadata(asBasic('harbor', 'wrong'))).status, 401);
      assert.equal((await metadata({ authorization: 'Bearer wrong' })).status, 401);
      for (const [kind, credential] of [['APIKey', 'adapter-key-1'], ['Bearer', 'adapter-key-1'], ['Basic', 'harbor:adapter-key-1']] as const) {
        assert.equal((await createAdapterScanner({ url: keyed.url, auth: { kind, credential } }).metadata()).scanner.name, 'Slipway');
      }
      await assert.rejects(createAdapterScanner({ url: keyed.url }).metadata(), (error: unknown) => error instanceof AdapterError && error.code === 'UNAUTHORIZED');
      assert.equal((await fetch(`${plain.url}/api/v1/metadata`)).status, 404, 'disabled by default outside the demo');
    } finally {
      await keyed.stop();
      await plain.stop();
    }
  });
});

describe('Harbor scanner adapter: two nodes sharing PostgreSQL and the blob store', () => {
  it('scans a request posted to one node and answers its report on the other', async () => {
    const first = await startSlipway({ database: 'postgres', projects: [{ name: 'team', public: false }], config: { scannerAdapter: { enabled: true, apiKey: undefined } } });
    const second = await startSlipway({ projects: [], config: { database: first.database, storage: { kind: 'filesystem', root: first.blobRoot }, scannerAdapter: { enabled: true, apiKey: undefined } } });
    const client = createRegistryClient({ insecure: true, credentials: fixedCredentials({ kind: 'basic', username: 'admin', password: first.adminPassword }) });
    try {
      await importOsv(first.app.database, OSV_NPM);
      await pushToRegistry(client.repository(first.host, 'team/web'), [image.config, ...image.layers], image.manifest, '1.0.0');
      const accepted = await fetch(`${first.url}/api/v1/scan`, {
        method: 'POST',
        headers: { 'content-type': AdapterMediaType.scanRequest },
        body: JSON.stringify({ registry: { url: first.url, authorization: basic('admin', first.adminPassword) }, artifact: { repository: 'team/web', digest, mime_type: MediaType.dockerManifest } }),
      });
      assert.equal(accepted.status, 202);
      const { id } = (await accepted.json()) as { id: string };
      let report = await fetch(`${second.url}/api/v1/scan/${id}/report`, { redirect: 'manual' });
      for (let i = 0; i < 300 && report.status === 302; i++) {
        await sleep(20);
        report = await fetch(`${second.url}/api/v1/scan/${id}/report`, { redirect: 'manual' });
      }
      assert.equal(report.status, 200, 'the other node knows the request and its result');
      const body = (await report.json()) as { severity: string; vulnerabilities: { id: string }[] };
      assert.equal(body.severity, 'Critical');
      assert.ok(body.vulnerabilities.some((v) => v.id === 'CVE-2021-44906'));
    } finally {
      client.close();
      await second.stop();
      await first.stop();
    }
  });
});
