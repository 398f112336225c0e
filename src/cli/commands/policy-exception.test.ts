import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fixedCredentials } from '../../core/oci/client/credentials.ts';
import { createRegistryClient } from '../../core/oci/client/registry-client.ts';
import { parseOpenVex } from '../../scan/report/openvex.ts';
import { isolatedCredentialEnv, runSlipway } from '../../testing/cli.ts';
import { startSlipway, type TestSlipway } from '../../testing/slipway-server.ts';
import { buildImage, buildIndex, pushIndexToRegistry, pushToRegistry } from '../../testing/test-images.ts';
import type { ScanException } from '../../scan/index.ts';

/** `slipway policy exception add|list|delete` through the real CLI against a real server. */
describe('slipway policy exception', () => {
  let server: TestSlipway;
  let dir: string;
  let env: Record<string, string>;
  const image = buildImage({ seed: 'cli-exception' });
  const platforms = buildIndex([buildImage({ seed: 'cli-exception-amd64' }), buildImage({ seed: 'cli-exception-arm64' })]);
  const digest = image.manifest.descriptor.digest;
  const cli = async (args: readonly string[], extra: readonly string[] = []) => {
    const result = await runSlipway([...args, '--server', server.url, ...extra], env);
    return { ...result, json: <T>() => JSON.parse(result.stdout) as T };
  };
  const list = async () => (await cli(['policy', 'exception', 'list', 'vexed', '--output', 'json'])).json<ScanException[]>();

  before(async () => {
    server = await startSlipway({ projects: [{ name: 'vexed', public: false }] });
    dir = await mkdtemp(join(tmpdir(), 'slipway-cli-exception-'));
    env = isolatedCredentialEnv(dir);
    const login = await runSlipway(['login', server.host, '--username', 'admin', '--password-stdin', '--insecure'], env, server.adminPassword);
    assert.equal(login.code, 0, login.stderr);
    const client = createRegistryClient({ insecure: true, credentials: fixedCredentials({ kind: 'basic', username: 'admin', password: server.adminPassword }) });
    // A nested repository name: the API path must encode it twice, as Harbor's does.
    await pushToRegistry(client.repository(server.host, 'vexed/team/app'), [image.config, ...image.layers], image.manifest, 'v1');
    await pushIndexToRegistry(client.repository(server.host, 'vexed/multi'), platforms, 'v2');
    client.close();
    assert.equal((await runSlipway(['user', 'create', 'gus', '--password-stdin', '--server', server.url], env, 'Gus-Password-1\n')).code, 0);
    assert.equal((await cli(['member', 'add', 'vexed', 'gus', '--role', 'guest'])).code, 0);
  });
  after(async () => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('adds an exception by tag for the digest the tag names, and lists it with its author', async () => {
    const added = await cli(['policy', 'exception', 'add', 'vexed', 'team/app:v1', '--cve', 'CVE-2021-44906', '--justification', 'vulnerable_code_not_in_execute_path', '--expires', '2099-01-31']);
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stdout, new RegExp(`^Added exception \\d+: CVE-2021-44906 not_affected for ${digest} \\(vulnerable_code_not_in_execute_path\\), until 2099-01-31T00:00:00\\.000Z$`, 'm'));
    assert.deepEqual(
      (await list()).map((e) => [e.digest, e.vulnerability, e.status, e.justification, e.author, e.expires_at]),
      [[digest, 'CVE-2021-44906', 'not_affected', 'vulnerable_code_not_in_execute_path', 'admin', '2099-01-31T00:00:00.000Z']],
    );
    const byDigest = await cli(['policy', 'exception', 'add', 'vexed', `team/app@${digest}`, '--cve', 'GHSA-xvch-5gv4-984h', '--justification', 'only the CLI parses arguments', '--expires', 'never']);
    assert.equal(byDigest.code, 0, byDigest.stderr);
    const table = await cli(['policy', 'exception', 'list', 'vexed']);
    assert.equal(table.code, 0, table.stderr);
    const short = digest.slice(0, 19);
    assert.match(table.stdout, /^ID\s+DIGEST\s+VULNERABILITY\s+STATUS\s+JUSTIFICATION\s+AUTHOR\s+EXPIRES\n/);
    assert.match(table.stdout, new RegExp(`^\\d+\\s+${short}\\s+CVE-2021-44906\\s+not_affected\\s+vulnerable_code_not_in_execute_path\\s+admin\\s+2099-01-31T00:00:00\\.000Z$`, 'm'));
    assert.match(table.stdout, new RegExp(`^\\d+\\s+${short}\\s+GHSA-xvch-5gv4-984h\\s+not_affected\\s+only the CLI parses arguments\\s+admin\\s+never$`, 'm'));
  });

  it('refuses an exception without --expires, or with a bad date, status or image, as usage errors', async () => {
    const add = ['policy', 'exception', 'add', 'vexed', 'team/app:v1', '--cve', 'CVE-2021-44906', '--justification', 'component_not_present'];
    const missing = await cli(add);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--expires is required: .* or never/);
    for (const [flags, message] of [
      [['--expires', '2099-02-30'], /--expires must be an RFC 3339 date/],
      [['--expires', '2001-01-01T00:00:00Z'], /is in the past/],
      [['--expires', 'never', '--status', 'affected'], /--status must be not_affected or fixed/],
    ] as const) {
      const refused = await cli([...add, ...flags]);
      assert.deepEqual([refused.code, refused.stderr.match(message) !== null], [2, true], refused.stderr);
    }
    const untagged = await cli(['policy', 'exception', 'add', 'vexed', 'team/app', '--cve', 'CVE-1', '--justification', 'x', '--expires', 'never']);
    assert.equal(untagged.code, 2);
    assert.match(untagged.stderr, /<repository>:<tag> or <repository>@sha256:…/);
    const unknown = await cli(['policy', 'exception', 'add', 'vexed', 'team/app:v9', '--cve', 'CVE-1', '--justification', 'x', '--expires', 'never']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /v9/);
    assert.equal((await list()).length, 2, 'nothing was added');
  });

  it('excepts each image of an index, with the status given, and shows lapsed exceptions as expired', async () => {
    const added = await cli(['policy', 'exception', 'add', 'vexed', 'multi:v2', '--cve', 'CVE-2024-0001', '--justification', 'patched in our fork', '--expires', 'never', '--status', 'fixed', '--output', 'json']);
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stderr, /is an index .*: excepting each of its 2 images/);
    const children = platforms.images.map((i) => i.manifest.descriptor.digest);
    const excepted = added.json<ScanException[]>();
    assert.deepEqual(new Set(excepted.map((e) => e.digest)), new Set(children));
    assert.deepEqual(excepted.map((e) => e.status), ['fixed', 'fixed']);
    // Past dates are refused (by the CLI and the API alike); an exception that has since lapsed shows as expired.
    const refused = await fetch(`${server.url}/api/v2.0/projects/vexed/scan-exceptions`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`admin:${server.adminPassword}`).toString('base64')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ digest, vulnerability: 'CVE-2001-0001', justification: 'component_not_present', expires_at: '2001-01-01T00:00:00Z' }),
    });
    assert.equal(refused.status, 400);
    const { db } = server.app.database;
    const project = await db.selectFrom('projects').select('id').where('name', '=', 'vexed').executeTakeFirstOrThrow();
    const lapsed = await db
      .insertInto('scan_exceptions')
      .values({ project_id: project.id, digest, vulnerability: 'CVE-2001-0001', status: 'not_affected', justification: 'component_not_present', author: 'admin', expires_at: Date.parse('2001-01-01T00:00:00Z'), created_at: Date.parse('2000-06-01T00:00:00Z') })
      .returning('id')
      .executeTakeFirstOrThrow();
    assert.match((await cli(['policy', 'exception', 'list', 'vexed'])).stdout, /\sCVE-2001-0001\s+not_affected\s+component_not_present\s+admin\s+expired 2001-01-01T00:00:00\.000Z$/m);
    const vex = parseOpenVex((await cli(['policy', 'exception', 'list', 'vexed', '--openvex'])).stdout);
    const fixed = vex.statements.filter((st) => st.status === 'fixed');
    assert.deepEqual(fixed.map((st) => [st.status_notes, st.justification, st.impact_statement]), [['patched in our fork', undefined, undefined], ['patched in our fork', undefined, undefined]], 'a fixed statement says why in its notes, which scan --vex accepts');
    for (const id of [...excepted.map((e) => e.id), lapsed.id]) assert.equal((await cli(['policy', 'exception', 'delete', 'vexed', String(id)])).code, 0);
  });

  it('prints the exceptions as the OpenVEX document slipway scan --vex reads', async () => {
    const vex = await cli(['policy', 'exception', 'list', 'vexed', '--openvex']);
    assert.equal(vex.code, 0, vex.stderr);
    const document = parseOpenVex(vex.stdout);
    assert.equal(document.author, 'Slipway project vexed');
    assert.deepEqual(
      document.statements.map((s) => [s.vulnerability.name, s.products?.[0]?.['@id'], s.status, s.justification ?? s.impact_statement, s.slipway_expires]),
      [
        ['CVE-2021-44906', digest, 'not_affected', 'vulnerable_code_not_in_execute_path', '2099-01-31T00:00:00.000Z'],
        ['GHSA-xvch-5gv4-984h', digest, 'not_affected', 'only the CLI parses arguments', undefined],
      ],
    );
  });

  it('refuses a guest with the API message, and deletes an exception', async () => {
    const guest = await cli(['policy', 'exception', 'add', 'vexed', 'team/app:v1', '--cve', 'CVE-2021-44906', '--justification', 'component_not_present', '--expires', 'never'], ['--creds', 'gus:Gus-Password-1']);
    assert.equal(guest.code, 1);
    assert.match(guest.stderr, /^slipway: gus lacks the permission scan:create in project vexed$/m);

    const [first, second] = await list();
    assert.ok(first !== undefined && second !== undefined);
    const deleted = await cli(['policy', 'exception', 'delete', 'vexed', String(first.id)]);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.equal(deleted.stdout.trim(), `Deleted exception ${first.id}`);
    assert.deepEqual((await list()).map((e) => e.id), [second.id]);
    const again = await cli(['policy', 'exception', 'delete', 'vexed', String(first.id)]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /no such exception/);
  });

  it('lists exceptions a page at a time over the API, as Harbor does, and every page in the CLI', async () => {
    const auth = { authorization: `Basic ${Buffer.from(`admin:${server.adminPassword}`).toString('base64')}`, 'content-type': 'application/json' };
    const existing = (await list()).length;
    for (let i = 0; i < 12; i += 1) {
      const response = await fetch(`${server.url}/api/v2.0/projects/vexed/scan-exceptions`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ digest, vulnerability: `CVE-2030-${String(1000 + i)}`, justification: 'component_not_present', expires_at: null }),
      });
      assert.equal(response.status, 201, await response.text());
    }
    const page = await fetch(`${server.url}/api/v2.0/projects/vexed/scan-exceptions?page=2&page_size=5`, { headers: auth });
    assert.equal(page.status, 200);
    assert.equal((await page.json() as unknown[]).length, 5);
    assert.equal(page.headers.get('x-total-count'), String(existing + 12));
    assert.match(page.headers.get('link') ?? '', /page=1&page_size=5>; rel="prev" , <.*page=3&page_size=5>; rel="next"$/);
    const all = await list();
    assert.equal(all.length, existing + 12, 'the CLI reads every page');
    assert.equal(new Set(all.map((e) => e.id)).size, all.length);
    const vex = parseOpenVex((await cli(['policy', 'exception', 'list', 'vexed', '--openvex'])).stdout);
    assert.equal(vex.statements.length, existing + 12, 'the OpenVEX document holds them all, unpaged');
    for (const e of all.slice(existing)) assert.equal((await cli(['policy', 'exception', 'delete', 'vexed', String(e.id)])).code, 0);
  });
});
