/**
 * Go build information (`runtime/debug.BuildInfo`) as the linker writes it into `.go.buildinfo`:
 * a 32-byte header (`\xff Go buildinf:`, pointer size, flags), then either two uvarint-prefixed
 * strings (flag 0x2, Go ≥ 1.18) or two pointers to Go string headers (older toolchains). The
 * modinfo string is framed by 16-byte sentinels and holds `path`/`mod`/`dep`/`=>`/`build` lines.
 */
import { readElfImage, type ElfImage } from './elf-image.ts';

export interface GoBuildInfo {
  /** The toolchain version as written (`go1.20.4`, `go1.21.0 X:boringcrypto`). */
  readonly goVersion: string;
  /** The modinfo text without its sentinels; empty for binaries built without module support. */
  readonly modinfo: string;
}

export interface GoModule {
  readonly path: string;
  readonly version: string;
  readonly sum?: string;
}

export interface GoModInfo {
  /** The main package's import path (`path` line). */
  readonly path?: string;
  /** The main module (`mod` line). */
  readonly main?: GoModule;
  /** Dependencies as built: a `=>` replacement stands in for the module it replaces. */
  readonly deps: readonly GoModule[];
}

export const BUILD_INFO_MAGIC = Buffer.from('\xff Go buildinf:', 'latin1');
const HEADER_SIZE = 32;
const FLAG_BIG_ENDIAN = 0x1;
const FLAG_INLINE = 0x2;
/** The longest version or modinfo string read. */
export const MAX_BUILD_INFO_STRING = 1024 * 1024;
/** A toolchain version (`go1.22.3 X:boringcrypto`) is short; a longer one is not build info. */
const MAX_VERSION = 1024;

/** Aligned occurrences of the magic tried before a search gives up (a hostile file may be made of them). */
export const MAX_CANDIDATES = 16;

/** Build info of an ELF binary: the `.go.buildinfo` section, else a 16-byte-aligned search for the magic. */
export function readGoBuildInfo(binary: Buffer): GoBuildInfo | undefined {
  const elf = readElfImage(binary);
  const section = elf?.section('.go.buildinfo');
  if (section !== undefined) return parseBuildInfoBlob(section, elf);
  let candidates = 0;
  for (let at = binary.indexOf(BUILD_INFO_MAGIC); at >= 0 && candidates < MAX_CANDIDATES; at = binary.indexOf(BUILD_INFO_MAGIC, at + 1)) {
    if (at % 16 !== 0) continue;
    candidates += 1;
    const found = parseBuildInfoBlob(binary.subarray(at), elf);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** The format a build-info header announces: inline strings (Go >= 1.18) or pointers; undefined when it is none. */
export function buildInfoFormat(blob: Buffer): 'inline' | 'pointer' | undefined {
  if (blob.length < HEADER_SIZE || !blob.subarray(0, BUILD_INFO_MAGIC.length).equals(BUILD_INFO_MAGIC) || (blob[14] !== 4 && blob[14] !== 8)) return undefined;
  return ((blob[15] ?? 0) & FLAG_INLINE) === 0 ? 'pointer' : 'inline';
}

/** Parses the bytes at the start of `.go.buildinfo`; the pointer format needs `elf` to follow pointers. */
export function parseBuildInfoBlob(blob: Buffer, elf?: ElfImage): GoBuildInfo | undefined {
  const format = buildInfoFormat(blob);
  if (format === undefined) return undefined;
  const strings = format === 'pointer' ? pointerStrings(blob, blob[14] === 4 ? 4 : 8, ((blob[15] ?? 0) & FLAG_BIG_ENDIAN) === 0, elf) : inlineStrings(blob.subarray(HEADER_SIZE));
  // A version is short: a false candidate announcing a megabyte of one is refused before any decoding.
  if (strings === undefined || strings[0].length > MAX_VERSION) return undefined;
  const goVersion = strings[0].toString('utf8');
  if (!/^(?:go|devel )\S/.test(goVersion)) return undefined;
  return { goVersion, modinfo: stripSentinels(strings[1]) };
}

/** Go ≥ 1.18: uvarint length, bytes; twice. */
function inlineStrings(data: Buffer): [Buffer, Buffer] | undefined {
  const first = uvarintString(data, 0);
  const second = first === undefined ? undefined : uvarintString(data, first.next);
  return first === undefined || second === undefined ? undefined : [first.value, second.value];
}

function uvarintString(data: Buffer, start: number): { value: Buffer; next: number } | undefined {
  let length = 0;
  let at = start;
  for (let shift = 0; ; shift += 7) {
    const byte = data[at++];
    if (byte === undefined || shift > 28) return undefined;
    length += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) break;
  }
  if (length > MAX_BUILD_INFO_STRING || at + length > data.length) return undefined;
  return { value: data.subarray(at, at + length), next: at + length };
}

/** Older toolchains: two pointers at offset 16 to `{ data, len }` string headers. */
function pointerStrings(blob: Buffer, size: 4 | 8, littleEndian: boolean, elf: ElfImage | undefined): [Buffer, Buffer] | undefined {
  if (elf === undefined) return undefined;
  const read = (buffer: Buffer, at: number): number => readPointer(buffer, at, size, littleEndian);
  const goString = (address: number): Buffer | undefined => {
    const header = elf.readAddress(address, 2 * size);
    if (header === undefined) return undefined;
    const length = read(header, size);
    return length >= 0 && length <= MAX_BUILD_INFO_STRING ? elf.readAddress(read(header, 0), length) : undefined;
  };
  const version = goString(read(blob, 16));
  const modinfo = goString(read(blob, 16 + size));
  return version === undefined || modinfo === undefined ? undefined : [version, modinfo];
}

function readPointer(buffer: Buffer, at: number, size: 4 | 8, littleEndian: boolean): number {
  if (size === 4) return littleEndian ? buffer.readUInt32LE(at) : buffer.readUInt32BE(at);
  const value = littleEndian ? buffer.readBigUInt64LE(at) : buffer.readBigUInt64BE(at);
  return value > BigInt(Number.MAX_SAFE_INTEGER) ? -1 : Number(value);
}

/** As `debug/buildinfo`: keep the text between the sentinels, or nothing when they are missing. */
function stripSentinels(modinfo: Buffer): string {
  if (modinfo.length < 33 || modinfo[modinfo.length - 17] !== 0x0a) return '';
  return modinfo.toString('utf8', 16, modinfo.length - 16);
}

/** Parses modinfo lines (tab-separated); malformed lines are skipped. */
export function parseModInfo(text: string): GoModInfo {
  let path: string | undefined;
  const modules: GoModule[] = [];
  let mainIndex: number | undefined;
  let replaceable = false;
  for (const line of text.split('\n')) {
    const [kind, ...fields] = line.split('\t');
    const module = toModule(fields);
    if (kind === 'path' && module !== undefined) path = module.path;
    if (module === undefined || (kind !== 'mod' && kind !== 'dep' && kind !== '=>')) continue;
    if (kind === '=>') {
      const original = modules.at(-1);
      if (replaceable && original !== undefined) modules[modules.length - 1] = replacement(original, module);
      replaceable = false;
      continue;
    }
    if (kind === 'mod') mainIndex = modules.length;
    modules.push(module);
    replaceable = true;
  }
  const main = mainIndex === undefined ? undefined : modules[mainIndex];
  const deps = modules.filter((_, index) => index !== mainIndex);
  return { ...(path === undefined ? {} : { path }), ...(main === undefined ? {} : { main }), deps };
}

function toModule(fields: readonly string[]): GoModule | undefined {
  const [path, version = '', sum = ''] = fields;
  if (path === undefined || path === '' || /\s/.test(path)) return undefined;
  return sum === '' ? { path, version } : { path, version, sum };
}

/** A module replaced by a local directory (`=> ../fork`) keeps its path, built from source: `(devel)`. */
function replacement(original: GoModule, replaced: GoModule): GoModule {
  return replaced.version === '' ? { path: original.path, version: '(devel)' } : replaced;
}
