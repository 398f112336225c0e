/**
 * Recognises the Distribution API's paths. Repository names contain `/`, so each path is matched on
 * its last `/blobs/`, `/manifests/`, `/tags/list`, `/referrers/` or `/blobs/uploads/` segment.
 */
export type RegistryPath =
  | { readonly kind: 'base' }
  | { readonly kind: 'catalog' }
  | { readonly kind: 'blob'; readonly name: string; readonly digest: string }
  | { readonly kind: 'uploads'; readonly name: string }
  | { readonly kind: 'upload'; readonly name: string; readonly id: string }
  | { readonly kind: 'manifest'; readonly name: string; readonly reference: string }
  | { readonly kind: 'tags'; readonly name: string }
  | { readonly kind: 'referrers'; readonly name: string; readonly digest: string };

export type RegistryPathKind = RegistryPath['kind'];

const PATTERNS: readonly [RegExp, (m: RegExpExecArray) => RegistryPath][] = [
  [/^\/v2\/?$/, () => ({ kind: 'base' })],
  [/^\/v2\/_catalog$/, () => ({ kind: 'catalog' })],
  [/^\/v2\/(.+)\/blobs\/uploads\/?$/, (m) => ({ kind: 'uploads', name: m[1] ?? '' })],
  [/^\/v2\/(.+)\/blobs\/uploads\/([^/]+)$/, (m) => ({ kind: 'upload', name: m[1] ?? '', id: m[2] ?? '' })],
  [/^\/v2\/(.+)\/blobs\/([^/]+)$/, (m) => ({ kind: 'blob', name: m[1] ?? '', digest: m[2] ?? '' })],
  [/^\/v2\/(.+)\/manifests\/([^/]+)$/, (m) => ({ kind: 'manifest', name: m[1] ?? '', reference: m[2] ?? '' })],
  [/^\/v2\/(.+)\/tags\/list$/, (m) => ({ kind: 'tags', name: m[1] ?? '' })],
  [/^\/v2\/(.+)\/referrers\/([^/]+)$/, (m) => ({ kind: 'referrers', name: m[1] ?? '', digest: m[2] ?? '' })],
];

export function matchRegistryPath(pathname: string): RegistryPath | undefined {
  for (const [pattern, build] of PATTERNS) {
    const match = pattern.exec(pathname);
    if (match !== null) return build(match);
  }
  return undefined;
}

/** The path of a repository's resource, for Location headers. */
export function registryPath(name: string, ...segments: readonly string[]): string {
  return `/v2/${name}/${segments.join('/')}`;
}
