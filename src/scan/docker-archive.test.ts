import assert from 'node:assert/strict';
import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { digestOf } from '../core/oci/digest.ts';
import { tarArchive } from '../testing/tar-writer.ts';
import { rawTar, type RawEntry } from './catalog/test-layers.ts';
import { catalogers } from './catalogers.ts';
import { openDockerArchive } from './docker-archive.ts';
import { ScanError } from './scan-error.ts';
import { scanImage } from './scanner.ts';

const LAYER = tarArchive([
  { path: 'etc/os-release', content: 'ID=debian\nVERSION_ID="12"\n' },
  { path: 'var/lib/dpkg/status', content: 'Package: zlib1g\nStatus: install ok installed\nVersion: 1:1.2.13.dfsg-1\nArchitecture: amd64\n\n' },
]);

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-docker-archive-'));
});
after(() => rm(dir, { recursive: true, force: true }));

let count = 0;
/** A `docker save` archive: manifest.json, config.json and the layer files, plus `extra` entries. */
async function archive(options: { layers?: Readonly<Record<string, Buffer>>; diffIds?: readonly string[]; config?: string; manifest?: unknown; extra?: readonly RawEntry[] } = {}): Promise<string> {
  const layers = options.layers ?? { 'layer.tar': LAYER };
  const config = options.config ?? JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: options.diffIds ?? [digestOf(LAYER)] } });
  const manifest = options.manifest ?? [{ Config: 'config.json', RepoTags: ['x:1'], Layers: Object.keys(layers) }];
  const file = join(dir, `archive-${++count}.tar`);
  const entries: RawEntry[] = [
    { path: 'manifest.json', content: JSON.stringify(manifest) },
    { path: 'config.json', content: config },
    ...Object.entries(layers).map(([path, content]) => ({ path, content })),
    ...(options.extra ?? []),
  ];
  await writeFile(file, rawTar(entries));
  return file;
}

const scan = async (file: string) => scanImage(await openDockerArchive(file), { catalogers, version: 'test' });

const isScanError = (code: ScanError['code'], pattern: RegExp) => (error: unknown) => error instanceof ScanError && error.code === code && pattern.test(error.message);

it('scans a docker-archive, its layer checked against the diff_id (also when the layer file is gzip-compressed)', async () => {
  const plain = await scan(await archive());
  assert.deepEqual(plain.packages.map((p) => p.name), ['zlib1g']);
  const config = JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [digestOf(LAYER)] } });
  assert.equal(plain.artifact.imageId, digestOf(Buffer.from(config)), 'the image ID is the digest of the config file');
  assert.deepEqual((await scan(await archive({ layers: { 'layer.tar.gz': gzipSync(LAYER) } }))).packages.map((p) => p.name), ['zlib1g']);
});

it('refuses layers that do not match the config diff_ids, and a count that differs', async () => {
  const wrong = digestOf('another layer');
  await assert.rejects(scan(await archive({ diffIds: [wrong] })), isScanError('DIGEST_MISMATCH', new RegExp(`uncompressed tar \\(diff_id\\) digest mismatch: expected ${wrong}, got ${digestOf(LAYER)}`)));
  await assert.rejects(scan(await archive({ layers: { 'layer.tar.gz': gzipSync(LAYER) }, diffIds: [wrong] })), isScanError('DIGEST_MISMATCH', /diff_id/));
  await assert.rejects(scan(await archive({ layers: { 'a.tar': LAYER, 'b.tar': LAYER } })), isScanError('ARCHIVE_INVALID', /the config lists 1 layers \(rootfs\.diff_ids\), manifest\.json 2/));
  await assert.rejects(scan(await archive({ diffIds: [] })), isScanError('ARCHIVE_INVALID', /the config lists 0 layers/));
});

it('refuses a GNU long-name header too large to hold, naming the entry, without reading it', async () => {
  // A sparse file: one header declaring a 3 GiB long name, and a hole where the name would be.
  const file = join(dir, 'sparse.tar');
  await writeFile(file, rawTar([{ path: '././@LongLink', typeflag: 'L', size: 3 * 1024 ** 3 }]).subarray(0, 512));
  await truncate(file, 512 + 3 * 1024 ** 3 + 1024);
  await assert.rejects(openDockerArchive(file), isScanError('ARCHIVE_INVALID', /entry "\.\/\.\/@LongLink" \(L header at byte 0\): extended header of 3221225472 bytes exceeds 1048576/));
});

it('refuses a layer that is a link loop, a device, a directory or a blob not named by a digest, each precisely', async () => {
  const named = async (name: string, extra: readonly RawEntry[]) => openDockerArchive(await archive({ manifest: [{ Config: 'config.json', Layers: [name] }], extra }));
  await assert.rejects(named('a.tar', [{ path: 'a.tar', typeflag: '2', linkname: 'b.tar' }, { path: 'b.tar', typeflag: '2', linkname: 'a.tar' }]), isScanError('ARCHIVE_INVALID', /: a\.tar: more than 8 links to follow \(a loop\?\)$/));
  await assert.rejects(named('dev', [{ path: 'dev', typeflag: '3' }]), isScanError('ARCHIVE_INVALID', /: dev is a character device, not a file$/));
  await assert.rejects(named('d', [{ path: 'd/', typeflag: '5' }]), isScanError('ARCHIVE_INVALID', /: d is a directory, not a file$/));
  await assert.rejects(named('l/a.tar', [{ path: 'l/a.tar', typeflag: '2', linkname: '../../etc/passwd' }]), isScanError('ARCHIVE_INVALID', /: l\/a\.tar \(a link to \.\.\/etc\/passwd\) is not in the archive$/));
  await assert.rejects(named('blobs/sha256/../../layer.tar', []), isScanError('ARCHIVE_INVALID', /manifest\.json Layers\[0\] "blobs\/sha256\/\.\.\/\.\.\/layer\.tar" is under blobs\/ but not named blobs\/<algorithm>\/<hex digest>$/));
  // Links to the layer file (skopeo's `<id>/layer.tar` → `<diffid>.tar`) still resolve.
  const linked = await named('id/layer.tar', [{ path: 'id/layer.tar', typeflag: '2', linkname: '../layer.tar' }]);
  assert.equal(linked.layers[0]?.size, LAYER.byteLength);
});

it('names the manifest.json field that is not a file name', async () => {
  const opened = async (manifest: unknown) => openDockerArchive(await archive({ manifest }));
  await assert.rejects(opened([{ Config: {}, Layers: ['layer.tar'] }]), isScanError('ARCHIVE_INVALID', /: manifest\.json \[0\]\.Config is not a file name \(it is \{\}\)$/));
  await assert.rejects(opened([{ Config: 'config.json', Layers: [5] }]), isScanError('ARCHIVE_INVALID', /: manifest\.json \[0\]\.Layers\[0\] is not a file name \(it is 5\)$/));
  await assert.rejects(opened([{ Config: 'config.json', Layers: 'layer.tar' }]), isScanError('ARCHIVE_INVALID', /: manifest\.json \[0\]\.Layers is not a list of file names \(it is "layer\.tar"\)$/));
  await assert.rejects(opened({ Config: 'config.json' }), isScanError('ARCHIVE_INVALID', /: manifest\.json names no image$/));
  // A config nested too deep to serialise again is read as it is, and found to list no layers.
  const deep = await archive({ config: `${'['.repeat(200_000)}${']'.repeat(200_000)}` });
  await assert.rejects(openDockerArchive(deep), isScanError('ARCHIVE_INVALID', /the config lists 0 layers/));
});
