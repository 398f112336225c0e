import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { text } from 'node:stream/consumers';
import { verifyWebhookSignature } from '../../core/events/webhook-delivery.ts';
import { fixedCredentials } from '../../core/oci/client/credentials.ts';
import { createRegistryClient, type RegistryClient } from '../../core/oci/client/registry-client.ts';
import { databaseKinds } from '../../testing/databases.ts';
import { listenLocal } from '../../testing/local-server.ts';
import { apiCaller, type ApiCaller } from '../../testing/management-api.ts';
import { startSlipway, type TestSlipway } from '../../testing/slipway-server.ts';
import { buildImage, pushToRegistry } from '../../testing/test-images.ts';
import { importOsv } from '../../scan/index.ts';
import { sharedData } from '../../testing/shared-data.ts';

interface Received {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly answered: number;
}

const SECRET = 'webhook-secret-0123456789';

/**
 * Webhooks end to end: a push produces Harbor's PUSH_ARTIFACT in the Default and CloudEvents
 * forms, signed with an HMAC the receiver verifies, delivered from durable jobs that retry after
 * the receiver fails. Project and system-wide policies; both databases.
 */
for (const kind of databaseKinds) {
  describe(`webhooks (${kind})`, () => {
    let server: TestSlipway;
    let admin: ApiCaller;
    let client: RegistryClient;
    let receiver: Server;
    let receiverHost: string;
    const received: Received[] = [];
    let failuresLeft = 1;

    before(async () => {
      receiver = createServer((req, res) => {
        void text(req).then((body) => {
          // The first delivery to /default fails: the job must retry it.
          const fail = req.url === '/default' && failuresLeft > 0;
          if (fail) failuresLeft -= 1;
          const answered = fail ? 500 : 204;
          received.push({ path: req.url ?? '', headers: req.headers, body, answered });
          res.writeHead(answered).end(fail ? 'receiver down' : undefined);
        });
      });
      receiverHost = await listenLocal(receiver);
      server = await startSlipway({ database: kind, projects: [{ name: 'hooked', public: false }] });
      admin = apiCaller(server.url, { username: 'admin', password: server.adminPassword });
      client = createRegistryClient({ insecure: true, credentials: fixedCredentials({ kind: 'basic', username: 'admin', password: server.adminPassword }) });
    });
    after(async () => {
      client.close();
      receiver.close();
      await server.stop();
    });

    it('delivers PUSH_ARTIFACT in both formats, retries after the receiver fails, and the HMAC verifies', async () => {
      const policy = await admin.ok<{ id: number; targets: { secret?: string; auth_header?: string }[] }>('POST', '/projects/hooked/webhook/policies', {
        name: 'ci-notify',
        event_types: ['PUSH_ARTIFACT', 'DELETE_ARTIFACT'],
        targets: [
          { type: 'http', address: `http://${receiverHost}/default`, payload_format: 'Default', secret: SECRET, auth_header: 'Bearer receiver-token' },
          { type: 'http', address: `http://${receiverHost}/cloudevents?dropped=1`, payload_format: 'CloudEvents', secret: SECRET },
        ],
      });
      assert.equal(policy.targets[0]?.secret, '***', 'secrets are never shown back');
      assert.equal(policy.targets[0]?.auth_header, '***');
      await admin.ok('POST', '/system/webhook/policies', { name: 'audit-sink', event_types: ['PUSH_ARTIFACT'], targets: [{ type: 'http', address: `http://${receiverHost}/system`, payload_format: 'Default' }] });
      const project = await admin.ok<{ project_id: number }>('GET', '/projects/hooked');

      const image = buildImage({ seed: `hooks-${kind}` });
      await pushToRegistry(client.repository(server.host, 'hooked/api'), [image.config, ...image.layers], image.manifest, '1.4.2');
      const delivered = (path: string) => received.filter((r) => r.path === path && r.answered === 204);
      for (let i = 0; i < 200 && (delivered('/default').length === 0 || delivered('/cloudevents').length === 0 || delivered('/system').length === 0); i++) await sleep(50);

      const attempts = received.filter((r) => r.path === '/default');
      assert.deepEqual(attempts.map((r) => r.answered), [500, 204], 'one failure, then the retry succeeds');
      assert.equal(attempts[0]?.body, attempts[1]?.body, 'the retry sends the same event');
      const defaultDelivery = attempts[1];
      assert.ok(defaultDelivery !== undefined);
      assert.equal(defaultDelivery.headers['content-type'], 'application/json');
      assert.equal(defaultDelivery.headers['authorization'], 'Bearer receiver-token');
      const timestamp = String(defaultDelivery.headers['x-slipway-timestamp']);
      const signatureHeader = String(defaultDelivery.headers['x-slipway-signature-256']);
      assert.ok(verifyWebhookSignature(SECRET, timestamp, defaultDelivery.body, signatureHeader), 'the HMAC verifies');
      assert.equal(verifyWebhookSignature(SECRET, timestamp, defaultDelivery.body.replace('1.4.2', '1.4.3'), signatureHeader), false, 'a tampered body does not');
      assert.equal(verifyWebhookSignature('another-secret-000000', timestamp, defaultDelivery.body, signatureHeader), false, 'nor another secret');

      const payload = JSON.parse(defaultDelivery.body) as { type: string; operator: string; occur_at: number; event_data: { resources: { digest: string; tag: string; resource_url: string }[]; repository: Record<string, string> } };
      assert.equal(payload.type, 'PUSH_ARTIFACT');
      assert.equal(payload.operator, 'admin');
      assert.equal(typeof payload.occur_at, 'number');
      assert.deepEqual(payload.event_data.resources, [{ digest: image.manifest.descriptor.digest, tag: '1.4.2', resource_url: `localhost:${server.host.split(':')[1] ?? ''}/hooked/api:1.4.2` }]);
      assert.deepEqual(payload.event_data.repository, { name: 'api', namespace: 'hooked', repo_full_name: 'hooked/api', repo_type: 'private' });

      const cloud = delivered('/cloudevents')[0];
      assert.ok(cloud !== undefined, 'the query string was dropped from the address, as Harbor does');
      assert.equal(cloud.headers['content-type'], 'application/cloudevents+json');
      const event = JSON.parse(cloud.body) as Record<string, unknown>;
      assert.equal(event['specversion'], '1.0');
      assert.equal(event['type'], 'harbor.artifact.pushed');
      assert.equal(event['source'], `/projects/${project.project_id}/webhook/policies/${policy.id}`);
      assert.equal(event['datacontenttype'], 'application/json');
      assert.ok(verifyWebhookSignature(SECRET, String(cloud.headers['x-slipway-timestamp']), cloud.body, String(cloud.headers['x-slipway-signature-256'])));

      const system = delivered('/system')[0];
      assert.ok(system !== undefined, 'the system-wide policy hears every project');
      assert.equal(system.headers['x-slipway-signature-256'], undefined, 'no secret, no signature');
    });

    it("sends one PUSH_ARTIFACT per push: the scanner's SBOM and report that follow are audited, not announced", async () => {
      await importOsv(server.app.database, sharedData('osv/npm/'));
      await admin.ok('POST', '/projects', { project_name: 'scanned', metadata: { auto_scan: 'true' } });
      await admin.ok('POST', '/projects/scanned/webhook/policies', {
        name: 'pushes',
        event_types: ['PUSH_ARTIFACT', 'SCANNING_COMPLETED'],
        targets: [{ type: 'http', address: `http://${receiverHost}/scanned`, payload_format: 'Default' }],
      });
      const image = buildImage({ seed: `hooks-scanned-${kind}`, files: [{ 'app/node_modules/left-pad/package.json': JSON.stringify({ name: 'left-pad', version: '1.3.0' }) }] });
      await pushToRegistry(client.repository(server.host, 'scanned/api'), [image.config, ...image.layers], image.manifest, '1');
      const types = () => received.filter((r) => r.path === '/scanned').map((r) => (JSON.parse(r.body) as { type: string }).type);
      for (let i = 0; i < 200 && !types().includes('SCANNING_COMPLETED'); i++) await sleep(50);
      await sleep(200);
      assert.deepEqual(types().toSorted((a, b) => a.localeCompare(b)), ['PUSH_ARTIFACT', 'SCANNING_COMPLETED']);
      const scan = received.map((r) => JSON.parse(r.body) as { type: string; event_data: { resources: { tag: string }[] } }).find((e) => e.type === 'SCANNING_COMPLETED');
      assert.equal(scan?.event_data.resources[0]?.tag, '1', 'the scan event names the tag that was pushed');
      // Asked for (no push behind it), the scan's event names the image's tag too, not its digest.
      const seenBefore = received.length;
      assert.equal((await admin.call('POST', `/projects/scanned/repositories/api/artifacts/${image.manifest.descriptor.digest}/scan`)).status, 202);
      const asked = () => received.slice(seenBefore).map((r) => JSON.parse(r.body) as { type: string; event_data: { resources: { tag: string }[] } }).find((e) => e.type === 'SCANNING_COMPLETED');
      for (let i = 0; i < 200 && asked() === undefined; i++) await sleep(50);
      assert.equal(asked()?.event_data.resources[0]?.tag, '1');
      const referrers = await admin.ok<{ resource: string; username: string }[]>('GET', '/projects/scanned/audit-logs?page_size=100');
      assert.ok(referrers.some((e) => e.username === 'slipway-scanner'), 'the scanner’s own pushes are in the audit log');
    });
  });
}
