import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fixedCredentials } from '../../core/oci/client/credentials.ts';
import { createRegistryClient, type RegistryClient } from '../../core/oci/client/registry-client.ts';
import { MediaType } from '../../core/oci/media-types.ts';
import { catalogers, importOsv, parseOpenVex } from '../../scan/index.ts';
import { databaseKinds } from '../../testing/databases.ts';
import { apiCaller, type ApiCaller } from '../../testing/management-api.ts';
import { registryHttp } from '../../testing/registry-http.ts';
import { rescanAfterImport } from '../../testing/rescans.ts';
import { startSlipway, type TestSlipway } from '../../testing/slipway-server.ts';
import { buildImage, buildIndex, pushIndexToRegistry, pushToRegistry } from '../../testing/test-images.ts';
import { sharedData } from '../../testing/shared-data.ts';

const OSV_NPM = sharedData('osv/npm/');
const OSV_ALPINE = sharedData('osv/Alpine/');
const ALPINE_DB = sharedData('pkgdb/alpine/v3.18-osv-scalibr/lib/apk/db/installed');
type Errors = { errors: { code: string; message: string }[] };
type VerdictChange = { repository: string; digest: string; before: string; after: string; change: string };
type RescanView = { id: number; job_status: string; result: { trigger: string; scanned: number; changed: VerdictChange[] } | null };

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

/** A Debian-looking image whose node_modules hold exactly `packages` (name → version). */
const npmImage = (seed: string, packages: Record<string, string>) =>
  buildImage({
    seed,
    files: [
      { 'etc/os-release': 'ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n' },
      Object.fromEntries([
        ['app/package.json', JSON.stringify({ name: 'app', version: '1.0.0' })],
        ...Object.entries(packages).map(([name, version]) => [`app/node_modules/${name}/package.json`, JSON.stringify({ name, version, license: 'MIT' })]),
      ]),
    ],
  });

/** An OSV record affecting every version of an npm package, with a CVE alias and a severity. */
const advisory = (id: string, cve: string, severity: string, name: string) =>
  JSON.stringify({
    schema_version: '1.7.0',
    id,
    modified: '2024-06-01T00:00:00Z',
    aliases: [cve],
    summary: `test advisory for ${name}`,
    database_specific: { severity },
    affected: [{ package: { ecosystem: 'npm', name }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }] }],
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

    let dir: string;
    const reportOf = async (path: string, digest: string) =>
      (await admin.call('GET', `/projects/${path.replace('/', '/repositories/')}/artifacts/${digest}/additions/vulnerabilities`)).body as { scan_status?: string; severity?: string; start_time?: string };
    const scanned = async (path: string, digest: string) => {
      for (let i = 0; i < 200 && (await reportOf(path, digest)).scan_status !== 'Success'; i++) await sleep(50);
      return reportOf(path, digest);
    };
    /** What the per-minute schedule does after an import: notice it and rescan once; the rescan as the API shows it. */
    const rescanFor = async (importId: number): Promise<RescanView> => admin.ok<RescanView>('GET', `/system/scan-all/${(await rescanAfterImport(server.app.jobs, importId)).id}`);
    /** Waits out the rescans already asked for, so that only the next import's rescan sees the next change. */
    const rescansSettled = async () => {
      const busy = async () => (await Promise.all((['queued', 'running'] as const).map((status) => server.app.jobs.list({ kind: 'rescan', status })))).flat().length > 0;
      for (let i = 0; i < 400 && (await busy()); i++) await sleep(50);
    };

    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'slipway-rescan-'));
      server = await startSlipway({ database: kind, projects: [] });
      admin = apiCaller(server.url, { username: 'admin', password: server.adminPassword });
      client = createRegistryClient({ insecure: true, credentials: fixedCredentials({ kind: 'basic', username: 'admin', password: server.adminPassword }) });
      await importOsv(server.app.database, OSV_NPM);
      await admin.ok('POST', '/projects', { project_name: 'guarded', metadata: { auto_scan: 'true', prevent_vul: 'true', severity: 'critical' } });
    });
    after(async () => {
      client.close();
      await server.stop();
      await rm(dir, { recursive: true, force: true });
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
      // Harbor's clients ask with X-Accept-Vulnerabilities and read Harbor's report under its media type.
      const generic = 'application/vnd.security.vulnerability.report; version=1.1';
      const harborAnswer = await fetch(`${server.url}/api/v2.0/projects/guarded/repositories/web/artifacts/${digest}/additions/vulnerabilities`, {
        headers: { authorization: `Basic ${Buffer.from(`admin:${server.adminPassword}`).toString('base64')}`, 'x-accept-vulnerabilities': `${generic}, application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0` },
      });
      const harbor = (await harborAnswer.json()) as Record<string, { severity: string; artifact: { repository: string; digest: string }; vulnerabilities: { id: string; package: string; fix_version: string; links: string[] }[] }>;
      assert.deepEqual(Object.keys(harbor).toSorted(), [generic, 'application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0'].toSorted());
      const harborReport = harbor[generic];
      assert.equal(harborReport?.severity, 'Critical');
      assert.deepEqual(harborReport.artifact, { repository: 'guarded/web', digest, mime_type: MediaType.ociManifest });
      const harborMinimist = harborReport.vulnerabilities.find((v) => v.id === 'CVE-2021-44906');
      assert.deepEqual([harborMinimist?.package, harborMinimist?.fix_version], ['minimist', '1.2.6']);

      const http = registryHttp(server.url).withToken(await registryHttp(server.url).login('admin', server.adminPassword, ['repository:guarded/web:pull']));
      const pull = () => http.request('GET', '/v2/guarded/web/manifests/1.0.0', { headers: { accept: MediaType.ociManifest } });
      const refused = await pull();
      assert.equal(refused.status, 412);
      const error = refused.json<Errors>().errors[0];
      assert.equal(error?.code, 'PROJECTPOLICYVIOLATION');
      assert.match(error?.message ?? '', /^current image with \d+ vulnerabilit(y|ies) cannot be pulled due to configured policy in 'Prevent images with vulnerability severity of "Critical" or higher from running\.'.*CVE-2021-44906/);
      assert.doesNotMatch(error?.message ?? '', /CVE-2020-8203/, 'only what is at or above the threshold is named');

      // Long enough that a loaded CI machine pulls before it; waited out below.
      const expiresAt = Date.now() + 4000;
      const expires = new Date(expiresAt).toISOString();
      const exception = await admin.call('POST', '/projects/guarded/scan-exceptions', { digest, vulnerability: 'CVE-2021-44906', justification: 'vulnerable_code_not_in_execute_path', expires_at: expires });
      assert.equal(exception.status, 201);
      assert.equal((await pull()).status, 200, 'under the exception the pull passes');
      const vex = parseOpenVex(await admin.ok('GET', '/projects/guarded/scan-exceptions?format=openvex'));
      assert.deepEqual(vex.statements.map((st) => [st.vulnerability.name, st.status, st.justification]), [['CVE-2021-44906', 'not_affected', 'vulnerable_code_not_in_execute_path']], 'exceptions export as OpenVEX');
      assert.match(vex['@id'], new RegExp(`^${server.url.replace(/[.]/g, '\\.')}/api/v2\\.0/projects/\\d+/scan-exceptions\\?format=openvex$`), 'the document id is where it is served');
      await sleep(Math.max(0, expiresAt - Date.now()) + 100);
      assert.equal((await pull()).status, 412, 'after the expiry it is refused again');

      const referrers = await http.request('GET', `/v2/guarded/web/referrers/${digest}`);
      const attached = referrers.json<{ manifests: { artifactType: string }[] }>().manifests.map((m) => m.artifactType).toSorted();
      assert.deepEqual(attached, ['application/spdx+json', 'application/vnd.slipway.vulnerability-report.v1+json'], 'the SBOM and the report travel with the image as referrers');

      const audit = await admin.ok<{ resource_type: string; operation: string; username: string }[]>('GET', '/projects/guarded/audit-logs?page_size=100');
      assert.ok(audit.some((e) => e.resource_type === 'scan' && e.operation === 'scan' && e.username === 'auto'), 'the scan is audited');
      assert.ok(audit.some((e) => e.resource_type === 'scan_exception' && e.operation === 'create' && e.username === 'admin'), 'the exception is audited with its author');
      const refusals = (audit as unknown as { operation: string; operation_result: boolean; resource: string; reason: string | null }[]).filter((e) => e.operation === 'pull' && !e.operation_result);
      assert.ok(refusals.length >= 2 && refusals.every((e) => e.resource === `guarded/web@${digest}` && /CVE-2021-44906/.test(e.reason ?? '')), 'each refused pull is recorded with its reasons');
    });

    it('rescans everything after a vulnerability data import; a new Unknown finding under a Critical threshold changes no verdict', async () => {
      const alpine = buildImage({
        seed: `alpine-${kind}`,
        files: [{ 'etc/os-release': 'ID=alpine\nVERSION_ID=3.18.4\nPRETTY_NAME="Alpine Linux v3.18"\n', 'lib/apk/db/installed': await readFile(ALPINE_DB, 'utf8') }],
      });
      await pushToRegistry(client.repository(server.host, 'guarded/base'), [alpine.config, ...alpine.layers], alpine.manifest, '3.18');
      const digest = alpine.manifest.descriptor.digest;
      assert.equal((await scanned('guarded/base', digest)).severity, 'None', 'no Alpine data yet: clean');

      const { importId } = await importOsv(server.app.database, OSV_ALPINE);
      const rescan = await rescanFor(importId);
      assert.equal(rescan.job_status, 'succeeded');
      assert.match(rescan.result?.trigger ?? '', /^vulnerability data import \d+$/);
      assert.equal((await reportOf('guarded/base', digest)).severity, 'Unknown', 'musl 1.2.4-r0 is now known to be affected (ALPINE-CVE-2025-26519, no severity in the data)');
      assert.deepEqual(rescan.result?.changed.filter((c) => c.digest === digest), [], 'an Unknown finding does not reach the Critical threshold: the verdict is still passed');
      assert.equal(rescan.result?.changed.some((c) => c.repository === 'guarded/web'), false, 'the npm image did not change');
    });

    it('lists an image that passed under an exception as changed when a new Critical advisory blocks it, and not those whose raw severity alone changed', async () => {
      await rescansSettled();
      await admin.ok('POST', '/projects', { project_name: 'lenient', metadata: { auto_scan: 'true' } });
      const excepted = npmImage(`excepted-${kind}`, { minimist: '1.2.0', lodash: '4.17.15' });
      const quiet = npmImage(`quiet-${kind}`, { 'slipway-lowpkg': '1.0.0' });
      const unguarded = npmImage(`unguarded-${kind}`, { lodash: '4.17.15' });
      const pushed: [string, typeof excepted][] = [
        ['guarded/api', excepted],
        ['guarded/tools', quiet],
        ['lenient/web', unguarded],
      ];
      for (const [path, image] of pushed) {
        await pushToRegistry(client.repository(server.host, path), [image.config, ...image.layers], image.manifest, '1.0');
        assert.equal((await scanned(path, image.manifest.descriptor.digest)).scan_status, 'Success', path);
      }
      const digestOf = (image: typeof excepted) => image.manifest.descriptor.digest;
      const gate = (path: string, image: typeof excepted) => admin.ok<{ passed: boolean; reasons: string[] }>('GET', `/projects/${path.replace('/', '/repositories/')}/artifacts/${digestOf(image)}/scan-gate`);
      const expires = new Date(Date.now() + 86_400_000).toISOString();
      await admin.ok('POST', '/projects/guarded/scan-exceptions', { digest: digestOf(excepted), vulnerability: 'CVE-2021-44906', justification: 'vulnerable_code_not_in_execute_path', expires_at: expires });
      assert.deepEqual(await gate('guarded/api', excepted), { passed: true, reasons: [] }, 'its only Critical finding is excepted');
      const severities = async () => Promise.all(pushed.map(async ([path, image]) => (await reportOf(path, digestOf(image))).severity));
      assert.deepEqual(await severities(), ['Critical', 'None', 'High']);

      await writeFile(join(dir, 'lodash-critical.json'), advisory('TEST-RESCAN-1', 'CVE-2099-0001', 'CRITICAL', 'lodash'));
      await writeFile(join(dir, 'lowpkg-low.json'), advisory('TEST-RESCAN-2', 'CVE-2099-0002', 'LOW', 'slipway-lowpkg'));
      const { importId } = await importOsv(server.app.database, dir);
      const rescan = await rescanFor(importId);
      assert.deepEqual(await severities(), ['Critical', 'Low', 'Critical'], 'the raw severity of the other two changed');

      const blocked = await gate('guarded/api', excepted);
      assert.equal(blocked.passed, false);
      assert.match(blocked.reasons.join('\n'), /CVE-2099-0001/);
      const now = 'blocked: 1 vulnerability at or above Critical not allowlisted or excepted: CVE-2099-0001';
      assert.deepEqual(rescan.result?.changed.filter((c) => c.digest === digestOf(excepted)), [{ repository: 'guarded/api', digest: digestOf(excepted), before: 'passed', after: now, change: `passed → ${now}` }]);
      assert.deepEqual(
        rescan.result?.changed.filter((c) => c.digest === digestOf(quiet) || c.digest === digestOf(unguarded)),
        [],
        'a Low finding under a Critical threshold, and a Critical one in a project that does not prevent vulnerable images, change no verdict',
      );
      const web = rescan.result?.changed.find((c) => c.repository === 'guarded/web');
      assert.match(web?.before ?? '', /^blocked: 1 vulnerability .*: CVE-2021-44906$/, 'its exception expired in the first test');
      assert.match(web?.after ?? '', /^blocked: 2 vulnerabilities .*: (CVE-2021-44906, CVE-2099-0001|CVE-2099-0001, CVE-2021-44906)$/, 'still blocked, by one more CVE: a changed verdict too');
    });

    it('scans a digest once: a re-push or a new tag, in another project too, neither rescans it nor holds its pulls; a rescan keeps the last result for the gate and replaces the attached report', async () => {
      await rescansSettled();
      // The rescan after the last import attached a new report to guarded/web's image, naming the new CVE, and audited it.
      const http = registryHttp(server.url).withToken(await registryHttp(server.url).login('admin', server.adminPassword, ['repository:guarded/web:pull']));
      const webDigest = vulnerableImage(`gate-${kind}`).manifest.descriptor.digest;
      const referrers = (await http.request('GET', `/v2/guarded/web/referrers/${webDigest}`)).json<{ manifests: { artifactType: string; digest: string }[] }>().manifests;
      assert.deepEqual(referrers.map((m) => m.artifactType).toSorted(), ['application/spdx+json', 'application/vnd.slipway.vulnerability-report.v1+json'], 'replaced, not added to');
      const reportManifest = referrers.find((m) => m.artifactType === 'application/vnd.slipway.vulnerability-report.v1+json');
      const layer = (await http.request('GET', `/v2/guarded/web/manifests/${reportManifest?.digest ?? ''}`, { headers: { accept: MediaType.ociManifest } })).json<{ layers: { digest: string }[] }>().layers[0];
      const attached = (await http.request('GET', `/v2/guarded/web/blobs/${layer?.digest ?? ''}`)).body.toString('utf8');
      assert.match(attached, /CVE-2099-0001/, "the attached report is the rescan's");
      const named = JSON.parse(attached) as { ArtifactName: string; Metadata: { RepoDigests?: string[] } };
      // As clients pull it: the server's external host (without externalUrl, localhost and its port).
      const pulledAs = `localhost:${new URL(server.url).port}/guarded/web@${webDigest}`;
      assert.deepEqual([named.ArtifactName, named.Metadata.RepoDigests], [pulledAs, [pulledAs]]);
      const audit = await admin.ok<{ resource: string; operation: string; username: string }[]>('GET', '/projects/guarded/audit-logs?page_size=100');
      assert.ok(audit.some((e) => e.operation === 'scan' && e.username === 'rescan' && e.resource === `guarded/web@${webDigest}`), 'the rescan is audited per image');

      const image = vulnerableImage(`repush-${kind}`);
      const digest = image.manifest.descriptor.digest;
      await pushToRegistry(client.repository(server.host, 'guarded/again'), [image.config, ...image.layers], image.manifest, '1');
      assert.equal((await scanned('guarded/again', digest)).scan_status, 'Success');
      const scanJobs = async () => (await server.app.jobs.list({ kind: 'scan' })).length;
      const jobsBefore = await scanJobs();
      await pushToRegistry(client.repository(server.host, 'lenient/copy'), [image.config, ...image.layers], image.manifest, '1');
      await pushToRegistry(client.repository(server.host, 'guarded/again'), [image.config, ...image.layers], image.manifest, '2');
      // Push events are handled after the response: wait until both are (audited just before scan-on-push asks), and a little more.
      const audited = async () => {
        const entries = await admin.ok<{ resource: string; operation: string }[]>('GET', '/audit-logs?page_size=100');
        return ['lenient/copy:1', 'guarded/again:2'].every((r) => entries.some((e) => e.operation === 'push' && e.resource === r));
      };
      for (let i = 0; i < 200 && !(await audited()); i++) await sleep(25);
      await sleep(300);
      // Not scanned again: arriving in another repository, its SBOM and report are copied there (the new tag in the same repository has them).
      const started = (await reportOf('guarded/again', digest)).start_time;
      assert.ok(started !== undefined);
      const jobs = (await server.app.jobs.list({ kind: 'scan' })).slice(0, (await scanJobs()) - jobsBefore);
      assert.deepEqual(jobs.map((j) => j.payload), [{ repository: 'lenient/copy', digest, operator: 'auto', arrival: true, tags: ['1'] }]);
      for (let i = 0; i < 400 && (await server.app.jobs.get(jobs[0]?.id ?? 0))?.status !== 'succeeded'; i++) await sleep(10);
      const anyPull = registryHttp(server.url).withToken(await registryHttp(server.url).login('admin', server.adminPassword, ['repository:lenient/copy:pull', 'repository:guarded/again:pull']));
      const held = async (repository: string) =>
        (await anyPull.request('GET', `/v2/${repository}/referrers/${digest}`)).json<{ manifests: { artifactType: string; digest: string }[] }>().manifests.map((m) => `${m.artifactType} ${m.digest}`).toSorted();
      const copied = await held('lenient/copy');
      assert.equal(copied.length, 2);
      assert.deepEqual(copied, await held('guarded/again'), 'the same SBOM and report, byte for byte');
      assert.equal((await reportOf('guarded/again', digest)).start_time, started, 'and its result stands, not made again');

      // Asked for, it is scanned again; the gate reads the last result all the while.
      const asked = await admin.call('POST', `/projects/guarded/repositories/again/artifacts/${digest}/scan`);
      assert.equal(asked.status, 202);
      const [job] = (asked.body as { jobs: number[] }).jobs;
      const seen = new Set<string>();
      for (let i = 0; i < 400; i++) {
        seen.add((await reportOf('guarded/again', digest)).scan_status ?? '');
        const state = (await server.app.jobs.list({ kind: 'scan' })).find((j) => j.id === job)?.status;
        if (state === 'succeeded' || state === 'failed') break;
        await sleep(10);
      }
      assert.deepEqual([...seen], ['Success'], 'never Pending or Running for the gate');

      // Arriving in another project after newer vulnerability data came in, it is scanned again (the result standing meanwhile).
      await writeFile(join(dir, 'unrelated.json'), advisory('TEST-RESCAN-3', 'CVE-2099-0003', 'LOW', 'slipway-other'));
      await importOsv(server.app.database, join(dir, 'unrelated.json'));
      const beforeArrival = await scanJobs();
      await pushToRegistry(client.repository(server.host, 'lenient/arrival'), [image.config, ...image.layers], image.manifest, '1');
      for (let i = 0; i < 200 && (await scanJobs()) === beforeArrival; i++) await sleep(25);
      assert.equal(await scanJobs(), beforeArrival + 1, 'one scan job for the arrival');
      assert.equal((await reportOf('guarded/again', digest)).scan_status, 'Success');

      // A result made by other catalogers (an older Slipway's) is not current either: the cache
      // key is the digest and the catalogers' versions. Arriving again, it is scanned again.
      for (let i = 0; i < 200 && (await server.app.jobs.list({ kind: 'scan' })).some((j) => j.status === 'queued' || j.status === 'running'); i++) await sleep(25);
      const row = await server.app.database.db.selectFrom('scan_reports').select(['catalogers', 'status']).where('digest', '=', digest).executeTakeFirstOrThrow();
      assert.deepEqual({ ...row }, { catalogers: catalogers.map((c) => `${c.name}@${c.version}`).join(' '), status: 'Success' });
      await server.app.database.db.updateTable('scan_reports').set({ catalogers: 'dpkg@1 npm@1' }).where('digest', '=', digest).execute();
      const beforeUpgrade = await scanJobs();
      await pushToRegistry(client.repository(server.host, 'lenient/upgraded'), [image.config, ...image.layers], image.manifest, '1');
      for (let i = 0; i < 200 && (await scanJobs()) === beforeUpgrade; i++) await sleep(25);
      assert.equal(await scanJobs(), beforeUpgrade + 1, 'one scan job for the result of older catalogers');
    });

    it('passes an index pushed with BuildKit attestation manifests on its image alone: the attestations are neither scanned nor gated', async () => {
      const clean = npmImage(`buildx-${kind}`, { 'is-number': '7.0.0' });
      const attestation = buildImage({
        seed: `buildx-attestation-${kind}`,
        platform: { os: 'unknown', architecture: 'unknown' },
        layerMediaType: 'application/vnd.in-toto+json',
      });
      const index = buildIndex([clean, attestation]);
      await pushIndexToRegistry(client.repository(server.host, 'guarded/multi'), index, '1');
      assert.equal((await scanned('guarded/multi', clean.manifest.descriptor.digest)).scan_status, 'Success');
      const attested = await admin.call('GET', `/projects/guarded/repositories/multi/artifacts/${attestation.manifest.descriptor.digest}/additions/vulnerabilities`);
      assert.notEqual((attested.body as { scan_status?: string }).scan_status, 'Error', 'the attestation manifest is not scanned (nothing in it runs)');
      assert.deepEqual(await admin.ok('GET', '/projects/guarded/repositories/multi/artifacts/1/scan-gate'), { passed: true, reasons: [] });
      // Harbor's artifact list with scan_overview: the index shows its image's scan.
      type Listed = { digest: string; scan_overview?: Record<string, { scan_status: string; severity: string; report_id: string; complete_percent: number; summary: { total: number } | null }> };
      const listed = await admin.ok<Listed[]>('GET', '/projects/guarded/repositories/multi/artifacts?with_scan_overview=true');
      const overview = listed.find((a) => a.digest === index.index.descriptor.digest)?.scan_overview?.['application/vnd.security.vulnerability.report; version=1.1'];
      assert.deepEqual([overview?.scan_status, overview?.complete_percent, overview?.summary?.total], ['Success', 100, 0]);
      const vulnerable = await admin.ok<Listed>('GET', `/projects/guarded/repositories/web/artifacts/${vulnerableImage(`gate-${kind}`).manifest.descriptor.digest}?with_scan_overview=true`);
      const web = vulnerable.scan_overview?.['application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0'];
      assert.deepEqual([web?.scan_status, web?.severity, web?.report_id], ['Success', 'Critical', vulnerable.digest]);
      assert.equal((await admin.ok<Listed[]>('GET', '/projects/guarded/repositories/multi/artifacts'))[0]?.scan_overview, undefined, 'only when asked for');
      // An exception must name what the gate checks: the index's images, and a time still to come.
      const exception = { vulnerability: 'CVE-2021-44906', justification: 'vulnerable_code_not_in_execute_path', expires_at: new Date(Date.now() + 86_400_000).toISOString() };
      const onIndex = await admin.call('POST', '/projects/guarded/scan-exceptions', { ...exception, digest: index.index.descriptor.digest });
      assert.equal(onIndex.status, 400);
      assert.match(JSON.stringify(onIndex.body), new RegExp(`is an index, which the gate does not check itself: add the exception for each of its images \\(${[clean.manifest.descriptor.digest, attestation.manifest.descriptor.digest].toSorted().join(', ')}\\)`));
      const expired = await admin.call('POST', '/projects/guarded/scan-exceptions', { ...exception, digest: clean.manifest.descriptor.digest, expires_at: new Date(Date.now() - 1000).toISOString() });
      assert.equal(expired.status, 400);
      assert.match(JSON.stringify(expired.body), /is not in the future: the exception would never apply/);
      assert.equal((await admin.call('POST', '/projects/guarded/scan-exceptions', { ...exception, digest: clean.manifest.descriptor.digest })).status, 201);
    });
  });
}
