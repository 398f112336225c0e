import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConfigError, loadConfig } from './app-config.ts';

describe('serve configuration', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'slipway-config-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('defaults to port 5000, ./data, SQLite and the filesystem', async () => {
    const config = await loadConfig({}, {});
    assert.equal(config.port, 5000);
    assert.equal(config.dataDir, resolve('data'));
    assert.deepEqual(config.database, { kind: 'sqlite', path: resolve('data', 'slipway.db') });
    assert.deepEqual(config.storage, { kind: 'filesystem', root: resolve('data', 'blobs') });
    assert.deepEqual(config.projects, []);
  });

  it('takes the file, then the environment, then flags', async () => {
    const file = join(dir, 'slipway.yaml');
    await writeFile(
      file,
      ['port: 6000', 'data: /srv/from-file', 'log: { level: debug }', 'projects: [team-a, { name: team-b, public: true }]', 'auth: { tokenTtlSeconds: 120 }'].join('\n'),
    );
    const fromFile = await loadConfig({ config: file }, {});
    assert.equal(fromFile.port, 6000);
    assert.equal(fromFile.dataDir, '/srv/from-file');
    assert.equal(fromFile.logLevel, 'debug');
    assert.equal(fromFile.tokenTtlSeconds, 120);
    assert.deepEqual(fromFile.projects, [{ name: 'team-a', public: false }, { name: 'team-b', public: true }]);

    const env = { SLIPWAY_CONFIG: file, SLIPWAY_PORT: '7000', SLIPWAY_DATA: '/srv/from-env', SLIPWAY_DATABASE_URL: 'postgres://db/slipway', SLIPWAY_ADMIN_PASSWORD: 's3cret' };
    const fromEnv = await loadConfig({}, env);
    assert.equal(fromEnv.port, 7000);
    assert.equal(fromEnv.dataDir, '/srv/from-env');
    assert.deepEqual(fromEnv.database, { kind: 'postgres', url: 'postgres://db/slipway' });
    assert.equal(fromEnv.adminPassword, 's3cret');

    const fromFlags = await loadConfig({ port: '8000', data: '/srv/from-flags', demo: true }, env);
    assert.equal(fromFlags.port, 8000);
    assert.equal(fromFlags.dataDir, '/srv/from-flags');
    assert.deepEqual(
      fromFlags.projects.map((p) => p.name),
      ['platform-dev', 'platform-staging', 'platform-production', 'team-a', 'team-b'],
    );
  });

  it('refuses typos and impossible values with a clear message', async () => {
    const file = join(dir, 'typo.yaml');
    await writeFile(file, 'prot: 5000\n');
    await assert.rejects(() => loadConfig({ config: file }, {}), (e: unknown) => e instanceof ConfigError && /unknown configuration keys: prot/.test(e.message));
    await assert.rejects(() => loadConfig({ port: '70000' }, {}), /port must be an integer/);
    await assert.rejects(() => loadConfig({ config: join(dir, 'absent.yaml') }, {}), /cannot read configuration file/);
    await assert.rejects(() => loadConfig({}, { SLIPWAY_LOG_LEVEL: 'loud' }), /log level/);
    await assert.rejects(() => loadConfig({}, { SLIPWAY_SIGNING_IGNORE_SCT: 'yes' }), (e: unknown) => e instanceof ConfigError && /SLIPWAY_SIGNING_IGNORE_SCT must be true or false/.test(e.message));
  });

  it('checks keyless certificates’ SCTs unless signing.ignoreSct waives it, the environment over the file', async () => {
    const file = join(dir, 'sct.yaml');
    await writeFile(file, 'signing: { ignoreSct: true }\n');
    assert.equal((await loadConfig({}, {})).signing?.ignoreSct, undefined, 'required by default');
    assert.equal((await loadConfig({ config: file }, {})).signing?.ignoreSct, true);
    assert.equal((await loadConfig({ config: file }, { SLIPWAY_SIGNING_IGNORE_SCT: 'false' })).signing?.ignoreSct, undefined);
    assert.equal((await loadConfig({}, { SLIPWAY_SIGNING_IGNORE_SCT: 'true' })).signing?.ignoreSct, true);
  });
});
