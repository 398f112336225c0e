import assert from 'node:assert/strict';
import { mkdtemp, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import type { RegistryClient } from '../core/oci/client/registry-client.ts';
import { digestHex } from '../core/oci/digest.ts';
import { openImageLayout } from '../core/oci/image-layout.ts';
import { buildImage, writeImageToLayout, type TestImage } from '../testing/test-images.ts';
import { tarArchive } from '../testing/tar-writer.ts';
import { catalogers } from './catalogers.ts';
import { ScanError } from './scan-error.ts';
import { openScanImage } from './scan-image.ts';
import { scanImage } from './scanner.ts';

const client = {} as RegistryClient;
const OS_RELEASE = 'ID=debian\nVERSION_ID="12"\n';
const STATUS = 'Package: zlib1g\nStatus: install ok installed\nVersion: 1:1.2.13.dfsg-1\nArchitecture: amd64\n\n';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-scan-image-'));
});
after(() => rm(dir, { recursive: true, force: true }));

/** A layout at a fresh directory holding `image` as `:v1`; returns its directory. */
async function layoutOf(name: string, image: TestImage): Promise<string> {
  const layout = await openImageLayout(join(dir, name), { create: true });
  await writeImageToLayout(layout, image, 'v1');
  return layout.dir;
}

const blobPath = (layout: string, digest: string) => join(layout, 'blobs', 'sha256', digestHex(digest as never));

const scan = async (target: string) => scanImage(await openScanImage(target, { client }), { catalogers, version: 'test' });

const isScanError = (code: ScanError['code'], pattern: RegExp) => (error: unknown) => error instanceof ScanError && error.code === code && pattern.test(error.message);

const image = buildImage({ files: [{ 'etc/os-release': OS_RELEASE, 'var/lib/dpkg/status': STATUS }], seed: 'scan-image' });

it('scans an OCI layout whose blobs match their digests', async () => {
  const result = await scan(`oci:${await layoutOf('good', image)}:v1`);
  assert.deepEqual(result.packages.map((p) => p.name), ['zlib1g']);
  assert.equal(result.artifact.imageId, image.config.descriptor.digest, 'the image ID is the config digest');
});

it('refuses a layout whose layer or config was replaced, naming the digest expected and the one found', async () => {
  const layer = image.layers[0]?.descriptor.digest ?? '';
  const other = gzipSync(tarArchive([{ path: 'etc/os-release', content: OS_RELEASE }]));
  const swapped = await layoutOf('layer', image);
  await writeFile(blobPath(swapped, layer), other);
  await assert.rejects(scan(`oci:${swapped}:v1`), isScanError('DIGEST_MISMATCH', new RegExp(`^layer ${layer}: the blob is ${other.byteLength} bytes, the manifest says ${image.layers[0]?.descriptor.size}$`)));

  const sameSize = await layoutOf('same-size', image);
  const flipped = Buffer.from(image.layers[0]?.bytes ?? '');
  flipped.writeUInt8(flipped.readUInt8(flipped.byteLength - 10) ^ 1, flipped.byteLength - 10);
  await writeFile(blobPath(sameSize, layer), flipped);
  await assert.rejects(scan(`oci:${sameSize}:v1`), isScanError('DIGEST_MISMATCH', new RegExp(`^layer ${layer}: blob digest mismatch: expected ${layer}, got sha256:`)));

  const config = image.config.descriptor.digest;
  const elsewhere = join(dir, 'elsewhere.json');
  await writeFile(elsewhere, JSON.stringify({ architecture: 'arm64', os: 'linux', rootfs: { type: 'layers', diff_ids: [image.layers[0]?.descriptor.digest] } }));
  const linked = await layoutOf('config', image);
  await unlink(blobPath(linked, config));
  await symlink(elsewhere, blobPath(linked, config));
  await assert.rejects(scan(`oci:${linked}:v1`), isScanError('DIGEST_MISMATCH', new RegExp(`config ${config}: the bytes have digest sha256:[0-9a-f]{64} \\(\\d+ bytes, expected ${image.config.descriptor.size}\\)`)));
});
