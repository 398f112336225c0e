/**
 * Tar member names and link targets as paths inside the image root: no leading `/`, no `.` or
 * empty segments, `..` folded — or refused when it climbs above the root.
 */
export type EntryPath =
  | { readonly kind: 'inside'; readonly path: string; readonly absolute: boolean }
  | { readonly kind: 'escapes' };

/** Normalises a member name (`./etc/x` → `etc/x`, `/abs` → `abs` marked absolute, `a/../b` → `b`). */
export function normaliseEntryPath(name: string): EntryPath {
  // Most names are already plain (`usr/bin/x`, `./usr/bin/x`, `usr/lib/`): taken as they are.
  let start = 0;
  while (name.startsWith('./', start)) start += 2;
  const end = name.endsWith('/') ? name.length - 1 : name.length;
  const rest = name.slice(start, end);
  if (rest !== '' && !rest.startsWith('/') && !rest.endsWith('/') && !rest.includes('//') && !hasDotSegment(rest)) return { kind: 'inside', path: rest, absolute: false };
  const segments = foldSegments([], name.split('/'));
  return segments === undefined ? { kind: 'escapes' } : { kind: 'inside', path: segments.join('/'), absolute: name.startsWith('/') };
}

/** Whether a symlink at `linkPath` with `target` points above the image root (`../../..`, `/../x`). */
export function linkEscapesRoot(linkPath: string, target: string): boolean {
  const base = target.startsWith('/') ? [] : linkPath.split('/').slice(0, -1);
  return foldSegments(base, target.split('/')) === undefined;
}

export function parentOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash === -1 ? '' : path.slice(0, slash);
}

export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

export function joinPath(parent: string, name: string): string {
  return parent === '' ? name : `${parent}/${name}`;
}

function hasDotSegment(path: string): boolean {
  return path === '.' || path === '..' || path.startsWith('./') || path.startsWith('../') || path.endsWith('/.') || path.endsWith('/..') || path.includes('/./') || path.includes('/../');
}

function foldSegments(base: readonly string[], segments: readonly string[]): string[] | undefined {
  const out = [...base];
  for (const segment of segments) {
    if (segment === '' || segment === '.') continue;
    if (segment !== '..') out.push(segment);
    else if (out.pop() === undefined) return undefined;
  }
  return out;
}
