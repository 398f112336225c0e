import { TarError } from './tar-error.ts';

/**
 * One 512-byte tar header block (v7, ustar, GNU and the ustar part of PAX), before extended
 * headers (GNU `L`/`K`, PAX `x`/`g`) are applied.
 */
export interface RawTarHeader {
  readonly name: string;
  readonly mode: number;
  readonly size: number;
  readonly mtime: number;
  readonly typeflag: string;
  readonly linkname: string;
}

export const BLOCK_SIZE = 512;
const SPACE = 0x20;
const DIGIT_0 = 0x30;
const DIGIT_7 = 0x37;

export function isZeroBlock(block: Buffer): boolean {
  for (const byte of block) if (byte !== 0) return false;
  return true;
}

export function parseTarHeader(block: Buffer): RawTarHeader {
  const rawName = fieldString(block, 0, 100);
  verifyChecksum(block, rawName);
  const field = (offset: number, length: number, what: string) => tarNumber(block.subarray(offset, offset + length), what, rawName);
  const prefix = isUstar(block) ? fieldString(block, 345, 155) : '';
  return {
    name: prefix === '' ? rawName : `${prefix}/${rawName}`,
    mode: field(100, 8, 'mode') & 0o7777,
    size: field(124, 12, 'size'),
    mtime: field(136, 12, 'mtime'),
    typeflag: String.fromCharCode(block[156] ?? 0),
    linkname: fieldString(block, 157, 100),
  };
}

/** The ustar magic (`ustar\0`; POSIX and PAX), which says the prefix field is one. */
function isUstar(block: Buffer): boolean {
  return block[257] === 0x75 && block[258] === 0x73 && block[259] === 0x74 && block[260] === 0x61 && block[261] === 0x72 && block[262] === 0;
}

/**
 * The NUL-terminated (or field-filling) UTF-8 string of a header field, read in place: short
 * fields, so the NUL is looked for here rather than through a Buffer view and a native call.
 */
function fieldString(block: Buffer, offset: number, length: number): string {
  let end = offset;
  const limit = offset + length;
  while (end < limit && block[end] !== 0) end += 1;
  return end === offset ? '' : block.toString('utf8', offset, end);
}

/** A NUL-terminated (or field-filling) UTF-8 string. */
export function cString(field: Buffer): string {
  const end = field.indexOf(0);
  return field.toString('utf8', 0, end === -1 ? field.byteLength : end);
}

/** An octal field (space/NUL padded) or a GNU base-256 field (high bit set). */
export function tarNumber(field: Buffer, what: string, entry: string): number {
  const first = field[0] ?? 0;
  if ((first & 0x80) !== 0) return base256(field, what, entry);
  // The common shape read byte by byte (every header has five of these fields): leading spaces,
  // octal digits, then spaces up to a NUL or the field's end. Anything else takes the strict path.
  let at = 0;
  while (at < field.length && field[at] === SPACE) at += 1;
  let value = 0;
  for (; at < field.length; at += 1) {
    const byte = field[at] ?? 0;
    if (byte < DIGIT_0 || byte > DIGIT_7) break;
    value = value * 8 + (byte - DIGIT_0);
  }
  for (; at < field.length && field[at] !== 0; at += 1) if (field[at] !== SPACE) return strictOctal(field, what, entry);
  return checkedSafe(value, what, entry);
}

function strictOctal(field: Buffer, what: string, entry: string): number {
  const end = field.indexOf(0);
  const text = field.toString('latin1', 0, end === -1 ? field.byteLength : end).trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new TarError('TAR_INVALID', `${what} field is not octal: ${JSON.stringify(text)}`, { entry });
  return checkedSafe(Number.parseInt(text, 8), what, entry);
}

function base256(field: Buffer, what: string, entry: string): number {
  if ((field[0] ?? 0) === 0xff) throw new TarError('TAR_INVALID', `${what} field is negative`, { entry });
  let value = (field[0] ?? 0) & 0x7f;
  for (const byte of field.subarray(1)) value = value * 256 + byte;
  return checkedSafe(value, what, entry);
}

function checkedSafe(value: number, what: string, entry: string): number {
  if (!Number.isSafeInteger(value)) throw new TarError('TAR_INVALID', `${what} field is out of range`, { entry });
  return value;
}

function verifyChecksum(block: Buffer, entry: string): void {
  const stored = tarNumber(block.subarray(148, 156), 'checksum', entry);
  // Sums of every byte, the checksum field read as eight spaces; the signed sum (some old tars
  // wrote it) counts each byte above 127 as that byte minus 256.
  let unsigned = 0;
  let high = 0;
  for (let index = 0; index < BLOCK_SIZE; index += 1) {
    const byte = block[index] ?? 0;
    unsigned += byte;
    if (byte > 127) high += 1;
  }
  for (let index = 148; index < 156; index += 1) {
    const byte = block[index] ?? 0;
    unsigned += SPACE - byte;
    if (byte > 127) high -= 1;
  }
  const signed = unsigned - 256 * high;
  if (stored !== unsigned && stored !== signed) {
    throw new TarError('TAR_INVALID', `header checksum ${stored.toString(8)} does not match ${unsigned.toString(8)} (not a tar archive, or a corrupt one)`, { entry });
  }
}

/** PAX extended header records: `<length> <key>=<value>\n`, lengths in decimal bytes. */
export function parsePaxRecords(data: Buffer, entry: string): ReadonlyMap<string, string> {
  const records = new Map<string, string>();
  let offset = 0;
  while (offset < data.byteLength && data[offset] !== 0) {
    const space = data.indexOf(0x20, offset);
    const lengthText = space === -1 ? '' : data.toString('latin1', offset, space);
    const end = offset + Number(lengthText);
    if (!/^[1-9][0-9]*$/.test(lengthText) || end > data.byteLength || data[end - 1] !== 0x0a) {
      throw new TarError('TAR_INVALID', `malformed PAX record at byte ${offset}`, { entry });
    }
    const record = data.toString('utf8', space + 1, end - 1);
    const equals = record.indexOf('=');
    if (equals <= 0) throw new TarError('TAR_INVALID', `PAX record without a key at byte ${offset}`, { entry });
    records.set(record.slice(0, equals), record.slice(equals + 1));
    offset = end;
  }
  return records;
}
