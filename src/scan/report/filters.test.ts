import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { filterFindings, parseOpenVex, type OpenVexDocument } from './filters.ts';
import { ReportError } from './report-error.ts';
import { FINDINGS, IMAGE_DIGEST, LIBSSL } from './scan-result-fixture.ts';

const NOW = Date.parse('2025-02-01T00:00:00Z');

function vex(statements: readonly Record<string, unknown>[], extra: Record<string, unknown> = {}): OpenVexDocument {
  return parseOpenVex({
    '@context': 'https://openvex.dev/ns/v0.2.0',
    '@id': 'https://slipway.example/vex/api-0001',
    author: 'Example PSIRT <psirt@example.com>',
    timestamp: '2025-01-15T10:00:00Z',
    version: 1,
    statements,
    ...extra,
  });
}

const ids = (findings: readonly { id: string }[]): string[] => findings.map((f) => f.id);

describe('filterFindings', () => {
  it('keeps everything without options', () => {
    assert.deepEqual(filterFindings(FINDINGS), { kept: FINDINGS, suppressed: [] });
  });

  it('filters by severity and fix', () => {
    assert.deepEqual(ids(filterFindings(FINDINGS, { severities: ['High', 'Critical'] }).kept), ['CVE-2021-23337', 'CVE-2024-5535']);
    assert.deepEqual(ids(filterFindings(FINDINGS, { ignoreUnfixed: true }).kept), ['CVE-2021-23337', 'CVE-2024-5535', 'CVE-2020-28500', 'GO-2024-2687']);
  });

  it('suppresses not_affected and fixed findings named by id or alias and product purl', () => {
    const doc = vex([
      { vulnerability: { name: 'CVE-2024-5535' }, products: [{ '@id': 'pkg:deb/debian/libssl3' }], status: 'not_affected', justification: 'vulnerable_code_not_in_execute_path' },
      { vulnerability: { name: 'GHSA-35jh-r3h4-6jhm' }, products: [{ identifiers: { purl: 'pkg:npm/lodash@4.17.20' } }], status: 'fixed' },
      { vulnerability: { name: 'CVE-2020-28500' }, products: [{ '@id': 'pkg:npm/lodash@4.17.19' }], status: 'fixed' },
      { vulnerability: { name: 'CVE-2023-45853' }, products: [{ '@id': 'pkg:deb/debian/zlib1g' }], status: 'affected', action_statement: 'Upgrade when a fix lands.' },
      { vulnerability: { name: 'CVE-2023-45288' }, products: [{ '@id': 'pkg:golang/golang.org/x/net' }], status: 'under_investigation' },
    ]);
    const { kept, suppressed } = filterFindings(FINDINGS, { vex: doc, now: NOW });
    assert.deepEqual(ids(kept), ['CVE-2023-45853', 'CVE-2020-28500', 'GO-2024-2687']);
    assert.deepEqual(suppressed.map((s) => [s.finding.id, s.statement.status]), [
      ['CVE-2021-23337', 'fixed'],
      ['CVE-2024-5535', 'not_affected'],
    ]);
  });

  it('matches the image as product, with and without subcomponents, only when the digest is known', () => {
    const doc = vex([
      { vulnerability: { name: 'CVE-2024-5535' }, products: [{ '@id': `pkg:oci/api@${IMAGE_DIGEST}?repository_url=registry.example%2Fteam%2Fapi`, subcomponents: [{ '@id': 'pkg:deb/debian/libssl3?arch=amd64' }] }], status: 'not_affected', impact_statement: 'TLS is terminated elsewhere.' },
      { vulnerability: { name: 'CVE-2021-23337' }, products: [{ '@id': `registry.example/team/api@${IMAGE_DIGEST}`, subcomponents: [{ '@id': 'pkg:npm/other' }] }], status: 'not_affected', justification: 'component_not_present' },
      { vulnerability: { name: 'CVE-2020-28500' }, products: [{ hashes: { 'sha-256': IMAGE_DIGEST.slice(7) } }], status: 'fixed' },
    ]);
    assert.deepEqual(ids(filterFindings(FINDINGS, { vex: doc, now: NOW, imageDigest: IMAGE_DIGEST }).suppressed.map((s) => s.finding)), ['CVE-2024-5535', 'CVE-2020-28500']);
    assert.deepEqual(filterFindings(FINDINGS, { vex: doc, now: NOW }).suppressed, []);
    assert.deepEqual(filterFindings(FINDINGS, { vex: doc, now: NOW, imageDigest: `sha256:${'00'.repeat(32)}` }).suppressed, []);
  });

  it("matches the image by its purl as go-vex does: versionless, each qualifier the statement gives present in the image's", () => {
    const purl = `pkg:oci/api@${IMAGE_DIGEST}?arch=amd64&repository_url=registry.example%2Fteam%2Fapi&tag=1.4`;
    const statement = (product: string) => vex([{ vulnerability: { name: 'CVE-2024-5535' }, products: [{ '@id': product, subcomponents: [{ '@id': 'pkg:deb/debian/libssl3' }] }], status: 'not_affected', justification: 'component_not_present' }]);
    const suppressed = (product: string) => ids(filterFindings(FINDINGS, { vex: statement(product), now: NOW, imagePurl: purl }).suppressed.map((s) => s.finding));
    assert.deepEqual(suppressed('pkg:oci/api'), ['CVE-2024-5535']);
    assert.deepEqual(suppressed('pkg:oci/api?arch=amd64'), ['CVE-2024-5535']);
    assert.deepEqual(suppressed('pkg:oci/API?repository_url=registry.example/team/api'), ['CVE-2024-5535']);
    assert.deepEqual(suppressed('pkg:oci/api?arch=arm64'), [], 'another platform');
    assert.deepEqual(suppressed('pkg:oci/web'), [], 'another image');
    assert.deepEqual(suppressed(`pkg:oci/api@sha256:${'00'.repeat(32)}`), [], 'another digest');
    assert.deepEqual(suppressed('pkg:npm/api'), [], 'not an image');
  });

  it('ignores expired statements, statement-level or inherited from the document', () => {
    const statement = { vulnerability: { name: 'CVE-2024-5535' }, products: [{ '@id': LIBSSL.purl }], status: 'not_affected', justification: 'component_not_present' };
    const expiring = vex([{ ...statement, slipway_expires: '2025-01-31T00:00:00Z' }]);
    assert.equal(filterFindings(FINDINGS, { vex: expiring, now: NOW }).suppressed.length, 0);
    assert.equal(filterFindings(FINDINGS, { vex: expiring, now: Date.parse('2025-01-30T23:59:59Z') }).suppressed.length, 1);
    assert.equal(filterFindings(FINDINGS, { vex: expiring, now: Date.parse('2025-01-31T00:00:00Z') }).suppressed.length, 0);
    const documentExpiry = vex([statement], { slipway_expires: '2025-01-20T00:00:00Z' });
    assert.equal(filterFindings(FINDINGS, { vex: documentExpiry, now: NOW }).suppressed.length, 0);
    const overridden = vex([{ ...statement, slipway_expires: '2026-01-01T00:00:00+01:00' }], { slipway_expires: '2025-01-20T00:00:00Z' });
    assert.equal(filterFindings(FINDINGS, { vex: overridden, now: NOW }).suppressed.length, 1);
  });

  it('lets the latest statement decide, and an expired one fall away', () => {
    const base = { vulnerability: { name: 'CVE-2024-5535' }, products: [{ '@id': 'pkg:deb/debian/libssl3' }] };
    const fixedThenAffected = vex([
      { ...base, status: 'fixed', timestamp: '2025-01-16T00:00:00Z' },
      { ...base, status: 'affected', action_statement: 'Upgrade.', timestamp: '2025-01-20T00:00:00Z' },
    ]);
    assert.equal(filterFindings(FINDINGS, { vex: fixedThenAffected, now: NOW }).suppressed.length, 0);
    const reversed = vex([
      { ...base, status: 'affected', action_statement: 'Upgrade.', timestamp: '2025-01-16T00:00:00Z' },
      { ...base, status: 'fixed', timestamp: '2025-01-20T00:00:00Z', slipway_expires: '2025-01-25T00:00:00Z' },
    ]);
    assert.equal(filterFindings(FINDINGS, { vex: reversed, now: Date.parse('2025-01-21T00:00:00Z') }).suppressed.length, 1);
    assert.equal(filterFindings(FINDINGS, { vex: reversed, now: NOW }).suppressed.length, 0);
  });

  it('never matches statements without products, and accepts several documents', () => {
    const global = vex([{ vulnerability: { name: 'CVE-2024-5535' }, status: 'fixed' }]);
    assert.equal(filterFindings(FINDINGS, { vex: global, now: NOW }).suppressed.length, 0);
    const other = vex([{ vulnerability: { name: 'GO-2024-2687' }, products: [{ '@id': 'pkg:golang/golang.org/x/net@v0.17.0' }], status: 'fixed' }]);
    assert.deepEqual(ids(filterFindings(FINDINGS, { vex: [global, other], now: NOW }).suppressed.map((s) => s.finding)), ['GO-2024-2687']);
  });
});

describe('parseOpenVex', () => {
  const valid = { '@context': 'https://openvex.dev/ns/v0.2.0', '@id': 'x', author: 'a', timestamp: '2025-01-15T10:00:00Z', version: 1 };
  const statement = { vulnerability: { name: 'CVE-1' }, products: [{ '@id': 'pkg:npm/a' }], status: 'fixed' };

  function rejects(document: unknown, message: RegExp): void {
    assert.throws(() => parseOpenVex(document), (error: unknown) => error instanceof ReportError && error.code === 'VEX_INVALID' && message.test(error.message));
  }

  it('accepts a document, its JSON text and an in-toto statement', () => {
    const document = { ...valid, statements: [statement] };
    assert.deepEqual(parseOpenVex(document), document);
    assert.deepEqual(parseOpenVex(JSON.stringify(document)), document);
    assert.deepEqual(parseOpenVex({ _type: 'https://in-toto.io/Statement/v1', predicateType: 'https://openvex.dev/ns/v0.2.0', subject: [], predicate: document }), document);
  });

  it('rejects missing document fields', () => {
    rejects('{', /not JSON/);
    rejects([], /must be an object/);
    rejects({ ...valid, '@context': 'https://example.com', statements: [statement] }, /context/);
    rejects({ ...valid, author: '', statements: [statement] }, /author/);
    rejects({ ...valid, timestamp: 'yesterday', statements: [statement] }, /RFC 3339/);
    rejects({ ...valid, version: 0, statements: [statement] }, /version/);
    rejects({ ...valid, statements: [] }, /at least one/);
    rejects({ _type: 'x', predicateType: 'https://slsa.dev/provenance/v1', predicate: {} }, /predicate/);
  });

  it('rejects statements that break the status rules', () => {
    const doc = (s: Record<string, unknown>): unknown => ({ ...valid, statements: [{ ...statement, ...s }] });
    rejects(doc({ status: 'maybe' }), /status/);
    rejects(doc({ vulnerability: {} }), /vulnerability\.name/);
    rejects(doc({ vulnerability: { name: 'CVE-1', aliases: [1] } }), /aliases/);
    rejects(doc({ status: 'not_affected' }), /justification or an impact_statement/);
    rejects(doc({ status: 'not_affected', justification: 'because' }), /justification: must be one of/);
    rejects(doc({ status: 'fixed', justification: 'component_not_present' }), /belong to not_affected/);
    rejects(doc({ status: 'affected' }), /action_statement/);
    rejects(doc({ products: [{}] }), /@id, identifiers or hashes/);
    rejects(doc({ products: [{ '@id': 'pkg:npm/a', subcomponents: [{ identifiers: { purl: 5 } }] }] }), /purl/);
    rejects(doc({ slipway_expires: 'next week' }), /slipway_expires/);
  });
});
