import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isolatedCredentialEnv, runSlipway as slipway } from '../../testing/cli.ts';
import { listenLocal } from '../../testing/local-server.ts';

/** A registry with Basic auth: alice/secret only. */
describe('slipway login', () => {
  let server: Server;
  let host: string;
  let dir: string;
  let env: Record<string, string>;

  before(async () => {
    server = createServer((req, res) => {
      const ok = req.headers.authorization === `Basic ${Buffer.from('alice:secret').toString('base64')}`;
      res.writeHead(ok ? 200 : 401, ok ? {} : { 'www-authenticate': 'Basic realm="test"' }).end('{}');
    });
    host = await listenLocal(server);
    dir = await mkdtemp(join(tmpdir(), 'slipway-login-'));
    env = isolatedCredentialEnv(dir);
  });
  after(async () => {
    server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('checks the credentials against the registry, then saves them with mode 0600', async () => {
    const run = await slipway(['login', host, '--username', 'alice', '--password-stdin', '--insecure', '--output', 'json'], env, 'secret\n');
    assert.equal(run.code, 0, run.stderr);
    const result: unknown = JSON.parse(run.stdout);
    assert.deepEqual(result, { registry: host, username: 'alice', file: env['SLIPWAY_AUTH_FILE'] });
    assert.doesNotMatch(run.stdout + run.stderr, /secret/, 'the password is never printed');
    const file = env['SLIPWAY_AUTH_FILE'] ?? '';
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.deepEqual(JSON.parse(await readFile(file, 'utf8')), { auths: { [host]: { auth: Buffer.from('alice:secret').toString('base64') } } });
  });

  it('refuses wrong credentials without saving them', async () => {
    const other = { SLIPWAY_AUTH_FILE: join(dir, 'other.json') };
    const run = await slipway(['login', host, '-u', 'alice', '-p', 'wrong', '--insecure'], other);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /rejected the credentials/);
    await assert.rejects(stat(other.SLIPWAY_AUTH_FILE), { code: 'ENOENT' });
  });

  it('says to add --insecure when the registry speaks plain HTTP, without retrying', async () => {
    let connections = 0;
    const count = () => void connections++;
    server.on('connection', count);
    const run = await slipway(['login', host, '-u', 'alice', '-p', 'secret'], { SLIPWAY_AUTH_FILE: join(dir, 'tls.json') });
    server.off('connection', count);
    assert.equal(run.code, 1);
    assert.equal(run.stderr, `slipway: ${host} does not speak TLS; for a plain-HTTP registry (such as npm start's demo) add --insecure\n`);
    assert.equal(connections, 1, 'no retry for a failure a retry cannot fix');
  });

  it('takes http://host as plain HTTP, as --insecure', async () => {
    const other = { SLIPWAY_AUTH_FILE: join(dir, 'http.json') };
    const run = await slipway(['login', `http://${host}`, '-u', 'alice', '--password-stdin'], other, 'secret\n');
    assert.equal(run.code, 0, run.stderr);
    assert.ok(JSON.parse(await readFile(other.SLIPWAY_AUTH_FILE, 'utf8')).auths[host] !== undefined, 'saved under the host');
  });

  it('wants exactly one way to give the password', async () => {
    const run = await slipway(['login', host, '-u', 'alice', '-p', 'x', '--password-stdin', '--insecure'], env);
    assert.equal(run.code, 2);
  });
});
