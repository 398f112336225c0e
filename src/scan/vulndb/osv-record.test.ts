import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { parseOsvRecord, parseOsvText } from './osv-record.ts';
import { VulnDbError } from './vulndb-error.ts';
import { sharedDataUrl } from '../../testing/shared-data.ts';

const OSV = sharedDataUrl('osv/');
const invalid = (error: unknown) => error instanceof VulnDbError && error.code === 'RECORD_INVALID';
const minimal = { id: 'TEST-1', modified: '2024-01-02T03:04:05Z' };
const withRange = (range: unknown) => ({ ...minimal, affected: [{ package: { ecosystem: 'npm', name: 'x' }, ranges: [range] }] });

describe('OSV records', () => {
  it('parses a real Debian record: upstream CVEs, source package, ECOSYSTEM range', async () => {
    const record = await parseOsvText(await readFile(new URL('Debian/DSA-5764-1.json', OSV), 'utf8'), 'json');
    assert.equal(record.id, 'DSA-5764-1');
    assert.equal(record.modified, Date.parse('2024-09-03T00:00:00Z'));
    assert.deepEqual(record.upstream, ['CVE-2024-6119']);
    assert.deepEqual(record.affected[0]?.package, { ecosystem: 'Debian:12', name: 'openssl' });
    assert.deepEqual(record.affected[0]?.ranges[0]?.events, [
      { kind: 'introduced', version: '0' },
      { kind: 'fixed', version: '3.0.14-1~deb12u2' },
    ]);
  });

  it('parses a real withdrawn GHSA record', async () => {
    const record = await parseOsvText(await readFile(new URL('npm/GHSA-7fhm-mqm4-2wp7.json', OSV), 'utf8'), 'json');
    assert.equal(record.withdrawn, Date.parse('2020-04-03T21:47:06Z'));
    assert.equal(record.databaseSpecific.severity, 'MODERATE');
  });

  it('keeps PyPI YAML timestamps as strings (year-0001 Go timestamps parse too)', async () => {
    const text = await readFile(new URL('PyPI/zstd/PYSEC-2023-121.yaml', OSV), 'utf8');
    const unquoted = /^modified: (\d.*)$/m.exec(text)?.[1];
    assert.ok(unquoted !== undefined, 'the file has an unquoted timestamp');
    const record = await parseOsvText(text, 'yaml');
    assert.equal((record.raw as { modified: unknown }).modified, unquoted);
    assert.equal(record.modified, Date.parse(unquoted));
    assert.equal(parseOsvRecord({ id: 'GO-1', modified: '0001-01-01T00:00:00Z' }).modified, Date.parse('0001-01-01T00:00:00Z'));
  });

  it('keeps the seven PyPI records whose GIT ranges break the schema (short commit ids), without those ranges', async () => {
    const files = [
      'binderhub/PYSEC-2021-371.yaml',
      'matrix-synapse/PYSEC-2021-424.yaml',
      'matrix-synapse/PYSEC-2021-425.yaml',
      'matrix-synapse/PYSEC-2021-436.yaml',
      'python-dbusmock/PYSEC-2019-155.yaml',
      'python-fedora/PYSEC-2017-27.yaml',
      'vyper/PYSEC-2023-80.yaml',
    ];
    for (const file of files) {
      const record = await parseOsvText(await readFile(new URL(`PyPI/${file}`, OSV), 'utf8'), 'yaml');
      const ranges = record.affected.flatMap((entry) => entry.ranges);
      assert.ok(ranges.length > 0 && ranges.every((range) => range.type === 'ECOSYSTEM'), file);
    }
    const synapse = await parseOsvText(await readFile(new URL('PyPI/matrix-synapse/PYSEC-2021-424.yaml', OSV), 'utf8'), 'yaml');
    assert.deepEqual(synapse.affected[0]?.ranges[0]?.events, [{ kind: 'introduced', version: '0' }, { kind: 'fixed', version: '1.41.1' }]);
  });

  it('rejects records without id or modified, or with a bad timestamp', async () => {
    assert.throws(() => parseOsvRecord({ modified: minimal.modified }), invalid);
    assert.throws(() => parseOsvRecord({ id: 'TEST-1' }), invalid);
    assert.throws(() => parseOsvRecord({ ...minimal, modified: 'yesterday' }), invalid);
    assert.throws(() => parseOsvRecord({ ...minimal, withdrawn: '2024-13-45' }), invalid);
    assert.throws(() => parseOsvRecord([minimal]), invalid);
    await assert.rejects(parseOsvText('{"id": ', 'json'), invalid);
  });

  it('rejects malformed ranges', () => {
    const bad = [
      { type: 'ECOSYSTEM', events: [{ fixed: '1.0' }] },
      { type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1.0' }, { last_affected: '0.9' }] },
      { type: 'ECOSYSTEM', events: [{ introduced: '0', fixed: '1.0' }] },
      { type: 'ECOSYSTEM', events: [{ introduced: 1 }] },
      { type: 'ECOSYSTEM', events: [] },
      { type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '' }] },
    ];
    for (const range of bad) assert.throws(() => parseOsvRecord(withRange(range)), invalid, JSON.stringify(range));
    // Ranges matching never reads are dropped when broken, the record kept.
    for (const range of [
      { type: 'RANGE', events: [{ introduced: '0' }] },
      { type: 'GIT', events: [{ introduced: '0' }] },
      { type: 'GIT', repo: 'https://example.com/x', events: [{ introduced: '0' }, { fixed: 'abc123' }] },
    ]) {
      assert.deepEqual(parseOsvRecord(withRange(range)).affected[0]?.ranges, [], JSON.stringify(range));
    }
    const good = parseOsvRecord(withRange({ type: 'SEMVER', events: [{ introduced: '0' }, { last_affected: '1.2.3' }, { limit: '*' }] }));
    assert.deepEqual(good.affected[0]?.ranges[0]?.events.map((e) => e.kind), ['introduced', 'last_affected', 'limit']);
  });

  it('accepts null for optional lists and an affected entry without a package', () => {
    const record = parseOsvRecord({ ...minimal, aliases: null, severity: null, affected: [{ ranges: [{ type: 'GIT', repo: 'r', events: [{ introduced: '0' }] }] }] });
    assert.deepEqual(record.aliases, []);
    assert.equal(record.affected[0]?.package, undefined);
  });
});
