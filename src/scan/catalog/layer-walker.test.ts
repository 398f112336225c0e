import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { beforeEach, describe, it } from 'node:test';
import { Readable } from 'node:stream';
import { createGzip, gzipSync, zstdCompressSync } from 'node:zlib';
import { tarArchive } from '../../testing/tar-writer.ts';
import type { Cataloger } from '../model.ts';
import { walkLayers } from './layer-walker.ts';
import { goBinary } from './lang/go-binary.ts';
import { buildJar } from './lang/jar-fixture.ts';
import { javaArchive } from './lang/java-archive.ts';
import { dpkg } from './dpkg.ts';
import { ScanError } from '../scan-error.ts';
import { createWarningLog } from './warning-log.ts';
import { blobLayer, entriesFromDisk, layerReads, rawTar, testLayer, walk } from './test-layers.ts';
import { sharedData } from '../../testing/shared-data.ts';

const DEBIAN = sharedData('pkgdb/debian-bookworm-minbase');

/** Wants everything under a `keep/` directory, and `etc/passwd`. */
const probe: Cataloger = { name: 'probe', version: 1, wants: (path) => /(^|\/)keep\//.test(path) || path === 'etc/passwd', catalog: () => [] };

const paths = (result: { files: { list(): readonly { path: string }[] } }) => result.files.list().map((file) => file.path);

const isScanError = (code: ScanError['code'], pattern: RegExp, entry?: string) => (error: unknown) =>
  error instanceof ScanError && error.code === code && pattern.test(error.message) && (entry === undefined || error.detail.entry === entry);

// Every test twice: layers streamed (a registry's blobs), and read in place from a file (an OCI
// layout's, a docker-archive's), through reused buffers.
for (const via of ['stream', 'file'] as const) {
  describe(`layers read from a ${via}`, () => {
    beforeEach(() => {
      layerReads.via = via;
    });

    it('keeps only wanted files and os-release, each from the layer that last wrote it', async () => {
      const base = testLayer([...entriesFromDisk({ 'etc/os-release': `${DEBIAN}/etc/os-release` }), { path: 'keep/a', content: 'one' }, { path: 'other/b', content: 'x' }, { path: 'keep/dir/c', content: 'c' }]);
      const top = testLayer([{ path: './keep/a', content: 'two', mode: 0o600 }]);
      const result = await walk([base, top], [probe]);
      assert.deepEqual(paths(result), ['etc/os-release', 'keep/a', 'keep/dir/c']);
      assert.deepEqual(result.distro, { id: 'debian', versionId: '12', prettyName: 'Debian GNU/Linux 12 (bookworm)' });
      const a = result.files.get('keep/a');
      assert.deepEqual([a?.content.toString(), a?.mode, a?.size, a?.layerDiffId, a?.layerDigest], ['two', 0o600, 3, top.diffId, top.digest]);
      assert.deepEqual([result.files.get('keep/dir/c')?.layerDiffId, result.files.get('/keep/dir/c')?.layerDigest], [base.diffId, base.digest]);
      assert.deepEqual(result.warnings, []);
    });

    it('applies whiteouts and opaque directories to lower layers only', async () => {
      const base = testLayer(['gone', 'tree/x', 'tree/sub/y', 'opq/old', 'opq/sub/older', 'stay', 'twice'].map((name) => ({ path: `keep/${name}`, content: name })));
      const top = testLayer([
        { path: 'keep/.wh.gone', content: '' },
        { path: 'keep/.wh.tree', content: '' },
        { path: 'keep/opq/new', content: 'new' },
        { path: 'keep/opq/.wh..wh..opq', content: '' },
        { path: 'keep/twice', content: 'again' },
        { path: 'keep/.wh.twice', content: '' },
        { path: 'keep/.wh..wh.plnk', content: '' },
      ]);
      const result = await walk([base, top], [probe]);
      assert.deepEqual(paths(result), ['keep/opq/new', 'keep/stay', 'keep/twice']);
      assert.equal(result.files.get('keep/twice')?.content.toString(), 'again');
      const later = await walk([base, top, testLayer([{ path: 'keep/.wh.twice', content: '' }, { path: 'keep/.wh..wh..opq', content: '' }])], [probe]);
      assert.deepEqual(paths(later), []);
    });

    it('resolves symlinks inside the image (max 10 hops) and hardlinks to kept content', async () => {
      const chain = Array.from({ length: 11 }, (_, index) => ({ path: `keep/l${index}`, type: 'symlink' as const, linkname: index === 10 ? 'target' : `l${index + 1}` }));
      const base = testLayer([
        ...entriesFromDisk({ 'usr/lib/os-release': `${DEBIAN}/etc/os-release` }),
        { path: 'etc/os-release', type: 'symlink', linkname: '../usr/lib/os-release' },
        { path: 'lib', type: 'symlink', linkname: 'usr/lib' },
        { path: 'usr/lib/keep/x', content: 'x' },
        { path: 'keep/target', content: 'end of chain' },
        { path: 'keep/loop1', type: 'symlink', linkname: 'loop2' },
        { path: 'keep/loop2', type: 'symlink', linkname: '/keep/loop1' },
        ...chain,
      ]);
      const top = testLayer([
        { path: 'lib/keep/y', content: 'through the lib symlink' },
        { path: 'keep/hard', type: 'hardlink', linkname: 'usr/lib/keep/x' },
        { path: 'keep/unkept', type: 'hardlink', linkname: 'other/file' },
      ]);
      const result = await walk([base, top], [probe]);
      assert.equal(result.files.get('etc/os-release')?.path, 'usr/lib/os-release');
      assert.equal(result.distro?.id, 'debian');
      assert.equal(result.files.get('lib/keep/x')?.content.toString(), 'x');
      assert.equal(result.files.get('usr/lib/keep/y')?.content.toString(), 'through the lib symlink');
      assert.deepEqual([result.files.get('keep/hard')?.content.toString(), result.files.get('keep/hard')?.layerDiffId], ['x', top.diffId]);
      assert.equal(result.files.get('keep/loop1'), undefined);
      assert.equal(result.files.get('keep/l1')?.content.toString(), 'end of chain');
      assert.equal(result.files.get('keep/l0'), undefined);
      assert.deepEqual(result.warnings, [`layer ${top.digest}: entry "keep/unkept": hardlink to "other/file", whose content was not kept; not cataloged`]);
      assert.deepEqual(result.unexamined, result.warnings, 'a wanted file not read is listed as unexamined');
    });

    it('skips hostile entries with a warning naming the layer and the entry', async () => {
      const layer = testLayer(
        rawTar([
          { path: '../../etc/passwd', content: 'root:x:0:0::/root:/bin/sh\n' },
          { path: '/keep/abs', content: 'absolute' },
          { path: 'keep/escape', typeflag: '2', linkname: '../../../' },
          { path: 'keep/root', typeflag: '2', linkname: '/' },
          { path: 'keep/hl', typeflag: '1', linkname: '../../../etc/shadow' },
          { path: 'dev/null', typeflag: '3' },
          { path: 'dev/sda', typeflag: '4' },
          { path: 'run/fifo', typeflag: '6' },
          { path: 'keep/big', content: Buffer.alloc(2000) },
          { path: 'keep/.wh.', content: '' },
        ]),
      );
      const result = await walk([layer], [probe], { maxFileBytes: 1000 });
      const at = (entry: string, reason: string) => `layer ${layer.digest}: entry ${JSON.stringify(entry)}: ${reason}`;
      assert.deepEqual(result.warnings, [
        at('../../etc/passwd', 'path escapes the image root; skipped'),
        at('/keep/abs', 'absolute path; read as "keep/abs" inside the image'),
        at('keep/escape', 'symlink to "../../../" points outside the image root; skipped'),
        at('keep/hl', 'hardlink to "../../../etc/shadow" points outside the image root; skipped'),
        at('dev/null', 'character device; skipped'),
        at('dev/sda', 'block device; skipped'),
        at('keep/big', '2000-byte file exceeds maxFileBytes (1000); not cataloged'),
        at('keep/.wh.', 'whiteout without a name; skipped'),
      ]);
      assert.deepEqual(result.unexamined, [at('keep/big', '2000-byte file exceeds maxFileBytes (1000); not cataloged')], 'of these, only the file a cataloger wanted and did not get is unexamined');
      assert.deepEqual(paths(result), ['keep/abs']);
      assert.equal(result.files.get('etc/passwd'), undefined);
      assert.equal(result.files.get('keep/root/keep/abs')?.content.toString(), 'absolute');
      assert.equal(result.files.get('keep/root/../../../keep/abs')?.path, 'keep/abs');
    });

    it('fails with LIMIT_EXCEEDED on too many entries, too many kept bytes and a decompression bomb', async () => {
      const five = testLayer(['a', 'b', 'c', 'd', 'e'].map((name) => ({ path: `keep/${name}`, content: 'x'.repeat(600) })));
      await assert.rejects(walk([five], [probe], { maxEntries: 3 }), isScanError('LIMIT_EXCEEDED', /entry "keep\/d": more than 3 tar entries \(maxEntries\)/, 'keep/d'));
      await assert.rejects(walk([five], [probe], { maxTotalKeptBytes: 1000 }), isScanError('LIMIT_EXCEEDED', /entry "keep\/b": more than 1000 bytes of kept files/, 'keep/b'));
      let produced = 0;
      const zeros = function* () {
        yield rawTar([{ path: 'zeros', size: 8 * 1024 ** 3 - 1 }]).subarray(0, 512);
        for (; produced < 8 * 1024 ** 3 - 1; produced += 65536) yield Buffer.alloc(65536);
      };
      const bomb = { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: `sha256:${'b'.repeat(64)}`, diffId: `sha256:${'d'.repeat(64)}`, open: async () => Readable.from(zeros()).pipe(createGzip()) };
      await assert.rejects(walk([bomb], [probe], { maxUncompressedBytes: 1024 * 1024 }), isScanError('LIMIT_EXCEEDED', new RegExp(`layer ${bomb.digest}: entry "zeros": more than 1048576 uncompressed layer bytes`), 'zeros'));
      assert.ok(produced < 256 * 1024 * 1024, `${produced} bytes of an 8 GiB bomb decompressed`);
      // Archives inflated out of files count across the scan: many small jars of nested jars cannot add up unbounded.
      const nested = buildJar({ 'lib/inner.jar': buildJar({ 'big.bin': Buffer.alloc(1024 * 1024) }) });
      const jars = testLayer(Array.from({ length: 5 }, (_, i) => ({ path: `opt/app${i}.jar`, content: nested })));
      await assert.rejects(walk([jars], [javaArchive], { maxInflatedBytes: 3000 }), isScanError('LIMIT_EXCEEDED', /entry "opt\/app\d\.jar": more than 3000 bytes inflated out of archives \(maxInflatedBytes\)/));
      assert.deepEqual((await walk([jars], [javaArchive])).unexamined, [], 'within the default allowance');
    });

    it("refuses names, link targets and places in the tree longer than PATH_MAX, naming the entry, however deep", async () => {
      const deep = `${'d/'.repeat(6000)}node_modules/x/package.json`;
      await assert.rejects(walk([testLayer([{ path: deep, content: '{}' }])], [probe]), isScanError('LAYER_INVALID', /entry "(d\/)+"…: path longer than 4096 bytes \(PATH_MAX\)/));
      const far = Array.from({ length: 130_000 }, () => 'a').join('/');
      await assert.rejects(walk([testLayer([{ path: 'lnk', type: 'symlink', linkname: far }, { path: 'lnk/x', content: 'x' }])], [probe]), isScanError('LAYER_INVALID', /entry "lnk": link target longer than 4096 bytes/, 'lnk'));
      // Each name within the limit, but through the symlink the place is not.
      const through = testLayer([{ path: 'l', type: 'symlink', linkname: 'd'.repeat(3000) }, { path: `l/${'e'.repeat(2000)}`, content: 'x' }]);
      await assert.rejects(walk([through], [probe]), isScanError('LAYER_INVALID', /path, its symlinks followed, longer than 4096 bytes/));
      const fine = `${'d/'.repeat(1500)}keep/x`;
      assert.deepEqual(paths(await walk([testLayer([{ path: fine, content: 'x' }])], [probe])), [fine], 'a deep path within the limit is walked');
    });

    it('keeps a database written through a symlinked directory, and calls one behind a symlink to unkept content unexamined', async () => {
      const stanza = 'Package: curl\nStatus: install ok installed\nVersion: 7.88.1-10\nArchitecture: amd64\n\n';
      const context = { distro: undefined };
      const through = await walk([testLayer([{ path: 'opt/dpkgdb/', type: 'dir' }, { path: 'var/lib/dpkg', type: 'symlink', linkname: '../../opt/dpkgdb' }]), testLayer([{ path: 'var/lib/dpkg/status', content: stanza }])], [dpkg]);
      assert.deepEqual(dpkg.catalog(through.files, context).map((p) => `${p.name}@${p.version}`), ['curl@7.88.1-10']);
      assert.deepEqual(through.unexamined, []);
      const behind = testLayer([{ path: 'srv/real/status', content: stanza }, { path: 'var/lib/dpkg/status', type: 'symlink', linkname: '/srv/real/status' }]);
      const result = await walk([behind], [dpkg]);
      assert.deepEqual(result.unexamined, [`layer ${behind.digest}: entry "var/lib/dpkg/status": symlink to "srv/real/status", whose content was not kept; not cataloged`]);
      const kept = await walk([testLayer([{ path: 'keep/b', content: 'b' }, { path: 'keep/a', type: 'symlink', linkname: 'b' }])], [probe]);
      assert.deepEqual([kept.unexamined, kept.files.get('keep/a')?.content.toString()], [[], 'b'], 'a symlink to kept content is read through');
    });

    it('keeps only what an extractor takes of an executable or archive, so they never count whole against the kept bytes', async () => {
      const section = readFileSync(sharedData('pkgdb/go-buildinfo/esbuild-0.17.19-linux-x64/buildinfo-section.bin'));
      // An ELF header, then the build-info section at a 16-byte-aligned offset (found by the magic search).
      const elf = (body: Buffer) => Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]), Buffer.alloc(256 - 7), body]);
      const tool = elf(Buffer.concat([section, randomBytes(200_000)]));
      const others = Array.from({ length: 20 }, (_, index) => ({ path: `usr/lib/lib${index}.so`, content: elf(randomBytes(100_000)), mode: 0o755 }));
      const jar = buildJar({ 'META-INF/maven/org.example/app/pom.properties': 'groupId=org.example\nartifactId=app\nversion=1.2.3\n', 'org/example/Big.class': randomBytes(300_000) });
      const base = testLayer([
        { path: 'usr/local/bin/esbuild', content: tool, mode: 0o755 },
        ...others,
        { path: 'usr/bin/script', content: `#!/bin/sh\n${'true\n'.repeat(300)}`, mode: 0o755 },
        { path: 'opt/app/app.jar', content: jar },
        { path: 'usr/bin/esbuild', type: 'hardlink', linkname: 'usr/local/bin/esbuild' },
      ]);
      const result = await walk([base], [goBinary, javaArchive], { maxTotalKeptBytes: 64 * 1024 });
      assert.deepEqual(paths(result), ['opt/app/app.jar', 'usr/bin/esbuild', 'usr/local/bin/esbuild'], 'non-Go executables and scripts are not kept at all; a hardlink keeps what its target kept');
      assert.equal(result.files.get('opt/app/app.jar')?.content.byteLength, 0);
      assert.deepEqual(javaArchive.catalog(result.files, { distro: undefined }).map((found) => found.purl), ['pkg:maven/org.example/app@1.2.3']);
      const kept = result.files.get('usr/local/bin/esbuild');
      assert.equal(kept?.content.byteLength, 0);
      assert.ok((kept?.extracts?.get('go-binary')?.byteLength ?? Infinity) < 4096);
      const packages = goBinary.catalog(result.files, { distro: undefined });
      assert.ok(packages.some((found) => found.purl === 'pkg:golang/stdlib@1.20.4' && found.location === 'usr/local/bin/esbuild' && found.layerDigest === base.digest));
      const removed = await walk([base, testLayer([{ path: 'usr/local/bin/.wh.esbuild', content: '' }])], [goBinary]);
      assert.deepEqual([...new Set(goBinary.catalog(removed.files, { distro: undefined }).map((found) => found.location))], ['usr/bin/esbuild'], 'a whiteout removes one path, the hardlink stays');
    });

    it('drops an extractor that throws with a warning naming the file, and goes on', async () => {
      const failing: Cataloger = {
        name: 'failing',
        version: 1,
        wants: () => false,
        extract: (path) => (path.endsWith('.bad') ? { push: () => { throw new Error('cannot parse this'); }, end: () => undefined } : undefined),
        catalog: () => [],
      };
      const layer = testLayer([{ path: 'a/file.bad', content: 'x' }, { path: 'keep/ok', content: 'fine' }]);
      const result = await walk([layer], [failing, probe]);
      assert.deepEqual(paths(result), ['keep/ok']);
      assert.deepEqual(result.warnings, [`layer ${layer.digest}: entry "a/file.bad": cataloger failing could not read it: cannot parse this`]);
    });

    it('reads gzip, zstd and plain tar layers, sniffing when the media type says nothing', async () => {
      const entries = [{ path: 'keep/file', content: 'same' }];
      const tar = tarArchive(entries);
      const layers = [
        testLayer(entries, { compression: 'gzip' }),
        testLayer(entries, { compression: 'zstd' }),
        testLayer(entries, { compression: 'none' }),
        testLayer(entries, { compression: 'gzip', mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip' }),
        testLayer(entries, { compression: 'zstd', mediaType: '' }),
        testLayer(entries, { compression: 'gzip', mediaType: 'application/vnd.oci.image.layer.v1.tar' }),
        blobLayer(tar, 'application/octet-stream'),
      ];
      for (const layer of layers) {
        const result = await walk([layer], [probe]);
        assert.equal(result.files.get('keep/file')?.content.toString(), 'same', layer.mediaType);
        assert.equal(result.files.get('keep/file')?.layerDiffId, layers[2]?.diffId, layer.mediaType);
      }
    });

    it('reads a zstd layer of several frames (zstd:chunked), and refuses bytes after the last frame', async () => {
      const tar = tarArchive(['a', 'b', 'c'].map((name) => ({ path: `keep/${name}`, content: name.repeat(5000) })));
      // Frames that end inside a chunk, and inside a tar body.
      const framed = Buffer.concat([zstdCompressSync(tar.subarray(0, 7000)), zstdCompressSync(tar.subarray(7000, 7001)), zstdCompressSync(tar.subarray(7001))]);
      const result = await walk([blobLayer(framed, 'application/vnd.oci.image.layer.v1.tar+zstd')], [probe]);
      assert.deepEqual(paths(result), ['keep/a', 'keep/b', 'keep/c']);
      assert.equal(result.files.get('keep/c')?.content.toString(), 'c'.repeat(5000));
      const trailing = blobLayer(Buffer.concat([framed, Buffer.from('trailing bytes')]), 'application/vnd.oci.image.layer.v1.tar+zstd');
      await assert.rejects(walk([trailing], [probe]), isScanError('LAYER_INVALID', new RegExp(`^layer ${trailing.digest}: corrupt compressed stream`)));
    });

    it('refuses unsupported and corrupt layers with the layer and entry named', async () => {
      const tar = tarArchive([{ path: 'keep/a', content: 'a'.repeat(3000) }, { path: 'keep/b', content: 'b'.repeat(3000) }]);
      await assert.rejects(walk([blobLayer(tar, 'application/vnd.oci.image.layer.v1.tar+bzip2')], [probe]), isScanError('UNSUPPORTED', /media type "application\/vnd.oci.image.layer.v1.tar\+bzip2" is not a tar layer/));
      await assert.rejects(walk([blobLayer(Buffer.from('BZh91AY&SY....'), '')], [probe]), isScanError('UNSUPPORTED', /bzip2 compression is not supported/));
      await assert.rejects(walk([blobLayer(Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3]), 'application/vnd.oci.image.layer.v1.tar+gzip')], [probe]), isScanError('LAYER_INVALID', /corrupt compressed stream/));
      const gz = gzipSync(tar);
      await assert.rejects(walk([blobLayer(gz.subarray(0, gz.byteLength - 20), 'application/vnd.oci.image.layer.v1.tar+gzip')], [probe]), isScanError('LAYER_INVALID', /corrupt compressed stream/));
      const cut = blobLayer(gzipSync(tar.subarray(0, 4096 + 100)), 'application/vnd.oci.image.layer.v1.tar+gzip');
      await assert.rejects(walk([cut], [probe]), isScanError('LAYER_INVALID', new RegExp(`layer ${cut.digest}: entry "keep/b": the archive ends`), 'keep/b'));
      await assert.rejects(walk([blobLayer(Buffer.alloc(1000, 0x41), '')], [probe]), isScanError('LAYER_INVALID', /checksum/));
    });

    it('opens no layer once aborted', async () => {
      const layer = testLayer([{ path: 'keep/a', content: 'a' }]);
      await assert.rejects(walkLayers([layer], [probe], {}, { signal: AbortSignal.abort() }), { name: 'AbortError' });
      assert.equal(layer.opened, 0);
    });

    it('stops in the middle of a layer when aborted', async () => {
      const controller = new AbortController();
      const filler = randomBytes(1 << 20);
      const layer = blobLayer(gzipSync(tarArchive([{ path: 'keep/a', content: 'a' }, ...Array.from({ length: 8 }, (_, i) => ({ path: `other/${i}`, content: filler }))])), 'application/vnd.oci.image.layer.v1.tar+gzip');
      const aborting: Cataloger = {
        ...probe,
        wants: (path, info) => {
          if (path === 'keep/a') controller.abort();
          return probe.wants(path, info);
        },
      };
      await assert.rejects(walkLayers([layer], [aborting], {}, { signal: controller.signal }), { name: 'AbortError' });
    });

    it('bounds its warnings so a hostile layer cannot flood memory', () => {
      const log = createWarningLog(2);
      for (const message of ['a', 'b', 'c', 'd']) log.add(message);
      assert.deepEqual(log.list(), ['a', 'b', '2 more warnings not shown']);
    });

    it('checks each layer against its digest and size as it streams, and fails naming the layer', async () => {
      const tar = tarArchive([{ path: 'keep/a', content: 'a' }]);
      const layer = testLayer(tar);
      const swapped = { ...testLayer(tarArchive([{ path: 'keep/a', content: 'b' }])), digest: layer.digest };
      await assert.rejects(walk([swapped], [probe]), isScanError('DIGEST_MISMATCH', new RegExp(`^layer ${layer.digest}: blob digest mismatch: expected ${layer.digest}, got sha256:[0-9a-f]{64}$`)));
      await assert.rejects(walk([{ ...layer, size: 10 }], [probe]), isScanError('DIGEST_MISMATCH', /the blob is longer than the 10 bytes the manifest says/));
      await assert.rejects(walk([{ ...layer, size: 1_000_000 }], [probe]), isScanError('DIGEST_MISMATCH', /the blob is \d+ bytes, the manifest says 1000000/));
      await assert.rejects(walk([{ ...layer, digest: 'sha256:../../x' }], [probe]), isScanError('LAYER_INVALID', /its digest cannot be checked/));
      // A docker-archive layer is checked against its diff_id, the digest of the uncompressed tar.
      assert.equal((await walk([{ ...layer, digest: 'layer.tar', verify: 'diffId' }], [probe])).files.get('keep/a')?.content.toString(), 'a');
      const wrongDiffId = { ...layer, diffId: swapped.diffId, verify: 'diffId' as const };
      await assert.rejects(walk([wrongDiffId], [probe]), isScanError('DIGEST_MISMATCH', new RegExp(`uncompressed tar \\(diff_id\\) digest mismatch: expected ${swapped.diffId}, got ${layer.diffId}`)));
    });

    it('reads a layer past its end-of-archive block: a gzip trailer is checked, trailing bytes count against the budget', async () => {
      // Big enough (incompressible, more than the decompressor's read-ahead) that the tar reader
      // reaches the end-of-archive block before the decompressor has seen the end of its input.
      const tar = tarArchive([{ path: 'keep/a', content: 'a' }, { path: 'filler', content: randomBytes(6 * 1024 * 1024) }]);
      const gz = gzipSync(tar);
      // The 8-byte trailer (CRC-32, length) follows the end-of-archive block in the deflate stream.
      const cut = blobLayer(gz.subarray(0, gz.byteLength - 8), 'application/vnd.oci.image.layer.v1.tar+gzip');
      await assert.rejects(walk([cut], [probe]), isScanError('LAYER_INVALID', /corrupt compressed stream after entry "filler": unexpected end of file/));
      const badCrc = Buffer.from(gz);
      badCrc.writeUInt32LE((badCrc.readUInt32LE(gz.byteLength - 8) ^ 1) >>> 0, gz.byteLength - 8);
      await assert.rejects(walk([blobLayer(badCrc, 'application/vnd.oci.image.layer.v1.tar+gzip')], [probe]), isScanError('LAYER_INVALID', /corrupt compressed stream after entry "filler": incorrect data check/));
      const padded = testLayer(Buffer.concat([tar, Buffer.alloc(4 * 1024 * 1024)]));
      await assert.rejects(walk([padded], [probe], { maxUncompressedBytes: 1024 * 1024 }), isScanError('LIMIT_EXCEEDED', /more than 1048576 uncompressed layer bytes/));
    });
  });
}
