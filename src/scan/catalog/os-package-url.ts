import type { Distro, PackageType } from '../model.ts';
import { purlSegment } from './lang/package-url.ts';

/**
 * Package URLs for OS packages (purl-spec): `pkg:<type>/<vendor>/<name>@<version>?<qualifiers>`,
 * qualifiers sorted by key, empty ones left out, values percent-encoded like segments.
 */
export function osPackageUrl(type: PackageType, vendor: string | undefined, name: string, version: string, qualifiers: Readonly<Record<string, string | undefined>>): string {
  const path = [vendor, name].filter((part) => part !== undefined && part !== '').map((part) => purlSegment(part ?? ''));
  const query = Object.entries(qualifiers)
    .filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== '')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => `${key}=${purlSegment(value)}`)
    .join('&');
  return `pkg:${type}/${path.join('/')}@${purlSegment(version)}${query === '' ? '' : `?${query}`}`;
}

/** The `distro` qualifier in Syft's form, `<ID>-<VERSION_ID>` (`debian-12`, `alpine-3.18.5`); undefined without a version. */
export function distroQualifier(distro: Distro | undefined): string | undefined {
  return distro === undefined || distro.versionId === '' ? undefined : `${distro.id}-${distro.versionId}`;
}
