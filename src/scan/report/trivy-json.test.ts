import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IMAGE_DIGEST, scanFixture } from './scan-result-fixture.ts';
import { toTrivyJson } from './trivy-json.ts';

describe('toTrivyJson', () => {
  const report = toTrivyJson(scanFixture());

  it('writes the SchemaVersion 2 top level and image metadata', () => {
    assert.equal(report.SchemaVersion, 2);
    assert.equal(report.CreatedAt, '2025-01-15T10:00:00.250Z');
    assert.equal(report.ArtifactName, 'registry.example/team/api:1.4');
    assert.equal(report.ArtifactType, 'container_image');
    assert.deepEqual(report.Metadata.OS, { Family: 'debian', Name: '12' });
    // Debian's point release, where the image says it, as Trivy names the OS and its target.
    const pointRelease = toTrivyJson(scanFixture({ distro: { id: 'debian', versionId: '12', prettyName: 'Debian GNU/Linux 12 (bookworm)', release: '12.15' } }));
    assert.deepEqual([pointRelease.Metadata.OS, pointRelease.Results[0]?.Target], [{ Family: 'debian', Name: '12.15' }, 'registry.example/team/api:1.4 (debian 12.15)']);
    assert.equal(report.Metadata.ImageID, `sha256:${'c0'.repeat(32)}`);
    assert.deepEqual(Object.keys(report.Metadata).slice(0, 3), ['OS', 'ImageID', 'DiffIDs'], "Trivy's order");
    assert.equal(report.Metadata.DiffIDs.length, 2);
    assert.deepEqual(report.Metadata.RepoDigests, [`registry.example/team/api@${IMAGE_DIGEST}`]);
    assert.deepEqual(report.Metadata.ImageConfig, { architecture: 'amd64', os: 'linux' });
    assert.deepEqual(Object.keys(report.Metadata.Layers[0] ?? {}), ['Size', 'Digest', 'DiffID']);
  });

  it('groups OS packages first, then, as Trivy does, installed packages per language and binaries per path, only where something was found', () => {
    assert.deepEqual(
      report.Results.map((r) => [r.Target, r.Class, r.Type]),
      [
        ['registry.example/team/api:1.4 (debian 12)', 'os-pkgs', 'debian'],
        ['Node.js', 'lang-pkgs', 'node-pkg'],
        ['usr/local/bin/server', 'lang-pkgs', 'gobinary'],
      ],
    );
  });

  it('writes each vulnerability the way Trivy does', () => {
    const os = report.Results[0]?.Vulnerabilities ?? [];
    assert.deepEqual(os.map((v) => [v.PkgName, v.VulnerabilityID, v.Severity, v.Status]), [
      ['libssl3', 'CVE-2024-5535', 'CRITICAL', 'fixed'],
      ['zlib1g', 'CVE-2023-45853', 'LOW', 'affected'],
    ]);
    const ssl = os[0];
    assert.equal(ssl?.PkgID, 'libssl3@3.0.11-1~deb12u2');
    assert.equal(ssl?.PkgIdentifier.PURL, 'pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12');
    assert.equal(ssl?.InstalledVersion, '3.0.11-1~deb12u2');
    assert.equal(ssl?.FixedVersion, '3.0.14-1~deb12u2');
    assert.deepEqual(ssl?.Layer, { Digest: `sha256:${'a1'.repeat(32)}`, DiffID: `sha256:${'d1'.repeat(32)}` });
    assert.deepEqual(ssl?.CVSS, { nvd: { V3Vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:H', V3Score: 9.1 } });
    assert.equal(ssl?.PrimaryURL, 'https://security-tracker.debian.org/tracker/CVE-2024-5535');
    assert.equal(ssl?.Title, 'openssl: SSL_select_next_proto buffer overread');
    assert.deepEqual(ssl?.VendorIDs, ['DSA-5764-1']);
    assert.equal(ssl?.PkgPath, undefined);
    assert.equal(os[1]?.FixedVersion, undefined);
    // Who rated it: the advisory record the severity is from, as Trivy's SeveritySource / VendorSeverity / DataSource.
    const zlib = os[1];
    assert.deepEqual([zlib?.SeveritySource, zlib?.VendorSeverity, zlib?.DataSource], [
      'debian',
      { debian: 1 },
      { ID: 'debian', Name: 'Debian Security Tracker', URL: 'https://security-tracker.debian.org/tracker/' },
    ]);
    const lodash = report.Results[1]?.Vulnerabilities ?? [];
    assert.deepEqual(lodash.map((v) => [v.VulnerabilityID, v.Severity, v.PkgPath]), [
      ['CVE-2020-28500', 'MEDIUM', 'app/node_modules/lodash/package.json'],
      ['CVE-2021-23337', 'HIGH', 'app/node_modules/lodash/package.json'],
    ]);
    // The advisory's details, dates and CWE ids as Trivy names them; its vector under the source that carried it.
    const redos = lodash[0];
    assert.match(redos?.Description ?? '', /^All versions of package lodash prior to 4\.17\.21/);
    assert.deepEqual([redos?.PublishedDate, redos?.LastModifiedDate, redos?.CweIDs], ['2022-01-06T20:30:46.000Z', '2023-09-05T22:58:25.000Z', ['CWE-1333', 'CWE-400']]);
    assert.deepEqual(redos?.CVSS, { ghsa: { V3Vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L', V3Score: 5.3 } });
    assert.equal(lodash[1]?.Description, undefined, 'none invented where the advisory has none');
    assert.deepEqual([lodash[1]?.SeveritySource, lodash[1]?.VendorSeverity], ['ghsa', { ghsa: 3 }]);
    const go = report.Results[2]?.Vulnerabilities?.[0];
    assert.equal(go?.Severity, 'UNKNOWN');
    assert.deepEqual([go?.SeveritySource, go?.VendorSeverity, go?.DataSource], [undefined, undefined, undefined], 'nobody rated it');
    assert.equal(go?.PrimaryURL, 'https://pkg.go.dev/vuln/GO-2024-2687');
  });

  it('links each finding to an advisory page, not to a fix commit or a mailing-list post', () => {
    const fixture = scanFixture();
    const linked = (references: string[]) => {
      const findings = fixture.findings.map((f) => (f.id === 'CVE-2024-5535' ? { ...f, references } : f));
      return toTrivyJson({ ...fixture, findings }).Results[0]?.Vulnerabilities?.find((v) => v.VulnerabilityID === 'CVE-2024-5535')?.PrimaryURL;
    };
    assert.equal(linked(['https://github.com/openssl/openssl/commit/e86ac43', 'https://nvd.nist.gov/vuln/detail/CVE-2024-5535']), 'https://nvd.nist.gov/vuln/detail/CVE-2024-5535');
    assert.equal(linked(['https://www.openwall.com/lists/oss-security/2024/06/27/1']), 'https://nvd.nist.gov/vuln/detail/CVE-2024-5535', "else the id's own authority");
  });

  it('joins several fixed versions with commas and names the lockfile type', () => {
    const base = scanFixture();
    const first = base.findings[1];
    assert.ok(first !== undefined);
    const lock = { ...first.package, location: 'app/package-lock.json' };
    const result = scanFixture({ packages: [lock], findings: [{ ...first, package: lock, fixedVersions: ['4.17.21', '5.0.0'] }], distro: null });
    const only = toTrivyJson(result).Results;
    assert.equal(only.length, 1);
    assert.equal(only[0]?.Type, 'npm');
    assert.equal(only[0]?.Vulnerabilities?.[0]?.FixedVersion, '4.17.21, 5.0.0');
  });

  it('calls a scan without layers a filesystem and is deterministic', () => {
    assert.equal(toTrivyJson(scanFixture({ artifact: { name: '/srv/app', layers: [] } })).ArtifactType, 'filesystem');
    assert.equal(JSON.stringify(toTrivyJson(scanFixture())), JSON.stringify(report));
  });
});
