/**
 * Tar member names and link targets as paths inside the image root: no leading `/`, no `.` or
 * empty segments, `..` folded — or refused when it climbs above the root.
 */
export type EntryPath =
  | { readonly kind: 'inside'; readonly path: string; readonly absolute: boolean }
  | { readonly kind: 'escapes' };

/** Normalises a member name (`./etc/x` → `etc/x`, `/abs` → `abs` marked absolute, `a/../b` → `b`). */
export function normaliseEntryPath(name: string): EntryPath {
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

function foldSegments(base: readonly string[], segments: readonly string[]): string[] | undefined {
  const out = [...base];
  for (const segment of segments) {
    if (segment === '' || segment === '.') continue;
    if (segment !== '..') out.push(segment);
    else if (out.pop() === undefined) return undefined;
  }
  return out;
}
