/** A minimal ustar writer for test fixtures (layers built in code). PAX headers carry long names. */
export interface TarEntry {
  readonly path: string;
  readonly content?: Uint8Array | string;
  readonly type?: 'file' | 'dir' | 'symlink' | 'hardlink';
  readonly linkname?: string;
  readonly mode?: number;
  readonly mtime?: number;
}

const BLOCK = 512;
const TYPE_FLAG = { file: '0', hardlink: '1', symlink: '2', dir: '5' } as const;

export function tarArchive(entries: readonly TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const type = entry.type ?? 'file';
    const content = type === 'file' ? Buffer.from(entry.content ?? '') : Buffer.alloc(0);
    const name = type === 'dir' && !entry.path.endsWith('/') ? `${entry.path}/` : entry.path;
    if (Buffer.byteLength(name) > 100 || Buffer.byteLength(entry.linkname ?? '') > 100) {
      const pax = paxRecords({ path: name, ...(entry.linkname === undefined ? {} : { linkpath: entry.linkname }) });
      parts.push(header({ name: 'PaxHeader', size: pax.byteLength, typeflag: 'x', mode: 0o644, mtime: 0, linkname: '' }), pad(pax));
    }
    parts.push(
      header({
        name: name.slice(0, 100),
        size: content.byteLength,
        typeflag: TYPE_FLAG[type],
        mode: entry.mode ?? (type === 'dir' ? 0o755 : 0o644),
        mtime: entry.mtime ?? 0,
        linkname: (entry.linkname ?? '').slice(0, 100),
      }),
      pad(content),
    );
  }
  parts.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(parts);
}

function header(h: { name: string; size: number; typeflag: string; mode: number; mtime: number; linkname: string }): Buffer {
  const block = Buffer.alloc(BLOCK);
  const put = (value: string, offset: number, length: number) => block.write(value, offset, length, 'utf8');
  const octal = (value: number, offset: number, length: number) => put(`${value.toString(8).padStart(length - 1, '0')}\0`, offset, length);
  put(h.name, 0, 100);
  octal(h.mode, 100, 8);
  octal(0, 108, 8);
  octal(0, 116, 8);
  octal(h.size, 124, 12);
  octal(h.mtime, 136, 12);
  put(h.typeflag, 156, 1);
  put(h.linkname, 157, 100);
  put('ustar\0', 257, 6);
  put('00', 263, 2);
  return sealHeader(block);
}

/** Writes a header block's checksum (the byte sum, the field itself read as spaces); returns the block. */
export function sealHeader(block: Buffer): Buffer {
  block.write('        ', 148, 8);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8);
  return block;
}

function paxRecords(records: Record<string, string>): Buffer {
  let out = '';
  for (const [key, value] of Object.entries(records)) {
    const body = ` ${key}=${value}\n`;
    let length = Buffer.byteLength(body) + 1;
    while (String(length).length + Buffer.byteLength(body) !== length) length = String(length).length + Buffer.byteLength(body);
    out += `${length}${body}`;
  }
  return Buffer.from(out);
}

function pad(data: Buffer): Buffer {
  const remainder = data.byteLength % BLOCK;
  return remainder === 0 ? data : Buffer.concat([data, Buffer.alloc(BLOCK - remainder)]);
}
