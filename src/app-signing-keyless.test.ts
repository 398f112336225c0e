import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fixedCredentials } from './core/oci/client/credentials.ts';
import { createRegistryClient } from './core/oci/client/registry-client.ts';
import { MediaType } from './core/oci/media-types.ts';
import { isolatedCredentialEnv, runSlipway } from './testing/cli.ts';
import { startFakeSigstore, type FakeSigstore } from './testing/fake-sigstore.ts';
import { apiCaller } from './testing/management-api.ts';
import { registryHttp } from './testing/registry-http.ts';
import { startSlipway, type TestSlipway } from './testing/slipway-server.ts';
import { buildImage, pushToRegistry } from './testing/test-images.ts';

const ISSUER = 'https://oidc.ci.example';
const IDENTITY = 'release-bot@ci.example';

/**
 * The server's pull gate with a keyless trust policy: verified offline against the server's
 * trusted root (`signing.trustedRoot`), the certificate's SCT included unless `signing.ignoreSct`
 * waives it, as for a private Sigstore without a CT log.
 */
describe('pull gate with a keyless trust policy', () => {
  let sigstore: FakeSigstore;
  let dir: string;
  const servers: TestSlipway[] = [];

  /** A server trusting `root`, a project requiring signatures by IDENTITY, an image signed keylessly in both schemes. */
  async function signedServer(root: object, ignoreSct: boolean): Promise<(identity?: string) => Promise<{ status: number; body: string }>> {
    const rootFile = join(dir, `root-${servers.length}.json`);
    await writeFile(rootFile, JSON.stringify(root));
    const server = await startSlipway({ projects: [{ name: 'keyless', public: false }], config: { signing: { trustedRootFile: rootFile, ...(ignoreSct ? { ignoreSct } : {}) } } });
    servers.push(server);
    const client = createRegistryClient({ insecure: true, credentials: fixedCredentials({ kind: 'basic', username: 'admin', password: server.adminPassword }) });
    const image = buildImage({ seed: `keyless-gate-${servers.length}` });
    await pushToRegistry(client.repository(server.host, 'keyless/app'), [image.config, ...image.layers], image.manifest, '1.0');
    client.close();
    const env = isolatedCredentialEnv(join(dir, `cli-${servers.length}`));
    assert.equal((await runSlipway(['login', server.host, '--username', 'admin', '--password-stdin', '--insecure'], env, `${server.adminPassword}\n`)).code, 0);
    const signed = await runSlipway(
      ['sign', `${server.host}/keyless/app:1.0`, '--fulcio-url', sigstore.fulcioUrl, '--rekor-url', sigstore.rekorUrl, '--insecure', '--force', '--reason', 'no scanner in this test'],
      { ...env, SIGSTORE_ID_TOKEN: sigstore.identityToken({ email: IDENTITY, issuer: ISSUER }) },
    );
    assert.equal(signed.code, 0, signed.stderr);
    const admin = apiCaller(server.url, { username: 'admin', password: server.adminPassword });
    await admin.ok('PUT', '/projects/keyless', { metadata: { enable_content_trust_cosign: 'true' } });
    const http = registryHttp(server.url).withToken(await registryHttp(server.url).login('admin', server.adminPassword, ['repository:keyless/app:pull']));
    return async (identity = IDENTITY) => {
      await admin.ok('PUT', '/projects/keyless/trust-policy', { keys: [], identities: [{ subject: identity, issuer: ISSUER }], threshold: 1, requiredAttestations: [], requireTlog: true, ignoreDockerReference: false });
      const response = await http.request('GET', '/v2/keyless/app/manifests/1.0', { headers: { accept: MediaType.ociManifest } });
      return { status: response.status, body: response.body.toString() };
    };
  }

  before(async () => {
    sigstore = await startFakeSigstore();
    dir = await mkdtemp(join(tmpdir(), 'slipway-keyless-gate-'));
  });
  after(async () => {
    await Promise.all(servers.map((server) => server.stop()));
    await sigstore.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves an image signed by the trusted identity, and refuses it for another identity', async () => {
    const pull = await signedServer(sigstore.trustedRoot, false);
    assert.equal((await pull()).status, 200);
    const other = await pull('someone-else@ci.example');
    assert.equal(other.status, 412);
    assert.match(other.body, /IDENTITY_MISMATCH/);
  });

  it('requires the certificate’s SCT from a CT log of the trusted root, unless signing.ignoreSct waives it', async () => {
    const withoutCtLog = { ...sigstore.trustedRoot, ctlogs: [] };
    const strict = await signedServer(withoutCtLog, false);
    const refused = await strict();
    assert.equal(refused.status, 412);
    assert.match(refused.body, /CERTIFICATE_SCT_MISSING/);
    const waived = await signedServer(withoutCtLog, true);
    assert.equal((await waived()).status, 200);
  });
});
