import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { runSlipway } from '../../testing/cli.ts';

/** The address the server logs once it listens (`--port 0`: the port it was given), or its output if it exits first. */
function listeningAddress(child: ChildProcess, output: () => string): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not listen within 20 s: ${output()}`)), 20_000);
    const look = () => {
      const address = /"msg":"slipway listening","address":"([^"]+)"/.exec(output())?.[1];
      if (address === undefined) return;
      clearTimeout(timer);
      resolve(address);
    };
    child.stdout?.on('data', look);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}: ${output()}`));
    });
  });
}

it('npm start serves the demo projects with the server heap options, prints a generated admin password once, and stops on SIGTERM', async () => {
  const data = await mkdtemp(join(tmpdir(), 'slipway-serve-'));
  const env: NodeJS.ProcessEnv = { ...process.env, SLIPWAY_LOG_LEVEL: 'info' };
  delete env['SLIPWAY_ADMIN_PASSWORD'];
  // The same command npm start runs, with the flags `npm start -- --port … --data …` passes through;
  // port 0 and the logged address, so that no other test's server can answer in its place.
  const child = spawn(process.execPath, ['src/cli/main.ts', 'serve', '--demo', '--host', '127.0.0.1', '--port', '0', '--data', data], { env });
  let stderr = '';
  let stdout = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  try {
    const url = await listeningAddress(child, () => `${stdout}${stderr}`);
    assert.equal((await fetch(`${url}/readyz`)).status, 200);
    // The server re-executed itself in place with its V8 heap options (src/cli/v8-options.ts): the
    // same pid, so the SIGTERM below reaches it.
    const commandLine = (await readFile(`/proc/${child.pid}/cmdline`, 'utf8')).split('\0');
    assert.ok(commandLine.includes('--initial-heap-size=128') && commandLine.includes('--max-semi-space-size=4'), commandLine.join(' '));
    const password = /password: (\S+)/.exec(stderr)?.[1];
    assert.ok(password !== undefined, `the generated admin password is printed: ${stderr}`);
    const token = await fetch(`${url}/service/token?scope=registry:catalog:*&scope=repository:platform-production/app:pull`, {
      headers: { authorization: `Basic ${Buffer.from(`admin:${password}`).toString('base64')}` },
    });
    assert.equal(token.status, 200);
    // A public demo project: anonymous pulls get an answer about the repository, not a 401.
    const anonymous = await fetch(`${url}/service/token?scope=repository:platform-production/app:pull`);
    const anonymousToken = ((await anonymous.json()) as { token: string }).token;
    const tags = await fetch(`${url}/v2/platform-production/app/tags/list`, { headers: { authorization: `Bearer ${anonymousToken}` } });
    assert.equal(tags.status, 404, 'the repository does not exist yet, but the project does and is readable');
  } finally {
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    assert.equal(code, 0, `serve exits cleanly on SIGTERM: ${stderr}`);
    await rm(data, { recursive: true, force: true });
  }
});

it('names the setting when a file the configuration points at is missing', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-serve-tls-'));
  try {
    const config = join(dir, 'slipway.yaml');
    await writeFile(config, `tls: { cert: ${join(dir, 'absent.crt')}, key: ${join(dir, 'absent.key')} }\n`);
    const run = await runSlipway(['serve', '--config', config, '--port', '0', '--data', join(dir, 'data')], { SLIPWAY_ADMIN_PASSWORD: 'Serve-Test-Password-1' });
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.match(run.stderr, /tls\.cert: cannot read .*absent\.crt: no such file/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
