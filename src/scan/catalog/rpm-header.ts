/**
 * An RPM header as rpmdb stores it (no lead, no magic): big-endian `int32 il`, `int32 dl`, `il`
 * index entries of `{tag, type, offset, count}` (int32 each), then `dl` bytes of data.
 */
export interface RpmHeader {
  readonly name: string;
  readonly version: string;
  readonly release: string;
  readonly epoch: number | undefined;
  readonly arch: string | undefined;
  readonly license: string | undefined;
  /** `openssl-3.0.7-27.el9.src.rpm` */
  readonly sourceRpm: string | undefined;
  /** The capabilities it provides (`openssl-libs`, `libcrypto.so.3()(64bit)`) and requires (those, `/bin/sh`, `rpmlib(…)`). */
  readonly provides: readonly string[];
  readonly requires: readonly string[];
}

export const RPM_TAG = { name: 1000, version: 1001, release: 1002, epoch: 1003, license: 1014, arch: 1022, sourceRpm: 1044, provideName: 1047, requireName: 1049 } as const;
export const RPM_TYPE = { int32: 4, string: 6, bin: 7, stringArray: 8, i18nString: 9 } as const;

/** rpm's own sanity bounds (hdrchkTags, hdrchkData). */
const MAX_INDEX_ENTRIES = 0xffff;
const MAX_DATA_BYTES = 0x0fffffff;
const STRING_TYPES: ReadonlySet<number> = new Set([RPM_TYPE.string, RPM_TYPE.stringArray, RPM_TYPE.i18nString]);

interface IndexEntry {
  readonly type: number;
  readonly offset: number;
  readonly count: number;
}

/** The package fields of a header blob; undefined when the blob is not a header or lacks name, version or release. */
export function parseRpmHeader(blob: Uint8Array): RpmHeader | undefined {
  const bytes = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  if (bytes.byteLength < 8) return undefined;
  const entryCount = bytes.readInt32BE(0);
  const dataLength = bytes.readInt32BE(4);
  const dataStart = 8 + entryCount * 16;
  if (entryCount < 1 || entryCount > MAX_INDEX_ENTRIES || dataLength < 0 || dataLength > MAX_DATA_BYTES || dataStart + dataLength > bytes.byteLength) return undefined;
  const index = new Map<number, IndexEntry>();
  for (let at = 8; at < dataStart; at += 16) {
    const tag = bytes.readInt32BE(at);
    if (!index.has(tag)) index.set(tag, { type: bytes.readInt32BE(at + 4), offset: bytes.readInt32BE(at + 8), count: bytes.readInt32BE(at + 12) });
  }
  const data = bytes.subarray(dataStart, dataStart + dataLength);
  const text = (tag: number) => stringAt(data, index.get(tag));
  const [name, version, release] = [text(RPM_TAG.name), text(RPM_TAG.version), text(RPM_TAG.release)];
  if (name === undefined || version === undefined || release === undefined) return undefined;
  return {
    name,
    version,
    release,
    epoch: int32At(data, index.get(RPM_TAG.epoch)),
    arch: text(RPM_TAG.arch),
    license: text(RPM_TAG.license),
    sourceRpm: text(RPM_TAG.sourceRpm),
    provides: stringsAt(data, index.get(RPM_TAG.provideName)),
    requires: stringsAt(data, index.get(RPM_TAG.requireName)),
  };
}

/** The `count` strings of a STRING_ARRAY, each NUL-terminated; fewer when the data ends first (a damaged header). */
function stringsAt(data: Buffer, entry: IndexEntry | undefined): string[] {
  if (entry === undefined || entry.type !== RPM_TYPE.stringArray || entry.offset < 0) return [];
  const strings: string[] = [];
  for (let at = entry.offset, i = 0; i < entry.count && at < data.byteLength; i += 1) {
    const end = data.indexOf(0, at);
    if (end === -1) break;
    strings.push(data.toString('utf8', at, end));
    at = end + 1;
  }
  return strings;
}

/** A STRING, or the first element of a STRING_ARRAY / I18NSTRING. */
function stringAt(data: Buffer, entry: IndexEntry | undefined): string | undefined {
  if (entry === undefined || !STRING_TYPES.has(entry.type) || entry.count < 1 || entry.offset < 0 || entry.offset >= data.byteLength) return undefined;
  const end = data.indexOf(0, entry.offset);
  return end === -1 ? undefined : data.toString('utf8', entry.offset, end);
}

function int32At(data: Buffer, entry: IndexEntry | undefined): number | undefined {
  if (entry === undefined || entry.type !== RPM_TYPE.int32 || entry.count < 1 || entry.offset < 0 || entry.offset + 4 > data.byteLength) return undefined;
  return data.readUInt32BE(entry.offset);
}
