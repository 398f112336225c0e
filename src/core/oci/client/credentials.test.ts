import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createCredentialStore, credentialFiles, saveCredentials, type Env } from './credentials.ts';

const auth = (user: string, password: string) => ({ auth: Buffer.from(`${user}:${password}`).toString('base64') });

async function file(path: string, json: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, JSON.stringify(json));
}

async function savedKeys(path: string): Promise<string[]> {
  const json: unknown = JSON.parse(await readFile(path, 'utf8'));
  assert.ok(typeof json === 'object' && json !== null && 'auths' in json && typeof json.auths === 'object' && json.auths !== null);
  return Object.keys(json.auths).toSorted();
}

describe('credential store', () => {
  let root: string;
  let env: Env;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'slipway-creds-'));
    const bin = join(root, 'bin');
    await mkdir(bin);
    // A fake credential helper, as docker-credential-<x> behaves: server URL on stdin, JSON on stdout.
    await writeFile(
      join(bin, 'docker-credential-test'),
      [
        '#!/bin/sh',
        'read server',
        'case "$server" in',
        '  helper.example) echo \'{"ServerURL":"helper.example","Username":"helper-user","Secret":"helper-pass"}\' ;;',
        '  https://index.docker.io/v1/) echo \'{"ServerURL":"x","Username":"hub-user","Secret":"hub-pass"}\' ;;',
        '  token.example) echo \'{"ServerURL":"x","Username":"<token>","Secret":"refresh-1"}\' ;;',
        '  *) echo "credentials not found in native keychain"; exit 1 ;;',
        'esac',
      ].join('\n'),
    );
    await chmod(join(bin, 'docker-credential-test'), 0o755);
    env = {
      HOME: join(root, 'home'),
      XDG_CONFIG_HOME: join(root, 'xdg-config'),
      XDG_RUNTIME_DIR: join(root, 'run'),
      PATH: `${bin}:/usr/bin:/bin`,
    };
    await file(join(root, 'xdg-config', 'slipway', 'auth.json'), { auths: { 'shared.example': auth('slipway-user', 'p1') } });
    await file(join(root, 'run', 'containers', 'auth.json'), {
      auths: {
        'shared.example': auth('containers-user', 'p2'),
        'containers.example': auth('containers-user', 'p2'),
        'scoped.example/team': auth('team-user', 'p3'),
        'scoped.example/team/app': auth('app-user', 'p4'),
        'scoped.example': auth('host-user', 'p5'),
      },
    });
    await file(join(root, 'home', '.docker', 'config.json'), {
      auths: {
        'shared.example': auth('docker-user', 'p6'),
        'https://legacy.example/v1/': auth('legacy-user', 'p7'),
        'old.example': { username: 'old-user', password: 'p8' },
        'idt.example': { auth: Buffer.from('ignored:').toString('base64'), identitytoken: 'idt-1' },
        'rt.example': { registrytoken: 'bearer-1' },
        'helper.example': {},
      },
      credHelpers: { 'helper.example': 'test', 'token.example': 'test' },
      credsStore: 'test',
    });
  });
  after(() => rm(root, { recursive: true, force: true }));

  it('lists the files in lookup order', () => {
    assert.deepEqual(credentialFiles(env), [
      join(root, 'xdg-config', 'slipway', 'auth.json'),
      join(root, 'run', 'containers', 'auth.json'),
      join(root, 'xdg-config', 'containers', 'auth.json'),
      join(root, 'home', '.docker', 'config.json'),
    ]);
    assert.deepEqual(credentialFiles({ ...env, REGISTRY_AUTH_FILE: '/x/auth.json', DOCKER_CONFIG: '/d', SLIPWAY_AUTH_FILE: '/s.json' }), ['/s.json', '/x/auth.json', '/d/config.json']);
  });

  it("prefers Slipway's file, then containers', then Docker's", async () => {
    const store = createCredentialStore({ env });
    assert.deepEqual(await store.get('shared.example'), { kind: 'basic', username: 'slipway-user', password: 'p1' });
    assert.deepEqual(await store.get('containers.example'), { kind: 'basic', username: 'containers-user', password: 'p2' });
    assert.deepEqual(await store.get('legacy.example'), { kind: 'basic', username: 'legacy-user', password: 'p7' });
    assert.deepEqual(await store.get('old.example'), { kind: 'basic', username: 'old-user', password: 'p8' });
  });

  it('picks the most specific host/namespace key', async () => {
    const store = createCredentialStore({ env });
    assert.deepEqual(await store.get('scoped.example', { repository: 'team/app/sub' }), { kind: 'basic', username: 'app-user', password: 'p4' });
    assert.deepEqual(await store.get('scoped.example', { repository: 'team/app' }), { kind: 'basic', username: 'app-user', password: 'p4' });
    assert.deepEqual(await store.get('scoped.example', { repository: 'team/other' }), { kind: 'basic', username: 'team-user', password: 'p3' });
    assert.deepEqual(await store.get('scoped.example', { repository: 'elsewhere' }), { kind: 'basic', username: 'host-user', password: 'p5' });
  });

  it('reads identity and registry tokens', async () => {
    const store = createCredentialStore({ env });
    assert.deepEqual(await store.get('idt.example'), { kind: 'identity-token', token: 'idt-1', username: 'ignored' });
    assert.deepEqual(await store.get('rt.example'), { kind: 'registry-token', token: 'bearer-1' });
  });

  it('runs credential helpers: credHelpers per host, credsStore for the rest, Docker Hub by its legacy key', async () => {
    const store = createCredentialStore({ env });
    assert.deepEqual(await store.get('helper.example'), { kind: 'basic', username: 'helper-user', password: 'helper-pass' });
    assert.deepEqual(await store.get('token.example'), { kind: 'identity-token', token: 'refresh-1' });
    assert.deepEqual(await store.get('registry-1.docker.io'), { kind: 'basic', username: 'hub-user', password: 'hub-pass' });
    assert.equal(await store.get('unknown.example'), undefined, '"not found" from the helper is no credential');
  });

  it('saves to Slipway\'s file atomically, mode 0600, keeping other entries', async () => {
    const saved = await saveCredentials('new.example:5000', 'bob', 'pw:with:colons', { env });
    assert.equal(saved, join(root, 'xdg-config', 'slipway', 'auth.json'));
    assert.equal((await stat(saved)).mode & 0o777, 0o600);
    assert.deepEqual(await savedKeys(saved), ['new.example:5000', 'shared.example']);
    assert.deepEqual(await createCredentialStore({ env }).get('new.example:5000'), { kind: 'basic', username: 'bob', password: 'pw:with:colons' });
    await saveCredentials('docker.io', 'hub', 'x', { env });
    assert.ok((await savedKeys(saved)).includes('https://index.docker.io/v1/'), 'Docker Hub is saved under its legacy key');
  });
});
