import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sarifLevel, toSarif } from './sarif.ts';
import { FINDINGS, IMAGE_DIGEST, scanFixture } from './scan-result-fixture.ts';

describe('toSarif', () => {
  const log = toSarif(scanFixture());
  const run = log.runs[0];

  it('has the shape GitHub code scanning requires', () => {
    assert.equal(log.$schema, 'https://json.schemastore.org/sarif-2.1.0.json');
    assert.equal(log.version, '2.1.0');
    assert.equal(log.runs.length, 1);
    assert.equal(run?.tool.driver.name, 'Slipway');
    assert.equal(run?.tool.driver.version, '0.1.0');
    for (const rule of run?.tool.driver.rules ?? []) {
      assert.ok(rule.id !== '' && rule.shortDescription.text !== '' && rule.fullDescription.text !== '' && rule.help.text !== '');
      assert.ok(rule.fullDescription.text.length <= 1024);
      assert.ok(rule.properties.tags.includes('security'));
    }
    for (const result of run?.results ?? []) {
      assert.ok(result.message.text !== '');
      assert.equal(run?.tool.driver.rules[result.ruleIndex]?.id, result.ruleId);
      assert.ok(result.locations.length >= 1 && result.locations.length <= 10);
      assert.ok(result.locations[0]?.physicalLocation.artifactLocation.uri !== '');
      assert.match(result.partialFingerprints.primaryLocationLineHash, /^[0-9a-f]{16}:1$/);
    }
    assert.equal(run?.properties.digest, IMAGE_DIGEST);
  });

  it('makes one rule per advisory with its security-severity', () => {
    const rules = run?.tool.driver.rules ?? [];
    assert.deepEqual(rules.map((r) => [r.id, r.defaultConfiguration.level, r.properties['security-severity']]), [
      ['CVE-2024-5535', 'error', '9.1'],
      ['CVE-2021-23337', 'error', '7.2'],
      ['CVE-2020-28500', 'warning', '5.3'],
      ['CVE-2023-45853', 'note', '2.0'],
      ['GO-2024-2687', 'note', undefined],
    ]);
    assert.equal(rules[0]?.name, 'OsPackageVulnerability');
    assert.equal(rules[1]?.name, 'LanguageSpecificPackageVulnerability');
    assert.deepEqual(rules[0]?.properties.tags, ['vulnerability', 'security', 'CRITICAL']);
    assert.equal(rules[0]?.helpUri, 'https://security-tracker.debian.org/tracker/CVE-2024-5535');
  });

  it('locates each result at the file its package was found in', () => {
    const results = run?.results ?? [];
    assert.equal(results.length, FINDINGS.length);
    const first = results[0];
    assert.equal(first?.level, 'error');
    assert.deepEqual(first?.locations[0]?.physicalLocation, {
      artifactLocation: { uri: 'var/lib/dpkg/status', uriBaseId: 'ROOTPATH' },
      region: { startLine: 1, startColumn: 1, endLine: 1, endColumn: 1 },
    });
    assert.equal(first?.locations[0]?.message.text, 'var/lib/dpkg/status: libssl3@3.0.11-1~deb12u2');
    assert.match(first?.message.text ?? '', /libssl3 3\.0\.11-1~deb12u2 is vulnerable; fixed in 3\.0\.14-1~deb12u2$/);
    assert.equal(results[1]?.locations[0]?.physicalLocation.artifactLocation.uri, 'app/node_modules/lodash/package.json');
  });

  it('shares one rule between findings of the same advisory and is deterministic', () => {
    const ssl = FINDINGS[2];
    assert.ok(ssl !== undefined);
    const twice = toSarif(scanFixture({ findings: [ssl, { ...ssl, package: { ...ssl.package, name: 'libssl-dev', location: 'other' } }] }));
    assert.equal(twice.runs[0]?.tool.driver.rules.length, 1);
    assert.deepEqual(twice.runs[0]?.results.map((r) => r.ruleIndex), [0, 0]);
    assert.equal(JSON.stringify(toSarif(scanFixture())), JSON.stringify(log));
  });

  it('maps severities to levels as Trivy does', () => {
    assert.deepEqual((['Critical', 'High', 'Medium', 'Low', 'Negligible', 'Unknown'] as const).map(sarifLevel), ['error', 'error', 'warning', 'note', 'note', 'note']);
  });
});
