import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toHarborReport } from './harbor-report.ts';
import { FINDINGS, IMAGE_DIGEST, scanFixture } from './scan-result-fixture.ts';

const ARTIFACT = { repository: 'team/api', digest: IMAGE_DIGEST, mimeType: 'application/vnd.oci.image.manifest.v1+json' };

describe('toHarborReport', () => {
  const report = toHarborReport(scanFixture(), ARTIFACT);

  it('writes the report envelope with the highest severity', () => {
    assert.equal(report.generated_at, '2025-01-15T10:00:00Z');
    assert.deepEqual(report.artifact, { repository: 'team/api', digest: IMAGE_DIGEST, mime_type: 'application/vnd.oci.image.manifest.v1+json' });
    assert.deepEqual(report.scanner, { name: 'Slipway', vendor: 'Slipway', version: '0.1.0' });
    assert.equal(report.severity, 'Critical');
  });

  it('says None for a clean artifact', () => {
    const clean = toHarborReport(scanFixture({ findings: [] }), ARTIFACT);
    assert.equal(clean.severity, 'None');
    assert.deepEqual(clean.vulnerabilities, []);
  });

  it('sorts items by severity and fills every field', () => {
    assert.deepEqual(report.vulnerabilities.map((v) => [v.id, v.severity]), [
      ['CVE-2024-5535', 'Critical'],
      ['CVE-2021-23337', 'High'],
      ['CVE-2020-28500', 'Medium'],
      ['CVE-2023-45853', 'Negligible'],
      ['GO-2024-2687', 'Unknown'],
    ]);
    const ssl = report.vulnerabilities[0];
    assert.deepEqual(ssl, {
      id: 'CVE-2024-5535',
      package: 'libssl3',
      version: '3.0.11-1~deb12u2',
      fix_version: '3.0.14-1~deb12u2',
      severity: 'Critical',
      description: 'openssl: SSL_select_next_proto buffer overread',
      links: ['https://security-tracker.debian.org/tracker/CVE-2024-5535'],
      preferred_cvss: { score_v3: 9.1, vector_v3: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:H' },
      cwe_ids: [],
      vendor_attributes: { CVSS: { nvd: { V3Score: 9.1, V3Vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:H' } } },
      layer: { digest: `sha256:${'a1'.repeat(32)}`, diff_id: `sha256:${'d1'.repeat(32)}` },
      status: 'fixed',
    });
    const zlib = report.vulnerabilities[3];
    assert.equal(zlib?.fix_version, '');
    assert.equal(zlib?.status, 'affected');
    assert.deepEqual(zlib?.links, ['https://nvd.nist.gov/vuln/detail/CVE-2023-45853']);
    assert.equal(zlib?.preferred_cvss, undefined);
  });

  it('keeps one item per id, package and version (the most severe)', () => {
    const ssl = FINDINGS[2];
    assert.ok(ssl !== undefined);
    const again = { ...ssl, severity: 'Low' as const, package: { ...ssl.package, location: 'elsewhere' } };
    const deduped = toHarborReport(scanFixture({ findings: [again, ssl] }), ARTIFACT);
    assert.deepEqual(deduped.vulnerabilities.map((v) => v.severity), ['Critical']);
  });
});
