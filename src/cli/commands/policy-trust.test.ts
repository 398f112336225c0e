import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isolatedCredentialEnv, runSlipway } from '../../testing/cli.ts';
import { startSlipway, type TestSlipway } from '../../testing/slipway-server.ts';
import type { TrustPolicy } from '../../core/policy/trust-policy.ts';

/** What the trust-policy API answers. */
type PolicyView = TrustPolicy & { readonly version: number };

const keyPair = () => {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { pem: publicKey.export({ type: 'spki', format: 'pem' }).toString(), keyId: createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('base64') };
};
const GITHUB = 'https://token.actions.githubusercontent.com';

/** `slipway policy trust show|set` through the real CLI against a real server. */
describe('slipway policy trust', () => {
  let server: TestSlipway;
  let dir: string;
  let env: Record<string, string>;
  const cli = async (args: readonly string[]) => {
    const result = await runSlipway([...args, '--server', server.url], env);
    return { ...result, json: <T>() => JSON.parse(result.stdout) as T };
  };

  before(async () => {
    server = await startSlipway({ projects: [] });
    dir = await mkdtemp(join(tmpdir(), 'slipway-cli-trust-'));
    env = isolatedCredentialEnv(dir);
    const login = await runSlipway(['login', server.host, '--username', 'admin', '--password-stdin', '--insecure'], env, server.adminPassword);
    assert.equal(login.code, 0, login.stderr);
    assert.equal((await cli(['project', 'create', 'signed'])).code, 0);
  });
  after(async () => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('shows the empty policy, sets one from flags and shows it', async () => {
    const empty = await cli(['policy', 'trust', 'show', 'signed']);
    assert.equal(empty.code, 0, empty.stderr);
    assert.match(empty.stdout, /^Trust policy, version 0 \(none set\)\nTrusts no signer/);

    const release = keyPair();
    await writeFile(join(dir, 'release.pub'), release.pem);
    const set = await cli([
      'policy', 'trust', 'set', 'signed',
      '--key', join(dir, 'release.pub'),
      '--identity', 'alice@example.com',
      '--identity-regexp', 'https://github\\.com/acme/.*',
      '--issuer', GITHUB,
      '--threshold', '2',
      '--require-attestation', 'slsaprovenance1',
      '--require-attestation', 'cyclonedx',
      '--no-tlog',
      '--output', 'json',
    ]);
    assert.equal(set.code, 0, set.stderr);
    const view = set.json<PolicyView>();
    assert.equal(view.version, 1);
    assert.deepEqual(view.keys.map((k) => [k.name, k.keyId]), [['release', release.keyId]]);
    assert.deepEqual(view.identities, [
      { subject: 'alice@example.com', issuer: GITHUB },
      { subjectRegExp: 'https://github\\.com/acme/.*', issuer: GITHUB },
    ]);
    assert.deepEqual([view.threshold, view.requireTlog, view.ignoreDockerReference], [2, false, false]);
    assert.deepEqual(view.requiredAttestations, ['https://slsa.dev/provenance/v1', 'https://cyclonedx.org/bom']);

    const shown = await cli(['policy', 'trust', 'show', 'signed']);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /^Trust policy, version 1\n/);
    assert.match(shown.stdout, new RegExp(`^release\\s+${release.keyId.replaceAll('+', '\\+')}$`, 'm'));
    assert.match(shown.stdout, /^\/https:\/\/github\\\.com\/acme\/\.\*\/\s+https:\/\/token\.actions\.githubusercontent\.com$/m);
    assert.match(shown.stdout, /Threshold: 2 distinct trusted signers\nRequired attestations: https:\/\/slsa\.dev\/provenance\/v1 \(slsaprovenance1\), https:\/\/cyclonedx\.org\/bom \(cyclonedx\)\nTransparency log: not required\nDocker reference: checked/);
  });

  it('replaces the policy with a YAML file, keys named by path, and flags added on top', async () => {
    const ci = keyPair();
    const extra = keyPair();
    await writeFile(join(dir, 'ci.pub'), ci.pem);
    await writeFile(join(dir, 'extra.pem'), extra.pem);
    await writeFile(
      join(dir, 'policy.yaml'),
      ['version: 1 # ignored: the file is the policy wanted', 'keys:', '  - name: ci', '    publicKeyFile: ci.pub', 'requiredAttestations: [spdxjson]', 'ignoreDockerReference: true', ''].join('\n'),
    );
    const set = await cli(['policy', 'trust', 'set', 'signed', '--file', join(dir, 'policy.yaml'), '--key', `backup=${join(dir, 'extra.pem')}`, '--output', 'json']);
    assert.equal(set.code, 0, set.stderr);
    const view = set.json<PolicyView>();
    assert.equal(view.version, 2);
    assert.deepEqual(view.keys.map((k) => [k.name, k.keyId]), [['ci', ci.keyId], ['backup', extra.keyId]]);
    assert.deepEqual(view.identities, [], 'the file replaced the identities set before');
    assert.deepEqual([view.threshold, view.requireTlog, view.ignoreDockerReference, view.requiredAttestations], [1, true, true, ['https://spdx.dev/Document']]);
    assert.equal((await cli(['policy', 'trust', 'show', 'signed', '--output', 'json'])).json<PolicyView>().version, 2);
  });

  it('refuses mistakes: usage errors exit 2, a key the server cannot parse exits 1 with its reason', async () => {
    const unknown = await cli(['policy', 'trust', 'set', 'signed', '--require-attestation', 'sbom']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown attestation type "sbom": give a predicate type URI or one of custom, /);
    const noIssuer = await cli(['policy', 'trust', 'set', 'signed', '--identity', 'alice@example.com']);
    assert.equal(noIssuer.code, 2);
    assert.match(noIssuer.stderr, /need --issuer or --issuer-regexp/);
    assert.equal((await cli(['policy', 'trust', 'set', 'signed'])).code, 2, 'nothing to set');
    assert.match((await cli(['policy', 'trust', 'set', 'signed', '--key', join(dir, 'missing.pub')])).stderr, /cannot read the public key .*missing\.pub/);

    await writeFile(join(dir, 'broken.pub'), '-----BEGIN PUBLIC KEY-----\nbm90IGEga2V5\n-----END PUBLIC KEY-----\n');
    const broken = await cli(['policy', 'trust', 'set', 'signed', '--key', join(dir, 'broken.pub')]);
    assert.equal(broken.code, 1);
    assert.match(broken.stderr, /^slipway: key "broken": the public key does not parse as PEM/);
    assert.equal((await cli(['policy', 'trust', 'show', 'signed', '--output', 'json'])).json<PolicyView>().version, 2, 'nothing changed');
  });
});
