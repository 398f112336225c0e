import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { openImageLayout } from '../../core/oci/image-layout.ts';
import { isolatedCredentialEnv, runSlipway } from '../../testing/cli.ts';
import { startSlipway, type TestSlipway } from '../../testing/slipway-server.ts';
import { buildImage, writeImageToLayout } from '../../testing/test-images.ts';
import { requireTool } from '../../testing/tools.ts';
import { sharedData } from '../../testing/shared-data.ts';
import { parseSeverities } from './scan.ts';

const OSV = sharedData('osv/');

it('--severity reads Trivy\'s words: LOW keeps Harbor\'s Negligible too (the reports print it as LOW), NEGLIGIBLE alone', () => {
  assert.deepEqual(parseSeverities('HIGH,critical'), ['High', 'Critical']);
  assert.deepEqual(parseSeverities('LOW'), ['Low', 'Negligible']);
  assert.deepEqual(parseSeverities('negligible'), ['Negligible']);
  assert.throws(() => parseSeverities('SEVERE'), /"SEVERE" is not one of/);
});
const exec = promisify(execFile);
const MAIN = new URL('../main.ts', import.meta.url).pathname;

const image = buildImage({
  seed: 'cli-scan',
  files: [
    { 'etc/os-release': 'ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n' },
    {
      'srv/node_modules/minimist/package.json': JSON.stringify({ name: 'minimist', version: '1.2.0', license: 'MIT' }),
      'srv/node_modules/lodash/package.json': JSON.stringify({ name: 'lodash', version: '4.17.15', license: 'MIT' }),
    },
  ],
});

/** `slipway db`, `slipway scan` and `slipway sbom` as CI runs them, on every kind of target. */
describe('slipway db, scan and sbom', () => {
  let dir: string;
  let layout: string;
  let env: Record<string, string>;
  const cli = async (args: readonly string[]) => runSlipway([...args, '--data', join(dir, 'data')], env);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'slipway-cli-scan-'));
    env = isolatedCredentialEnv(dir);
    layout = join(dir, 'layout');
    await writeImageToLayout(await openImageLayout(layout, { create: true }), image, 'v1');
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('reports a database it cannot open as an error, not a crash', async () => {
    const unreachable = await runSlipway(['scan', `oci:${layout}:v1`, '--database-url', 'postgres://slipway@127.0.0.1:1/none'], env);
    assert.equal(unreachable.code, 1);
    assert.match(unreachable.stderr, /^slipway: .*127\.0\.0\.1:1/);
    assert.doesNotMatch(unreachable.stderr, /\n\s+at /, 'no stack trace');
  });

  it('refuses to scan with an empty vulnerability database rather than report nothing', async () => {
    const empty = await cli(['scan', `oci:${layout}:v1`]);
    assert.equal(empty.code, 1);
    assert.match(empty.stderr, /the vulnerability database is empty: import OSV data first/);
  });

  it('imports OSV data offline and says what is loaded', async () => {
    const imported = await cli(['db', 'import', join(OSV, 'npm'), join(OSV, 'Debian'), '--output', 'json']);
    assert.equal(imported.code, 0, imported.stderr);
    const results = JSON.parse(imported.stdout) as { records: number; ecosystems: string[] }[];
    assert.ok((results[0]?.records ?? 0) >= 30);
    assert.deepEqual(results[0]?.ecosystems, ['npm']);
    const status = await cli(['db', 'status', '--output', 'json']);
    assert.ok((JSON.parse(status.stdout) as { advisories: number }).advisories >= 60);
    assert.match((await cli(['db', 'status'])).stdout, /advisories; last import \d{4}-\d\d-\d\dT/);
    const missing = await cli(['db', 'import', join(OSV, 'npm', 'GHSA-29mw-wpgm-hmr9.json'), join(dir, 'Debian-all.zip')]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /cannot read .*Debian-all\.zip: no such file or directory/);
    assert.match(missing.stdout, /^Imported 1 advisories from .*GHSA-29mw-wpgm-hmr9\.json \(npm\), 1 of them already current\n$/, 'what went in before the failure is said');

    const broken = join(dir, 'broken-osv');
    await mkdir(broken);
    await Promise.all(Array.from({ length: 7 }, (_, i) => writeFile(join(broken, `bad-${i}.json`), '{ not json')));
    const nothing = await runSlipway(['db', 'import', broken, '--data', join(dir, 'broken-data')], env);
    assert.equal(nothing.code, 1, 'not one valid record: an error, not an import');
    assert.match(nothing.stderr, /broken-osv: no valid OSV record to import \(skipped 7: bad-0\.json: not valid JSON/);
    const unchanged = await runSlipway(['db', 'status', '--output', 'json', '--data', join(dir, 'broken-data')], env);
    assert.deepEqual((JSON.parse(unchanged.stdout) as { imports: unknown[] }).imports, [], 'and no import recorded');
    await writeFile(join(broken, 'GHSA-29mw-wpgm-hmr9.json'), await readFile(join(OSV, 'npm', 'GHSA-29mw-wpgm-hmr9.json')));
    const skipped = await runSlipway(['db', 'import', broken, '--data', join(dir, 'broken-data')], env);
    assert.equal(skipped.code, 0, skipped.stderr);
    assert.match(skipped.stdout, /^Imported 1 advisories .*; skipped 7: (?:[^;]+; ){5}and 2 more\n$/, 'says how many skipped files it does not name');
  });

  it('gates CI on Critical findings with --exit-code, and a VEX statement lifts the gate', async () => {
    const gated = await cli(['scan', `oci:${layout}:v1`, '--format', 'json', '--severity', 'CRITICAL', '--exit-code', '3']);
    assert.equal(gated.code, 3, gated.stderr);
    type Vulnerability = { VulnerabilityID: string; PkgName: string; FixedVersion: string; Severity: string; SeveritySource?: string; CVSS?: object };
    const report = JSON.parse(gated.stdout) as { SchemaVersion: number; Results: { Vulnerabilities?: Vulnerability[] }[] };
    assert.equal(report.SchemaVersion, 2);
    const vulns = report.Results.flatMap((r) => r.Vulnerabilities ?? []);
    assert.deepEqual(vulns.map((v) => [v.VulnerabilityID, v.PkgName, v.FixedVersion, v.Severity]), [['CVE-2021-44906', 'minimist', '1.2.6', 'CRITICAL']]);
    // GHSA's own rating, and the record's vector scored beside it.
    assert.deepEqual([vulns[0]?.SeveritySource, vulns[0]?.CVSS], ['ghsa', { ghsa: { V3Vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', V3Score: 9.8 } }]);

    const vex = join(dir, 'vex.json');
    await writeFile(
      vex,
      JSON.stringify({
        '@context': 'https://openvex.dev/ns/v0.2.0',
        '@id': 'https://example.com/vex/1',
        author: 'platform-team',
        timestamp: '2026-11-01T00:00:00Z',
        version: 1,
        statements: [{ vulnerability: { name: 'CVE-2021-44906' }, products: [{ '@id': 'pkg:npm/minimist@1.2.0' }], status: 'not_affected', justification: 'vulnerable_code_not_in_execute_path' }],
      }),
    );
    const lifted = await cli(['scan', `oci:${layout}:v1`, '--format', 'json', '--severity', 'CRITICAL', '--exit-code', '3', '--vex', vex]);
    assert.equal(lifted.code, 0, lifted.stderr);

    const table = await cli(['scan', `oci:${layout}:v1`]);
    assert.equal(table.code, 0, 'without --exit-code findings do not fail the command');
    assert.match(table.stdout, /CVE-2021-44906/);
    assert.match(table.stdout, /CVE-2020-8203/);
    const sarif = JSON.parse((await cli(['scan', `oci:${layout}:v1`, '--format', 'sarif'])).stdout) as { version: string; runs: { results: unknown[] }[] };
    assert.equal(sarif.version, '2.1.0');
    assert.ok((sarif.runs[0]?.results.length ?? 0) >= 5);
  });

  it('fails closed under --exit-code when nothing is recognised, and refuses --exit-code with an SBOM format or a bad status', async () => {
    const bare = join(dir, 'bare');
    await writeImageToLayout(await openImageLayout(bare, { create: true }), buildImage({ seed: 'nothing-to-recognise', files: [{ 'srv/readme.txt': 'hello' }] }), 'v1');
    assert.equal((await cli(['scan', `oci:${bare}:v1`])).code, 0, 'without --exit-code it only says so');
    const gated = await cli(['scan', `oci:${bare}:v1`, '--exit-code', '4']);
    assert.equal(gated.code, 4);
    assert.match(gated.stdout, /Packages: none recognised/);
    assert.match(gated.stderr, /nothing recognised in .*: Unsupported, so --exit-code 4/);
    const sbom = await cli(['scan', `oci:${layout}:v1`, '--format', 'spdx-json', '--exit-code', '1']);
    assert.equal(sbom.code, 2);
    assert.match(sbom.stderr, /--exit-code needs a vulnerability report/);
    for (const bad of ['abc', '256', '-1', '1.5']) {
      const refused = await cli(['scan', `oci:${layout}:v1`, '--severity', 'CRITICAL', `--exit-code=${bad}`]);
      assert.equal(refused.code, 2, bad);
      assert.match(refused.stderr, /--exit-code: .* is not an exit status \(0 to 255\)/, bad);
      assert.equal(refused.stdout, '', 'refused before any scan');
    }
  });

  it('scan --format cyclonedx carries the filtered vulnerabilities and gates like the other reports', async () => {
    const all = await cli(['scan', `oci:${layout}:v1`, '--format', 'cyclonedx']);
    const bom = JSON.parse(all.stdout) as { specVersion: string; vulnerabilities?: { id: string }[] };
    assert.equal(bom.specVersion, '1.6');
    assert.ok(bom.vulnerabilities?.some((v) => v.id === 'CVE-2021-44906'), 'the minimist advisory is in the BOM');
    const critical = await cli(['scan', `oci:${layout}:v1`, '--format', 'cyclonedx', '--severity', 'CRITICAL', '--exit-code', '5']);
    assert.equal(critical.code, 5);
    const kept = (JSON.parse(critical.stdout) as { vulnerabilities?: { ratings?: { severity?: string }[] }[] }).vulnerabilities ?? [];
    assert.ok(kept.length > 0 && kept.length < (bom.vulnerabilities?.length ?? 0), 'only the critical ones');
    const sbomOnly = JSON.parse((await cli(['sbom', `oci:${layout}:v1`, '--format', 'cyclonedx'])).stdout) as { vulnerabilities?: unknown[] };
    assert.equal(sbomOnly.vulnerabilities, undefined, 'slipway sbom writes the SBOM alone');
  });

  it('writes the report or the SBOM to a file with -o, and says so when it cannot', async () => {
    const out = join(dir, 'reports');
    await mkdir(out);
    const gated = await cli(['scan', `oci:${layout}:v1`, '--format', 'sarif', '--severity', 'CRITICAL', '--exit-code', '3', '-o', join(out, 'scan.sarif')]);
    assert.equal(gated.code, 3, gated.stderr);
    assert.equal(gated.stdout, '');
    const sarif = JSON.parse(await readFile(join(out, 'scan.sarif'), 'utf8')) as { runs: { results: { ruleId: string }[] }[] };
    assert.deepEqual(sarif.runs[0]?.results.map((r) => r.ruleId), ['CVE-2021-44906']);
    const sbom = await cli(['sbom', `oci:${layout}:v1`, '--output-file', join(out, 'sbom.spdx.json')]);
    assert.equal(sbom.code, 0, sbom.stderr);
    assert.equal((JSON.parse(await readFile(join(out, 'sbom.spdx.json'), 'utf8')) as { spdxVersion: string }).spdxVersion, 'SPDX-2.3');
    const nowhere = await cli(['scan', `oci:${layout}:v1`, '-o', join(out, 'missing-dir', 'scan.txt')]);
    assert.equal(nowhere.code, 1);
    assert.match(nowhere.stderr, /cannot write the report to .*missing-dir\/scan\.txt: ENOENT/);
    await mkdir(join(out, 'a-directory'));
    const overDirectory = await cli(['scan', `oci:${layout}:v1`, '-o', join(out, 'a-directory')]);
    assert.equal(overDirectory.code, 1);
    assert.match(overDirectory.stderr, /cannot write the report to .*a-directory: EISDIR/);
    assert.deepEqual((await readdir(out)).sort(), ['a-directory', 'sbom.spdx.json', 'scan.sarif'], 'nothing half-written left behind');
  });

  it('writes SPDX and CycloneDX SBOMs', async () => {
    const spdx = JSON.parse((await cli(['sbom', `oci:${layout}:v1`])).stdout) as { spdxVersion: string; packages: { name: string; versionInfo?: string }[] };
    assert.equal(spdx.spdxVersion, 'SPDX-2.3');
    assert.ok(spdx.packages.some((p) => p.name === 'minimist' && p.versionInfo === '1.2.0'));
    const cdx = JSON.parse((await cli(['sbom', `oci:${layout}:v1`, '--format', 'cyclonedx'])).stdout) as { specVersion: string; components: { purl?: string }[] };
    assert.equal(cdx.specVersion, '1.6');
    assert.ok(cdx.components.some((c) => c.purl === 'pkg:npm/lodash@4.17.15'));
  });

  it('prints the walk warnings of an SBOM on stderr, as scan does', async () => {
    const hostile = buildImage({ seed: 'cli-sbom-warning', files: [{ 'etc/os-release': 'ID=debian\nVERSION_ID="12"\n', '../escape': 'x' }] });
    const warned = join(dir, 'warned');
    await writeImageToLayout(await openImageLayout(warned, { create: true }), hostile, 'v1');
    const sbom = await cli(['sbom', `oci:${warned}:v1`]);
    assert.equal(sbom.code, 0, sbom.stderr);
    assert.equal((JSON.parse(sbom.stdout) as { spdxVersion: string }).spdxVersion, 'SPDX-2.3');
    assert.equal(sbom.stderr, `slipway: warning: layer ${hostile.layers[0]?.descriptor.digest}: entry "../escape": path escapes the image root; skipped\n`);
  });

  it('stops quietly when its reader has gone (slipway sbom … | head)', async () => {
    const child = spawn(process.execPath, [MAIN, 'sbom', `oci:${layout}:v1`], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy(); // the reader closes the pipe before the SBOM is written
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const [code] = (await once(child, 'close')) as [number | null];
    assert.equal(stderr, '', 'no stack trace');
    assert.equal(code, 0);
    // A gate keeps its verdict: the reader leaving early does not turn findings into a pass.
    const gate = spawn(process.execPath, [MAIN, 'scan', `oci:${layout}:v1`, '--exit-code', '3', '--data', join(dir, 'data')], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    gate.stdout.destroy();
    const [gateCode] = (await once(gate, 'close')) as [number | null];
    assert.equal(gateCode, 3);
  });

  it('scans a docker-archive made by skopeo and an image in a registry the same way', async () => {
    const skopeo = await requireTool('skopeo', 'skopeo');
    const archive = join(dir, 'image.tar');
    await exec(skopeo, ['copy', '-q', `oci:${layout}:v1`, `docker-archive:${archive}:cli/scan:v1`]);
    const fromArchive = await cli(['scan', archive, '--format', 'json', '--severity', 'CRITICAL']);
    assert.equal(fromArchive.code, 0, fromArchive.stderr);
    assert.match(fromArchive.stdout, /CVE-2021-44906/);
    const report = JSON.parse(fromArchive.stdout) as { ArtifactName: string; Metadata: { ImageID?: string; RepoTags?: string[] } };
    assert.equal(report.ArtifactName, `docker-archive:${archive}`, 'named by the file scanned, as Trivy names an --input archive');
    assert.deepEqual(report.Metadata.RepoTags, ['docker.io/cli/scan:v1'], 'with the tag skopeo wrote into manifest.json');

    let server: TestSlipway | undefined;
    try {
      server = await startSlipway();
      await exec(skopeo, ['copy', '-q', '--dest-tls-verify=false', '--dest-creds', `admin:${server.adminPassword}`, `oci:${layout}:v1`, `docker://${server.host}/platform-dev/scanned:v1`]);
      const login = await runSlipway(['login', server.host, '-u', 'admin', '--password-stdin', '--insecure'], env, server.adminPassword);
      assert.equal(login.code, 0, login.stderr);
      const fromRegistry = await cli(['scan', `${server.host}/platform-dev/scanned:v1`, '--insecure', '--format', 'json', '--severity', 'CRITICAL']);
      assert.equal(fromRegistry.code, 0, fromRegistry.stderr);
      assert.match(fromRegistry.stdout, /CVE-2021-44906/);
      // skopeo writes the config unchanged: one image ID from the archive, the registry and the layout.
      const imageId = (JSON.parse(fromRegistry.stdout) as { Metadata: { ImageID?: string } }).Metadata.ImageID;
      assert.equal(imageId, image.config.descriptor.digest);
      assert.equal(report.Metadata.ImageID, imageId);
    } finally {
      await server?.stop();
    }
  });
});
