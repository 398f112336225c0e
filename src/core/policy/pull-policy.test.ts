import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluatePullPolicy, evaluateScanGate, parseSeverity, type PullFacts, type ScanFact } from './pull-policy.ts';

const unsigned = { verified: false, reason: 'no signature' } as const;
const signed = { verified: true, by: ['key:abc'] } as const;
const facts = (scan: ScanFact, allow: readonly string[] = [], signature: PullFacts['signature'] = signed): PullFacts => ({ scan, signature, allowlist: new Set(allow) });
const findings = (...list: [string, string][]): ScanFact => ({ status: 'Success', findings: list.map(([id, severity]) => ({ id, severity })) });
const high = { preventVulnerable: true, severity: 'high', requireSignature: false } as const;

describe('evaluatePullPolicy', () => {
  it('fails closed: no scan, or a scan that did not succeed, is refused with the reason', () => {
    const none = evaluatePullPolicy(high, facts({ status: 'none' }));
    assert.equal(none.allowed, false);
    assert.match(none.allowed ? '' : (none.reasons[0] ?? ''), /^current image without vulnerability scanning cannot be pulled .*"High" or higher/);
    for (const status of ['Pending', 'Running', 'Error', 'Stopped', 'Unsupported'] as const) {
      const verdict = evaluatePullPolicy(high, facts({ status }));
      assert.match(verdict.allowed ? '' : (verdict.reasons[0] ?? ''), new RegExp(`^current image with "${status}" status of vulnerability scanning`));
    }
  });

  it('refuses at or above the threshold, and counts and names only the findings at or above it', () => {
    const verdict = evaluatePullPolicy(high, facts(findings(['CVE-2024-1', 'High'], ['CVE-2024-2', 'Low'], ['CVE-2024-3', 'Critical'])));
    assert.equal(verdict.allowed, false);
    assert.match(verdict.allowed ? '' : (verdict.reasons[0] ?? ''), /^current image with 2 vulnerabilities cannot be pulled .* \(CVE-2024-1, CVE-2024-3\)$/);
    assert.deepEqual(evaluatePullPolicy(high, facts(findings(['CVE-2024-2', 'Medium']))), { allowed: true });
    assert.deepEqual(evaluatePullPolicy(high, facts(findings())), { allowed: true }, 'a clean scan passes');
  });

  it('leaves allowlisted findings out', () => {
    assert.deepEqual(evaluatePullPolicy(high, facts(findings(['CVE-2024-1', 'Critical']), ['CVE-2024-1'])), { allowed: true });
    const one = evaluatePullPolicy(high, facts(findings(['CVE-2024-1', 'Critical'], ['CVE-2024-9', 'High']), ['CVE-2024-1']));
    assert.match(one.allowed ? '' : (one.reasons[0] ?? ''), /^current image with 1 vulnerability cannot/);
    // By any of the finding's ids: the allowlist names minimist's GHSA, the finding is shown by its CVE.
    const minimist: ScanFact = { status: 'Success', findings: [{ id: 'CVE-2021-44906', severity: 'Critical', aliases: ['GHSA-xvch-5gv4-984h', 'CVE-2021-44906'] }] };
    assert.deepEqual(evaluatePullPolicy(high, facts(minimist, ['GHSA-xvch-5gv4-984h'])), { allowed: true });
    assert.equal(evaluatePullPolicy(high, facts(minimist, ['GHSA-0000-0000-0000'])).allowed, false);
  });

  it("follows Harbor's ranks: none blocks any finding, low lets Unknown and Negligible through", () => {
    const none = { ...high, severity: 'none' } as const;
    const low = { ...high, severity: 'low' } as const;
    assert.equal(evaluatePullPolicy(none, facts(findings(['CVE-1', 'Unknown']))).allowed, false);
    assert.equal(evaluatePullPolicy(low, facts(findings(['CVE-1', 'Negligible'], ['CVE-2', 'Unknown']))).allowed, true);
    assert.equal(evaluatePullPolicy(low, facts(findings(['CVE-1', 'Low']))).allowed, false);
  });

  it('requires a trusted signature when asked, and reports every failed gate', () => {
    const both = evaluatePullPolicy({ ...high, requireSignature: true }, facts({ status: 'none' }, [], unsigned));
    assert.equal(both.allowed ? 0 : both.reasons.length, 2);
    assert.match(both.allowed ? '' : (both.reasons[0] ?? ''), /^The project requires a trusted signature: no signature$/);
    assert.deepEqual(evaluatePullPolicy({ preventVulnerable: false, severity: 'high', requireSignature: true }, facts({ status: 'none' })), { allowed: true });
    assert.deepEqual(evaluatePullPolicy({ preventVulnerable: false, severity: 'high', requireSignature: false }, facts({ status: 'none' }, [], unsigned)), { allowed: true });
  });

  it('parses severities as Harbor stores them', () => {
    assert.equal(parseSeverity('High'), 'high');
    assert.equal(parseSeverity('negligible'), 'none');
    assert.equal(parseSeverity('severe'), undefined);
  });
});

describe('evaluateScanGate', () => {
  const gate = (settings: { preventVulnerable: boolean; severity: 'high' | 'critical' }, scan: ScanFact, allow: readonly string[] = []) => evaluateScanGate(settings, { scan, allowlist: new Set(allow) });
  const on = { preventVulnerable: true, severity: 'critical' } as const;
  const off = { preventVulnerable: false, severity: 'critical' } as const;

  it('holds back what was not scanned successfully, in words for signing and promotion, whatever the project prevents', () => {
    for (const settings of [on, off]) {
      assert.deepEqual(gate(settings, { status: 'none' }), ['it has not been scanned (scan it, or turn on auto_scan for its project)']);
      assert.match(gate(settings, { status: 'Unsupported' })[0] ?? '', /^the scanner recognised nothing in it .*Unsupported$/);
      for (const status of ['Pending', 'Running', 'Error', 'Stopped'] as const) assert.match(gate(settings, { status })[0] ?? '', /^its scan /, status);
    }
  });

  it('holds back findings at or above the threshold that no allowlist covers, only where the project prevents vulnerable images', () => {
    const critical = findings(['CVE-2024-1', 'Critical'], ['CVE-2024-2', 'High'], ['CVE-2024-3', 'Critical']);
    assert.deepEqual(gate(on, critical), ['2 vulnerabilities at or above Critical not allowlisted or excepted: CVE-2024-1, CVE-2024-3']);
    assert.deepEqual(gate(on, critical, ['CVE-2024-1', 'CVE-2024-3']), [], 'the High one left is under the threshold');
    assert.deepEqual(gate({ preventVulnerable: true, severity: 'high' }, critical, ['CVE-2024-1', 'CVE-2024-3']), ['1 vulnerability at or above High not allowlisted or excepted: CVE-2024-2']);
    assert.deepEqual(gate(off, critical), [], 'a successful scan passes where vulnerable images are not prevented');
  });
});
