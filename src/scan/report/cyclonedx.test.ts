import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cdxLicenses, toCycloneDx } from './cyclonedx.ts';
import { packageRef } from './package-ref.ts';
import { FINDINGS, GO_NET, IMAGE_DIGEST, LIBSSL, LODASH, ZLIB, scanFixture } from './scan-result-fixture.ts';

const TYPES = ['application', 'framework', 'library', 'container', 'platform', 'operating-system', 'device', 'device-driver', 'firmware', 'file', 'machine-learning-model', 'data', 'cryptographic-asset'];
const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info', 'none', 'unknown'];

describe('toCycloneDx', () => {
  const bom = toCycloneDx(scanFixture());

  it('has the required top-level shape', () => {
    assert.equal(bom.bomFormat, 'CycloneDX');
    assert.equal(bom.specVersion, '1.6');
    assert.equal(bom.version, 1);
    assert.match(bom.serialNumber, /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.equal(bom.metadata.timestamp, '2025-01-15T10:00:00Z');
    assert.deepEqual(bom.metadata.tools, { components: [{ type: 'application', name: 'slipway', version: '0.1.0' }] });
    assert.deepEqual(bom.metadata.component, {
      type: 'container',
      'bom-ref': 'image',
      name: 'registry.example/team/api:1.4',
      version: IMAGE_DIGEST,
      purl: `pkg:oci/api@${IMAGE_DIGEST}?arch=amd64&repository_url=registry.example%2Fteam%2Fapi&tag=1.4`,
    });
  });

  it('lists components with valid types, unique bom-refs, purls and properties', () => {
    const refs = [bom.metadata.component, ...bom.components].map((c) => c['bom-ref']);
    assert.equal(new Set(refs).size, refs.length);
    for (const component of bom.components) {
      assert.ok(TYPES.includes(component.type), component.type);
      assert.ok(component.name !== '' && !(component['bom-ref'] ?? '').startsWith('urn:cdx:'));
    }
    assert.deepEqual(bom.components[0], { type: 'operating-system', 'bom-ref': 'os-debian-12', name: 'debian', version: '12', description: 'Debian GNU/Linux 12 (bookworm)' });
    const ssl = bom.components.find((c) => c.name === 'libssl3');
    assert.equal(ssl?.purl, LIBSSL.purl);
    assert.deepEqual(ssl?.licenses, [{ license: { id: 'Apache-2.0' } }]);
    assert.deepEqual(ssl?.properties?.slice(0, 2), [
      { name: 'slipway:location', value: 'var/lib/dpkg/status' },
      { name: 'slipway:layer', value: LIBSSL.layerDiffId },
    ]);
    const babel = bom.components.find((c) => c.purl === 'pkg:npm/%40babel/core@7.24.0');
    assert.equal(babel?.group, '@babel');
    assert.equal(babel?.name, 'core');
    assert.deepEqual(babel?.licenses, [{ expression: 'MIT OR Apache-2.0' }]);
    assert.equal(bom.components.find((c) => c.name === 'golang.org/x/net')?.licenses, undefined);
  });

  it('writes dependencies as Trivy does: the image on the OS and the applications, each of those on its packages, each package on its own', () => {
    const nameOf = new Map(bom.components.map((c) => [c['bom-ref'], c.name]));
    const names = (refs: readonly string[]) => refs.map((ref) => nameOf.get(ref) ?? ref);
    assert.deepEqual(
      bom.dependencies.map((d) => [nameOf.get(d.ref) ?? d.ref, names(d.dependsOn)]),
      [
        ['image', ['debian', 'Node.js', 'usr/local/bin/server']],
        ['debian', ['base-files', 'libssl3', 'zlib1g']],
        ['Node.js', ['lodash', 'core']],
        ['usr/local/bin/server', ['golang.org/x/net']],
      ],
      'the fixture knows no package-level dependencies: none listed, which CycloneDX reads as unknown',
    );
    assert.deepEqual(bom.components.filter((c) => c.type === 'application').map((c) => [c.name, c.properties]), [
      ['Node.js', [{ name: 'slipway:type', value: 'node-pkg' }]],
      ['usr/local/bin/server', [{ name: 'slipway:type', value: 'gobinary' }]],
    ]);
    const linked = toCycloneDx(scanFixture({ packages: [{ ...LIBSSL, dependsOn: [ZLIB.purl, 'pkg:deb/debian/not-installed@1?arch=amd64'] }, { ...ZLIB, dependsOn: [] }, LODASH], findings: [] }));
    assert.deepEqual(linked.dependencies.slice(-2), [
      { ref: packageRef(LIBSSL), dependsOn: [packageRef(ZLIB)] },
      { ref: packageRef(ZLIB), dependsOn: [] },
    ], 'a known leaf gets dependsOn [], an unknown one (lodash here) no entry');
    const refs = new Set(linked.components.map((c) => c['bom-ref']));
    assert.equal(new Set(linked.dependencies.map((d) => d.ref)).size, linked.dependencies.length, 'one entry per ref');
    assert.ok(linked.dependencies.every((d) => (d.ref === 'image' || refs.has(d.ref)) && d.dependsOn.every((ref) => refs.has(ref))));
  });

  it('writes vulnerabilities with ratings, affects and recommendations', () => {
    const vulns = bom.vulnerabilities ?? [];
    assert.equal(vulns.length, 5);
    const refs = new Set(bom.components.map((c) => c['bom-ref']));
    for (const v of vulns) {
      assert.ok(v.id !== '' && v.source.name !== '');
      for (const rating of v.ratings) assert.ok(SEVERITIES.includes(rating.severity), rating.severity);
      for (const affect of v.affects) assert.ok(refs.has(affect.ref), affect.ref);
    }
    const ssl = vulns.find((v) => v.id === 'CVE-2024-5535');
    assert.deepEqual(ssl?.ratings, [{ score: 9.1, severity: 'critical', method: 'CVSSv31', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:H' }]);
    assert.deepEqual(ssl?.source, { name: 'NVD', url: 'https://nvd.nist.gov/vuln/detail/CVE-2024-5535' });
    assert.equal(ssl?.recommendation, 'Upgrade libssl3 to 3.0.14-1~deb12u2');
    assert.deepEqual(ssl?.references, [{ id: 'DSA-5764-1', source: { name: 'Debian Security Tracker', url: 'https://security-tracker.debian.org/tracker/DSA-5764-1' } }]);
    assert.deepEqual(ssl?.affects, [{ ref: packageRef(LIBSSL), versions: [{ version: '3.0.11-1~deb12u2', status: 'affected' }] }]);
    assert.equal(vulns.filter((v) => v.affects[0]?.ref === packageRef(LODASH)).length, 2);
    assert.deepEqual(vulns.find((v) => v.id === 'CVE-2023-45853')?.ratings, [
      { source: { name: 'Debian Security Tracker', url: 'https://security-tracker.debian.org/tracker/CVE-2023-45853' }, severity: 'info' },
    ]);
    const go = vulns.find((v) => v.affects[0]?.ref === packageRef(GO_NET));
    assert.deepEqual(go?.ratings, [{ severity: 'unknown' }]);
    assert.deepEqual(go?.source, { name: 'Go Vulnerability Database', url: 'https://pkg.go.dev/vuln/GO-2024-2687' });
    // A vendor's rating that is not its vector's: both, each with its method.
    const rated = toCycloneDx(scanFixture({ findings: [{ ...FINDINGS[1]!, severity: 'Medium' }] })).vulnerabilities?.[0];
    const ghsa = { name: 'GitHub Advisory Database', url: 'https://github.com/advisories/GHSA-35jh-r3h4-6jhm' };
    assert.deepEqual(rated?.ratings, [
      { source: ghsa, score: 7.2, severity: 'high', method: 'CVSSv31', vector: 'CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H' },
      { source: ghsa, severity: 'medium', method: 'other' },
    ]);
    const redos = vulns.find((v) => v.id === 'CVE-2020-28500');
    assert.match(redos?.detail ?? '', /^All versions of package lodash/);
    assert.deepEqual([redos?.cwes, redos?.published, redos?.updated], [[1333, 400], '2022-01-06T20:30:46.000Z', '2023-09-05T22:58:25.000Z']);
    assert.deepEqual(redos?.ratings[0]?.source, { name: 'GitHub Advisory Database', url: 'https://github.com/advisories/GHSA-29mw-wpgm-hmr9' }, 'the rating names where its vector came from');
  });

  it('leaves vulnerabilities out of a clean scan and is deterministic', () => {
    assert.equal('vulnerabilities' in toCycloneDx(scanFixture({ findings: [] })), false);
    assert.equal(JSON.stringify(toCycloneDx(scanFixture())), JSON.stringify(bom));
    assert.notEqual(toCycloneDx(scanFixture({ createdAt: 1 })).serialNumber, bom.serialNumber);
  });
});

describe('cdxLicenses', () => {
  it('uses ids, one expression, or names', () => {
    assert.deepEqual(cdxLicenses(['mit', 'Zlib']), [{ license: { id: 'MIT' } }, { license: { id: 'Zlib' } }]);
    assert.deepEqual(cdxLicenses(['MIT', 'BSD-3-Clause OR GPL-2.0-only']), [{ expression: 'MIT AND (BSD-3-Clause OR GPL-2.0-only)' }]);
    assert.deepEqual(cdxLicenses(['MIT', 'GPL-2+']), [{ license: { id: 'MIT' } }, { license: { id: 'GPL-2.0-or-later' } }]);
    assert.deepEqual(cdxLicenses(['GPL-2+ or Artistic', 'MIT']), [{ expression: '(GPL-2.0-or-later OR Artistic-1.0) AND MIT' }]);
    assert.deepEqual(cdxLicenses(['MIT', 'public-domain']), [{ license: { id: 'MIT' } }, { license: { name: 'public-domain' } }]);
    assert.equal(cdxLicenses([]), undefined);
  });
});
