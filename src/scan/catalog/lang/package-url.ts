/**
 * Package URLs (purl-spec, ECMA-427) for the language catalogers: `pkg:<type>/<namespace>/<name>@<version>`.
 * Every segment is percent-encoded except `A-Za-z0-9.-_~` and `:` (so `@` → `%40`, `+` → `%2B`).
 */
import type { PackageType } from '../../model.ts';

/** Percent-encodes one purl segment (a namespace part, the name or the version). */
export function purlSegment(value: string): string {
  return encodeURIComponent(value)
    .replace(/[!'()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`)
    .replaceAll('%3A', ':');
}

/** `namespace` may hold several `/`-separated parts (a Go module path); empty parts are dropped. */
export function packageUrl(type: PackageType, namespace: string | undefined, name: string, version: string): string {
  const parts = (namespace ?? '').split('/').filter((part) => part !== '').map(purlSegment);
  return `pkg:${type}/${[...parts, purlSegment(name)].join('/')}@${purlSegment(version)}`;
}
