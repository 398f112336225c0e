/**
 * Just enough ELF to find a named section and read bytes at a virtual address: the header and the
 * section header table, 32/64-bit, either byte order. Every offset is bounds-checked; a malformed
 * file yields `undefined`, never an exception.
 */

export interface ElfSection {
  readonly name: string;
  readonly type: number;
  readonly address: number;
  readonly offset: number;
  readonly size: number;
}

export interface ElfImage {
  readonly is64: boolean;
  readonly littleEndian: boolean;
  readonly sections: readonly ElfSection[];
  section(name: string): Buffer | undefined;
  /** `length` bytes at virtual `address`, from the section that holds them in the file. */
  readAddress(address: number, length: number): Buffer | undefined;
}

export const ELF_MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);
const SHT_NOBITS = 8;

export function isElf(content: Buffer): boolean {
  return content.length >= 52 && content.subarray(0, 4).equals(ELF_MAGIC);
}

/** Parses `content` as ELF; `undefined` when it is not one or its section table is damaged. */
export function readElfImage(content: Buffer): ElfImage | undefined {
  if (!isElf(content) || (content[4] !== 1 && content[4] !== 2) || (content[5] !== 1 && content[5] !== 2)) return undefined;
  const is64 = content[4] === 2;
  const littleEndian = content[5] === 1;
  if (content.length < (is64 ? 64 : 52)) return undefined;
  const read = fieldReader(content, is64, littleEndian);
  const table = { offset: read.word(is64 ? 0x28 : 0x20), entrySize: read.half(is64 ? 0x3a : 0x2e), count: read.half(is64 ? 0x3c : 0x30) };
  const raw = readSectionTable(content, table, is64, read);
  const nameTable = raw?.[read.half(is64 ? 0x3e : 0x32)];
  if (raw === undefined || nameTable === undefined) return undefined;
  const sections = raw.map((section) => ({ ...section, name: cString(content, nameTable.offset + section.nameOffset, nameTable.offset + nameTable.size) }));
  const inFile = sections.filter((section) => section.type !== SHT_NOBITS);
  return {
    is64,
    littleEndian,
    sections,
    section: (name) => {
      const found = inFile.find((section) => section.name === name);
      return found === undefined ? undefined : content.subarray(found.offset, found.offset + found.size);
    },
    readAddress: (address, length) => {
      const found = inFile.find((section) => section.address !== 0 && address >= section.address && address + length <= section.address + section.size);
      const start = found === undefined ? 0 : found.offset + address - found.address;
      return found === undefined ? undefined : content.subarray(start, start + length);
    },
  };
}

const PT_LOAD = 1;
const PF_X = 1;
const PF_W = 2;

/**
 * The file range of the first loadable segment that is writable and not executable (where Go's
 * linker puts `.go.buildinfo`, and where `debug/buildinfo` looks for it without a section table),
 * read from the program headers in `head`, the start of the file. Undefined when `head` has no
 * program headers or they lie beyond it.
 */
export function firstDataSegment(head: Buffer): { readonly start: number; readonly end: number } | undefined {
  if (!isElf(head) || (head[4] !== 1 && head[4] !== 2) || (head[5] !== 1 && head[5] !== 2)) return undefined;
  const is64 = head[4] === 2;
  if (head.length < (is64 ? 64 : 52)) return undefined;
  const read = fieldReader(head, is64, head[5] === 1);
  const offset = read.word(is64 ? 0x20 : 0x1c);
  const entrySize = read.half(is64 ? 0x36 : 0x2a);
  const count = read.half(is64 ? 0x38 : 0x2c);
  if (count === 0 || offset <= 0 || entrySize < (is64 ? 0x38 : 0x20) || offset + count * entrySize > head.length) return undefined;
  for (let index = 0; index < count; index += 1) {
    const at = offset + index * entrySize;
    const flags = read.u32(at + (is64 ? 0x04 : 0x18));
    if (read.u32(at) !== PT_LOAD || (flags & (PF_X | PF_W)) !== PF_W) continue;
    const start = read.word(at + (is64 ? 0x08 : 0x04));
    const size = read.word(at + (is64 ? 0x20 : 0x10));
    return start < 0 || size < 0 ? undefined : { start, end: start + size };
  }
  return undefined;
}

interface RawSection extends Omit<ElfSection, 'name'> {
  readonly nameOffset: number;
}

interface FieldReader {
  half(at: number): number;
  u32(at: number): number;
  /** An address-sized field (4 or 8 bytes); 64-bit values past 2^53 become -1 (never valid). */
  word(at: number): number;
}

function readSectionTable(content: Buffer, table: { offset: number; entrySize: number; count: number }, is64: boolean, read: FieldReader): RawSection[] | undefined {
  if (table.count === 0 || table.offset <= 0 || table.entrySize < (is64 ? 0x40 : 0x28) || table.offset + table.count * table.entrySize > content.length) return undefined;
  const sections: RawSection[] = [];
  for (let index = 0; index < table.count; index++) {
    const at = table.offset + index * table.entrySize;
    const section = {
      nameOffset: read.u32(at),
      type: read.u32(at + 4),
      address: read.word(at + (is64 ? 0x10 : 0x0c)),
      offset: read.word(at + (is64 ? 0x18 : 0x10)),
      size: read.word(at + (is64 ? 0x20 : 0x14)),
    };
    if (section.address < 0 || section.offset < 0 || section.size < 0) return undefined;
    // A section whose bytes are not in the file is kept only when it takes none (NOBITS).
    if (section.type !== SHT_NOBITS && section.offset + section.size > content.length) return undefined;
    sections.push(section);
  }
  return sections;
}

function fieldReader(content: Buffer, is64: boolean, littleEndian: boolean): FieldReader {
  const u32 = (at: number): number => (littleEndian ? content.readUInt32LE(at) : content.readUInt32BE(at));
  return {
    half: (at) => (littleEndian ? content.readUInt16LE(at) : content.readUInt16BE(at)),
    u32,
    word: (at) => {
      if (!is64) return u32(at);
      const value = littleEndian ? content.readBigUInt64LE(at) : content.readBigUInt64BE(at);
      return value > BigInt(Number.MAX_SAFE_INTEGER) ? -1 : Number(value);
    },
  };
}

function cString(content: Buffer, start: number, limit: number): string {
  const end = Math.min(limit, content.length);
  if (start < 0 || start >= end) return '';
  const nul = content.indexOf(0, start);
  return content.toString('latin1', start, nul < 0 || nul > end ? end : nul);
}
