/**
 * apk-tools 2.14's version syntax check (apk_version_validate in src/version.c on 2.14-stable
 * 9c5d9efb), the apk Alpine 3.18–3.21 ship. It accepts Gentoo-style versions that 3.x rejects, notably a
 * letter followed by digits (`1.9.5p1-r1`, found in older Alpine data), empty dot components (`1..2`)
 * and a bare `-r`. apk.ts uses it to decide which versions some shipped apk-tools accepts.
 */

/** Token types of 2.14, in its order. */
const INVALID = -1;
const DIGIT_OR_ZERO = 0;
const DIGIT = 1;
const LETTER = 2;
const SUFFIX = 3;
const SUFFIX_NO = 4;
const REVISION_NO = 5;
const END = 6;

const SUFFIXES = ['alpha', 'beta', 'pre', 'rc', 'cvs', 'svn', 'git', 'hg', 'p'];

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

function isLower(c: string | undefined): boolean {
  return c !== undefined && c >= 'a' && c <= 'z';
}

/** get_token(): the length of the token of `type` at the start of `rest`, or undefined if invalid. */
function tokenLength(type: number, rest: string): number | undefined {
  switch (type) {
    case DIGIT_OR_ZERO:
    case DIGIT:
    case SUFFIX_NO:
    case REVISION_NO: {
      // 2.14 reads up to 17 digits into an int64 (leading zeros after a dot are counted apart).
      const digits = /^[0-9]*/.exec(rest)?.[0] ?? '';
      const significant = type === DIGIT_OR_ZERO ? digits.replace(/^0+(?=0)/, '').length : digits.length;
      return significant >= 18 ? undefined : digits.length;
    }
    case LETTER:
      return 1;
    case SUFFIX:
      // Suffixes are matched as prefixes, in this order (`pre` before `p`).
      return SUFFIXES.find((s) => rest.startsWith(s))?.length;
    default:
      return undefined;
  }
}

/** next_token(): the type of what follows a token of `previous`, and how many separator characters it takes. */
function nextType(previous: number, rest: string): { type: number; skip: number } {
  const c = rest[0];
  let next: { type: number; skip: number };
  if ((previous === DIGIT || previous === DIGIT_OR_ZERO) && isLower(c)) next = { type: LETTER, skip: 0 };
  else if (previous === LETTER && isDigit(c)) next = { type: DIGIT, skip: 0 };
  else if (previous === SUFFIX && isDigit(c)) next = { type: SUFFIX_NO, skip: 0 };
  else if (c === '.') next = { type: DIGIT_OR_ZERO, skip: 1 };
  else if (c === '_') next = { type: SUFFIX, skip: 1 };
  else if (rest.startsWith('-r')) next = { type: REVISION_NO, skip: 2 };
  else next = { type: INVALID, skip: 1 };
  const allowedBackStep =
    (next.type === DIGIT_OR_ZERO && previous === DIGIT) ||
    (next.type === SUFFIX && previous === SUFFIX_NO) ||
    (next.type === DIGIT && previous === LETTER);
  return next.type < previous && !allowedBackStep ? { type: INVALID, skip: next.skip } : next;
}

/** apk_version_validate() of apk-tools 2.14. */
export function isValidApkTools2(version: string): boolean {
  let type = DIGIT;
  let pos = 0;
  while (type !== END && type !== INVALID) {
    if (pos >= version.length) return true;
    const length = tokenLength(type, version.slice(pos));
    if (length === undefined) return false;
    pos += length;
    if (pos >= version.length) return true;
    const next = nextType(type, version.slice(pos));
    type = next.type;
    pos += next.skip;
  }
  return type === END;
}
