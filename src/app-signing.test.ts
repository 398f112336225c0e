import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fixedCredentials } from './core/oci/client/credentials.ts';
import { createRegistryClient, type RegistryClient } from './core/oci/client/registry-client.ts';
import type { Digest } from './core/oci/digest.ts';
import { importOsv } from './scan/index.ts';
import { encryptPrivateKey, generateKeyPair, registrySignatureStore, verificationKeyOf, verifyImage, type VerificationPolicy } from './sign/index.ts';
import { isolatedCredentialEnv, runSlipway } from './testing/cli.ts';
import { apiCaller, type ApiCaller } from './testing/management-api.ts';
import { sharedData } from './testing/shared-data.ts';
import { startSlipway, type TestSlipway } from './testing/slipway-server.ts';
import { buildImage, buildIndex, pushIndexToRegistry, pushToRegistry, type TestIndex } from './testing/test-images.ts';

/**
 * The server's side of signing: a project with `auto_attest` gets the scanner's SBOM and
 * vulnerability report attested with the server's key (both schemes) after each scan, and an
 * index passes the scan gate when its children do, so `slipway sign --recursive` signs it all.
 */
describe('attestation of scan results by the server, and signing an index', () => {
  let server: TestSlipway;
  let admin: ApiCaller;
  let client: RegistryClient;
  let dir: string;
  let index: TestIndex;
  let policy: VerificationPolicy;
  const keys = generateKeyPair();

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'slipway-attest-'));
    await writeFile(join(dir, 'server.key'), await encryptPrivateKey(keys.privateKey, 'server-secret'), { mode: 0o600 });
    server = await startSlipway({ projects: [], config: { signing: { keyFile: join(dir, 'server.key'), keyPassword: 'server-secret' } } });
    admin = apiCaller(server.url, { username: 'admin', password: server.adminPassword });
    client = createRegistryClient({ insecure: true, credentials: fixedCredentials({ kind: 'basic', username: 'admin', password: server.adminPassword }) });
    await importOsv(server.app.database, sharedData('osv/npm/'));
    await admin.ok('POST', '/projects', { project_name: 'attested', metadata: { auto_scan: 'true', auto_attest: 'true' } });
    const image = (seed: string) => buildImage({ seed, files: [{ 'app/node_modules/left-pad/package.json': JSON.stringify({ name: 'left-pad', version: '1.3.0' }) }] });
    index = buildIndex([image('attest-amd64'), image('attest-arm64')]);
    await pushIndexToRegistry(client.repository(server.host, 'attested/app'), index, '1');
    policy = { keys: [verificationKeyOf(keys.publicKey)], identities: [], requireTlog: false, dockerReference: null };
  });
  after(async () => {
    client.close();
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('attests the SBOM and the vulnerability report of each scanned child with the server key, in both schemes', async () => {
    const store = registrySignatureStore(client.repository(server.host, 'attested/app'));
    for (const child of index.images) {
      const digest = child.manifest.descriptor.digest;
      let types: string[] = [];
      for (let i = 0; i < 200 && types.length < 4; i++) {
        const result = await verifyImage(store, digest, 'attestation', policy);
        types = result.outcomes.flatMap((o) => (o.verified && o.statement !== undefined ? [`${o.scheme} ${o.statement.predicateType}`] : []));
        await sleep(50);
      }
      assert.deepEqual(types.sort((a, b) => a.localeCompare(b)), [
        'bundle https://cosign.sigstore.dev/attestation/vuln/v1',
        'bundle https://spdx.dev/Document',
        'legacy https://cosign.sigstore.dev/attestation/vuln/v1',
        'legacy https://spdx.dev/Document',
      ]);
    }
  });

  it('signs an index and, with --recursive, every child, once the children passed their scan gate', async () => {
    const env = { ...isolatedCredentialEnv(dir), COSIGN_PASSWORD: 'server-secret' };
    assert.equal((await runSlipway(['login', server.host, '--username', 'admin', '--password-stdin', '--insecure'], env, `${server.adminPassword}\n`)).code, 0);
    const out = await runSlipway(['sign', '--key', join(dir, 'server.key'), '--recursive', `${server.host}/attested/app:1`, '--insecure', '--scheme', 'bundle', '--output', 'json'], env);
    assert.equal(out.code, 0, out.stderr);
    const signed = (JSON.parse(out.stdout) as { signed: { digest: string }[] }).signed.map((s) => s.digest);
    const children = index.images.map((i) => i.manifest.descriptor.digest);
    assert.deepEqual(signed, [index.index.descriptor.digest, ...children]);
    const store = registrySignatureStore(client.repository(server.host, 'attested/app'));
    for (const digest of [index.index.descriptor.digest, ...children] as Digest[]) {
      const result = await verifyImage(store, digest, 'signature', policy);
      assert.ok(result.outcomes.some((o) => o.verified), `${digest}: ${JSON.stringify(result.outcomes)}`);
    }
  });

  it('attests a scan on request (scan?attest=true) in a project that does not attest automatically', async () => {
    await admin.ok('POST', '/projects', { project_name: 'on-request', metadata: { auto_scan: 'false' } });
    const image = buildImage({ seed: 'attest-on-request', files: [{ 'app/node_modules/left-pad/package.json': JSON.stringify({ name: 'left-pad', version: '1.3.0' }) }] });
    await pushToRegistry(client.repository(server.host, 'on-request/app'), [image.config, ...image.layers], image.manifest, '1');
    const digest = image.manifest.descriptor.digest;
    const scanned = await admin.call('POST', `/projects/on-request/repositories/app/artifacts/${digest}/scan?attest=true`);
    assert.equal(scanned.status, 202, JSON.stringify(scanned.body));
    const store = registrySignatureStore(client.repository(server.host, 'on-request/app'));
    let types: string[] = [];
    for (let i = 0; i < 200 && types.length < 4; i++) {
      await sleep(50);
      types = (await verifyImage(store, digest, 'attestation', policy)).outcomes.flatMap((o) => (o.verified && o.statement !== undefined ? [`${o.scheme} ${o.statement.predicateType}`] : []));
    }
    assert.equal(types.length, 4, JSON.stringify(types));
  });
});

describe('attestation on request without a server key', () => {
  it('is refused with the setting that is missing', async () => {
    const server = await startSlipway({ projects: [{ name: 'plain', public: false }] });
    try {
      const admin = apiCaller(server.url, { username: 'admin', password: server.adminPassword });
      const client = createRegistryClient({ insecure: true, credentials: fixedCredentials({ kind: 'basic', username: 'admin', password: server.adminPassword }) });
      const image = buildImage({ seed: 'attest-no-key' });
      await pushToRegistry(client.repository(server.host, 'plain/app'), [image.config, ...image.layers], image.manifest, '1');
      client.close();
      const refused = await admin.call('POST', `/projects/plain/repositories/app/artifacts/${image.manifest.descriptor.digest}/scan?attest=true`);
      assert.equal(refused.status, 400);
      assert.match(JSON.stringify(refused.body), /signing key \(signing.key, SLIPWAY_SIGNING_KEY\)/);
    } finally {
      await server.stop();
    }
  });
});
