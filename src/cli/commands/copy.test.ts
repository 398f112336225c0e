import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { isolatedCredentialEnv, runSlipway as slipway } from '../../testing/cli.ts';
import { createRegistryClient, type RegistryClient } from '../../core/oci/client/registry-client.ts';
import { digestOf } from '../../core/oci/digest.ts';
import { MediaType } from '../../core/oci/media-types.ts';
import { startDockerRegistry, type TestDockerRegistry } from '../../testing/docker-registry.ts';

describe('slipway copy', () => {
  let registry: TestDockerRegistry;
  let client: RegistryClient;
  let dir: string;
  let env: Record<string, string>;
  let digest: string;

  before(async () => {
    registry = await startDockerRegistry();
    client = createRegistryClient({ insecure: true });
    dir = await mkdtemp(join(tmpdir(), 'slipway-cli-copy-'));
    env = isolatedCredentialEnv(dir);
    const repo = client.repository(registry.host, 'src/app');
    const blobs = [Buffer.from('{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}'), Buffer.alloc(100_000, 7)];
    const [config, layer] = blobs.map((bytes, i) => ({ mediaType: i === 0 ? MediaType.ociConfig : MediaType.ociLayer, digest: digestOf(bytes), size: bytes.byteLength }));
    for (const [i, bytes] of blobs.entries()) {
      const descriptor = i === 0 ? config : layer;
      assert.ok(descriptor !== undefined);
      await repo.uploadBlob(descriptor, () => Promise.resolve(Readable.from([bytes])));
    }
    const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociManifest, config, layers: [layer] }));
    digest = (await repo.putManifest('v1', manifest, MediaType.ociManifest)).digest;
  });
  after(async () => {
    client.close();
    await registry.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('copies registry → layout → registry, prints the result as JSON, keeps the digest', async () => {
    const layout = join(dir, 'layout');
    const out = await slipway(['copy', `docker://${registry.host}/src/app:v1`, `oci:${layout}:v1`, '--insecure', '--output', 'json'], env);
    assert.equal(out.code, 0, out.stderr);
    const result: unknown = JSON.parse(out.stdout);
    assert.ok(typeof result === 'object' && result !== null && 'digest' in result && 'failures' in result);
    assert.equal(result.digest, digest);
    assert.deepEqual(result.failures, []);

    const back = await slipway(['copy', `oci:${layout}:v1`, `${registry.host}/dst/app:v2`, '--insecure'], env);
    assert.equal(back.code, 0, back.stderr);
    assert.match(back.stdout, new RegExp(`^Copied oci:${layout}:v1 → ${registry.host}/dst/app:v2 ${digest}: 1 manifests \\(0 already there\\), 2 blobs copied`), 'named as given, tags included');
    assert.equal(back.stdout.trim().split('\n').length, 1, 'one line');
    assert.equal(back.stderr, '', 'no progress bar when stderr is not a terminal');
    assert.equal((await client.repository(registry.host, 'dst/app').getManifest('v2'))?.digest, digest);
  });

  it('exits non-zero when the source has no such image', async () => {
    const out = await slipway(['copy', `docker://${registry.host}/src/app:missing`, `oci:${join(dir, 'none')}`, '--insecure'], env);
    assert.equal(out.code, 1);
    assert.match(out.stderr, /no manifest missing/);
  });

  it('refuses unknown transports as a usage problem', async () => {
    const out = await slipway(['copy', 'ftp://x/y', `oci:${join(dir, 'none')}`, '--output', 'json'], env);
    assert.equal(out.code, 1);
    assert.match(out.stdout, /REFERENCE_INVALID/);
  });
});
