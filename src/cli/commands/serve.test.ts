import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  return typeof address === 'object' && address !== null ? address.port : 0;
}

it('npm start serves the demo projects, prints a generated admin password once, and stops on SIGTERM', async () => {
  const data = await mkdtemp(join(tmpdir(), 'slipway-serve-'));
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, SLIPWAY_LOG_LEVEL: 'warn' };
  delete env['SLIPWAY_ADMIN_PASSWORD'];
  // The same command npm start runs, with the flags `npm start -- --port … --data …` passes through.
  const child = spawn(process.execPath, ['src/cli/main.ts', 'serve', '--demo', '--host', '127.0.0.1', '--port', String(port), '--data', data], { env });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  try {
    const url = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 100 && (await fetch(`${url}/readyz`).catch(() => undefined))?.status !== 200; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
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
