import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { advisorySeverity, debianUrgency } from './advisory-severity.ts';
import { parseOsvRecord } from './osv-record.ts';

const V3 = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H';
const V4 = 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N';

function severityOf(record: object, affected: object = {}) {
  const parsed = parseOsvRecord({ id: 'T-1', modified: '2024-01-01T00:00:00Z', affected: [{ package: { ecosystem: 'npm', name: 'p' }, ...affected }], ...record });
  return advisorySeverity(parsed, parsed.affected);
}

describe('advisory severity', () => {
  it("prefers the record's own rating to its vectors, and keeps the vector's score beside it", () => {
    assert.deepEqual(severityOf({ database_specific: { severity: 'MODERATE' }, severity: [{ type: 'CVSS_V3', score: V3 }] }), { severity: 'Medium', cvss: { vector: V3, score: 9.8 } });
    assert.deepEqual(severityOf({ database_specific: { severity: 'low' } }), { severity: 'Low' });
    assert.deepEqual(severityOf({}, { severity: [{ type: 'Ubuntu', score: 'negligible' }] }), { severity: 'Negligible' });
    assert.deepEqual(severityOf({}, { ecosystem_specific: { urgency: 'high**' } }), { severity: 'High' });
  });

  it('computes from a vector when the rating is missing or unknown, v4 first', () => {
    assert.deepEqual(severityOf({ severity: [{ type: 'CVSS_V3', score: V3 }] }), { severity: 'Critical', cvss: { vector: V3, score: 9.8 } });
    assert.deepEqual(severityOf({}, { ecosystem_specific: { urgency: 'not yet assigned' }, severity: [{ type: 'CVSS_V3', score: V3 }, { type: 'CVSS_V4', score: V4 }] }), {
      severity: 'Medium',
      cvss: { vector: V4, score: 6.9 },
    });
    assert.deepEqual(severityOf({ severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/garbage' }] }), { severity: 'Unknown' });
    assert.deepEqual(severityOf({}), { severity: 'Unknown' });
  });

  it("maps Debian's urgencies", () => {
    assert.deepEqual(
      ['unimportant', 'low', 'low*', 'low**', 'medium', 'medium*', 'high', 'high**', 'not yet assigned', 'end-of-life', 'weird'].map(debianUrgency),
      ['Negligible', 'Low', 'Low', 'Low', 'Medium', 'Medium', 'High', 'High', 'Unknown', 'Unknown', 'Unknown'],
    );
  });
});
