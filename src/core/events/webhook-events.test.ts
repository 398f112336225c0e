import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  cloudEventsPayload,
  cloudEventTypes,
  defaultPayload,
  encodeWebhookPayload,
  webhookEventTypes,
  type SlipwayEvent,
} from './webhook-events.ts';

const DIGEST = `sha256:${'954b37'.padEnd(64, '0')}`;

const push: SlipwayEvent = {
  type: 'PUSH_ARTIFACT',
  occurAt: Date.parse('2025-01-10T06:04:46.789Z'),
  operator: 'robot$team-a+ci',
  requestId: '51c0b694-0168-4f3c-b0db-282565455d7b',
  project: 'team-a',
  projectPublic: false,
  repository: 'team-a/api',
  digest: DIGEST,
  tags: ['1.4.2', 'latest'],
  externalHost: 'registry.example.com',
  repositoryCreatedAt: Date.parse('2025-01-01T00:00:00Z'),
};

describe('webhook payloads', () => {
  it('builds the Default payload of a push', () => {
    const expected = JSON.parse(`{
      "type": "PUSH_ARTIFACT", "occur_at": 1736489086, "operator": "robot$team-a+ci",
      "event_data": {
        "resources": [{"digest": "${DIGEST}", "tag": "1.4.2", "resource_url": "registry.example.com/team-a/api:1.4.2"}],
        "repository": {"date_created": 1735689600, "name": "api", "namespace": "team-a", "repo_full_name": "team-a/api", "repo_type": "private"}
      }}`) as unknown;
    assert.deepEqual(defaultPayload(push), expected);
  });

  it('builds the CloudEvents payload of a push', () => {
    const expected = JSON.parse(`{
      "specversion": "1.0", "id": "66e18103-09c1-41f6-982f-37df223f3eeb", "requestid": "51c0b694-0168-4f3c-b0db-282565455d7b",
      "source": "/projects/2/webhook/policies/15", "type": "harbor.artifact.pushed", "datacontenttype": "application/json",
      "time": "2025-01-10T06:04:46Z", "operator": "robot$team-a+ci",
      "data": {
        "resources": [{"digest": "${DIGEST}", "tag": "1.4.2", "resource_url": "registry.example.com/team-a/api:1.4.2"}],
        "repository": {"date_created": 1735689600, "name": "api", "namespace": "team-a", "repo_full_name": "team-a/api", "repo_type": "private"}
      }}`) as unknown;
    const payload = cloudEventsPayload(push, { projectId: 2, policyId: 15, id: '66e18103-09c1-41f6-982f-37df223f3eeb' });
    assert.deepEqual(payload, expected);
  });

  it('gives each CloudEvent a new UUID and omits requestid when there was no request', () => {
    const { requestId: _, ...withoutRequest } = push;
    const a = cloudEventsPayload(withoutRequest, { projectId: 2, policyId: 15 });
    const b = cloudEventsPayload(withoutRequest, { projectId: 2, policyId: 15 });
    assert.match(a.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.notEqual(a.id, b.id);
    assert.ok(!('requestid' in a));
  });

  it('names an untagged artifact by digest, and drops the scheme and date of a deleted repository', () => {
    const event: SlipwayEvent = {
      type: 'DELETE_ARTIFACT',
      occurAt: 1_736_489_086_000,
      operator: 'alice',
      project: 'library',
      projectPublic: true,
      repository: 'library/tools/busybox',
      digest: DIGEST,
      tags: [],
      externalHost: 'https://harbor.dev:8443/',
    };
    assert.deepEqual(defaultPayload(event).event_data, {
      resources: [{ digest: DIGEST, tag: DIGEST, resource_url: `harbor.dev:8443/library/tools/busybox@${DIGEST}` }],
      repository: { name: 'tools/busybox', namespace: 'library', repo_full_name: 'library/tools/busybox', repo_type: 'public' },
    });
  });

  it('carries the scan overview and scan type of scan events', () => {
    const overview = { 'application/vnd.security.vulnerability.report; version=1.1': { scan_status: 'Success', severity: 'High' } };
    const event: SlipwayEvent = { ...push, type: 'SCANNING_COMPLETED', operator: 'auto', scanOverview: overview };
    const payload = defaultPayload(event);
    assert.deepEqual(payload.event_data, {
      resources: [{ digest: DIGEST, tag: '1.4.2', resource_url: 'registry.example.com/team-a/api:1.4.2', scan_overview: overview }],
      repository: { name: 'api', namespace: 'team-a', repo_full_name: 'team-a/api', repo_type: 'private' },
      scan: { scan_type: 'vulnerability' },
    });
    const sbom = defaultPayload({ ...event, type: 'SCANNING_FAILED', scanType: 'sbom', sbomOverview: { scan_status: 'Error' } });
    assert.deepEqual(sbom.event_data.resources?.[0]?.sbom_overview, { scan_status: 'Error' });
    assert.equal(sbom.event_data.resources[0]?.scan_overview, undefined);
    assert.deepEqual(sbom.event_data.scan, { scan_type: 'sbom' });
  });

  it('builds quota, replication and retention payloads', () => {
    const details = 'quota usage reach 85%: resource storage used 12.6 MiB of 14.0 MiB';
    const quota = defaultPayload({
      type: 'QUOTA_WARNING',
      occurAt: 1_736_489_086_000,
      operator: '',
      project: 'team-a',
      projectPublic: false,
      repository: 'team-a/api',
      digest: DIGEST,
      details,
    });
    assert.deepEqual(quota, {
      type: 'QUOTA_WARNING',
      occur_at: 1_736_489_086,
      operator: '',
      event_data: {
        resources: [{ digest: DIGEST }],
        repository: { name: 'api', namespace: 'team-a', repo_full_name: 'team-a/api', repo_type: 'private' },
        custom_attributes: { Details: details },
      },
    });
    const retention = { total: 3, retained: 1, project_name: 'team-a', result: 'SUCCESS', deleted_artifact: [] };
    const tagRetention = defaultPayload({ type: 'TAG_RETENTION', occurAt: 0, operator: 'SCHEDULE', project: 'team-a', retention });
    assert.deepEqual(tagRetention.event_data, { retention });
    const replication = { job_status: 'Success', trigger_type: 'MANUAL' };
    assert.deepEqual(defaultPayload({ type: 'REPLICATION', occurAt: 0, operator: 'MANUAL', replication }).event_data, { replication });
  });

  it('maps every event type to its CloudEvents type', () => {
    assert.equal(webhookEventTypes.length, 10);
    assert.equal(cloudEventTypes.QUOTA_EXCEED, 'harbor.quota.exceeded');
    assert.equal(cloudEventTypes.TAG_RETENTION, 'harbor.tag_retention.finished');
    assert.equal(cloudEventTypes.REPLICATION, 'harbor.replication.status.changed');
  });

  it('encodes a payload with its content type', () => {
    const plain = encodeWebhookPayload(push, 'Default', { projectId: 2, policyId: 15 });
    assert.equal(plain.contentType, 'application/json');
    assert.deepEqual(JSON.parse(plain.body.toString('utf8')), defaultPayload(push));
    const cloud = encodeWebhookPayload(push, 'CloudEvents', { projectId: 2, policyId: 15, id: 'x' });
    assert.equal(cloud.contentType, 'application/cloudevents+json');
    assert.deepEqual(JSON.parse(cloud.body.toString('utf8')), cloudEventsPayload(push, { projectId: 2, policyId: 15, id: 'x' }));
  });
});
