import assert from 'node:assert/strict';
import { createHash, createPublicKey, verify as cryptoVerify } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { bundleFromJSON } from '@sigstore/bundle';
import { toSignedEntity, toTrustMaterial, Verifier } from '@sigstore/verify';
import { fixedCredentials } from '../../core/oci/client/credentials.ts';
import { createRegistryClient, type RegistryClient } from '../../core/oci/client/registry-client.ts';
import { digestHex, digestOf, type Digest } from '../../core/oci/digest.ts';
import { MediaType } from '../../core/oci/media-types.ts';
import { importOsv } from '../../scan/index.ts';
import { isolatedCredentialEnv, runSlipway } from '../../testing/cli.ts';
import { startDockerRegistry, type TestDockerRegistry } from '../../testing/docker-registry.ts';
import { apiCaller, type ApiCaller } from '../../testing/management-api.ts';
import { registryHttp } from '../../testing/registry-http.ts';
import { rescanAfterImport } from '../../testing/rescans.ts';
import { sharedData } from '../../testing/shared-data.ts';
import { startSlipway, type TestSlipway } from '../../testing/slipway-server.ts';
import { buildImage, pushToRegistry, type TestImage } from '../../testing/test-images.ts';

interface Outcome {
  verified: boolean;
  scheme: 'legacy' | 'bundle';
  code?: string;
  message?: string;
  signer?: { kind: string; keyId?: string };
  statement?: { predicateType: string };
}
interface Verification {
  verified: boolean;
  digest: string;
  outcomes: Outcome[];
}

/** A clean image: one npm package no advisory names, so its scan succeeds with no findings. */
const cleanImage = (seed: string): TestImage =>
  buildImage({ seed, files: [{ 'app/node_modules/slipway-fixture/package.json': JSON.stringify({ name: 'slipway-fixture', version: '1.0.0' }) }] });

/**
 * Signing through the real CLI against a real Slipway and a real CNCF docker-registry: key
 * generation, the scan gate before signing, both schemes written and verified, tampering and
 * wrong keys refused with their reasons, signatures carried by `slipway copy` to a registry
 * without the referrers API, attestations, and the server's signature pull gate.
 */
describe('slipway key, sign, verify and attest', () => {
  let slipway: TestSlipway;
  let peer: TestDockerRegistry;
  let admin: ApiCaller;
  let client: RegistryClient;
  let dir: string;
  let env: Record<string, string>;
  let image: TestImage;
  let ref: string;
  let digest: Digest;

  const cli = (...args: string[]) => runSlipway(args, env);
  const json = <T>(out: { stdout: string }) => JSON.parse(out.stdout) as T;

  before(async () => {
    [slipway, peer] = await Promise.all([startSlipway({ projects: [{ name: 'platform-dev', public: false }] }), startDockerRegistry()]);
    admin = apiCaller(slipway.url, { username: 'admin', password: slipway.adminPassword });
    client = createRegistryClient({ insecure: true, credentials: fixedCredentials({ kind: 'basic', username: 'admin', password: slipway.adminPassword }) });
    dir = await mkdtemp(join(tmpdir(), 'slipway-sign-'));
    env = { ...isolatedCredentialEnv(dir), COSIGN_PASSWORD: 'correct horse' };
    // Rescanned for now, so that the unscanned image pushed below stays unscanned.
    await rescanAfterImport(slipway.app.jobs, (await importOsv(slipway.app.database, sharedData('osv/npm/'))).importId);
    await admin.ok('POST', '/projects', { project_name: 'signed', metadata: { auto_scan: 'true' } });
    assert.equal((await runSlipway(['login', slipway.host, '--username', 'admin', '--password-stdin', '--insecure'], env, `${slipway.adminPassword}\n`)).code, 0);

    image = cleanImage('sign-clean');
    await pushToRegistry(client.repository(slipway.host, 'signed/app'), [image.config, ...image.layers], image.manifest, '1.0');
    digest = image.manifest.descriptor.digest;
    ref = `${slipway.host}/signed/app:1.0`;
    for (let i = 0; i < 200; i++) {
      const report = await admin.call('GET', `/projects/signed/repositories/app/artifacts/${digest}/additions/vulnerabilities`);
      if (report.status === 200 && (report.body as { scan_status: string }).scan_status === 'Success') break;
      await sleep(50);
    }
    for (const prefix of ['cosign', 'other']) {
      const out = await cli('key', 'generate', '--output-key-prefix', join(dir, prefix));
      assert.equal(out.code, 0, out.stderr);
    }
  });
  after(async () => {
    client.close();
    await Promise.all([slipway.stop(), peer.stop()]);
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses to sign an image whose scan gate has not passed, unless forced with a reason, which is audited', async () => {
    const unscanned = buildImage({ seed: 'sign-unscanned' });
    await pushToRegistry(client.repository(slipway.host, 'platform-dev/tool'), [unscanned.config, ...unscanned.layers], unscanned.manifest, '1');
    const target = `${slipway.host}/platform-dev/tool:1`;
    const refused = await cli('sign', '--key', join(dir, 'cosign.key'), target, '--insecure');
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /scan gate has not passed: it has not been scanned/);
    assert.equal((await cli('sign', '--key', join(dir, 'cosign.key'), target, '--insecure', '--force')).code, 2, '--force needs --reason');
    const forced = await cli('sign', '--key', join(dir, 'cosign.key'), target, '--insecure', '--force', '--reason', 'hotfix for INC-42', '--output', 'json');
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(json<{ scanGate: { forced: boolean } }>(forced).scanGate.forced, true);
    const entries = await admin.ok<{ operation: string; resource: string }[]>('GET', '/audit-logs?operation=override-sign');
    assert.ok(entries.some((e) => e.resource.startsWith('platform-dev/tool@')), JSON.stringify(entries));
    const verified = json<Verification>(await cli('verify', '--key', join(dir, 'cosign.pub'), target, '--insecure', '--insecure-ignore-tlog', '--output', 'json'));
    assert.equal(verified.verified, true);
  });

  it('records a forced override only once the signature is written: a wrong key password records none', async () => {
    const unscanned = buildImage({ seed: 'sign-unscanned-locked' });
    await pushToRegistry(client.repository(slipway.host, 'platform-dev/locked'), [unscanned.config, ...unscanned.layers], unscanned.manifest, '1');
    const target = `${slipway.host}/platform-dev/locked:1`;
    const predicate = join(dir, 'locked-predicate.json');
    await writeFile(predicate, '{"note":"forced"}');
    const force = ['--insecure', '--force', '--reason', 'hotfix for INC-43'];
    const wrongPassword = { ...env, COSIGN_PASSWORD: 'not the password' };
    const unsigned = await runSlipway(['sign', '--key', join(dir, 'cosign.key'), target, ...force], wrongPassword);
    assert.equal(unsigned.code, 1, unsigned.stdout);
    const unattested = await runSlipway(['attest', '--key', join(dir, 'cosign.key'), '--predicate', predicate, target, ...force], wrongPassword);
    assert.equal(unattested.code, 1, unattested.stdout);
    const overrides = async () =>
      (await admin.ok<{ operation: string; resource: string }[]>('GET', '/audit-logs?resource_type=scan-gate&page_size=100')).filter((e) => e.resource.startsWith('platform-dev/locked@')).map((e) => e.operation);
    assert.deepEqual(await overrides(), [], 'nothing was signed, so no override is recorded');
    assert.equal((await cli('attest', '--key', join(dir, 'cosign.key'), '--predicate', predicate, target, ...force)).code, 0);
    assert.deepEqual(await overrides(), ['override-attest'], 'a forced attestation that was written is');
  });

  it('signs in both schemes and verifies each with the right key; another key is refused with its reason', async () => {
    const signed = await cli('sign', '--key', join(dir, 'cosign.key'), ref, '--insecure', '-a', 'team=platform', '--output', 'json');
    assert.equal(signed.code, 0, signed.stderr);
    const out = await cli('verify', '--key', join(dir, 'cosign.pub'), ref, '--insecure', '--insecure-ignore-tlog', '--output', 'json');
    assert.equal(out.code, 0, out.stderr);
    const result = json<Verification>(out);
    assert.deepEqual(result.outcomes.map((o) => `${o.scheme}:${o.verified}`).sort(byText), ['bundle:true', 'legacy:true']);

    const wrong = await cli('verify', '--key', join(dir, 'other.pub'), ref, '--insecure', '--insecure-ignore-tlog', '--output', 'json');
    assert.equal(wrong.code, 1);
    const codes = Object.fromEntries(json<Verification>(wrong).outcomes.map((o) => [o.scheme, o.code]));
    assert.deepEqual(codes, { legacy: 'SIGNATURE_INVALID', bundle: 'KEY_UNTRUSTED' });

    const noTlog = await cli('verify', '--key', join(dir, 'cosign.pub'), ref, '--insecure', '--output', 'json');
    assert.equal(noTlog.code, 1, 'a transparency-log proof is required unless waived');
    assert.ok(json<Verification>(noTlog).outcomes.every((o) => o.code === 'TLOG_PROOF_MISSING'));
    assert.ok(json<Verification>(noTlog).outcomes.every((o) => o.message?.includes('waive the check: --insecure-ignore-tlog')), 'names the flag that waives it');
  });

  it('writes what an independent verifier accepts: node:crypto for the legacy layer, @sigstore/verify for the bundle', async () => {
    const repo = client.repository(slipway.host, 'signed/app');
    const sig = await repo.getManifest(`sha256-${digestHex(digest)}.sig`);
    assert.ok(sig !== undefined);
    const manifest = JSON.parse(sig.bytes.toString()) as { config: { digest: string }; layers: { mediaType: string; digest: Digest; size: number; annotations: Record<string, string> }[] };
    const layer = manifest.layers.at(-1);
    assert.ok(layer !== undefined);
    assert.equal(layer.mediaType, 'application/vnd.dev.cosign.simplesigning.v1+json');
    const payload = await readAll(await repo.openBlob(layer.digest));
    assert.equal(digestOf(payload), layer.digest);
    const publicKey = createPublicKey(await readFile(join(dir, 'cosign.pub'), 'utf8'));
    assert.ok(cryptoVerify('sha256', payload, publicKey, Buffer.from(layer.annotations['dev.cosignproject.cosign/signature'] ?? '', 'base64')));
    const claims = JSON.parse(payload.toString()) as { critical: { image: { 'docker-manifest-digest': string }; identity: { 'docker-reference': string } }; optional: Record<string, string> };
    assert.equal(claims.critical.image['docker-manifest-digest'], digest);
    assert.equal(claims.critical.identity['docker-reference'], `${slipway.host}/signed/app`);
    assert.equal(claims.optional['team'], 'platform');
    assert.equal(
      payload.toString(),
      `{"critical":{"identity":{"docker-reference":"${slipway.host}/signed/app"},"image":{"docker-manifest-digest":"${digest}"},"type":"cosign container image signature"},"optional":{"team":"platform"}}`,
      'the payload is byte for byte what cosign writes',
    );
    const config = await readAll(await repo.openBlob(manifest.config.digest as Digest));
    assert.match(config.toString(), /^\{"architecture":"","created":"0001-01-01T00:00:00Z","history":\[\{"created":"0001-01-01T00:00:00Z"\}/);

    const referrers = await repo.referrers(digest);
    const bundleRef = referrers.find((r) => r.artifactType === 'application/vnd.dev.sigstore.bundle.v0.3+json');
    assert.ok(bundleRef !== undefined);
    const referrer = JSON.parse((await repo.getManifest(bundleRef.digest))?.bytes.toString() ?? '{}') as { layers: { digest: Digest }[]; annotations: Record<string, string> };
    assert.equal(referrer.annotations['dev.sigstore.bundle.predicateType'], 'https://sigstore.dev/cosign/sign/v1');
    const bundleJson = JSON.parse((await readAll(await repo.openBlob(referrer.layers[0]?.digest as Digest))).toString()) as unknown;
    const bundle = bundleFromJSON(bundleJson);
    const spki = publicKey.export({ type: 'spki', format: 'der' });
    const hint = createHash('sha256').update(spki).digest('base64');
    const material = toTrustMaterial(
      { mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1', tlogs: [], certificateAuthorities: [], ctlogs: [], timestampAuthorities: [] },
      (h: string) => {
        assert.equal(h, hint, 'the bundle names the key by its hint');
        return { publicKey, validFor: () => true };
      },
    );
    const verifier = new Verifier(material, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 });
    verifier.verify(toSignedEntity(bundle));
    const statement = JSON.parse(Buffer.from((bundleJson as { dsseEnvelope: { payload: string } }).dsseEnvelope.payload, 'base64').toString()) as { subject: { digest: { sha256: string } }[] };
    assert.equal(statement.subject[0]?.digest.sha256, digestHex(digest));
  });

  it('fails verification with the right reason when a signature is replayed onto another image', async () => {
    const other = cleanImage('sign-replay');
    const repo = client.repository(slipway.host, 'signed/app');
    await pushToRegistry(repo, [other.config, ...other.layers], other.manifest, 'replayed');
    const sig = await repo.getManifest(`sha256-${digestHex(digest)}.sig`);
    assert.ok(sig !== undefined);
    await repo.putManifest(`sha256-${digestHex(other.manifest.descriptor.digest)}.sig`, sig.bytes, MediaType.ociManifest);
    const out = await cli('verify', '--key', join(dir, 'cosign.pub'), `${slipway.host}/signed/app:replayed`, '--insecure', '--insecure-ignore-tlog', '--scheme', 'legacy', '--output', 'json');
    assert.equal(out.code, 1);
    assert.deepEqual(json<Verification>(out).outcomes.map((o) => o.code), ['PAYLOAD_DIGEST_MISMATCH']);
  });

  it('attests an SBOM in both schemes and verifies it by type', async () => {
    const sbom = join(dir, 'sbom.json');
    await writeFile(sbom, JSON.stringify({ spdxVersion: 'SPDX-2.3', name: 'app', packages: [] }));
    const attested = await cli('attest', '--key', join(dir, 'cosign.key'), '--type', 'spdxjson', '--predicate', sbom, ref, '--insecure');
    assert.equal(attested.code, 0, attested.stderr);
    const out = await cli('verify-attestation', '--key', join(dir, 'cosign.pub'), '--type', 'spdxjson', ref, '--insecure', '--insecure-ignore-tlog', '--output', 'json');
    assert.equal(out.code, 0, out.stderr);
    const verified = json<Verification>(out).outcomes.filter((o) => o.verified);
    assert.deepEqual(verified.map((o) => `${o.scheme} ${o.statement?.predicateType}`).sort(byText), ['bundle https://spdx.dev/Document', 'legacy https://spdx.dev/Document']);
    const vuln = await cli('verify-attestation', '--key', join(dir, 'cosign.pub'), '--type', 'vuln', ref, '--insecure', '--insecure-ignore-tlog', '--output', 'json');
    assert.equal(vuln.code, 1, 'no vulnerability attestation was made');
    assert.deepEqual(json<Verification>(vuln).outcomes.map((o) => o.code), ['SIGNATURE_NOT_FOUND']);
    assert.match(json<Verification>(vuln).outcomes[0]?.message ?? '', /^no attestation of type https:\/\/cosign\.sigstore\.dev\/attestation\/vuln\/v1 is stored for .* \(found: https:\/\/spdx\.dev\/Document\)$/, 'names what is stored instead');
  });

  it('refuses a predicate too large for any verifier to read, before signing anything', async () => {
    const huge = join(dir, 'huge.json');
    await writeFile(huge, `"${'a'.repeat(17 * 1024 * 1024)}"`);
    const refused = await cli('attest', '--key', join(dir, 'cosign.key'), '--type', 'custom', '--predicate', huge, ref, '--insecure');
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /--predicate .*huge\.json is over 16 MiB: its attestation would exceed the 32 MiB verifiers read/);
    const missing = await cli('attest', '--key', join(dir, 'cosign.key'), '--predicate', join(dir, 'absent.json'), ref, '--insecure');
    assert.match(missing.stderr, /cannot read --predicate .*absent\.json: no such file or directory/);
  });

  it('slipway copy carries both schemes to docker-registry, and verify succeeds against the copy', async () => {
    const target = `${peer.host}/mirror/app:1.0`;
    const copied = await cli('copy', `docker://${ref}`, `docker://${target}`, '--insecure', '--output', 'json');
    assert.equal(copied.code, 0, copied.stderr);
    for (const scheme of ['legacy', 'bundle']) {
      const out = await cli('verify', '--key', join(dir, 'cosign.pub'), target, '--insecure', '--insecure-ignore-tlog', '--ignore-docker-reference', '--scheme', scheme, '--output', 'json');
      assert.equal(out.code, 0, `${scheme}: ${out.stdout}${out.stderr}`);
    }
    const strict = json<Verification>(await cli('verify', '--key', join(dir, 'cosign.pub'), target, '--insecure', '--insecure-ignore-tlog', '--output', 'json'));
    assert.equal(strict.outcomes.find((o) => o.scheme === 'legacy')?.code, 'DOCKER_REFERENCE_MISMATCH', 'the legacy payload names the repository it was signed in');
    assert.equal(strict.outcomes.find((o) => o.scheme === 'bundle')?.verified, true, 'v3 bundles name no repository');
    const attestation = await cli('verify-attestation', '--key', join(dir, 'cosign.pub'), '--type', 'spdxjson', target, '--insecure', '--insecure-ignore-tlog', '--ignore-docker-reference');
    assert.equal(attestation.code, 0, attestation.stdout);
  });

  it('verifies an air-gapped copy in an OCI layout offline, signatures and attestations included; a tampered payload fails', async () => {
    const layoutDir = join(dir, 'export');
    const copied = await cli('copy', `docker://${ref}`, `oci:${layoutDir}:1.0`, '--insecure');
    assert.equal(copied.code, 0, copied.stderr);
    const verify = (...args: string[]) => cli('verify', '--key', join(dir, 'cosign.pub'), '--insecure-ignore-tlog', '--output', 'json', ...args);
    const verified = await verify(`oci:${layoutDir}:1.0`, '--docker-reference', `${slipway.host}/signed/app`);
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
    assert.equal(json<Verification>(verified).digest, digest);
    assert.deepEqual([...new Set(json<Verification>(verified).outcomes.filter((o) => o.verified).map((o) => o.scheme))].sort(byText), ['bundle', 'legacy']);
    const bare = json<Verification>(await verify(`oci:${layoutDir}`, '--docker-reference', `${slipway.host}/signed/app`));
    assert.ok(bare.outcomes.some((o) => o.verified), 'without a ref, the layout’s one image');
    const unnamed = json<Verification>(await verify(`oci:${layoutDir}:1.0`));
    assert.equal(unnamed.outcomes.find((o) => o.scheme === 'legacy')?.code, 'DOCKER_REFERENCE_MISMATCH', 'a layout is no repository: say which one it was signed in');
    const told = await cli('verify', '--key', join(dir, 'cosign.pub'), '--insecure-ignore-tlog', '--scheme', 'legacy', `oci:${layoutDir}:1.0`);
    assert.match(told.stdout, /DOCKER_REFERENCE_MISMATCH: .* \(name the repository it was signed in: --docker-reference <host\/repository>, or --ignore-docker-reference\)/);
    const attestation = await cli('verify-attestation', '--key', join(dir, 'cosign.pub'), '--type', 'spdxjson', `oci:${layoutDir}:1.0`, '--insecure-ignore-tlog', '--ignore-docker-reference');
    assert.equal(attestation.code, 0, attestation.stdout + attestation.stderr);

    // A forged payload stored consistently (its own digest, a .sig manifest naming it, index.json naming
    // that manifest): every digest checks out, so only the signature itself can refuse it.
    const blobFile = (d: string) => join(layoutDir, 'blobs', 'sha256', digestHex(d as Digest));
    const indexFile = join(layoutDir, 'index.json');
    const index = JSON.parse(await readFile(indexFile, 'utf8')) as { manifests: { digest: string; size: number; annotations?: Record<string, string> }[] };
    const sigEntry = index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === `sha256-${digestHex(digest)}.sig`);
    assert.ok(sigEntry !== undefined, 'the .sig manifest is listed under its tag');
    const sigManifest = JSON.parse(await readFile(blobFile(sigEntry.digest), 'utf8')) as { layers: { digest: string; size: number }[] };
    const layer = sigManifest.layers[0];
    assert.ok(layer !== undefined);
    const payload = JSON.parse(await readFile(blobFile(layer.digest), 'utf8')) as { optional?: Record<string, unknown> | null };
    const forged = Buffer.from(JSON.stringify({ ...payload, optional: { ...payload.optional, approved: 'yes' } }));
    layer.digest = digestOf(forged);
    layer.size = forged.byteLength;
    await writeFile(blobFile(layer.digest), forged);
    const manifestBytes = Buffer.from(JSON.stringify(sigManifest));
    sigEntry.digest = digestOf(manifestBytes);
    sigEntry.size = manifestBytes.byteLength;
    await writeFile(blobFile(sigEntry.digest), manifestBytes);
    await writeFile(indexFile, JSON.stringify(index));
    const tampered = json<Verification>(await verify(`oci:${layoutDir}:1.0`, '--docker-reference', `${slipway.host}/signed/app`, '--scheme', 'legacy'));
    assert.deepEqual([...new Set(tampered.outcomes.map((o) => o.code))], ['SIGNATURE_INVALID'], 'the forged payload is refused by the signature check');
  });

  it("serves a project that requires signatures only what its trust policy verifies", async () => {
    await admin.ok('PUT', '/projects/signed', { metadata: { enable_content_trust_cosign: 'true' } });
    const http = registryHttp(slipway.url).withToken(await registryHttp(slipway.url).login('admin', slipway.adminPassword, ['repository:signed/app:pull']));
    const pull = (reference: string) => http.request('GET', `/v2/signed/app/manifests/${reference}`, { headers: { accept: MediaType.ociManifest } });
    const noPolicy = await pull('1.0');
    assert.equal(noPolicy.status, 412);
    assert.match(noPolicy.body.toString(), /names no keys or identities/);

    await admin.ok('PUT', '/projects/signed/trust-policy', {
      keys: [{ name: 'ci', publicKey: await readFile(join(dir, 'cosign.pub'), 'utf8') }],
      identities: [],
      threshold: 1,
      requiredAttestations: ['spdxjson'],
      requireTlog: false,
      ignoreDockerReference: false,
    });
    assert.equal((await pull('1.0')).status, 200, 'signed and attested with the trusted key');
    const unsigned = await pull('replayed');
    assert.equal(unsigned.status, 412);
    assert.match(unsigned.body.toString(), /PAYLOAD_DIGEST_MISMATCH/);

    await admin.ok('PUT', '/projects/signed/trust-policy', {
      keys: [{ name: 'other', publicKey: await readFile(join(dir, 'other.pub'), 'utf8') }],
      identities: [],
      threshold: 1,
      requiredAttestations: [],
      requireTlog: false,
      ignoreDockerReference: false,
    });
    const untrusted = await pull('1.0');
    assert.equal(untrusted.status, 412, 'a new policy version is verified afresh, not served from the cache');
    assert.match(untrusted.body.toString(), /KEY_UNTRUSTED/);
  });

  it('signs an image its project holds back, and copies signatures onto an unsigned copy there, for those who may push', async () => {
    await admin.ok('POST', '/projects', { project_name: 'gated', metadata: { enable_content_trust_cosign: 'true' } });
    await admin.ok('PUT', '/projects/gated/trust-policy', { keys: [{ name: 'ci', publicKey: await readFile(join(dir, 'cosign.pub'), 'utf8') }], identities: [], threshold: 1, requiredAttestations: [], requireTlog: false, ignoreDockerReference: true });
    const held = cleanImage('gated-held');
    await pushToRegistry(client.repository(slipway.host, 'gated/held'), [held.config, ...held.layers], held.manifest, '1');
    const http = registryHttp(slipway.url);
    const head = async (user: string, password: string, repo: string) =>
      (await http.withToken(await http.login(user, password, [`repository:${repo}:pull`])).request('HEAD', `/v2/${repo}/manifests/1`, { headers: { accept: MediaType.ociManifest } })).status;
    await admin.ok('POST', '/users', { username: 'reader', password: 'Reader-Password-1' });
    await admin.ok('POST', '/projects/gated/members', { role_id: 3, member_user: { username: 'reader' } });
    assert.equal(await head('reader', 'Reader-Password-1', 'gated/held'), 412, 'a guest still meets the gate on HEAD');
    assert.equal(await head('admin', slipway.adminPassword, 'gated/held'), 200, 'who may push sees what is there');

    const signed = await cli('sign', '--key', join(dir, 'cosign.key'), `${slipway.host}/gated/held:1`, '--insecure', '--force', '--reason', 'signing a held image');
    assert.equal(signed.code, 0, signed.stderr);
    assert.equal(await head('reader', 'Reader-Password-1', 'gated/held'), 200, 'signed, it passes the gate');

    // The way teams promote with skopeo: the image arrives unsigned, then its signatures are copied after it.
    await admin.ok('PUT', '/projects/signed', { metadata: { enable_content_trust_cosign: 'false' } });
    await pushToRegistry(client.repository(slipway.host, 'gated/app'), [image.config, ...image.layers], image.manifest, '1.0');
    const copied = await cli('copy', '--insecure', ref, `${slipway.host}/gated/app:1.0`);
    assert.equal(copied.code, 0, copied.stderr);
    const pulled = await http.withToken(await http.login('reader', 'Reader-Password-1', ['repository:gated/app:pull'])).request('GET', '/v2/gated/app/manifests/1.0', { headers: { accept: MediaType.ociManifest } });
    assert.equal(pulled.status, 200, pulled.body.toString());
  });
});

async function readAll(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

const byText = (a: string, b: string) => a.localeCompare(b);
