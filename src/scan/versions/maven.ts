/**
 * Maven versions, ordered like org.apache.maven.artifact.versioning.ComparableVersion (apache/maven
 * master, compat/maven-artifact, the version with CombinationItem; the newest behaviour, which also
 * knows the `release` alias that 3.x lacked). Numbers of any size compare as big integers, which is
 * what the Int/Long/BigInteger item split amounts to.
 */
import { compareStrings, sign, type Order } from './order.ts';
import { invalidVersion } from './version-error.ts';

type Item = NumberItem | StringItem | CombinationItem | ListItem;

interface NumberItem {
  readonly kind: 'number';
  readonly value: bigint;
}

interface StringItem {
  readonly kind: 'string';
  readonly value: string;
}

/** A qualifier glued to a number (`alpha2`, `rc-1`): compared as the qualifier, then the number. */
interface CombinationItem {
  readonly kind: 'combination';
  readonly stringPart: StringItem;
  readonly digitPart: NumberItem;
}

interface ListItem {
  readonly kind: 'list';
  readonly items: Item[];
}

/** Maven refuses longer versions (MAX_VERSION_LENGTH). */
const MAX_VERSION_LENGTH = 256;
const QUALIFIERS = ['alpha', 'beta', 'milestone', 'rc', 'snapshot', '', 'sp'];
const RELEASE_QUALIFIERS = new Set(['ga', 'final', 'release']);
const RELEASE_INDEX = String(QUALIFIERS.indexOf(''));
const ZERO: NumberItem = { kind: 'number', value: 0n };

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

function stringItem(value: string, followedByDigit: boolean): StringItem {
  let v = value;
  if (followedByDigit && v.length === 1) v = ({ a: 'alpha', b: 'beta', m: 'milestone' } as Record<string, string>)[v] ?? v;
  return { kind: 'string', value: v === 'cr' ? 'rc' : v };
}

function parseItem(isCombination: boolean, isNumber: boolean, buf: string): Item {
  if (isCombination) {
    const text = buf.replaceAll('-', '');
    const index = Math.max(0, text.search(/[0-9]/));
    return { kind: 'combination', stringPart: stringItem(text.slice(0, index), true), digitPart: numberItem(text.slice(index)) };
  }
  return isNumber ? numberItem(buf) : stringItem(buf, false);
}

function numberItem(digits: string): NumberItem {
  return { kind: 'number', value: /^[0-9]+$/.test(digits) ? BigInt(digits) : 0n };
}

function isNull(item: Item): boolean {
  switch (item.kind) {
    case 'number':
      return item.value === 0n;
    case 'string':
      return item.value === '';
    case 'combination':
      return false;
    case 'list':
      return item.items.length === 0;
  }
}

/** ComparableVersion.parseVersion(): `.` separates items, `-` and digit/letter transitions open sub-lists. */
export function parseMaven(version: string): ListItem {
  if (version.length > MAX_VERSION_LENGTH) throw invalidVersion('maven', version, `longer than ${MAX_VERSION_LENGTH} characters`);
  const v = version.toLowerCase();
  const root: ListItem = { kind: 'list', items: [] };
  const stack: ListItem[] = [root];
  let list = root;
  const openList = (): void => {
    const next: ListItem = { kind: 'list', items: [] };
    list.items.push(next);
    list = next;
    stack.push(next);
  };
  let isNumber = false;
  let isCombination = false;
  let start = 0;
  for (let i = 0; i < v.length; i++) {
    const c = v[i];
    if (c === '.' || c === '-') {
      // `X-1` is read as the combination X1.
      if (c === '-' && i !== start && !isNumber && isDigit(v[i + 1])) {
        isCombination = true;
        continue;
      }
      list.items.push(i === start ? ZERO : parseItem(isCombination, isNumber, v.slice(start, i)));
      start = i + 1;
      if (c === '-' && list.items.length > 0) openList();
      isCombination = false;
    } else if (isDigit(c)) {
      if (!isNumber && i > start) {
        isCombination = true;
        if (list.items.length > 0) openList();
      }
      isNumber = true;
    } else {
      if (isNumber && i > start) {
        list.items.push(parseItem(isCombination, true, v.slice(start, i)));
        start = i;
        openList();
        isCombination = false;
      }
      isNumber = false;
    }
  }
  if (v.length > start) {
    // 1.0.0.X1 < 1.0.0-X2: a trailing `.X` is treated as `-X`.
    if (!isNumber && list.items.length > 0) openList();
    list.items.push(parseItem(isCombination, isNumber, v.slice(start)));
  }
  for (const l of stack.reverse()) normalize(l);
  return root;
}

/** ListItem.normalize(): drops null items (0, "", []) before a qualifier or at the end. */
function normalize(list: ListItem): void {
  const items = list.items;
  for (let i = items.length - 1; i >= 0; i--) {
    const item = items[i];
    if (item === undefined || !isNull(item)) continue;
    const next = items[i + 1];
    const nextHead = next?.kind === 'list' ? next.items[0] : undefined;
    if (next === undefined || next.kind === 'string' || nextHead?.kind === 'combination' || nextHead?.kind === 'string') {
      items.splice(i, 1);
    }
  }
  const only = items[0];
  if (items.length === 1 && only?.kind === 'list') items.splice(0, 1, ...only.items);
}

function comparableQualifier(q: string): string {
  if (RELEASE_QUALIFIERS.has(q)) return RELEASE_INDEX;
  const i = QUALIFIERS.indexOf(q);
  return i === -1 ? `${QUALIFIERS.length}-${q}` : String(i);
}

/** Item.compareTo(other); `undefined` plays Java's null (a missing item). */
function compareItem(a: Item, b: Item | undefined): Order {
  switch (a.kind) {
    case 'number':
      return compareNumberItem(a, b);
    case 'string':
      return compareStringItem(a, b);
    case 'combination':
      return compareCombination(a, b);
    case 'list':
      return compareList(a, b);
  }
}

function compareNumberItem(a: NumberItem, b: Item | undefined): Order {
  if (b === undefined) return a.value === 0n ? 0 : 1;
  if (b.kind !== 'number') return 1;
  return a.value === b.value ? 0 : a.value < b.value ? -1 : 1;
}

function compareStringItem(a: StringItem, b: Item | undefined): Order {
  if (b === undefined) return compareStrings(comparableQualifier(a.value), RELEASE_INDEX);
  switch (b.kind) {
    case 'number':
      return -1;
    case 'string':
      return compareStrings(comparableQualifier(a.value), comparableQualifier(b.value));
    case 'combination': {
      const r = compareStringItem(a, b.stringPart);
      if (r !== 0) return r;
      return compareStringItem(a, undefined) === 0 ? negate(compareNumberItem(b.digitPart, undefined)) : -1;
    }
    case 'list':
      return negate(compareList(b, a));
  }
}

function compareCombination(a: CombinationItem, b: Item | undefined): Order {
  if (b === undefined) return compareStringItem(a.stringPart, undefined) || compareNumberItem(a.digitPart, undefined);
  switch (b.kind) {
    case 'number':
      return -1;
    case 'string': {
      const r = compareStringItem(a.stringPart, b);
      if (r !== 0) return r;
      // X1 > X, unless X is a release qualifier: then the number decides.
      return compareStringItem(a.stringPart, undefined) === 0 ? compareNumberItem(a.digitPart, undefined) : 1;
    }
    case 'combination':
      return compareStringItem(a.stringPart, b.stringPart) || compareNumberItem(a.digitPart, b.digitPart);
    case 'list':
      return negate(compareList(b, a));
  }
}

function compareList(a: ListItem, b: Item | undefined): Order {
  if (b === undefined) {
    for (const item of a.items) {
      const r = compareItem(item, undefined);
      if (r !== 0) return r;
    }
    return 0;
  }
  switch (b.kind) {
    case 'number':
      return -1;
    case 'string':
    case 'combination': {
      const [head, ...rest] = a.items;
      let r = head === undefined ? negate(compareItem(b, undefined)) : compareItem(head, b);
      for (const item of rest) r ||= compareItem(item, undefined);
      return r;
    }
    case 'list':
      return compareLists(a.items, b.items);
  }
}

function compareLists(a: readonly Item[], b: readonly Item[]): Order {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const l = a[i];
    const r = b[i];
    const result = l === undefined ? (r === undefined ? 0 : negate(compareItem(r, undefined))) : compareItem(l, r);
    if (result !== 0) return result;
  }
  return 0;
}

function negate(o: Order): Order {
  return sign(-o);
}

/** Compares like ComparableVersion.compareTo. Throws a VersionError only for versions over 256 characters. */
export function compareMaven(a: string, b: string): Order {
  return compareList(parseMaven(a), parseMaven(b));
}

/** ComparableVersion.getCanonical(): `1.0.0-SNAPSHOT` → `1-snapshot`, `1-alpha-1` → `1-alpha1`. */
export function canonicalMaven(version: string): string {
  return listToString(parseMaven(version));
}

function listToString(list: ListItem): string {
  return list.items.map((item, i) => (i === 0 ? '' : item.kind === 'list' ? '-' : '.') + itemToString(item)).join('');
}

function itemToString(item: Item): string {
  switch (item.kind) {
    case 'number':
      return item.value.toString();
    case 'string':
      return item.value;
    case 'combination':
      return item.stringPart.value + item.digitPart.value.toString();
    case 'list':
      return listToString(item);
  }
}
