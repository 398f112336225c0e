import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { catalogerConformance } from './cataloger-conformance.ts';
import { readElfImage } from './elf-image.ts';
import { BUILD_INFO_MAGIC, parseModInfo, readGoBuildInfo, type GoBuildInfo } from './go-build-info.ts';
import { GoBuildInfoExtractor, keptBuildInfo } from './go-build-info-stream.ts';
import { goBinary, stdlibVersion } from './go-binary.ts';
import { memoryCatalogFiles } from './memory-catalog-files.ts';
import { sharedData } from '../../../testing/shared-data.ts';
import { requireTool } from '../../../testing/tools.ts';

const ESBUILD = sharedData('pkgdb/go-buildinfo/esbuild-0.17.19-linux-x64');
const SECTION = readFileSync(`${ESBUILD}/buildinfo-section.bin`);
const context = { distro: undefined };

interface TestSection {
  readonly name: string;
  readonly address: number;
  readonly data: Buffer;
}

/** A minimal ELF executable: header, section contents, `.shstrtab`, section header table. */
function buildElf(sections: readonly TestSection[], options: { is64?: boolean; littleEndian?: boolean } = {}): Buffer {
  const is64 = options.is64 ?? true;
  const le = options.littleEndian ?? true;
  const headerSize = is64 ? 64 : 52;
  const entrySize = is64 ? 64 : 40;
  const names = Buffer.from(`\0${[...sections.map((section) => section.name), '.shstrtab'].join('\0')}\0`, 'latin1');
  const all = [...sections, { name: '.shstrtab', address: 0, data: names }];
  const offsets: number[] = [];
  let at = headerSize + 0x100;
  for (const section of all) {
    at = Math.ceil(at / 16) * 16;
    offsets.push(at);
    at += section.data.length;
  }
  const tableOffset = Math.ceil(at / 8) * 8;
  const elf = Buffer.alloc(tableOffset + (all.length + 1) * entrySize);
  const u16 = (value: number, offset: number): number => (le ? elf.writeUInt16LE(value, offset) : elf.writeUInt16BE(value, offset));
  const u32 = (value: number, offset: number): number => (le ? elf.writeUInt32LE(value, offset) : elf.writeUInt32BE(value, offset));
  const word = (value: number, offset: number): number => (is64 ? (le ? elf.writeBigUInt64LE(BigInt(value), offset) : elf.writeBigUInt64BE(BigInt(value), offset)) : u32(value, offset));
  Buffer.from([0x7f, 0x45, 0x4c, 0x46, is64 ? 2 : 1, le ? 1 : 2, 1]).copy(elf, 0);
  u16(2, 0x10);
  u16(is64 ? 62 : 3, 0x12);
  word(tableOffset, is64 ? 0x28 : 0x20);
  u16(headerSize, is64 ? 0x34 : 0x28);
  u16(entrySize, is64 ? 0x3a : 0x2e);
  u16(all.length + 1, is64 ? 0x3c : 0x30);
  u16(all.length, is64 ? 0x3e : 0x32);
  let nameOffset = 1;
  all.forEach((section, index) => {
    section.data.copy(elf, offsets[index]);
    const entry = tableOffset + (index + 1) * entrySize;
    u32(nameOffset, entry);
    u32(section.name === '.shstrtab' ? 3 : 1, entry + 4);
    word(section.address, entry + (is64 ? 0x10 : 0x0c));
    word(offsets[index] ?? 0, entry + (is64 ? 0x18 : 0x10));
    word(section.data.length, entry + (is64 ? 0x20 : 0x14));
    nameOffset += section.name.length + 1;
  });
  return elf;
}

function esbuildBinary(): Buffer {
  return buildElf([
    { name: '.text', address: 0x401000, data: Buffer.alloc(4096, 0x90) },
    { name: '.go.buildinfo', address: 0x6d0000, data: SECTION },
  ]);
}

catalogerConformance(goBinary, { files: [{ path: 'usr/local/bin/esbuild', content: esbuildBinary(), mode: 0o755 }] });

it('reads the esbuild 0.17.19 build info (Go 1.18+ inline format)', () => {
  const info = readGoBuildInfo(esbuildBinary());
  assert.equal(info?.goVersion, readFileSync(`${ESBUILD}/go-version.txt`, 'utf8').trim());
  assert.equal(info?.modinfo, readFileSync(`${ESBUILD}/modinfo.txt`, 'utf8'));
});

it('reports the esbuild module, its dependency and stdlib', () => {
  const files = memoryCatalogFiles([{ path: 'usr/local/bin/esbuild', content: esbuildBinary(), mode: 0o755 }]);
  const packages = goBinary.catalog(files, context);
  assert.deepEqual(
    packages.map((found) => [found.name, found.version, found.purl]),
    [
      ['github.com/evanw/esbuild', '(devel)', 'pkg:golang/github.com/evanw/esbuild@%28devel%29'],
      ['golang.org/x/sys', 'v0.0.0-20220715151400-c0bba94af5f8', 'pkg:golang/golang.org/x/sys@v0.0.0-20220715151400-c0bba94af5f8'],
      ['stdlib', '1.20.4', 'pkg:golang/stdlib@1.20.4'],
    ],
  );
  const file = files.get('usr/local/bin/esbuild');
  assert.ok(packages.every((found) => found.type === 'golang' && found.location === 'usr/local/bin/esbuild' && found.layerDiffId === file?.layerDiffId && found.layerDigest === file?.layerDigest));
  assert.deepEqual(packages[0]?.dependsOn, ['pkg:golang/golang.org/x/sys@v0.0.0-20220715151400-c0bba94af5f8', 'pkg:golang/stdlib@1.20.4'], 'the main module depends on what is linked into it');
  assert.ok(packages.slice(1).every((found) => found.dependsOn === undefined));
});

it('finds the build info without section headers, by its aligned magic', () => {
  const binary = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]), Buffer.alloc(4096 - 7), SECTION, Buffer.alloc(512)]);
  assert.equal(readElfImage(binary), undefined);
  assert.equal(readGoBuildInfo(binary)?.goVersion, 'go1.20.4');
  const misaligned = Buffer.concat([Buffer.alloc(4097), SECTION]);
  assert.equal(readGoBuildInfo(misaligned), undefined);
});

it('follows the pointers of the pre-1.18 format, 32-bit big-endian too', () => {
  for (const options of [{ is64: true, littleEndian: true }, { is64: false, littleEndian: false }]) {
    const size = options.is64 ? 8 : 4;
    const version = Buffer.from('go1.16.15');
    const modinfo = Buffer.concat([Buffer.alloc(16, 0x30), Buffer.from('path\texample.com/tool\nmod\texample.com/tool\tv1.2.3\th1:x=\ndep\tgithub.com/pkg/errors\tv0.9.1\th1:y=\n'), Buffer.alloc(16, 0x31)]);
    const data = Buffer.alloc(64 + version.length + modinfo.length);
    const base = 0x500000;
    const pointer = (value: number, at: number): void => {
      if (size === 4) data.writeUInt32BE(value, at);
      else data.writeBigUInt64LE(BigInt(value), at);
    };
    pointer(base + 64, 0);
    pointer(version.length, size);
    pointer(base + 64 + version.length, 32);
    pointer(modinfo.length, 32 + size);
    version.copy(data, 64);
    modinfo.copy(data, 64 + version.length);
    const header = Buffer.alloc(32);
    Buffer.from('\xff Go buildinf:', 'latin1').copy(header);
    header[14] = size;
    header[15] = options.littleEndian ? 0 : 1;
    if (size === 4) header.writeUInt32BE(base, 16);
    else header.writeBigUInt64LE(BigInt(base), 16);
    if (size === 4) header.writeUInt32BE(base + 32, 20);
    else header.writeBigUInt64LE(BigInt(base + 32), 24);
    const binary = buildElf([{ name: '.text', address: 0x401000, data: Buffer.alloc(2048) }, { name: '.go.buildinfo', address: 0x400000, data: header }, { name: '.data', address: base, data }], options);
    const packages = goBinary.catalog(memoryCatalogFiles([{ path: 'bin/tool', content: binary, mode: 0o755 }]), context);
    assert.deepEqual(packages.map((found) => found.purl), ['pkg:golang/example.com/tool@v1.2.3', 'pkg:golang/github.com/pkg/errors@v0.9.1', 'pkg:golang/stdlib@1.16.15']);
  }
});

it('applies replacements to the module before them', () => {
  const modinfo = parseModInfo(
    [
      'path\texample.com/app/cmd/app',
      'mod\texample.com/app\tv0.3.0\th1:a=',
      'dep\tgithub.com/a/b\tv1.0.0\th1:b=',
      '=>\tgithub.com/fork/b\tv1.0.1-fix\th1:c=',
      'dep\tgithub.com/c/d\tv2.0.0+incompatible\th1:d=',
      '=>\t../d\t\t',
      '=>\tnot-after-a-module\tv1\t',
      'dep\tgolang.org/x/text\tv0.3.7',
      'garbage line',
      'build\tGOOS=linux',
    ].join('\n'),
  );
  assert.equal(modinfo.path, 'example.com/app/cmd/app');
  assert.deepEqual(modinfo.main, { path: 'example.com/app', version: 'v0.3.0', sum: 'h1:a=' });
  assert.deepEqual(modinfo.deps, [
    { path: 'github.com/fork/b', version: 'v1.0.1-fix', sum: 'h1:c=' },
    { path: 'github.com/c/d', version: '(devel)' },
    { path: 'golang.org/x/text', version: 'v0.3.7' },
  ]);
});

it('maps toolchain versions to stdlib versions', () => {
  assert.equal(stdlibVersion('go1.20.4'), '1.20.4');
  assert.equal(stdlibVersion('go1.21'), '1.21.0');
  assert.equal(stdlibVersion('go1.22rc1'), '1.22.0-rc.1');
  assert.equal(stdlibVersion('go1.21.0 X:boringcrypto'), '1.21.0');
  assert.equal(stdlibVersion('devel go1.23-abcdef Tue'), undefined);
});

it('reads executables of 1 KiB and more, of any size and name, as they stream, and keeps nothing of the file itself', () => {
  const info = (mode: number, size: number) => goBinary.extract?.('usr/bin/x', { mode, size });
  assert.equal(goBinary.wants('usr/bin/anything', { mode: 0o755, size: 5_000_000 }), false);
  assert.ok(info(0o755, 5_000_000) !== undefined);
  assert.ok(info(0o100, 1024) !== undefined);
  assert.ok(info(0o755, 4 * 1024 ** 3) !== undefined, 'a 4 GiB executable is searched, not skipped');
  assert.equal(info(0o644, 5_000_000), undefined);
  assert.equal(info(0o755, 1023), undefined);
});

/** What the extractor keeps of `binary` fed in `chunk`-byte pieces (or at the cut points given), read back. */
function streamed(binary: Buffer, options: { chunk?: number; cuts?: readonly number[]; wholeLimit?: number; warnings?: string[] }): GoBuildInfo | undefined {
  const extractor = new GoBuildInfoExtractor(binary.length, options.wholeLimit);
  const cuts = options.cuts ?? Array.from({ length: Math.ceil(binary.length / (options.chunk ?? binary.length)) }, (_, i) => i * (options.chunk ?? binary.length));
  const points = [...new Set([0, ...cuts.filter((cut) => cut > 0 && cut < binary.length), binary.length])].sort((a, b) => a - b);
  for (let i = 0; i + 1 < points.length; i += 1) extractor.push(binary.subarray(points[i], points[i + 1]));
  const kept = extractor.end((reason) => options.warnings?.push(reason));
  return kept === undefined ? undefined : keptBuildInfo(kept);
}

it('finds the same build info held whole, or searched in a stream cut anywhere, the magic split across chunks included', () => {
  const binary = esbuildBinary();
  const expected = readGoBuildInfo(binary);
  assert.ok(expected !== undefined && expected.goVersion === 'go1.20.4');
  const magic = binary.indexOf(BUILD_INFO_MAGIC);
  assert.equal(magic % 16, 0);
  assert.deepEqual(streamed(binary, {}), expected, 'held whole');
  for (const options of [{ chunk: 4096 }, { chunk: 1000 }, { chunk: 7 }, { cuts: [magic + 1] }, { cuts: [magic + 5, magic + 13] }, { cuts: [magic + 14, magic + 40] }, { cuts: [3] }]) {
    assert.deepEqual(streamed(binary, { ...options, wholeLimit: 0 }), expected, JSON.stringify(options));
  }
});

it('reads a real Go binary (Debian\'s skopeo) the same held whole and searched in a stream', async () => {
  const binary = readFileSync(await requireTool('skopeo', 'skopeo'));
  const expected = readGoBuildInfo(binary);
  assert.match(expected?.goVersion ?? '', /^go1\.\d+/);
  assert.deepEqual(streamed(binary, { chunk: 1024 * 1024 }), expected);
  assert.deepEqual(streamed(binary, { chunk: 1024 * 1024, wholeLimit: 0 }), expected);
  const packages = goBinary.catalog(memoryCatalogFiles([{ path: 'usr/bin/skopeo', content: binary, mode: 0o755 }]), context);
  assert.ok(packages.some((found) => found.purl === `pkg:golang/stdlib@${stdlibVersion(expected?.goVersion ?? '')}`));
});

it('searches a large binary only in its first data segment, so build info embedded in its read-only data is not taken for its own', async () => {
  const host = Buffer.from(readFileSync(await requireTool('skopeo', 'skopeo')));
  const guest = readFileSync(await requireTool('docker-registry', 'docker-registry'));
  const guestInfo = readElfImage(guest)?.section('.go.buildinfo');
  const rodata = readElfImage(host)?.sections.find((section) => section.name === '.rodata');
  assert.ok(guestInfo !== undefined && rodata !== undefined);
  // As go:embed would place another Go binary inside .rodata, before .go.buildinfo (16-byte aligned).
  guestInfo.copy(host, Math.ceil((rodata.offset + 0x10000) / 16) * 16);
  const own = readGoBuildInfo(host);
  assert.match(own?.modinfo ?? '', /^path\tgithub\.com\/containers\/skopeo\/cmd\/skopeo$/m);
  assert.deepEqual(streamed(host, { chunk: 1024 * 1024, wholeLimit: 0 }), own);
});

it('skips unaligned and false candidates of the magic in a stream, and gives up on a file made of them', { timeout: 60_000 }, () => {
  const binary = esbuildBinary();
  const expected = readGoBuildInfo(binary);
  const decoy = (at: number) => {
    const copy = Buffer.from(binary);
    BUILD_INFO_MAGIC.copy(copy, at);
    return copy;
  };
  // A magic at an odd offset, and an aligned one followed by garbage, both before the real one.
  assert.deepEqual(streamed(decoy(0x107), { chunk: 1000, wholeLimit: 0 }), expected);
  assert.deepEqual(streamed(decoy(0x110), { chunk: 1000, wholeLimit: 0 }), expected);
  const hostile = Buffer.concat([binary.subarray(0, 64), Buffer.concat(Array.from({ length: 4096 }, () => Buffer.concat([BUILD_INFO_MAGIC, Buffer.alloc(2, 0xff)])))]);
  assert.equal(streamed(hostile, { chunk: 65536, wholeLimit: 0 }), undefined);
  const warnings: string[] = [];
  assert.equal(streamed(Buffer.concat([hostile, binary]), { chunk: 65536, wholeLimit: 0, warnings }), undefined, 'after 16 false candidates the search stops');
  assert.deepEqual(warnings, ['no Go build info after 16 false candidates; the search stopped']);
  // Headers that each announce a 1 MiB version, every 48 bytes: neither way decodes them one by one.
  const unit = Buffer.alloc(48, 0x41);
  BUILD_INFO_MAGIC.copy(unit);
  unit[14] = 8;
  unit[15] = 2;
  unit.set([0x80, 0x80, 0x40], 32);
  const dense = Buffer.concat([binary.subarray(0, 64), ...Array.from({ length: 65536 }, () => unit)]);
  // (Decoding each took minutes for these 3 MiB; the test's timeout turns such a hang into a failure.)
  assert.equal(streamed(dense, {}), undefined);
  assert.equal(streamed(dense, { chunk: 1 << 20, wholeLimit: 0 }), undefined);
});

it('says when a large binary of an older toolchain (pointer format) is not read', () => {
  const binary = esbuildBinary();
  const magic = binary.indexOf(BUILD_INFO_MAGIC);
  binary[magic + 15] = 0;
  const warnings: string[] = [];
  assert.equal(streamed(binary, { chunk: 4096, wholeLimit: 0, warnings }), undefined);
  assert.deepEqual(warnings, ['a Go binary of a toolchain before 1.18 over 0 bytes: its build info (pointer format) is not read']);
  const quiet: string[] = [];
  assert.equal(streamed(esbuildBinary().subarray(0, 2000), { chunk: 4096, wholeLimit: 0, warnings: quiet }), undefined);
  assert.deepEqual(quiet, []);
});

it('keeps nothing of files that are not ELF, however they start', () => {
  const script = Buffer.from(`#!/bin/sh\n${'echo hi\n'.repeat(200)}`);
  assert.equal(streamed(script, { chunk: 2 }), undefined);
  assert.equal(streamed(Buffer.concat([script, esbuildBinary()]), { chunk: 4096, wholeLimit: 0 }), undefined);
});

it('gives nothing for non-Go ELF files, scripts and damaged build info', () => {
  const text = { name: '.text', address: 0x401000, data: Buffer.alloc(2048, 0x90) };
  const hugeLength = Buffer.from(SECTION);
  Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]).copy(hugeLength, 0x20);
  const badVersion = Buffer.from(SECTION);
  badVersion.write('xx', 0x21, 'latin1');
  const noSentinels = Buffer.concat([SECTION.subarray(0, 0x29), Buffer.from([9]), Buffer.from('mod\tx\tv1\n')]);
  const files = memoryCatalogFiles([
    { path: 'bin/c-program', content: buildElf([text]), mode: 0o755 },
    { path: 'bin/script', content: `#!/bin/sh\n${'echo hi\n'.repeat(200)}`, mode: 0o755 },
    { path: 'bin/huge-length', content: buildElf([text, { name: '.go.buildinfo', address: 0x1000, data: hugeLength }]), mode: 0o755 },
    { path: 'bin/bad-version', content: buildElf([text, { name: '.go.buildinfo', address: 0x1000, data: badVersion }]), mode: 0o755 },
    { path: 'bin/truncated', content: buildElf([text, { name: '.go.buildinfo', address: 0x1000, data: SECTION.subarray(0, 100) }]), mode: 0o755 },
    { path: 'bin/bad-table', content: Buffer.concat([esbuildBinary().subarray(0, 64), Buffer.alloc(2000, 0xff)]), mode: 0o755 },
    { path: 'bin/not-executable', content: esbuildBinary(), mode: 0o644 },
  ]);
  assert.deepEqual(goBinary.catalog(files, context), []);
  // Modinfo without its sentinels is ignored, as debug/buildinfo does; the toolchain still counts.
  const stdlibOnly = memoryCatalogFiles([{ path: 'bin/old', content: buildElf([text, { name: '.go.buildinfo', address: 0x1000, data: noSentinels }]), mode: 0o755 }]);
  assert.deepEqual(goBinary.catalog(stdlibOnly, context).map((found) => found.purl), ['pkg:golang/stdlib@1.20.4']);
});
