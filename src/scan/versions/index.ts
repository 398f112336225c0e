/**
 * Version comparison for the package ecosystems the scanner matches (sbom-vuln.md §5). Other folders
 * import versions only through this file. compareVersions fails closed: a version its scheme cannot
 * compare throws a VersionError (code VERSION_INVALID) instead of guessing an order.
 */
import { compareValidApk } from './apk.ts';
import { compareDpkg } from './dpkg.ts';
import { compareValidGo } from './go.ts';
import { canonicalMaven } from './maven.ts';
import { compareMavenOsv } from './maven-osv.ts';
import type { Order } from './order.ts';
import { comparePep440 } from './pep440.ts';
import { compareRpm } from './rpm.ts';
import { compareSemver } from './semver.ts';

export type VersionScheme = 'dpkg' | 'apk' | 'rpm' | 'semver' | 'pep440' | 'go' | 'maven';

export const VERSION_SCHEMES: readonly VersionScheme[] = ['dpkg', 'apk', 'rpm', 'semver', 'pep440', 'go', 'maven'];

export type { Order } from './order.ts';
export { VersionError, type VersionErrorCode } from './version-error.ts';
export { compareApk, compareValidApk, isAcceptedApk, isValidApk, matchApk } from './apk.ts';
export { compareDpkg, isValidDpkg, parseDpkg, type DpkgVersion } from './dpkg.ts';
export { canonicalGo, compareGo, compareValidGo, isValidGo, parseGo, type GoVersion } from './go.ts';
export { isPseudoVersion, pseudoVersion, pseudoVersionBase, pseudoVersionRev, pseudoVersionTime } from './go-pseudo.ts';
export { canonicalMaven, compareMaven } from './maven.ts';
export { compareMavenOsv } from './maven-osv.ts';
export { comparePep440, isValidPep440, normalizePep440, parsePep440, type Pep440Version } from './pep440.ts';
export { satisfiesSpecifier, type SpecifierOptions } from './pep440-specifier.ts';
export { compareRpm, parseRpm, rpmvercmp, type RpmVersion } from './rpm.ts';
export { compareSemver, isValidSemver, parseSemver, satisfiesRange, type SemverOptions } from './semver.ts';

/**
 * Compares `a` with `b` in `scheme`: -1, 0 or 1. Throws a VersionError when either version is not
 * valid in the scheme (apk: accepted by no apk-tools; go: OSV's `1.2.3` is read as `v1.2.3`;
 * pep440: legacy versions are rejected; semver: npm SemVer plus SemVer-like OSV versions).
 */
export function compareVersions(scheme: VersionScheme, a: string, b: string): Order {
  switch (scheme) {
    case 'dpkg':
      return compareDpkg(a, b);
    case 'apk':
      return compareValidApk(a, b);
    case 'rpm':
      return compareRpm(a, b);
    case 'semver':
      return compareSemver(a, b);
    case 'pep440':
      return comparePep440(a, b);
    case 'go':
      return compareValidGo(a, b);
    case 'maven':
      // OSV ranges are evaluated as osv.dev does (Maven 3's ComparableVersion); `compareMaven` is Maven 4's.
      // Both refuse what Maven refuses (over 256 characters): checked by `canonicalMaven`.
      canonicalMaven(a);
      canonicalMaven(b);
      return compareMavenOsv(a, b);
  }
}

/** OSV ecosystem names (the part before the first `:`) and the scheme their versions follow. */
const ECOSYSTEM_SCHEMES: ReadonlyMap<string, VersionScheme> = new Map([
  ['Debian', 'dpkg'],
  ['Ubuntu', 'dpkg'],
  ['Alpine', 'apk'],
  ['Wolfi', 'apk'],
  ['Chainguard', 'apk'],
  ['Red Hat', 'rpm'],
  ['AlmaLinux', 'rpm'],
  ['Rocky Linux', 'rpm'],
  ['SUSE', 'rpm'],
  ['openSUSE', 'rpm'],
  ['npm', 'semver'],
  ['PyPI', 'pep440'],
  ['Go', 'go'],
  ['Maven', 'maven'],
]);

/**
 * The version scheme of an OSV ecosystem such as `Debian:12`, `Ubuntu:22.04:LTS`, `Alpine:v3.18`,
 * `Red Hat:rhel_aus:8.4::appstream` or `Maven:https://repo.example`; undefined when unsupported.
 * Ecosystem names are case-sensitive, as in OSV.
 */
export function schemeForEcosystem(ecosystem: string): VersionScheme | undefined {
  const colon = ecosystem.indexOf(':');
  return ECOSYSTEM_SCHEMES.get(colon < 0 ? ecosystem : ecosystem.slice(0, colon));
}
