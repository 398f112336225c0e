import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { VulnDbError } from './vulndb-error.ts';
import { readZipEntries, type ZipOptions } from './zip-entries.ts';
import { writeZip } from '../../testing/zip-writer.ts';

const isCode = (code: string) => (error: unknown) => error instanceof VulnDbError && error.code === code;

async function readAll(path: string, options: ZipOptions = {}): Promise<[string, string][]> {
  const out: [string, string][] = [];
  for await (const entry of readZipEntries(path, options)) out.push([entry.name, (await entry.read()).toString('utf8')]);
  return out;
}

describe('zip entries', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'slipway-zip-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const put = async (name: string, bytes: Buffer) => {
    const path = join(dir, name);
    await writeFile(path, bytes);
    return path;
  };

  it('reads deflated and stored entries, leaving directories out', async () => {
    const big = JSON.stringify({ id: 'X', pad: 'a'.repeat(100_000) });
    const path = await put('plain.zip', writeZip([{ name: 'GO-1.json', data: big }, { name: 'dir/', data: '', store: true }, { name: 'GO-2.json', data: '{"id":"Y"}', store: true }]));
    assert.deepEqual(await readAll(path), [
      ['GO-1.json', big],
      ['GO-2.json', '{"id":"Y"}'],
    ]);
  });

  it('reads ZIP64 archives (end of central directory and extra fields)', async () => {
    const path = await put('zip64.zip', writeZip([{ name: 'a.json', data: 'first' }, { name: 'b.json', data: 'second', store: true }], { zip64: true }));
    assert.deepEqual(await readAll(path), [
      ['a.json', 'first'],
      ['b.json', 'second'],
    ]);
  });

  it('refuses an entry above the inflated size limit, and reads the next one', async () => {
    const path = await put('bomb.zip', writeZip([{ name: 'bomb.json', data: Buffer.alloc(2 * 1024 * 1024) }, { name: 'ok.json', data: 'fine' }]));
    const results: string[] = [];
    for await (const entry of readZipEntries(path, { maxEntrySize: 1024 * 1024 })) {
      results.push(await entry.read().then((data) => data.toString('utf8'), (error: unknown) => (isCode('ZIP_ENTRY_INVALID')(error) ? 'refused' : 'other')));
    }
    assert.deepEqual(results, ['refused', 'fine']);
  });

  it('detects a damaged entry by its CRC-32', async () => {
    const bytes = writeZip([{ name: 'a.json', data: 'hello world', store: true }]);
    bytes.write('j', bytes.indexOf('hello world'));
    const path = await put('damaged.zip', bytes);
    for await (const entry of readZipEntries(path)) await assert.rejects(entry.read(), isCode('ZIP_ENTRY_INVALID'));
  });

  it('refuses what is not a zip, and a missing file', async () => {
    const path = await put('not.zip', Buffer.from('just text, no central directory'));
    await assert.rejects(readAll(path), isCode('ZIP_INVALID'));
    await assert.rejects(readAll(join(dir, 'missing.zip')), isCode('SOURCE_UNREADABLE'));
  });

  it('refuses entries over each other\'s data (a zip that inflates one stream many times)', async () => {
    const bytes = writeZip([{ name: 'a.json', data: '{"id":"A"}'.padEnd(5000) }, { name: 'b.json', data: '{"id":"B"}'.padEnd(5000) }]);
    const directory = bytes.length - 22 - bytes.readUInt32LE(bytes.length - 22 + 12);
    const second = directory + 46 + 'a.json'.length + bytes.readUInt16LE(directory + 30) + bytes.readUInt16LE(directory + 32);
    assert.equal(bytes.readUInt32LE(second), 0x02014b50);
    bytes.writeUInt32LE(0, second + 42);
    const path = await put('overlap.zip', bytes);
    await assert.rejects(readAll(path), (error: unknown) => isCode('ZIP_INVALID')(error) && /entries "a\.json" and "b\.json" overlap/.test((error as Error).message));
  });

  it('stops when aborted', async () => {
    const path = await put('abort.zip', writeZip([{ name: 'a.json', data: 'a' }]));
    await assert.rejects(readAll(path, { signal: AbortSignal.abort() }), { name: 'AbortError' });
  });
});
