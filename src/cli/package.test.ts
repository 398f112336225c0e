import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { sharedData } from '../testing/shared-data.ts';

const run = promisify(execFile);
const ROOT = new URL('../..', import.meta.url).pathname;

/**
 * The package as `npm pack` makes it, installed under a node_modules folder: no sources (Node will
 * not strip types under node_modules), the JavaScript `prepack` built into dist/. Its dependencies
 * are the checkout's, linked in, so nothing is downloaded.
 */
describe('the packed npm package', () => {
  let dir: string;
  let bin: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'slipway-package-'));
    const { stdout } = await run('npm', ['pack', '--silent', '--pack-destination', dir], { cwd: ROOT });
    const tarball = join(dir, stdout.trim().split('\n').at(-1) ?? '');
    const modules = join(dir, 'node_modules');
    await mkdir(modules);
    await run('tar', ['-xzf', tarball, '-C', modules]);
    await rename(join(modules, 'package'), join(modules, 'slipway'));
    for (const name of await readdir(join(ROOT, 'node_modules'))) {
      if (!name.startsWith('.')) await symlink(join(ROOT, 'node_modules', name), join(modules, name));
    }
    bin = join(modules, 'slipway', 'bin', 'slipway.js');
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('holds the built JavaScript and no sources', () => {
    assert.ok(existsSync(join(dir, 'node_modules/slipway/dist/cli/main.js')), 'dist/ is packed');
    assert.ok(!existsSync(join(dir, 'node_modules/slipway/src')), 'src/ is not packed');
  });

  it('runs from node_modules: version, and a verb that opens its database', async () => {
    const version = (JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    assert.equal((await run(process.execPath, [bin, '--version'])).stdout.trim(), version);
    const data = join(dir, 'data');
    await run(process.execPath, [bin, 'db', 'import', sharedData('osv/npm/GHSA-29mw-wpgm-hmr9.json'), '--data', data]);
    const status = JSON.parse((await run(process.execPath, [bin, 'db', 'status', '--data', data, '--output', 'json'])).stdout) as { advisories: number };
    assert.equal(status.advisories, 1);
  });
});
