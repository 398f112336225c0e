import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { openImageLayout } from '../core/oci/image-layout.ts';
import { databaseKinds } from '../testing/databases.ts';
import { buildImage, buildIndex, writeImageToLayout } from '../testing/test-images.ts';
import { startSlipway, type TestSlipway } from '../testing/slipway-server.ts';
import { apiCaller } from '../testing/management-api.ts';
import { requireTool } from '../testing/tools.ts';

const exec = promisify(execFile);

/** Real skopeo (Debian's 1.9) against a real Slipway server: what users do on day one. */
for (const kind of databaseKinds) {
  describe(`skopeo against Slipway (${kind})`, () => {
    let skopeo: string;
    let slipway: TestSlipway;
    let work: string;
    let creds: string;

    before(async () => {
      skopeo = await requireTool('skopeo', 'skopeo');
      slipway = await startSlipway({ database: kind });
      work = await mkdtemp(join(tmpdir(), 'slipway-skopeo-'));
      creds = `admin:${slipway.adminPassword}`;
    });
    after(async () => {
      await slipway.stop();
      await rm(work, { recursive: true, force: true });
    });

    const run = async (...args: string[]) => (await exec(skopeo, args, { maxBuffer: 16 << 20 })).stdout;
    const inspectDigest = async (ref: string) =>
      (JSON.parse(await run('inspect', '--tls-verify=false', '--creds', creds, `docker://${ref}`)) as { Digest: string }).Digest;

    it('pushes an OCI layout, copies it through the environments and keeps one digest', async () => {
      const layoutDir = join(work, 'myservice');
      const image = buildImage({ layers: 3, layerBytes: 64 * 1024, seed: `skopeo-${kind}` });
      await writeImageToLayout(await openImageLayout(layoutDir, { create: true }), image, 'latest');

      const dev = `${slipway.host}/platform-dev/myservice:1.4.2-a1b2c3d`;
      const staging = `${slipway.host}/platform-staging/myservice:1.4.2-a1b2c3d`;
      const production = `${slipway.host}/platform-production/myservice:1.4.2-a1b2c3d`;
      await run('copy', '-q', '--dest-tls-verify=false', '--dest-creds', creds, `oci:${layoutDir}:latest`, `docker://${dev}`);
      for (const [from, to] of [
        [dev, staging],
        [staging, production],
      ] as const) {
        await run('copy', '-q', '--src-tls-verify=false', '--dest-tls-verify=false', '--src-creds', creds, '--dest-creds', creds, `docker://${from}`, `docker://${to}`);
      }
      const digests = await Promise.all([dev, staging, production].map(inspectDigest));
      assert.deepEqual(digests, [image.manifest.descriptor.digest, image.manifest.descriptor.digest, image.manifest.descriptor.digest]);

      const back = join(work, 'pulled');
      await run('copy', '-q', '--src-tls-verify=false', '--src-creds', creds, `docker://${production}`, `oci:${back}:pulled`);
      const pulled = await (await openImageLayout(back)).resolve('pulled');
      assert.equal(pulled.digest, image.manifest.descriptor.digest, 'the pulled manifest is byte for byte the pushed one');
    });

    it('pushes and inspects a multi-platform index, every platform kept', async () => {
      const layoutDir = join(work, 'multi');
      const index = buildIndex(
        [
          buildImage({ seed: 'amd64', platform: { architecture: 'amd64', os: 'linux' } }),
          buildImage({ seed: 'arm64', platform: { architecture: 'arm64', os: 'linux', variant: 'v8' } }),
        ],
        { mediaType: 'oci' },
      );
      await writeImageToLayout(await openImageLayout(layoutDir, { create: true }), index, 'multi');
      const ref = `${slipway.host}/platform-dev/multi:1`;
      await run('copy', '-q', '--all', '--dest-tls-verify=false', '--dest-creds', creds, `oci:${layoutDir}:multi`, `docker://${ref}`);
      const raw = await run('inspect', '--raw', '--tls-verify=false', '--creds', creds, `docker://${ref}`);
      assert.equal(raw, index.index.bytes.toString('utf8'));
      for (const child of index.images) {
        const digest = await inspectDigest(`${slipway.host}/platform-dev/multi@${child.manifest.descriptor.digest}`);
        assert.equal(digest, child.manifest.descriptor.digest);
      }
    });

    it('deletes an image with skopeo delete', async () => {
      const layoutDir = join(work, 'doomed');
      const image = buildImage({ seed: 'doomed' });
      await writeImageToLayout(await openImageLayout(layoutDir, { create: true }), image, 'x');
      const ref = `${slipway.host}/platform-dev/doomed:1`;
      await run('copy', '-q', '--dest-tls-verify=false', '--dest-creds', creds, `oci:${layoutDir}:x`, `docker://${ref}`);
      await run('delete', '--tls-verify=false', '--creds', creds, `docker://${ref}`);
      await assert.rejects(() => inspectDigest(ref), /manifest unknown|not found/i);
    });

    it('refuses a push with wrong credentials with 401', async () => {
      const layoutDir = join(work, 'denied');
      await writeImageToLayout(await openImageLayout(layoutDir, { create: true }), buildImage({ seed: 'denied' }), 'x');
      await assert.rejects(
        () => run('copy', '-q', '--dest-tls-verify=false', '--dest-creds', 'admin:wrong-password', `oci:${layoutDir}:x`, `docker://${slipway.host}/platform-dev/denied:1`),
        (error: Error & { stderr?: string }) => {
          assert.match(error.stderr ?? '', /401|unauthorized/i);
          return true;
        },
      );
      const res = await fetch(`${slipway.url}/service/token?service=slipway-registry`, {
        headers: { authorization: `Basic ${Buffer.from('admin:wrong-password').toString('base64')}` },
      });
      assert.equal(res.status, 401);
    });

    it('a robot account pushes where it is granted and gets 403 DENIED where it may only pull', async () => {
      const admin = apiCaller(slipway.url, { username: 'admin', password: slipway.adminPassword });
      const robot = await admin.ok<{ name: string; secret: string; id: number }>('POST', '/robots', {
        name: 'ci',
        level: 'system',
        duration: 30,
        permissions: [
          { kind: 'project', namespace: 'platform-dev', access: [{ resource: 'repository', action: 'push' }, { resource: 'repository', action: 'pull' }] },
          { kind: 'project', namespace: 'platform-staging', access: [{ resource: 'repository', action: 'pull' }] },
        ],
      });
      assert.equal(robot.name, 'robot$ci');
      const robotCreds = `${robot.name}:${robot.secret}`;
      const layoutDir = join(work, 'robot');
      const image = buildImage({ seed: `robot-${kind}` });
      await writeImageToLayout(await openImageLayout(layoutDir, { create: true }), image, 'x');

      await run('copy', '-q', '--dest-tls-verify=false', '--dest-creds', robotCreds, `oci:${layoutDir}:x`, `docker://${slipway.host}/platform-dev/robot-app:1`);
      assert.equal(await inspectDigest(`${slipway.host}/platform-dev/robot-app:1`), image.manifest.descriptor.digest);

      await assert.rejects(
        () => run('copy', '-q', '--dest-tls-verify=false', '--dest-creds', robotCreds, `oci:${layoutDir}:x`, `docker://${slipway.host}/platform-staging/robot-app:1`),
        (error: Error & { stderr?: string }) => {
          assert.match(error.stderr ?? '', /denied|403/i);
          assert.match(error.stderr ?? '', /lacks push permission/);
          return true;
        },
      );
      await assert.rejects(() => inspectDigest(`${slipway.host}/platform-staging/robot-app:1`), /manifest unknown|name unknown/i);
      // Nor may it delete what it pushed: the same 403 naming the permission, not a 401 about its token.
      await assert.rejects(
        () => run('delete', '--tls-verify=false', '--creds', robotCreds, `docker://${slipway.host}/platform-dev/robot-app:1`),
        (error: Error & { stderr?: string }) => {
          assert.match(error.stderr ?? '', /lacks delete permission/);
          assert.doesNotMatch(error.stderr ?? '', /401|unauthorized/i);
          return true;
        },
      );
      assert.equal(await inspectDigest(`${slipway.host}/platform-dev/robot-app:1`), image.manifest.descriptor.digest);

      // Disabled, the robot can no longer log in at all.
      await admin.ok('PUT', `/robots/${robot.id}`, { disable: true });
      await assert.rejects(
        () => run('copy', '-q', '--dest-tls-verify=false', '--dest-creds', robotCreds, `oci:${layoutDir}:x`, `docker://${slipway.host}/platform-dev/robot-app:2`),
        (error: Error & { stderr?: string }) => /401|unauthorized/i.test(error.stderr ?? ''),
      );
    });
  });
}
