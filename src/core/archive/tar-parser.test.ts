import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { link, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { it } from 'node:test';
import { promisify } from 'node:util';
import { sealHeader, tarArchive } from '../../testing/tar-writer.ts';
import { TarError } from './tar-error.ts';
import { tarNumber } from './tar-header.ts';
import { TarParser, type TarEntry } from './tar-parser.ts';

const run = promisify(execFile);

interface Read extends TarEntry {
  readonly content: string;
}

/** Every entry with its whole body, the source pushed chunk by chunk and ended. */
async function readAll(source: AsyncIterable<unknown>): Promise<Read[]> {
  const out: Read[] = [];
  const parser = new TarParser((entry) => {
    const parts: Buffer[] = [];
    return { data: (bytes) => parts.push(Buffer.from(bytes)), end: () => out.push({ ...entry, content: Buffer.concat(parts).toString('utf8') }) };
  });
  for await (const chunk of source) parser.push(chunk as Buffer);
  parser.end();
  return out;
}

/** `archive` as an async source cut every `size` bytes, stopping after `limit` bytes. */
async function* cut(archive: Buffer, size: number, limit = archive.byteLength): AsyncGenerator<Buffer> {
  for (let offset = 0; offset < limit; offset += size) yield archive.subarray(offset, Math.min(offset + size, limit));
}

/** One raw ustar header block, for what the test writer cannot express. */
function header(h: { name: string; size?: number; typeflag?: string; linkname?: string; size256?: bigint }): Buffer {
  const block = Buffer.alloc(512);
  block.write(h.name, 0, 100);
  block.write('0000644\0', 100);
  block.write(`${(h.size ?? 0).toString(8).padStart(11, '0')}\0`, 124);
  if (h.size256 !== undefined) {
    block.fill(0, 124, 136);
    block[124] = 0x80;
    block.writeBigUInt64BE(h.size256, 128);
  }
  block.write('00000000000\0', 136);
  block.write(h.typeflag ?? '0', 156);
  block.write(h.linkname ?? '', 157, 100);
  block.write('ustar\x0000', 257);
  sealHeader(block);
  return block;
}

function padded(data: string | Buffer): Buffer {
  const bytes = Buffer.from(data);
  return Buffer.concat([bytes, Buffer.alloc((512 - (bytes.byteLength % 512)) % 512)]);
}

function paxBody(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let length = body.length + 1;
  while (`${length}${body}`.length !== length) length = `${length}${body}`.length;
  return `${length}${body}`;
}

it('reads what the test tar writer writes: files, directories, links, PAX long names', async () => {
  const long = `${'deep/'.repeat(30)}file.txt`;
  const entries = await readAll(
    Readable.from([
      tarArchive([
        { path: 'etc', type: 'dir' },
        { path: 'etc/os-release', content: 'ID=debian\n', mode: 0o600 },
        { path: 'bin/sh', type: 'symlink', linkname: '/bin/dash' },
        { path: 'bin/sh2', type: 'hardlink', linkname: 'etc/os-release' },
        { path: long, content: 'x'.repeat(1500) },
      ]),
    ]),
  );
  assert.deepEqual(
    entries.map((e) => [e.path, e.type, e.size, e.linkname, e.content.length]),
    [
      ['etc/', 'dir', 0, '', 0],
      ['etc/os-release', 'file', 10, '', 10],
      ['bin/sh', 'symlink', 0, '/bin/dash', 0],
      ['bin/sh2', 'hardlink', 0, 'etc/os-release', 0],
      [long, 'file', 1500, '', 1500],
    ],
  );
  assert.equal(entries[1]?.mode, 0o600);
  assert.equal(entries[1]?.content, 'ID=debian\n');
});

it('reads archives GNU tar writes in gnu, posix and ustar formats', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-tar-reader-'));
  try {
    const longDir = `${'d'.repeat(60)}/${'e'.repeat(60)}`;
    const longTarget = `../${'t'.repeat(150)}`;
    await mkdir(join(dir, 'root', longDir), { recursive: true });
    await writeFile(join(dir, 'root', longDir, 'file'), 'long-named content');
    await link(join(dir, 'root', longDir, 'file'), join(dir, 'root', 'hard'));
    await symlink(longTarget, join(dir, 'root', 'link'));
    await run('mkfifo', [join(dir, 'root', 'fifo')]);
    for (const format of ['gnu', 'posix', 'ustar']) {
      const file = join(dir, `${format}.tar`);
      const members = format === 'ustar' ? [`${longDir}/file`] : [`${longDir}/file`, 'hard', 'link', 'fifo'];
      await run('tar', [`--format=${format}`, '-cf', file, '-C', join(dir, 'root'), ...members, '-C', '/', 'dev/null']);
      const entries = await readAll(Readable.from([await readFile(file)]));
      const byPath = new Map(entries.map((e) => [e.path, e]));
      assert.equal(byPath.get(`${longDir}/file`)?.content, 'long-named content', format);
      assert.equal(byPath.get('dev/null')?.type, 'char', format);
      if (format === 'ustar') continue;
      assert.deepEqual([byPath.get('hard')?.type, byPath.get('hard')?.linkname], ['hardlink', `${longDir}/file`], format);
      assert.deepEqual([byPath.get('link')?.type, byPath.get('link')?.linkname], ['symlink', longTarget], format);
      assert.equal(byPath.get('fifo')?.type, 'fifo', format);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

it('applies PAX size, path and global records, GNU long names and base-256 sizes', async () => {
  const content = 'sized by pax';
  const archive = Buffer.concat([
    header({ name: 'global', typeflag: 'g', size: paxBody('linkpath', 'global/target').length }),
    padded(paxBody('linkpath', 'global/target')),
    header({ name: 'pax', typeflag: 'x', size: (paxBody('size', '12') + paxBody('path', 'from/pax')).length }),
    padded(paxBody('size', '12') + paxBody('path', 'from/pax')),
    header({ name: 'ignored', size: 0 }),
    padded(content),
    header({ name: '././@LongLink', typeflag: 'L', size: 9 }),
    padded('gnu/long\0'),
    header({ name: 'short', typeflag: '2' }),
    header({ name: 'big', size256: 3n }),
    padded('abc'),
  ]);
  const entries = await readAll(Readable.from([archive]));
  assert.deepEqual(
    entries.map((e) => [e.path, e.type, e.linkname, e.content]),
    [
      ['from/pax', 'file', 'global/target', content],
      ['gnu/long', 'symlink', 'global/target', ''],
      ['big', 'file', 'global/target', 'abc'],
    ],
  );
  assert.equal(tarNumber(Buffer.from([0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x00]), 'size', 'x'), 256);
  assert.throws(() => tarNumber(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), 'size', 'x'), TarError);
});

it('reads octal fields as GNU tar does: padded with spaces or NULs, anything else refused', () => {
  // The rule, stated plainly: up to the first NUL, trimmed, empty is 0, else octal digits only.
  const reference = (field: Buffer): number | 'invalid' => {
    const end = field.indexOf(0);
    const text = field.toString('latin1', 0, end === -1 ? field.length : end).trim();
    return text === '' ? 0 : /^[0-7]+$/.test(text) ? Number.parseInt(text, 8) : 'invalid';
  };
  const read = (field: Buffer): number | 'invalid' => {
    try {
      return tarNumber(field, 'size', 'x');
    } catch (error) {
      assert.ok(error instanceof TarError && /size field is not octal/.test(error.message));
      return 'invalid';
    }
  };
  const alphabet = Buffer.from('0123456778 \0\t\n9x-', 'latin1');
  let seed = 7;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
  const fields = [Buffer.from('00000001750\0'), Buffer.from('     644 \0\0\0'), Buffer.from('\0\0\0\0'), Buffer.from('12 34\0'), Buffer.from('\t17\n\0'), Buffer.from('777777777777')];
  for (let i = 0; i < 3000; i += 1) fields.push(Buffer.from(Array.from({ length: 1 + (next() % 12) }, () => alphabet[next() % alphabet.length] ?? 0)));
  for (const field of fields) assert.equal(read(field), reference(field), JSON.stringify(field.toString('latin1')));
});

it('hands a body over piece by piece as it is pushed, and never a body it was not asked for', () => {
  const big = Buffer.alloc(4 * 1024 * 1024, 7);
  const archive = tarArchive([{ path: 'big', content: big }, { path: 'unread', content: big }, { path: 'last', content: 'end' }]);
  const seen: string[] = [];
  let pieces = 0;
  let received = 0;
  let ended = false;
  const parser = new TarParser((entry) => {
    seen.push(entry.path);
    if (entry.path !== 'big') return undefined;
    return {
      data(bytes) {
        pieces += 1;
        received += bytes.byteLength;
        assert.ok(bytes.byteLength <= 65536);
        assert.ok(bytes.every((byte) => byte === 7), 'only body bytes');
      },
      end: () => (ended = true),
    };
  });
  parser.push(archive.subarray(0, 65536));
  assert.deepEqual([seen, received], [['big'], 65536 - 512], 'the first chunk\'s body bytes arrive with it');
  for (let offset = 65536; offset < archive.byteLength; offset += 65536) parser.push(archive.subarray(offset, offset + 65536));
  parser.end();
  assert.deepEqual([seen, received, ended, parser.ended], [['big', 'unread', 'last'], big.byteLength, true, true]);
  assert.ok(pieces >= 64);
});

it('reads the same entries however the source is cut: headers and skipped bodies across chunk ends', async () => {
  const archive = tarArchive([
    { path: 'a', content: 'x'.repeat(700) },
    { path: 'skipped', content: 'y'.repeat(1500) },
    { path: 'dir/', type: 'dir' },
    { path: 'c', content: 'z' },
  ]);
  const read = async (source: AsyncIterable<Buffer>) => {
    const seen: string[] = [];
    const parser = new TarParser((entry) => {
      if (entry.path === 'skipped') {
        seen.push(entry.path);
        return undefined;
      }
      const parts: Buffer[] = [];
      return { data: (bytes) => parts.push(Buffer.from(bytes)), end: () => seen.push(`${entry.path}:${Buffer.concat(parts).toString('utf8').slice(0, 3)}:${Buffer.concat(parts).byteLength}`) };
    });
    for await (const chunk of source) parser.push(chunk);
    parser.end();
    return seen;
  };
  for (const size of [1, 7, 511, 512, 513, 1000, 4096, archive.byteLength]) {
    assert.deepEqual(await read(cut(archive, size)), ['a:xxx:700', 'skipped', 'dir/::0', 'c:z:1'], `cut every ${size} bytes`);
    // Cut inside the skipped body: its entry is named, however the bytes arrived.
    await assert.rejects(
      read(cut(archive, size, 2048 + 900)),
      (e: unknown) => e instanceof TarError && e.code === 'TAR_TRUNCATED' && e.entry === 'skipped' && /900 bytes into a 1500-byte body/.test(e.message),
      `cut every ${size} bytes, truncated`,
    );
    // Cut inside a header, and inside a body's padding.
    await assert.rejects(read(cut(archive, size, 2048 + 1536 + 100)), (e: unknown) => e instanceof TarError && e.code === 'TAR_TRUNCATED' && /inside the header after entry "skipped"/.test(e.message));
    await assert.rejects(read(cut(archive, size, 512 + 800)), (e: unknown) => e instanceof TarError && e.code === 'TAR_TRUNCATED' && e.entry === 'a' && /700 bytes into a 700-byte body/.test(e.message));
  }
});

it('names the entry when the archive is truncated or corrupt', async () => {
  const archive = tarArchive([{ path: 'first', content: 'x'.repeat(600) }, { path: 'second', content: 'y'.repeat(2000) }]);
  await assert.rejects(readAll(Readable.from([archive.subarray(0, 2048 + 700)])), (e: unknown) => e instanceof TarError && e.code === 'TAR_TRUNCATED' && e.entry === 'second' && /700 bytes into a 2000-byte body/.test(e.message));
  await assert.rejects(readAll(Readable.from([archive.subarray(0, 1536 + 100)])), (e: unknown) => e instanceof TarError && e.code === 'TAR_TRUNCATED' && /after entry "first"/.test(e.message));
  const corrupt = Buffer.from(archive);
  corrupt[1536 + 3] = 0x41;
  await assert.rejects(readAll(Readable.from([corrupt])), (e: unknown) => e instanceof TarError && e.code === 'TAR_INVALID' && e.entry === 'secAnd' && /checksum/.test(e.message));
  await assert.rejects(readAll(Readable.from([Buffer.from('{"not": "a tar"}'.padEnd(512, ' '))])), (e: unknown) => e instanceof TarError && e.code === 'TAR_INVALID');
  // A checksum summed over signed bytes (old tars) is accepted as well as the unsigned one.
  const accented = Buffer.from(tarArchive([{ path: 'caf\u00e9-\u00fc', content: 'z' }]));
  const sums = { unsigned: 0, signed: 0 };
  for (let i = 0; i < 512; i += 1) {
    const byte = i >= 148 && i < 156 ? 0x20 : (accented[i] ?? 0);
    sums.unsigned += byte;
    sums.signed += byte > 127 ? byte - 256 : byte;
  }
  assert.ok(sums.signed !== sums.unsigned);
  for (const sum of [sums.unsigned, sums.signed]) {
    accented.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
    assert.deepEqual((await readAll(Readable.from([accented]))).map((e) => e.path), ['caf\u00e9-\u00fc']);
  }
  accented.write(`${(sums.unsigned + 1).toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  await assert.rejects(readAll(Readable.from([accented])), (e: unknown) => e instanceof TarError && /header checksum/.test((e as Error).message));
  const hugePax = Buffer.concat([header({ name: 'pax', typeflag: 'x', size: 2 * 1024 * 1024 }), Buffer.alloc(1024)]);
  await assert.rejects(readAll(Readable.from([hugePax])), (e: unknown) => e instanceof TarError && e.code === 'TAR_INVALID' && /extended header/.test(e.message));
  const badPax = Buffer.concat([header({ name: 'pax', typeflag: 'x', size: 10 }), padded('99 path=x\n'), header({ name: 'f' })]);
  await assert.rejects(readAll(Readable.from([badPax])), (e: unknown) => e instanceof TarError && e.code === 'TAR_INVALID' && /PAX record/.test(e.message));
});

it('ends at the end of the source without end-of-archive blocks, and ignores what follows the end-of-archive block', async () => {
  const archive = tarArchive([{ path: 'a', content: 'a' }, { path: 'b', content: 'b' }]);
  assert.deepEqual((await readAll(Readable.from([archive.subarray(0, 2048)]))).map((e) => e.path), ['a', 'b']);
  const seen: string[] = [];
  const parser = new TarParser((entry) => void seen.push(entry.path));
  parser.push(archive);
  assert.equal(parser.ended, true);
  parser.push(Buffer.from('not a tar header, and never read as one'.padEnd(512, '!')));
  parser.end();
  assert.deepEqual(seen, ['a', 'b']);
});
