import assert from 'node:assert/strict';
import { it } from 'node:test';
import { normaliseEntryPath, type EntryPath } from './entry-path.ts';

/** The rule, segment by segment: empty and `.` dropped, `..` folds (refused above the root). */
function reference(name: string): EntryPath {
  const out: string[] = [];
  for (const segment of name.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment !== '..') out.push(segment);
    else if (out.pop() === undefined) return { kind: 'escapes' };
  }
  return { kind: 'inside', path: out.join('/'), absolute: name.startsWith('/') };
}

it('normalises member names: ./ prefixes, trailing and doubled slashes, dot segments, escapes', () => {
  const cases: [string, EntryPath][] = [
    ['usr/bin/x', { kind: 'inside', path: 'usr/bin/x', absolute: false }],
    ['./usr/lib/', { kind: 'inside', path: 'usr/lib', absolute: false }],
    ['././etc//passwd', { kind: 'inside', path: 'etc/passwd', absolute: false }],
    ['/abs/./x/../y', { kind: 'inside', path: 'abs/y', absolute: true }],
    ['.hidden/..config/...', { kind: 'inside', path: '.hidden/..config/...', absolute: false }],
    ['./', { kind: 'inside', path: '', absolute: false }],
    ['a/../../etc', { kind: 'escapes' }],
    ['..', { kind: 'escapes' }],
  ];
  for (const [name, expected] of cases) assert.deepEqual(normaliseEntryPath(name), expected, name);
});

it('takes the fast path only where the rule gives the same answer', () => {
  const parts = ['a', 'bc', '.', '..', '', '.x', '..y', '...', 'z.', 'w..'];
  let seed = 11;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
  for (let i = 0; i < 5000; i += 1) {
    const segments = Array.from({ length: 1 + (next() % 5) }, () => parts[next() % parts.length] ?? '');
    const name = `${['', '/', './', '././'][next() % 4]}${segments.join('/')}${next() % 3 === 0 ? '/' : ''}`;
    assert.deepEqual(normaliseEntryPath(name), reference(name), name);
  }
});
