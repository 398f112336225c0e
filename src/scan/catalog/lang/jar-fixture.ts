/** Test support: builds jar/war/ear bytes (a plain zip, deflated entries) from name → content pairs. */
import { crc32, deflateRawSync } from 'node:zlib';

export function buildJar(entries: Readonly<Record<string, Buffer | string>>): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [entryName, raw] of Object.entries(entries)) {
    const content = Buffer.from(raw);
    const data = deflateRawSync(content);
    const name = Buffer.from(entryName, 'utf8');
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    writeCommon(local, 6, name.length, content, data.length);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    writeCommon(central, 8, name.length, content, data.length);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, data);
    centrals.push(central, name);
    offset += local.length + name.length + data.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(centrals.length / 2, 8);
  end.writeUInt16LE(centrals.length / 2, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/** Flags (UTF-8 names), method deflate, CRC, sizes, name length: the fields local and central headers share. */
function writeCommon(header: Buffer, at: number, nameLength: number, content: Buffer, compressedSize: number): void {
  header.writeUInt16LE(0x800, at);
  header.writeUInt16LE(8, at + 2);
  header.writeUInt32LE(crc32(content), at + 8);
  header.writeUInt32LE(compressedSize, at + 12);
  header.writeUInt32LE(content.length, at + 16);
  header.writeUInt16LE(nameLength, at + 20);
}
