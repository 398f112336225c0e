import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fixedCredentials } from '../../core/oci/client/credentials.ts';
import { createRegistryClient } from '../../core/oci/client/registry-client.ts';
import { LOCKOUT_THRESHOLD } from '../../core/auth/local-authorizer.ts';
import { isolatedCredentialEnv, runSlipway } from '../../testing/cli.ts';
import { apiCaller } from '../../testing/management-api.ts';
import { startSlipway, type TestSlipway } from '../../testing/slipway-server.ts';
import { buildImage, pushToRegistry } from '../../testing/test-images.ts';
import { until } from '../../testing/until.ts';

/**
 * The management verbs through the real CLI against a real server: what a platform engineer
 * types. The API beneath is tested on both databases elsewhere; this checks the edge.
 */
describe('slipway project, member, user, robot, policy, retention, audit, gc, webhook', () => {
  let server: TestSlipway;
  let dir: string;
  let env: Record<string, string>;
  const cli = async (args: readonly string[], input = '') => {
    const result = await runSlipway([...args, '--server', server.url], env, input);
    return { ...result, json: <T>() => JSON.parse(result.stdout) as T };
  };

  before(async () => {
    server = await startSlipway({ projects: [] });
    dir = await mkdtemp(join(tmpdir(), 'slipway-cli-mgmt-'));
    env = isolatedCredentialEnv(dir);
    const login = await runSlipway(['login', server.host, '--username', 'admin', '--password-stdin', '--insecure'], env, server.adminPassword);
    assert.equal(login.code, 0, login.stderr);
  });
  after(async () => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('talks to the Slipway server `slipway login` logged in to when no --server is given', async () => {
    const saved = JSON.parse(await readFile(env['SLIPWAY_AUTH_FILE'] ?? '', 'utf8')) as { slipwayServer?: string };
    assert.equal(saved.slipwayServer, server.url);
    const list = await runSlipway(['project', 'list', '--output', 'json'], env);
    assert.equal(list.code, 0, list.stderr);
    assert.ok(Array.isArray(JSON.parse(list.stdout)));
  });

  it('says which setting holds a server address that is not a URL', async () => {
    const fromEnv = await runSlipway(['project', 'list'], { ...env, SLIPWAY_SERVER: 'localhost:5000' });
    assert.equal(fromEnv.code, 2);
    assert.match(fromEnv.stderr, /SLIPWAY_SERVER must be an http\(s\) URL such as http:\/\/localhost:5000, not "localhost:5000"/);
    const fromFlag = await runSlipway(['project', 'list', '--server', 'not a url'], env);
    assert.match(fromFlag.stderr, /--server must be an http\(s\) URL/);
  });

  it('creates and lists projects, users and members', async () => {
    const created = await cli(['project', 'create', 'platform-qa', '--storage-limit', '10000000', '--output', 'json']);
    assert.equal(created.code, 0, created.stderr);
    assert.equal(created.json<{ name: string; storage_limit: number }>().storage_limit, 10_000_000);
    const list = await cli(['project', 'list']);
    assert.match(list.stdout, /^NAME\s+ID\s+VISIBILITY\s+REPOSITORIES\s+STORAGE LIMIT\nplatform-qa\s+\d+\s+private\s+0\s+9\.5 MiB$/m);
    assert.equal((await cli(['user', 'create', 'alice', '--password-stdin'], 'Alice-Password-1\n')).code, 0);
    const added = await cli(['member', 'add', 'platform-qa', 'alice', '--role', 'developer']);
    assert.equal(added.stdout.trim(), 'Added alice as developer');
    assert.equal((await cli(['member', 'set', 'platform-qa', 'alice', '--role', 'maintainer'])).code, 0);
    const members = await cli(['member', 'list', 'platform-qa', '--output', 'json']);
    assert.deepEqual(members.json<{ entity_name: string; role_name: string }[]>().map((m) => [m.entity_name, m.role_name]), [
      ['admin', 'projectAdmin'],
      ['alice', 'maintainer'],
    ]);
    const missing = await cli(['project', 'show', 'nope']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /project nope does not exist/);
  });

  it('changes one’s own password (the current one goes as old_password) and, as admin, another user’s', async () => {
    assert.equal((await cli(['user', 'create', 'paula', '--password-stdin'], 'Paula-Password-1\n')).code, 0);
    const own = await runSlipway(['user', 'passwd', 'paula', '--password-stdin', '--server', server.url, '--creds', 'paula:Paula-Password-1'], env, 'Paula-Password-2\n');
    assert.equal(own.code, 0, own.stderr);
    assert.equal(own.stdout.trim(), 'Password of paula changed');
    const other = await runSlipway(['user', 'passwd', 'alice', '--password-stdin', '--server', server.url, '--creds', 'paula:Paula-Password-2'], env, 'Hijack-Password-1\n');
    assert.equal(other.code, 1);
    assert.match(other.stderr, /only a system admin may set another user’s password/);
    assert.equal((await cli(['user', 'passwd', 'paula', '--password-stdin'], 'Paula-Password-3\n')).code, 0, 'an admin resets it');
    const signedIn = await runSlipway(['project', 'list', '--server', server.url, '--creds', 'paula:Paula-Password-3'], env);
    assert.equal(signedIn.code, 0, signedIn.stderr);
  });

  it('creates a robot whose secret works once shown, and disables it', async () => {
    const robot = await cli(['robot', 'create', 'ci', '--project', 'platform-qa', '--access', 'repository:pull,repository:push', '--duration', '30', '--output', 'json']);
    assert.equal(robot.code, 0, robot.stderr);
    const { id, name, secret } = robot.json<{ id: number; name: string; secret: string }>();
    assert.equal(name, 'robot$platform-qa+ci');
    const client = createRegistryClient({ insecure: true, credentials: fixedCredentials({ kind: 'basic', username: name, password: secret }) });
    const image = buildImage({ seed: 'cli-robot' });
    await pushToRegistry(client.repository(server.host, 'platform-qa/app'), [image.config, ...image.layers], image.manifest, 'v1');
    client.close();
    const listed = await cli(['robot', 'list', '--project', 'platform-qa']);
    assert.match(listed.stdout, /robot\$platform-qa\+ci\s+project\s+false/);
    assert.doesNotMatch(listed.stdout, new RegExp(secret), 'the secret is never listed');
    assert.equal((await cli(['robot', 'disable', String(id)])).stdout.trim(), 'robot$platform-qa+ci disabled');
    const bad = await cli(['robot', 'create', 'x', '--project', 'platform-qa', '--access', 'repository:create']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /bad request permission: repository:create/);
  });

  it('lists robots a page at a time over the API, as Harbor does, and every page in the CLI', async () => {
    assert.equal((await cli(['project', 'create', 'platform-paged'])).code, 0);
    for (let i = 0; i < 11; i++) {
      const made = await cli(['robot', 'create', `bot${String(i).padStart(2, '0')}`, '--project', 'platform-paged', '--access', 'repository:pull', '--duration', '30']);
      assert.equal(made.code, 0, made.stderr);
    }
    const admin = apiCaller(server.url, { username: 'admin', password: server.adminPassword });
    const first = await admin.call('GET', '/robots?project=platform-paged');
    assert.equal((first.body as unknown[]).length, 10, "Harbor's default page size");
    assert.equal(first.headers.get('x-total-count'), '11');
    assert.match(first.headers.get('link') ?? '', /<\/api\/v2\.0\/robots\?page=2&page_size=10&project=platform-paged>; rel="next"/);
    const second = await admin.call('GET', '/robots?project=platform-paged&page=2');
    assert.deepEqual((second.body as { name: string }[]).map((r) => r.name), ['robot$platform-paged+bot10']);
    const listed = await cli(['robot', 'list', '--project', 'platform-paged', '--output', 'json']);
    assert.equal(listed.json<unknown[]>().length, 11, 'the CLI reads every page');
  });

  it('lists members a page at a time over the API, by username, and every page in the CLI (member set finds one on page 2)', async () => {
    const admin = apiCaller(server.url, { username: 'admin', password: server.adminPassword });
    await admin.ok('POST', '/projects', { project_name: 'members-paged' });
    const users = Array.from({ length: 11 }, (_, i) => `paged${String(i).padStart(2, '0')}`);
    for (const username of users) {
      await admin.ok('POST', '/users', { username, password: 'Paged-Password-1' });
      await admin.ok('POST', '/projects/members-paged/members', { role_id: 2, member_user: { username } });
    }
    const first = await admin.call('GET', '/projects/members-paged/members');
    assert.deepEqual((first.body as { entity_name: string }[]).map((m) => m.entity_name), ['admin', ...users.slice(0, 9)], "Harbor's default page of 10, by username");
    assert.equal(first.headers.get('x-total-count'), '12');
    assert.match(first.headers.get('link') ?? '', /<\/api\/v2\.0\/projects\/members-paged\/members\?page=2&page_size=10>; rel="next"/);
    const second = await admin.call('GET', '/projects/members-paged/members?page=2');
    assert.deepEqual((second.body as { entity_name: string }[]).map((m) => m.entity_name), ['paged09', 'paged10']);
    assert.match(second.headers.get('link') ?? '', /rel="prev"/);
    assert.doesNotMatch(second.headers.get('link') ?? '', /rel="next"/);

    const listed = await cli(['member', 'list', 'members-paged', '--output', 'json']);
    assert.deepEqual(listed.json<{ entity_name: string }[]>().map((m) => m.entity_name), ['admin', ...users], 'the CLI reads every page');
    assert.equal((await cli(['member', 'set', 'members-paged', 'paged10', '--role', 'guest'])).code, 0, 'a member past the first page is found');
    const changed = await admin.ok<{ entity_name: string; role_id: number }[]>('GET', '/projects/members-paged/members?page=2');
    assert.equal(changed.find((m) => m.entity_name === 'paged10')?.role_id, 3);
  });

  it('lists webhook policies a page at a time over the API, by id, and every page in the CLI', async () => {
    const admin = apiCaller(server.url, { username: 'admin', password: server.adminPassword });
    await admin.ok('POST', '/projects', { project_name: 'hooks-paged' });
    const names = Array.from({ length: 11 }, (_, i) => `hook${String(i).padStart(2, '0')}`);
    for (const name of names) {
      await admin.ok('POST', '/projects/hooks-paged/webhook/policies', { name, event_types: ['PUSH_ARTIFACT'], targets: [{ type: 'http', address: 'http://127.0.0.1:9/hook', secret: 'a-long-webhook-secret' }] });
    }
    const first = await admin.call('GET', '/projects/hooks-paged/webhook/policies');
    assert.deepEqual((first.body as { name: string }[]).map((p) => p.name), names.slice(0, 10), "Harbor's default page of 10, by id");
    assert.ok((first.body as { targets: { secret: string }[] }[]).every((p) => p.targets.every((t) => t.secret === '***')), 'a page is redacted too');
    assert.equal(first.headers.get('x-total-count'), '11');
    assert.match(first.headers.get('link') ?? '', /<\/api\/v2\.0\/projects\/hooks-paged\/webhook\/policies\?page=2&page_size=10>; rel="next"/);
    const second = await admin.call('GET', '/projects/hooks-paged/webhook/policies?page=2');
    assert.deepEqual((second.body as { name: string }[]).map((p) => p.name), ['hook10']);

    const listed = await cli(['webhook', 'list', 'hooks-paged', '--output', 'json']);
    assert.deepEqual(listed.json<{ name: string }[]>().map((p) => p.name), names, 'the CLI reads every page');
  });

  it('sets policies and immutable tags, runs retention as a dry run, reads the audit log, runs GC and adds a webhook', async () => {
    const policy = await cli(['policy', 'set', 'platform-qa', '--prevent-vulnerable', 'true', '--severity', 'High', '--allow-cve', 'CVE-2024-9143', '--allow-cve', 'CVE-2024-6119,CVE-2024-5535', '--allow-cve-until', '2030-01-01']);
    assert.equal(policy.code, 0, policy.stderr);
    assert.match(policy.stdout, /prevent_vul: true\n {2}severity: high/);
    const allowed = '  cve allowlist: CVE-2024-9143, CVE-2024-6119, CVE-2024-5535 (until 2030-01-01T00:00:00.000Z)';
    assert.ok((await cli(['policy', 'show', 'platform-qa'])).stdout.split('\n').includes(`${allowed}, plus the system allowlist`), 'every --allow-cve is kept, and show prints the list with its expiry');
    const own = await cli(['policy', 'set', 'platform-qa', '--reuse-system-allowlist', 'false']);
    assert.equal(own.code, 0, own.stderr);
    assert.match(own.stdout, /^ {2}reuse_sys_cve_allowlist: false$/m);
    assert.ok((await cli(['policy', 'show', 'platform-qa'])).stdout.split('\n').includes(allowed), 'without the system allowlist, show says only the project’s');
    assert.equal((await cli(['policy', 'set', 'platform-qa', '--reuse-system-allowlist', 'no'])).code, 2);
    assert.equal((await cli(['policy', 'immutable', 'add', 'platform-qa', '--tags', 'release-*'])).code, 0);
    const shown = (await cli(['policy', 'show', 'platform-qa'])).stdout;
    assert.match(shown, /^ {2}trust policy: none set \(trusts no signer\) \(slipway policy trust show platform-qa\)$/m);
    assert.match(shown, /^ {2}immutable tag rules: 1 active \(slipway policy immutable list platform-qa\)$/m);
    // A guest reads the settings; what its role may not list is said to be hidden, not an error.
    assert.equal((await cli(['user', 'create', 'gus', '--password-stdin'], 'Gus-Password-123\n')).code, 0);
    assert.equal((await cli(['member', 'add', 'platform-qa', 'gus', '--role', 'guest'])).code, 0);
    const asGuest = await cli(['policy', 'show', 'platform-qa', '--creds', 'gus:Gus-Password-123']);
    assert.equal(asGuest.code, 0, asGuest.stderr);
    assert.match(asGuest.stdout, /^ {2}immutable tag rules: not visible to you/m);
    assert.equal((await cli(['policy', 'allowlist', '--cves', 'CVE-2023-44487,not an id', '--until', '2030-01-01'])).code, 1, 'a malformed id is refused');
    const system = await cli(['policy', 'allowlist', '--cves', 'CVE-2023-44487', '--until', '2030-01-01']);
    assert.equal(system.stdout.trim(), 'System CVE allowlist: CVE-2023-44487 (until 2030-01-01T00:00:00.000Z)');
    const forever = await cli(['policy', 'allowlist', '--cves', 'CVE-2023-44487']);
    assert.equal(forever.stdout.trim(), 'System CVE allowlist: CVE-2023-44487 (never expires)', 'said as a project list says it');
    assert.match((await cli(['policy', 'immutable', 'list', 'platform-qa'])).stdout, /repoMatches \*\*\s+matches release-\*/);

    const file = join(dir, 'retention.yaml');
    await writeFile(
      file,
      [
        'rules:',
        '  - action: retain',
        '    template: latestPushedK',
        '    params: { latestPushedK: 0 }',
        '    tag_selectors: [{ kind: doublestar, decoration: matches, pattern: "v*" }]',
        '    scope_selectors: { repository: [{ kind: doublestar, decoration: repoMatches, pattern: "**" }] }',
      ].join('\n'),
    );
    assert.equal((await cli(['retention', 'set', 'platform-qa', '--file', file])).code, 0);
    const dry = await cli(['retention', 'run', 'platform-qa', '--dry-run', '--output', 'json']);
    assert.equal(dry.code, 0, dry.stderr);
    const run = dry.json<{ status: string; dry_run: boolean; deleted: number; decisions: { tags: string[]; outcome: string }[] }>();
    assert.deepEqual([run.status, run.dry_run, run.deleted], ['Success', true, 1]);
    assert.deepEqual(run.decisions.map((d) => [d.tags, d.outcome]), [[['v1'], 'DEL']]);
    assert.match((await cli(['retention', 'run', 'platform-qa', '--dry-run'])).stdout, /^Dry run \d+: Success; 1 of 1 artifacts would be deleted\nRESULT/);

    const audit = await cli(['audit', '--project', 'platform-qa', '--operation', 'push', '--output', 'json']);
    assert.deepEqual(audit.json<{ username: string; resource: string }[]>().map((e) => [e.username, e.resource]), [['robot$platform-qa+ci', 'platform-qa/app:v1']]);
    // Text: the project of each entry, and a word when --limit hides older ones.
    const newest = await cli(['audit', '--limit', '1']);
    assert.equal(newest.code, 0, newest.stderr);
    const [header, row, more, ...rest] = newest.stdout.trimEnd().split('\n');
    assert.match(header ?? '', /TIME +USER +OPERATION +TYPE +PROJECT +RESOURCE +RESULT/);
    assert.ok(row !== undefined && more !== undefined && rest.length === 0, newest.stdout);
    assert.match(more, /the 1 newest shown; there are more/);
    const all = await cli(['audit', '--project', 'platform-qa', '--operation', 'push', '--limit', '150']);
    assert.match(all.stdout, /robot\$platform-qa\+ci +push +artifact +platform-qa +platform-qa\/app:v1 +ok/);
    assert.doesNotMatch(all.stdout, /there are more/);

    const rescan = await cli(['rescan', '--project', 'platform-qa']);
    assert.equal(rescan.code, 0, rescan.stderr);
    assert.match(
      rescan.stdout,
      /^Rescanned 1 image; 1 verdict changed\nREPOSITORY\s+DIGEST\s+VERDICT\nplatform-qa\/app\s+sha256:[0-9a-f]{12}\s+blocked: it has not been scanned .* → blocked: (?!it has not been scanned).+$/m,
      'the one image of platform-qa, scanned for the first time (no vulnerability data here): still blocked, for another reason',
    );
    const again = await cli(['rescan', '--project', 'platform-qa', '--output', 'json']);
    assert.deepEqual(again.json<{ result: { scanned: number; changed: unknown[] } }>().result, { trigger: 'manual by admin', project: 'platform-qa', scanned: 1, changed: [] });
    const listed = await cli(['rescan', 'list', '--output', 'json']);
    assert.equal(listed.code, 0, listed.stderr);
    const rescans = listed.json<{ id: number; parameters: { project?: string } }[]>();
    assert.ok(rescans.length >= 2 && rescans.every((r) => r.parameters.project === 'platform-qa'), 'both rescans, newest first');
    assert.ok((rescans[0]?.id ?? 0) > (rescans[1]?.id ?? 0));
    const first = await cli(['rescan', 'show', String(rescans[1]?.id)]);
    assert.match(first.stdout, /^Rescanned 1 image; 1 verdict changed$/m, 'the first rescan, by its id');
    assert.equal((await cli(['rescan', '--all', '--project', 'platform-qa'])).code, 2, '--all or --project, not both');

    const gc = await cli(['gc', '--dry-run', '--grace-period', '0', '--output', 'json']);
    assert.equal(gc.code, 0, gc.stderr);
    assert.equal(gc.json<{ job_status: string; report: { dryRun: boolean } }>().report.dryRun, true);

    const unset = await cli(['webhook', 'add', 'platform-qa', '--name', 'ci', '--url', 'http://127.0.0.1:9/hook', '--secret', '']);
    assert.equal(unset.code, 2, 'an unset $HOOK_SECRET is a usage error, not a schema complaint');
    assert.match(unset.stderr, /--secret is empty/);
    const hook = await cli(['webhook', 'add', 'platform-qa', '--name', 'ci', '--url', 'http://127.0.0.1:9/hook', '--format', 'CloudEvents', '--secret', 'a-long-webhook-secret']);
    assert.match(hook.stdout, /^Added webhook \d+ \(ci\)$/m);
    assert.match((await cli(['webhook', 'list', 'platform-qa'])).stdout, /http:\/\/127\.0\.0\.1:9\/hook \(CloudEvents, signed\)/);
  });

  it('gives --server, --creds and --output to `gc schedule` and `rescan schedule`, before or after the subcommand', async () => {
    // `gc` and `rescan` take the same flags as their schedule subcommands; the login's server is the default, so a flag that is lost shows as success.
    const unreachable = 'http://127.0.0.1:1';
    for (const args of [
      ['gc', 'schedule', '0 3 * * *', '--server', unreachable],
      ['gc', '--server', unreachable, 'schedule', '0 3 * * *'],
      ['rescan', 'schedule', '0 3 * * *', '--server', unreachable],
      ['rescan', '--server', unreachable, 'schedule', '0 3 * * *'],
    ]) {
      const result = await runSlipway(args, env);
      assert.equal(result.code, 1, `${args.join(' ')}: ${result.stdout}`);
      assert.match(result.stderr, /cannot reach http:\/\/127\.0\.0\.1:1/);
    }
    const wrongCreds = await runSlipway(['gc', 'schedule', '0 3 * * *', '--server', server.url, '--creds', 'admin:not-the-password'], env);
    assert.equal(wrongCreds.code, 1, wrongCreds.stdout);
    const set = await runSlipway(['rescan', 'schedule', '0 3 * * *', '--server', server.url, '--output', 'json'], env);
    assert.equal(set.code, 0, set.stderr);
    assert.equal(JSON.parse(set.stdout).cron, '0 3 * * *');
    for (const verb of ['gc', 'rescan']) {
      const cleared = await runSlipway([verb, 'schedule', '', '--server', server.url, '--output', 'json'], env);
      assert.equal(cleared.stdout.trim(), 'null', `${verb} schedule "" --output json prints JSON`);
    }
    const stray = await runSlipway(['gc', 'schedule', '0 3 * * *', '--dry-run', '--server', server.url], env);
    assert.equal(stray.code, 2, 'a flag of `gc` given to `gc schedule` would do nothing: refused');
    assert.equal(stray.stderr, 'slipway: --dry-run is an option of `gc`, not of `gc schedule`\n');
  });

  it('says how to log in when the server refuses anonymous callers', async () => {
    const anonymous = await runSlipway(['user', 'list', '--server', server.url], isolatedCredentialEnv(join(dir, 'nobody')));
    assert.equal(anonymous.code, 1);
    assert.match(anonymous.stderr, /authentication required.*\(log in first: slipway login 127\.0\.0\.1:\d+\)/);
  });

  it('shows why a login was refused, through the API and the CLI: a wrong password, then the locked account', async () => {
    assert.equal((await cli(['user', 'create', 'lockme', '--password-stdin'], 'Lockme-Password-1\n')).code, 0);
    const wrong = apiCaller(server.url, { username: 'lockme', password: 'Not-The-Password-1' });
    for (let i = 0; i < LOCKOUT_THRESHOLD; i++) assert.equal((await wrong.call('GET', '/users/current')).status, 401);
    const right = apiCaller(server.url, { username: 'lockme', password: 'Lockme-Password-1' });
    assert.equal((await right.call('GET', '/users/current')).status, 401, 'locked, even with the right password');
    const expected = ['account locked after repeated failures', ...Array.from({ length: LOCKOUT_THRESHOLD }, () => 'wrong password')];

    const admin = apiCaller(server.url, { username: 'admin', password: server.adminPassword });
    type Login = { operation_result: boolean; resource: string; reason: string | null };
    const entries = await until(
      () => admin.ok<Login[]>('GET', '/audit-logs?username=lockme&operation=login&page_size=100'),
      (found) => found.length === expected.length,
      'the login audit entries',
    );
    assert.deepEqual(entries.map((e) => [e.operation_result, e.resource, e.reason]), expected.map((reason) => [false, 'lockme', reason]));

    const json = await cli(['audit', '--user', 'lockme', '--operation', 'login', '--output', 'json']);
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(json.json<Login[]>().map((e) => e.reason), expected);
    const text = await cli(['audit', '--user', 'lockme', '--operation', 'login']);
    const [header, locked, refused] = text.stdout.trimEnd().split('\n');
    assert.match(header ?? '', /^TIME +USER +OPERATION +TYPE +PROJECT +RESOURCE +RESULT +REASON$/);
    assert.match(locked ?? '', /lockme +login +user +- +lockme +FAILED +account locked after repeated failures$/);
    assert.match(refused ?? '', /lockme +login +user +- +lockme +FAILED +wrong password$/);
    assert.doesNotMatch(text.stdout + json.stdout, /Not-The-Password-1|Lockme-Password-1/, 'no password is shown');
  });
});
