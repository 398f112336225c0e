import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { createGzip } from 'node:zlib';
import { requireTool } from './tools.ts';

/** Where test fixtures too big or too slow for the repository are built once: outside the repo. */
export function testCacheDir(): string {
  return process.env['SLIPWAY_TEST_CACHE'] ?? join(process.env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'slipway-test');
}

const exists = (path: string) => stat(path).then(() => true, () => false);

/**
 * A real Debian bookworm root filesystem (`debootstrap --variant=minbase`), built once into the
 * test cache (about 45 s, from Debian's repositories) and reused. Needs root and `debootstrap`.
 */
export async function debianRootfs(): Promise<string> {
  const target = join(testCacheDir(), 'debian-bookworm-minbase');
  if (await exists(join(target, 'var/lib/dpkg/status'))) return target;
  const debootstrap = await requireTool('debootstrap', 'debootstrap', ['/usr/sbin', '/sbin']);
  const building = `${target}.building-${process.pid}`;
  await mkdir(testCacheDir(), { recursive: true });
  await rm(building, { recursive: true, force: true });
  await run(debootstrap, ['--variant=minbase', 'bookworm', building, 'http://deb.debian.org/debian']);
  await rename(building, target).catch(async (error: unknown) => {
    // Another test process finished first: use its copy.
    await rm(building, { recursive: true, force: true });
    if (!(await exists(target))) throw error;
  });
  return target;
}

/**
 * The rootfs as one gzip'd layer (`tar` of the directory, numeric owners), cached beside it, with
 * its digest and diff id.
 */
export async function debianRootfsLayer(): Promise<{ file: string; digest: string; diffId: string; size: number }> {
  const rootfs = await debianRootfs();
  const file = `${rootfs}.tar.gz`;
  const ids = `${rootfs}.ids.json`;
  if (await exists(ids)) {
    return { file, ...(JSON.parse(await readFile(ids, 'utf8')) as { digest: string; diffId: string; size: number }) };
  }
  const tar = spawn(await requireTool('tar', 'tar'), ['--numeric-owner', '--sort=name', '-C', rootfs, '-cf', '-', '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const diff = createHash('sha256');
  const compressed = createHash('sha256');
  let size = 0;
  const tap = (hash: ReturnType<typeof createHash>, count: boolean) =>
    new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        hash.update(chunk);
        if (count) size += chunk.byteLength;
        callback(null, chunk);
      },
    });
  await pipeline(tar.stdout, tap(diff, false), createGzip({ level: 6 }), tap(compressed, true), createWriteStream(`${file}.part`));
  await rename(`${file}.part`, file);
  const result = { digest: `sha256:${compressed.digest('hex')}`, diffId: `sha256:${diff.digest('hex')}`, size };
  await writeFile(ids, JSON.stringify(result));
  return { file, ...result };
}

function run(command: string, args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} failed (${code}): ${stderr.slice(-2000)}`))));
  });
}
