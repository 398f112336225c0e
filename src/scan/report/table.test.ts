import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { scanFixture } from './scan-result-fixture.ts';
import { databaseLine, toTable } from './table.ts';

describe('toTable', () => {
  it('writes the header and rows sorted by severity, then package', () => {
    const lines = toTable(scanFixture()).split('\n');
    assert.equal(lines[0], `Artifact: registry.example/team/api:1.4 (sha256:${'9f'.repeat(32)})`);
    assert.equal(lines[1], 'Distro:   Debian GNU/Linux 12 (bookworm)');
    assert.equal(lines[2], 'Packages: 6 (deb 3, npm 2, golang 1)');
    assert.equal(lines[3], 'Database: vulnerability data from 2025-01-10 (5 days old; imported 2025-01-10), 1234 advisories');
    assert.equal(lines[4], 'Total: 5 (CRITICAL: 1, HIGH: 1, MEDIUM: 1, LOW: 0, NEGLIGIBLE: 1, UNKNOWN: 1)');
    assert.equal(lines[5], '');
    assert.match(lines[6] ?? '', /^LIBRARY +VULNERABILITY +SEVERITY +INSTALLED +FIXED +TITLE$/);
    const rows = lines.slice(7).map((line) => line.split(/ {2,}/));
    assert.deepEqual(rows.map((cells) => [cells[0], cells[1], cells[2]]), [
      ['libssl3', 'CVE-2024-5535', 'CRITICAL'],
      ['lodash', 'CVE-2021-23337', 'HIGH'],
      ['lodash', 'CVE-2020-28500', 'MEDIUM'],
      ['zlib1g', 'CVE-2023-45853', 'NEGLIGIBLE'],
      ['golang.org/x/net', 'GO-2024-2687', 'UNKNOWN'],
    ]);
    assert.deepEqual(rows[0]?.slice(3), ['3.0.11-1~deb12u2', '3.0.14-1~deb12u2', 'openssl: SSL_select_next_proto buffer overread']);
    const columnStart = (lines[6] ?? '').indexOf('SEVERITY');
    for (const line of lines.slice(7)) assert.match(line.slice(columnStart), /^(CRITICAL|HIGH|MEDIUM|NEGLIGIBLE|UNKNOWN) /);
    assert.ok(rows[2]?.[5]?.endsWith('…'));
  });

  it('says when nothing could be checked, and when nothing was found', () => {
    const text = toTable(scanFixture({ findings: [], packages: [], distro: null, artifact: { name: 'oci:/tmp/layout', layers: [] } }));
    assert.equal(text, ['Artifact: oci:/tmp/layout', 'Distro:   unknown', 'Packages: none recognised (no OS package database, no language packages): nothing to match', 'Database: vulnerability data from 2025-01-10 (5 days old; imported 2025-01-10), 1234 advisories', 'Total: 0 (CRITICAL: 0, HIGH: 0, MEDIUM: 0, LOW: 0, NEGLIGIBLE: 0, UNKNOWN: 0)', '', 'Not checked for vulnerabilities: no packages were recognised.'].join('\n'));
    const clean = toTable(scanFixture({ findings: [] }));
    assert.ok(clean.endsWith('\n\nNo vulnerabilities found.'), clean);
  });

  it('describes the database age', () => {
    const day = 86_400_000;
    assert.equal(databaseLine({ updatedAt: null, advisories: 0 }, 0), 'no vulnerability data (never updated), 0 advisories');
    assert.equal(databaseLine({ updatedAt: 0, advisories: 7 }, day / 2), 'vulnerability data from 1970-01-01 (less than a day old; imported 1970-01-01), 7 advisories');
    assert.equal(databaseLine({ updatedAt: 0, advisories: 7 }, day), 'vulnerability data from 1970-01-01 (1 day old; imported 1970-01-01), 7 advisories');
    // Dated by its newest advisory: an old dump imported today is old data.
    assert.equal(databaseLine({ updatedAt: 400 * day, newestAdvisory: 10 * day, advisories: 7 }, 400 * day), 'vulnerability data from 1970-01-11 (390 days old; imported 1971-02-05), 7 advisories');
  });
});
