import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { buildImage, writeImageToLayout } from '../../testing/test-images.ts';
import { requireTool } from '../../testing/tools.ts';
import { digestHex, digestOf } from './digest.ts';
import { REF_NAME, openImageLayout, parseLayoutReference } from './image-layout.ts';
import { OciError } from './oci-error.ts';

const exec = promisify(execFile);

describe('OCI image layout', () => {
  let work: string;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'slipway-layout-'));
  });
  after(() => rm(work, { recursive: true, force: true }));

  it('splits skopeo-style references', () => {
    assert.deepEqual(parseLayoutReference('/pkg/images:1.4.2'), { dir: '/pkg/images', ref: '1.4.2' });
    assert.deepEqual(parseLayoutReference('/pkg/images:a:b'), { dir: '/pkg/images', ref: 'a:b' });
    assert.deepEqual(parseLayoutReference('/pkg/images@2'), { dir: '/pkg/images', ref: '@2' });
    assert.deepEqual(parseLayoutReference('./images'), { dir: './images' });
  });

  it('refuses a directory that is not a layout', async () => {
    await assert.rejects(() => openImageLayout(join(work, 'nothing')), (e: unknown) => e instanceof OciError && e.code === 'LAYOUT_INVALID');
  });

  it('makes a layout of a new or empty directory only, leaving a non-empty one as it was', async () => {
    const empty = join(work, 'empty');
    await mkdir(empty);
    await openImageLayout(empty, { create: true });
    assert.deepEqual((await readdir(empty)).sort(), ['blobs', 'index.json', 'oci-layout']);
    const other = join(work, 'other-tool');
    await mkdir(other);
    await writeFile(join(other, 'index.json'), '{"theirs":true}');
    await assert.rejects(
      () => openImageLayout(other, { create: true }),
      (e: unknown) => e instanceof OciError && e.code === 'LAYOUT_INVALID' && e.message.startsWith(`${other} is not empty and has no oci-layout file`),
    );
    assert.deepEqual(await readdir(other), ['index.json']);
    assert.equal(await readFile(join(other, 'index.json'), 'utf8'), '{"theirs":true}');
  });

  it('makes a new directory whole (nothing half-made beside it), and names a file given as a layout', async () => {
    const parent = join(work, 'made');
    await Promise.all([openImageLayout(join(parent, 'deep', 'layout'), { create: true }), openImageLayout(join(parent, 'deep', 'layout'), { create: true })]);
    assert.deepEqual(await readdir(join(parent, 'deep')), ['layout'], 'two at once: one layout, no temporary directory left');
    assert.deepEqual((await readdir(join(parent, 'deep', 'layout'))).sort(), ['blobs', 'index.json', 'oci-layout']);
    const file = join(work, 'a-file');
    await writeFile(file, 'not a directory');
    await assert.rejects(
      () => openImageLayout(file, { create: true }),
      (e: unknown) => e instanceof OciError && e.code === 'LAYOUT_INVALID' && e.message === `${file} is a file, not an OCI image layout directory`,
    );
  });

  it('reads oci-layout and index.json only as small regular files, and names the file that is not JSON', async () => {
    const invalid = (pattern: RegExp) => (e: unknown) => e instanceof OciError && e.code === 'LAYOUT_INVALID' && pattern.test(e.message);
    const notJson = join(work, 'header-not-json');
    await openImageLayout(notJson, { create: true });
    await writeFile(join(notJson, 'oci-layout'), '{');
    await assert.rejects(() => openImageLayout(notJson), invalid(new RegExp(`^${notJson}/oci-layout is not JSON: `)));
    const huge = await openImageLayout(join(work, 'huge-index'), { create: true });
    await writeFile(join(huge.dir, 'index.json'), `{"manifests":[]}${' '.repeat(4 * 1024 * 1024)}`);
    await assert.rejects(() => huge.entries(), invalid(new RegExp(`^${huge.dir}/index\\.json is 4194320 bytes; the limit is 4194304$`)));
    const zero = await openImageLayout(join(work, 'endless-index'), { create: true });
    await rm(join(zero.dir, 'index.json'));
    await symlink('/dev/zero', join(zero.dir, 'index.json'));
    await assert.rejects(() => zero.entries(), invalid(new RegExp(`^${zero.dir}/index\\.json is not a regular file$`)));
  });

  it('writes blobs only when their digest and size match', async () => {
    const layout = await openImageLayout(join(work, 'blobs'), { create: true });
    const data = Buffer.from('hello layout');
    await layout.writeBlob(Readable.from([data]), { digest: digestOf(data), size: data.byteLength });
    assert.deepEqual(await layout.readBlob(digestOf(data)), data);
    await assert.rejects(() => layout.writeBlob(Readable.from([data]), { digest: digestOf('other'), size: data.byteLength }));
    assert.equal(await layout.blobSize(digestOf('other')), undefined);
    assert.deepEqual((await readdir(join(work, 'blobs', 'blobs', 'sha256'))).filter((f) => f.includes('tmp')), []);
  });

  it('refuses to read a blob that is a directory or a device, naming it', async () => {
    const layout = await openImageLayout(join(work, 'odd-blobs'), { create: true });
    const directory = digestOf('a directory');
    await mkdir(join(layout.dir, 'blobs', 'sha256', digestHex(directory)));
    const device = digestOf('a device');
    await symlink('/dev/zero', join(layout.dir, 'blobs', 'sha256', digestHex(device)));
    for (const digest of [directory, device]) {
      const refused = (e: unknown) => e instanceof OciError && e.code === 'LAYOUT_INVALID' && e.message === `blob ${digest} in ${layout.dir} is not a regular file`;
      await assert.rejects(() => layout.openBlob(digest), refused);
      await assert.rejects(() => layout.readBlob(digest), refused);
    }
  });

  it('moves a ref name from an older entry to the new one', async () => {
    const layout = await openImageLayout(join(work, 'refs'), { create: true });
    const first = buildImage({ seed: 'first' });
    const second = buildImage({ seed: 'second' });
    await writeImageToLayout(layout, first, 'latest');
    await writeImageToLayout(layout, second, 'latest');
    assert.equal((await layout.resolve('latest')).digest, second.manifest.descriptor.digest);
    const entries = await layout.entries();
    assert.equal(entries.length, 2);
    assert.equal(entries.find((e) => e.digest === first.manifest.descriptor.digest)?.annotations?.[REF_NAME], undefined);
    await assert.rejects(() => layout.resolve(), /holds 2 images/);
    assert.equal((await layout.resolve('@0')).digest, first.manifest.descriptor.digest);
  });

  it('is read and written by real skopeo', async () => {
    const skopeo = await requireTool('skopeo', 'skopeo');
    const a = join(work, 'a');
    const image = buildImage({ seed: 'skopeo', layers: 2 });
    await writeImageToLayout(await openImageLayout(a, { create: true }), image, 'x');
    const inspected = JSON.parse((await exec(skopeo, ['inspect', `oci:${a}:x`])).stdout) as { Digest: string };
    assert.equal(inspected.Digest, image.manifest.descriptor.digest);

    const b = join(work, 'b');
    await exec(skopeo, ['copy', '-q', `oci:${a}:x`, `oci:${b}:y`]);
    const copied = await openImageLayout(b);
    const entry = await copied.resolve('y');
    assert.equal(entry.digest, image.manifest.descriptor.digest);
    assert.deepEqual(await copied.readBlob(entry.digest), image.manifest.bytes);
    assert.match(await readFile(join(b, 'oci-layout'), 'utf8'), /1\.0\.0/);
  });
});
