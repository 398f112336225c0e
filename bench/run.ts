/**
 * `npm run bench`: Slipway next to the CNCF `docker-registry`, in the same run, on loopback.
 * skopeo pushes and pulls the same 512 MiB image (several incompressible layers) to and from each;
 * the script prints throughput, the Slipway / docker-registry ratio for push and pull, the CPU
 * seconds each registry process spent per copy (steadier than wall time on a machine whose disk
 * or neighbours vary), and Slipway's peak RSS. Each round uses fresh image content so no blob is skipped or mounted.
 * Slipway runs as built JavaScript (dist/, what a deployment runs), with authentication on;
 * docker-registry runs without authentication.
 *
 *   npm run bench                          # 3 rounds of 512 MiB
 *   BENCH_MIB=1024 BENCH_ROUNDS=5 npm run bench
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomFillSync } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { requireTool } from '../src/testing/tools.ts';
import { run, writeLayoutImage } from './bench-support.ts';
import { startDockerRegistry } from '../src/testing/docker-registry.ts';

const TOTAL_MIB = Number(process.env['BENCH_MIB'] ?? 512);
const LAYERS = Number(process.env['BENCH_LAYERS'] ?? 4);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);
const PASSWORD = 'Bench-Password-1';

interface Target {
  readonly name: string;
  readonly host: string;
  readonly creds: string | undefined;
  readonly pid: number | undefined;
}

/** Wall seconds of one copy, and the CPU seconds (user + system) the registry process spent on it. */
interface Sample {
  readonly seconds: number;
  readonly cpu: number;
}

const skopeo = await requireTool('skopeo', 'skopeo');
const work = await mkdtemp(join(tmpdir(), 'slipway-bench-'));
const slipway = await startSlipwayProcess(join(work, 'slipway-data'));
const registry = await startDockerRegistry();
const targets: Target[] = [
  { name: 'slipway', host: slipway.host, creds: `admin:${PASSWORD}`, pid: slipway.process.pid },
  { name: 'docker-registry', host: registry.host, creds: undefined, pid: registry.pid },
];
const results = new Map<string, { push: Sample[]; pull: Sample[] }>(targets.map((t) => [t.name, { push: [], pull: [] }]));

try {
  process.stdout.write(`bench: ${ROUNDS} rounds of a ${TOTAL_MIB} MiB image in ${LAYERS} layers, skopeo ${await version()}\n`);
  for (let round = 0; round < ROUNDS; round += 1) {
    const layout = join(work, `image-${round}`);
    await writeRandomImage(layout, round);
    // Alternate the order so neither side always runs on a warmer page cache.
    const order = round % 2 === 0 ? targets : [...targets].reverse();
    for (const target of order) {
      const ref = `docker://${target.host}/platform-dev/bench:${round}`;
      const push = await timed(target.pid, () => copy(`oci:${layout}:bench`, ref, { dest: target.creds }));
      const pullDir = join(work, `pull-${target.name}-${round}`);
      const pull = await timed(target.pid, () => copy(ref, `oci:${pullDir}:bench`, { src: target.creds }));
      await rm(pullDir, { recursive: true, force: true });
      results.get(target.name)?.push.push(push);
      results.get(target.name)?.pull.push(pull);
      process.stdout.write(
        `  round ${round + 1} ${target.name.padEnd(16)} push ${mibps(push.seconds)} MiB/s (cpu ${push.cpu.toFixed(2)} s)  pull ${mibps(pull.seconds)} MiB/s (cpu ${pull.cpu.toFixed(2)} s)\n`,
      );
    }
    await rm(layout, { recursive: true, force: true });
  }
  report(await peakRss(slipway.process));
} finally {
  slipway.process.kill('SIGTERM');
  await registry.stop();
  await rm(work, { recursive: true, force: true });
}

// Then the scan benchmark (its own images, floor and report).
await import('./scan.ts');

function report(rssBytes: number): void {
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
  const s = results.get('slipway');
  const d = results.get('docker-registry');
  if (s === undefined || d === undefined) return;
  const wall = (samples: Sample[]) => median(samples.map((x) => x.seconds));
  const cpu = (samples: Sample[]) => median(samples.map((x) => x.cpu));
  const row = (name: string, r: { push: Sample[]; pull: Sample[] }) =>
    `  ${name.padEnd(20)}${mibps(wall(r.push)).padStart(11)}${mibps(wall(r.pull)).padStart(13)}${cpu(r.push).toFixed(2).padStart(15)}${cpu(r.pull).toFixed(2).padStart(15)}`;
  process.stdout.write(
    [
      '',
      `median of ${ROUNDS}             push MiB/s   pull MiB/s   push cpu (s)   pull cpu (s)`,
      row('slipway', s),
      row('docker-registry', d),
      `ratio slipway/docker-registry: push ${(wall(d.push) / wall(s.push)).toFixed(2)}  pull ${(wall(d.pull) / wall(s.pull)).toFixed(2)}  (target >= 1.00)`,
      `server cpu per push: slipway ${cpu(s.push).toFixed(2)} s, docker-registry ${cpu(d.push).toFixed(2)} s (user + system, the registry process alone)`,
      `slipway peak RSS: ${(rssBytes / 1024 / 1024).toFixed(0)} MiB (target <= 200 MiB)`,
      '',
    ].join('\n'),
  );
}

function mibps(seconds: number): string {
  return (TOTAL_MIB / seconds).toFixed(1);
}

async function timed(pid: number | undefined, action: () => Promise<void>): Promise<Sample> {
  const cpuBefore = await cpuSeconds(pid);
  const started = process.hrtime.bigint();
  await action();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { seconds, cpu: (await cpuSeconds(pid)) - cpuBefore };
}

/** utime + stime of a process, from /proc (clock ticks of 1/100 s on Linux). */
async function cpuSeconds(pid: number | undefined): Promise<number> {
  if (pid === undefined) return Number.NaN;
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function version(): Promise<string> {
  return (await run(skopeo, ['--version'])).trim().split(' ').at(-1) ?? '';
}

async function copy(from: string, to: string, creds: { src?: string | undefined; dest?: string | undefined }): Promise<void> {
  const args = ['copy', '-q', '--src-tls-verify=false', '--dest-tls-verify=false'];
  if (creds.src !== undefined) args.push('--src-creds', creds.src);
  if (creds.dest !== undefined) args.push('--dest-creds', creds.dest);
  await run(skopeo, [...args, from, to]);
}

/** An OCI layout with LAYERS random (incompressible) layers totalling TOTAL_MIB, written in streams. */
async function writeRandomImage(dir: string, seed: number): Promise<void> {
  const blobs = join(dir, 'blobs', 'sha256');
  await mkdir(blobs, { recursive: true });
  const layerBytes = Math.floor((TOTAL_MIB * 1024 * 1024) / LAYERS);
  const layers: { digest: string; size: number }[] = [];
  for (let i = 0; i < LAYERS; i += 1) {
    const tmp = join(blobs, `tmp-${i}`);
    const hash = createHash('sha256');
    const out = createWriteStream(tmp);
    const chunk = Buffer.alloc(1 << 20);
    for (let written = 0; written < layerBytes; written += chunk.byteLength) {
      randomFillSync(chunk);
      chunk.writeUInt32BE(seed, 0);
      const part = chunk.subarray(0, Math.min(chunk.byteLength, layerBytes - written));
      hash.update(part);
      if (!out.write(part)) await once(out, 'drain');
    }
    out.end();
    await once(out, 'finish');
    const hex = hash.digest('hex');
    await rm(join(blobs, hex), { force: true });
    await rename(tmp, join(blobs, hex));
    layers.push({ digest: `sha256:${hex}`, size: layerBytes });
  }
  const config = { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) } };
  await writeLayoutImage(dir, config, layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...l })), 'bench');
}

/** Builds dist/ (the JavaScript Slipway publishes and deployments run) and starts it. */
async function startSlipwayProcess(data: string): Promise<{ host: string; process: ChildProcess }> {
  await run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json']);
  const port = 20000 + Math.floor(Math.random() * 20000);
  const child = spawn(process.execPath, ['dist/cli/main.js', 'serve', '--demo', '--host', '127.0.0.1', '--port', String(port), '--data', data], {
    env: { ...process.env, SLIPWAY_ADMIN_PASSWORD: PASSWORD, SLIPWAY_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const host = `127.0.0.1:${port}`;
  for (let i = 0; i < 100; i += 1) {
    try {
      const res = await fetch(`http://${host}/readyz`);
      if (res.status === 200) return { host, process: child };
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill();
  throw new Error('slipway did not become ready');
}

async function peakRss(child: ChildProcess): Promise<number> {
  const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
  const match = /VmHWM:\s+(\d+) kB/.exec(status);
  return match === null ? Number.NaN : Number(match[1]) * 1024;
}
