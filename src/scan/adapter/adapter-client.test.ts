import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { text } from 'node:stream/consumers';
import { createAdapterScanner, refreshAfterSeconds } from './adapter-client.ts';
import { AdapterError } from './adapter-error.ts';
import { AdapterMediaType } from './adapter-media-types.ts';

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

/** harbor-scanner-trivy's shapes: no Refresh-After, `fix_version` omitted when unfixed, a layer, preferred CVSS. */
const TRIVY_REPORT = {
  generated_at: '2025-01-10T11:40:28Z',
  artifact: { repository: 'team-a/api', digest: 'sha256:7215', mime_type: 'application/vnd.docker.distribution.manifest.v2+json' },
  scanner: { name: 'Trivy', vendor: 'Aqua Security', version: '0.58.1' },
  severity: 'High',
  vulnerabilities: [
    {
      id: 'CVE-2020-1967',
      package: 'libcrypto1.1',
      version: '1.1.1c-r0',
      fix_version: '1.1.1g-r0',
      severity: 'High',
      description: 'NULL pointer dereference',
      links: ['https://avd.aquasec.com/nvd/cve-2020-1967', 'https://github.com/advisories/GHSA-2x3p-9qm4-5hw7'],
      preferred_cvss: { score_v3: 7.5, vector_v3: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H', vector_v2: '' },
      layer: { digest: 'sha256:0503', diff_id: 'sha256:f1b5' },
      status: 'fixed',
    },
    { id: 'CVE-2024-0001', package: 'busybox', version: '1.31.1-r9', severity: 'Negligible', description: '', links: null, layer: null },
  ],
};

const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';

/** Answers GET /api/v1/metadata as an adapter whose vulnerability capability produces `produces`; the rest goes to `rest`. */
function adapter(produces: readonly string[], rest: Handler): Handler {
  return (req, res, body) => {
    if (req.method !== 'GET' || req.url !== '/api/v1/metadata') return rest(req, res, body);
    const capability = { consumes_mime_types: [DOCKER_MANIFEST], produces_mime_types: produces };
    res.writeHead(200, { 'content-type': AdapterMediaType.metadata }).end(JSON.stringify({ scanner: { name: 'Trivy', vendor: 'Aqua Security', version: '0.58.1' }, capabilities: [capability] }));
  };
}

describe('adapter client', () => {
  let server: Server;
  let url: string;
  let handler: Handler = (_req, res) => res.writeHead(500).end();

  before(async () => {
    server = createServer((req, res) => void text(req).then((body) => handler(req, res, body)));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  it('posts what Harbor posts, waits as Harbor reads Refresh-After, and reads the findings', async () => {
    const seen: { method: string; path: string; headers: IncomingMessage['headers']; body: string }[] = [];
    const polls = [{}, { 'refresh-after': '200' }, { 'refresh-after': '3' }];
    handler = adapter([AdapterMediaType.nativeReport, AdapterMediaType.genericReport], (req, res, body) => {
      seen.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body });
      if (req.method === 'POST') return void res.writeHead(202, { 'content-type': AdapterMediaType.scanResponse }).end('{"id":"job-1"}');
      const next = polls.shift();
      if (next !== undefined) return void res.writeHead(302, next).end();
      res.writeHead(200, { 'content-type': AdapterMediaType.genericReport }).end(JSON.stringify(TRIVY_REPORT));
    });
    const waits: number[] = [];
    const scanner = createAdapterScanner({ url, auth: { kind: 'APIKey', credential: 'k1' }, sleep: async (ms) => void waits.push(ms) });
    const result = await scanner.scan({ registryUrl: 'https://core.harbor', authorization: 'Bearer jwt', repository: 'team-a/api', digest: 'sha256:7215', mimeType: 'application/vnd.docker.distribution.manifest.v2+json' });

    assert.deepEqual(waits, [5000, 5000, 3000], 'missing ⇒ 5 s, over 127 ⇒ 5 s, else as given');
    const [submit, poll] = seen;
    assert.equal(submit?.path, '/api/v1/scan');
    assert.equal(submit?.headers['content-type'], 'application/vnd.scanner.adapter.scan.request+json; version=1.0');
    assert.equal(submit?.headers['x-scanneradapter-api-key'], 'k1');
    assert.deepEqual(JSON.parse(submit?.body ?? ''), {
      registry: { url: 'https://core.harbor', authorization: 'Bearer jwt' },
      artifact: { repository: 'team-a/api', digest: 'sha256:7215', mime_type: 'application/vnd.docker.distribution.manifest.v2+json' },
      enabled_capabilities: [{ type: 'vulnerability', produces_mime_types: [AdapterMediaType.genericReport], parameters: null }],
    });
    assert.equal(poll?.path, '/api/v1/scan/job-1/report');
    assert.equal(poll?.headers.accept, 'application/vnd.security.vulnerability.report; version=1.1');

    assert.equal(result.requestId, 'job-1');
    assert.deepEqual([result.severity, result.scanner.name], ['High', 'Trivy']);
    const [openssl, busybox] = result.findings;
    assert.deepEqual(openssl, {
      id: 'CVE-2020-1967',
      // The advisory pages it links to name its aliases, which Harbor's report does not list.
      aliases: ['CVE-2020-1967', 'GHSA-2x3p-9qm4-5hw7'],
      package: { name: 'libcrypto1.1', version: '1.1.1c-r0', layerDigest: 'sha256:0503', layerDiffId: 'sha256:f1b5' },
      severity: 'High',
      cvss: { score: 7.5, vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H' },
      fixedVersions: ['1.1.1g-r0'],
      summary: 'NULL pointer dereference',
      references: ['https://avd.aquasec.com/nvd/cve-2020-1967', 'https://github.com/advisories/GHSA-2x3p-9qm4-5hw7'],
    });
    assert.deepEqual([busybox?.severity, busybox?.fixedVersions, busybox?.references], ['Negligible', [], []]);
  });

  it('asks for the report type the adapter says it produces, and refuses one that produces none it reads', async () => {
    const accepts: string[] = [];
    const asked: unknown[] = [];
    let metadataCalls = 0;
    const native = adapter([AdapterMediaType.nativeReport], (req, res, body) => {
      if (req.method === 'POST') {
        asked.push((JSON.parse(body) as { enabled_capabilities: { produces_mime_types: unknown }[] }).enabled_capabilities[0]?.produces_mime_types);
        return void res.writeHead(202).end('{"id":"j"}');
      }
      accepts.push(req.headers.accept ?? '');
      res.writeHead(200, { 'content-type': AdapterMediaType.nativeReport }).end(JSON.stringify(TRIVY_REPORT));
    });
    handler = (req, res, body) => {
      if (req.url === '/api/v1/metadata') metadataCalls += 1;
      native(req, res, body);
    };
    const scanner = createAdapterScanner({ url, sleep: async () => {} });
    const target = { registryUrl: 'x', repository: 'a/b', digest: 'sha256:1', mimeType: DOCKER_MANIFEST };
    assert.equal((await scanner.scan(target)).findings.length, 2);
    await scanner.scan(target);
    assert.deepEqual(accepts, [AdapterMediaType.nativeReport, AdapterMediaType.nativeReport], 'a native-only adapter is asked for its native report');
    assert.deepEqual(asked, [[AdapterMediaType.nativeReport], [AdapterMediaType.nativeReport]]);
    assert.equal(metadataCalls, 1, 'the metadata is asked once, not per scan');

    handler = adapter(['application/vnd.security.sbom.report+json; version=1.0', 'application/x-other'], (_req, res) => res.writeHead(500).end());
    await assert.rejects(createAdapterScanner({ url }).scan(target), (e: unknown) => e instanceof AdapterError && e.code === 'UNHEALTHY' && /no vulnerability capability produces/.test(e.message));
  });

  it('gives up on a report that never comes, after the scan timeout', async () => {
    let polls = 0;
    handler = adapter([AdapterMediaType.genericReport], (req, res) => {
      if (req.method === 'POST') return void res.writeHead(202).end('{"id":"slow"}');
      polls += 1;
      res.writeHead(302, { 'refresh-after': '1' }).end();
    });
    let now = Date.now();
    const scanner = createAdapterScanner({ url, scanTimeoutMs: 5000, sleep: async (ms) => void (now += ms) });
    const realNow = Date.now;
    Date.now = () => now;
    try {
      await assert.rejects(scanner.scan({ registryUrl: 'x', repository: 'a/b', digest: 'sha256:1', mimeType: DOCKER_MANIFEST }), (e: unknown) => e instanceof AdapterError && e.code === 'TIMEOUT' && /slow: no report within 5 s/.test(e.message));
    } finally {
      Date.now = realNow;
    }
    assert.equal(polls, 6, 'polled every second for the 5 s allowed');
  });

  it('reads Refresh-After as Harbor does', () => {
    assert.deepEqual(['7', '0', '127', '128', '-1', '1.5', 'soon', null].map(refreshAfterSeconds), [7, 0, 127, 5, 5, 5, 5, 5]);
  });

  it('turns adapter errors into AdapterError codes', async () => {
    handler = adapter([AdapterMediaType.genericReport], (req, res) => {
      if (req.method === 'POST') return void res.writeHead(422, { 'content-type': AdapterMediaType.error }).end('{"error":{"message":"invalid registry_url"}}');
      res.writeHead(500).end();
    });
    const scanner = createAdapterScanner({ url, sleep: async () => {}, reportMimeType: AdapterMediaType.genericReport });
    const target = { registryUrl: 'x', repository: 'a/b', digest: 'sha256:1', mimeType: 'm' };
    await assert.rejects(scanner.scan(target), (e: unknown) => e instanceof AdapterError && e.code === 'REJECTED' && e.status === 422 && /invalid registry_url/.test(e.message));
    handler = (req, res) => (req.method === 'POST' ? res.writeHead(202).end('{"id":"j"}') : res.writeHead(500).end('{"error":{"message":"boom"}}'));
    await assert.rejects(scanner.scan(target), (e: unknown) => e instanceof AdapterError && e.code === 'SCAN_FAILED' && /boom/.test(e.message));
    handler = (req, res) => (req.method === 'POST' ? res.writeHead(202).end('{"id":"j"}') : res.writeHead(404).end());
    await assert.rejects(scanner.scan(target), (e: unknown) => e instanceof AdapterError && e.code === 'NOT_FOUND');
  });

  it('applies Harbor’s health rule to the metadata', async () => {
    const capability = { consumes_mime_types: ['application/vnd.oci.image.manifest.v1+json'], produces_mime_types: [AdapterMediaType.genericReport] };
    handler = (_req, res) => res.writeHead(200).end(JSON.stringify({ scanner: { name: 'X', vendor: 'Y', version: '1' }, capabilities: [capability], properties: {} }));
    await assert.rejects(createAdapterScanner({ url }).metadata(), (e: unknown) => e instanceof AdapterError && e.code === 'UNHEALTHY' && /docker\.distribution/.test(e.message));
  });

  it('times out a silent adapter, and stops polling when the caller aborts', async () => {
    handler = () => {};
    await assert.rejects(createAdapterScanner({ url, timeoutMs: 100 }).metadata(), (e: unknown) => e instanceof AdapterError && e.code === 'TIMEOUT');
    handler = adapter([AdapterMediaType.genericReport], (req, res) => (req.method === 'POST' ? res.writeHead(202).end('{"id":"j"}') : res.writeHead(302).end()));
    const controller = new AbortController();
    const scanning = createAdapterScanner({ url }).scan({ registryUrl: 'x', repository: 'a/b', digest: 'sha256:1', mimeType: 'm' }, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('stopped')), 50);
    await assert.rejects(scanning, /stopped/);
  });
});
