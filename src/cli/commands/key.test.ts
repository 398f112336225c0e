import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { encryptPrivateKey, generateKeyPair, keyIdOf, loadPrivateKey, loadPublicKey, publicKeyPem } from '../../sign/index.ts';
import { runSlipway as slipway } from '../../testing/cli.ts';

// The password comes from COSIGN_PASSWORD only when a test sets it; the CLI inherits this environment.
delete process.env['COSIGN_PASSWORD'];

describe('slipway key', () => {
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'slipway-key-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('generate writes <prefix>.key (0600, opens with COSIGN_PASSWORD) and <prefix>.pub', async () => {
    const prefix = join(dir, 'gen');
    const run = await slipway(['key', 'generate', '--output-key-prefix', prefix], { COSIGN_PASSWORD: 'pw' });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, `Private key written to ${prefix}.key\nPublic key written to ${prefix}.pub\n`);
    assert.equal((await stat(`${prefix}.key`)).mode & 0o777, 0o600);
    const key = await loadPrivateKey(await readFile(`${prefix}.key`, 'utf8'), () => Promise.resolve('pw'));
    assert.equal(key.algorithm, 'ecdsa-p256-sha256');
    assert.equal(await readFile(`${prefix}.pub`, 'utf8'), publicKeyPem(key.publicKey));
    assert.doesNotMatch(run.stdout + run.stderr, /pw\b/);
  });

  it('refuses to overwrite existing key files unless --force', async () => {
    const prefix = join(dir, 'again');
    assert.equal((await slipway(['key', 'generate', '--output-key-prefix', prefix], { COSIGN_PASSWORD: 'pw' })).code, 0);
    const original = await readFile(`${prefix}.key`, 'utf8');
    const refused = await slipway(['key', 'generate', '--output-key-prefix', prefix], { COSIGN_PASSWORD: 'pw' });
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /already exists/);
    assert.equal(await readFile(`${prefix}.key`, 'utf8'), original);
    const forced = await slipway(['key', 'generate', '--output-key-prefix', prefix, '--force', '--output', 'json'], { COSIGN_PASSWORD: 'pw' });
    assert.equal(forced.code, 0, forced.stderr);
    const result = JSON.parse(forced.stdout) as { privateKey: string; publicKey: string; keyId: string };
    assert.deepEqual(result, { privateKey: `${prefix}.key`, publicKey: `${prefix}.pub`, keyId: loadPublicKey(await readFile(`${prefix}.pub`, 'utf8')).keyId });
    assert.notEqual(await readFile(`${prefix}.key`, 'utf8'), original);
    assert.equal((await stat(`${prefix}.key`)).mode & 0o777, 0o600);
  });

  it('takes an empty COSIGN_PASSWORD as the password, and all of piped stdin (newline included) without it', async () => {
    const empty = join(dir, 'empty');
    assert.equal((await slipway(['key', 'generate', '--output-key-prefix', empty], { COSIGN_PASSWORD: '' })).code, 0);
    await loadPrivateKey(await readFile(`${empty}.key`, 'utf8'), () => Promise.resolve(''));
    const piped = join(dir, 'piped');
    const run = await slipway(['key', 'generate', '--output-key-prefix', piped], {}, 'from stdin\n');
    assert.equal(run.code, 0, run.stderr);
    await loadPrivateKey(await readFile(`${piped}.key`, 'utf8'), () => Promise.resolve('from stdin\n'));
  });

  it('public-key prints the PEM public key of a private key file', async () => {
    const pair = generateKeyPair();
    const file = join(dir, 'pk.key');
    await writeFile(file, await encryptPrivateKey(pair.privateKey, 'hello'));
    const text = await slipway(['key', 'public-key', '--key', file], {}, 'hello');
    assert.equal(text.code, 0, text.stderr);
    assert.equal(text.stdout, publicKeyPem(pair.publicKey));
    const json = await slipway(['key', 'public-key', '--key', file, '--output', 'json'], { COSIGN_PASSWORD: 'hello' });
    assert.deepEqual(JSON.parse(json.stdout), { publicKey: publicKeyPem(pair.publicKey), keyId: keyIdOf(pair.publicKey), algorithm: 'ecdsa-p256-sha256' });
  });

  it('public-key reads unencrypted PEM keys without a password', async () => {
    const pair = generateKeyPair();
    const file = join(dir, 'plain.pem');
    await writeFile(file, pair.privateKey.export({ type: 'sec1', format: 'pem' }));
    const run = await slipway(['key', 'public-key', '--key', file]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, publicKeyPem(pair.publicKey));
  });

  it('public-key fails with KEY_PASSWORD_WRONG for a wrong password', async () => {
    const file = join(dir, 'wrong.key');
    await writeFile(file, await encryptPrivateKey(generateKeyPair().privateKey, 'right'));
    const run = await slipway(['key', 'public-key', '--key', file, '--output', 'json'], { COSIGN_PASSWORD: 'wrong' });
    assert.equal(run.code, 1);
    const { error } = (JSON.parse(run.stdout) as { error: { code: string; message: string } });
    assert.equal(error.code, 'KEY_PASSWORD_WRONG');
    assert.match(error.message, /decryption failed\): the password was read from \$COSIGN_PASSWORD$/);
  });

  it('says where the password came from when none was given: standard input, in CI', async () => {
    assert.equal(process.env['COSIGN_PASSWORD'], undefined, 'this test runs without $COSIGN_PASSWORD');
    const file = join(dir, 'ci.key');
    await writeFile(file, await encryptPrivateKey(generateKeyPair().privateKey, 'right'));
    const run = await slipway(['key', 'public-key', '--key', file]);
    assert.equal(run.code, 1);
    assert.equal(run.stderr, 'slipway: the password does not open the private key (decryption failed): the password was read from standard input, which is not a terminal (set COSIGN_PASSWORD, or run in a terminal to be prompted)\n');
  });
});
