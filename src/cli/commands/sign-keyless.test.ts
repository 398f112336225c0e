import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startDockerRegistry, type TestDockerRegistry } from '../../testing/docker-registry.ts';
import { isolatedCredentialEnv, runSlipway } from '../../testing/cli.ts';
import { startFakeSigstore, type FakeSigstore } from '../../testing/fake-sigstore.ts';
import { createRegistryClient, type RegistryClient } from '../../core/oci/client/registry-client.ts';
import { buildImage, pushToRegistry } from '../../testing/test-images.ts';

interface Outcome {
  verified: boolean;
  scheme: 'legacy' | 'bundle';
  code?: string;
  signer?: { kind: string; subject?: string; issuer?: string };
}

const ISSUER = 'https://oidc.ci.example';
const IDENTITY = 'release-bot@ci.example';

/**
 * Keyless signing for an organisation running its own Sigstore: an in-process Fulcio and Rekor
 * with real crypto, the real CLI, a real docker-registry. Verification is offline against a
 * trusted_root.json file, with the identity, the issuer, the chain, the certificate's SCT, its
 * validity at the logged time and the log proof each refused with its own reason.
 */
describe('keyless sign and verify against a private Sigstore', () => {
  let sigstore: FakeSigstore;
  let otherSigstore: FakeSigstore;
  let expiredSigstore: FakeSigstore;
  let registry: TestDockerRegistry;
  let client: RegistryClient;
  let dir: string;
  let env: Record<string, string>;
  let rootFile: string;
  let otherRootFile: string;

  const push = async (seed: string, tag: string) => {
    const image = buildImage({ seed });
    await pushToRegistry(client.repository(registry.host, 'keyless/app'), [image.config, ...image.layers], image.manifest, tag);
    return `${registry.host}/keyless/app:${tag}`;
  };
  const sign = (s: FakeSigstore, image: string, ...extra: string[]) =>
    runSlipway(['sign', image, '--fulcio-url', s.fulcioUrl, '--rekor-url', s.rekorUrl, '--insecure', '--force', '--reason', 'test registry has no scan gate', ...extra], {
      ...env,
      SIGSTORE_ID_TOKEN: s.identityToken({ email: IDENTITY, issuer: ISSUER }),
    });
  const verify = async (image: string, ...flags: string[]) => {
    const out = await runSlipway(['verify', image, '--insecure', '--output', 'json', ...flags], env);
    return { code: out.code, outcomes: (JSON.parse(out.stdout || '{"outcomes":[]}') as { outcomes: Outcome[] }).outcomes, stderr: out.stderr };
  };
  const trusting = (root: string) => ['--trusted-root', root, '--certificate-identity', IDENTITY, '--certificate-oidc-issuer', ISSUER];

  before(async () => {
    [sigstore, otherSigstore, expiredSigstore, registry] = await Promise.all([
      startFakeSigstore(),
      startFakeSigstore(),
      startFakeSigstore({ caClock: new Date(Date.now() - 3_600_000) }),
      startDockerRegistry(),
    ]);
    client = createRegistryClient({ insecure: true });
    dir = await mkdtemp(join(tmpdir(), 'slipway-keyless-'));
    env = isolatedCredentialEnv(dir);
    rootFile = join(dir, 'trusted_root.json');
    otherRootFile = join(dir, 'other_root.json');
    await writeFile(rootFile, JSON.stringify(sigstore.trustedRoot));
    await writeFile(otherRootFile, JSON.stringify(otherSigstore.trustedRoot));
  });
  after(async () => {
    client.close();
    await Promise.all([sigstore.close(), otherSigstore.close(), expiredSigstore.close(), registry.stop()]);
    await rm(dir, { recursive: true, force: true });
  });

  it('signs keylessly in both schemes and verifies offline against the trusted root, identity and issuer', async () => {
    const image = await push('keyless-ok', 'ok');
    const signed = await sign(sigstore, image);
    assert.equal(signed.code, 0, signed.stderr);
    const result = await verify(image, ...trusting(rootFile));
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.outcomes.length, 2);
    for (const o of result.outcomes) assert.deepEqual([o.verified, o.signer?.subject, o.signer?.issuer], [true, IDENTITY, ISSUER], o.scheme);
    const text = await runSlipway(['verify', image, '--insecure', ...trusting(rootFile)], env);
    assert.match(text.stdout, new RegExp(`✓ legacy .*: signed by ${IDENTITY.replace('.', '\\.')} .*, logged \\d{4}-\\d\\d-\\d\\dT`), text.stdout);

    const regexp = await verify(image, '--trusted-root', rootFile, '--certificate-identity-regexp', '.*@ci\\.example', '--certificate-oidc-issuer-regexp', 'https://oidc\\.ci\\..*');
    assert.equal(regexp.code, 0);
    const unanchored = await verify(image, '--trusted-root', rootFile, '--certificate-identity-regexp', 'release-bot', '--certificate-oidc-issuer', ISSUER);
    assert.ok(unanchored.outcomes.every((o) => o.code === 'IDENTITY_MISMATCH'), 'identity regexes must match the whole identity');
  });

  it('refuses another identity, another issuer, an untrusted CA and log, each with its reason', async () => {
    const image = await push('keyless-refused', 'refused');
    assert.equal((await sign(sigstore, image)).code, 0);
    const identity = await verify(image, '--trusted-root', rootFile, '--certificate-identity', 'someone@ci.example', '--certificate-oidc-issuer', ISSUER);
    assert.equal(identity.code, 1);
    assert.deepEqual(identity.outcomes.map((o) => o.code), ['IDENTITY_MISMATCH', 'IDENTITY_MISMATCH']);
    const issuer = await verify(image, '--trusted-root', rootFile, '--certificate-identity', IDENTITY, '--certificate-oidc-issuer', 'https://accounts.example');
    assert.deepEqual(issuer.outcomes.map((o) => o.code), ['ISSUER_MISMATCH', 'ISSUER_MISMATCH']);
    const otherRoot = await verify(image, ...trusting(otherRootFile));
    assert.equal(otherRoot.code, 1);
    assert.ok(otherRoot.outcomes.every((o) => o.code === 'TLOG_PROOF_INVALID' || o.code === 'CERTIFICATE_CHAIN_INVALID'), JSON.stringify(otherRoot.outcomes));
  });

  it('checks the certificate\'s SCT against the root\'s CT logs; --insecure-ignore-sct waives it in verify and verify-attestation', async () => {
    const image = await push('keyless-sct', 'sct');
    assert.equal((await sign(sigstore, image)).code, 0);
    const predicate = join(dir, 'predicate.json');
    await writeFile(predicate, JSON.stringify({ built: 'by ci' }));
    const attested = await runSlipway(['attest', image, '--fulcio-url', sigstore.fulcioUrl, '--rekor-url', sigstore.rekorUrl, '--predicate', predicate, '--insecure', '--force', '--reason', 'test registry has no scan gate'], {
      ...env,
      SIGSTORE_ID_TOKEN: sigstore.identityToken({ email: IDENTITY, issuer: ISSUER }),
    });
    assert.equal(attested.code, 0, attested.stderr);
    // A private Sigstore without a CT log: its root lists none.
    const noCtlogRoot = join(dir, 'no_ctlog_root.json');
    await writeFile(noCtlogRoot, JSON.stringify({ ...sigstore.trustedRoot, ctlogs: [] }));
    const verifyAttestation = async (...flags: string[]) => {
      const out = await runSlipway(['verify-attestation', image, '--insecure', '--output', 'json', ...trusting(noCtlogRoot), ...flags], env);
      return { code: out.code, outcomes: (JSON.parse(out.stdout || '{"outcomes":[]}') as { outcomes: Outcome[] }).outcomes };
    };
    for (const run of [(...flags: string[]) => verify(image, ...trusting(noCtlogRoot), ...flags), verifyAttestation]) {
      const refused = await run();
      assert.equal(refused.code, 1);
      assert.deepEqual(refused.outcomes.map((o) => o.code), ['CERTIFICATE_SCT_MISSING', 'CERTIFICATE_SCT_MISSING']);
      const waived = await run('--insecure-ignore-sct');
      assert.equal(waived.code, 0);
      assert.deepEqual(waived.outcomes.map((o) => [o.verified, o.signer?.subject]), [[true, IDENTITY], [true, IDENTITY]]);
    }
  });

  it('refuses a certificate that had expired when the log entry was made', async () => {
    const image = await push('keyless-expired', 'expired');
    assert.equal((await sign(expiredSigstore, image)).code, 0);
    await writeFile(join(dir, 'expired_root.json'), JSON.stringify(expiredSigstore.trustedRoot));
    const result = await verify(image, ...trusting(join(dir, 'expired_root.json')));
    assert.equal(result.code, 1);
    assert.deepEqual(result.outcomes.map((o) => o.code), ['CERTIFICATE_NOT_VALID_AT_SIGNING_TIME', 'CERTIFICATE_NOT_VALID_AT_SIGNING_TIME']);
  });

  it('needs a trusted root for keyless verification and a token for keyless signing', async () => {
    const image = await push('keyless-usage', 'usage');
    const noRoot = await runSlipway(['verify', image, '--insecure', '--certificate-identity', IDENTITY, '--certificate-oidc-issuer', ISSUER], env);
    assert.equal(noRoot.code, 2);
    assert.match(noRoot.stderr, /--trusted-root/);
    const noToken = await runSlipway(['sign', image, '--fulcio-url', sigstore.fulcioUrl, '--rekor-url', sigstore.rekorUrl, '--insecure', '--force', '--reason', 'x'], { ...env, SIGSTORE_ID_TOKEN: '' });
    assert.equal(noToken.code, 2);
    assert.match(noToken.stderr, /identity token/);
  });
});
