import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { promisify } from 'node:util';
import { tarArchive } from './tar-writer.ts';

it('writes archives that GNU tar lists exactly, long names included', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-tar-'));
  try {
    const long = `${'deep/'.repeat(30)}file.txt`;
    const archive = tarArchive([
      { path: 'etc', type: 'dir' },
      { path: 'etc/os-release', content: 'ID=debian\n' },
      { path: 'bin/sh', type: 'symlink', linkname: '/bin/dash' },
      { path: long, content: 'x' },
    ]);
    await writeFile(join(dir, 'a.tar'), archive);
    const { stdout } = await promisify(execFile)('tar', ['-tf', join(dir, 'a.tar')]);
    assert.deepEqual(stdout.trim().split('\n'), ['etc/', 'etc/os-release', 'bin/sh', long]);
    const { stdout: content } = await promisify(execFile)('tar', ['-xOf', join(dir, 'a.tar'), 'etc/os-release']);
    assert.equal(content, 'ID=debian\n');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
