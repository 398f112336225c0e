/**
 * Where a cataloged package is looked up in OSV (`formats/sbom-vuln.md` §4): the ecosystems
 * (with release suffix for distributions), the names (OS packages by source package), the
 * version compared, and the normalised name the `advisory_packages` lookup column holds.
 */
import { GO_DEVEL, isOsPackage, type Distro, type Package } from '../model.ts';

export interface PackageQuery {
  /** OSV ecosystems to look in; empty when the package's ecosystem cannot be told (an OS package without a distro, say). */
  readonly ecosystems: readonly string[];
  /** Names as the lookup column holds them (normalised). */
  readonly names: readonly string[];
  /** The version compared with the advisories' events. */
  readonly version: string;
}

/** The lookup form of a package name: PEP 503 for PyPI, lowercase for npm, as is elsewhere. */
export function normalizePackageName(ecosystem: string, name: string): string {
  if (ecosystem === 'PyPI') return name.replace(/[-_.]+/g, '-').toLowerCase();
  if (ecosystem === 'npm') return name.toLowerCase();
  return name;
}

export function packageQuery(pkg: Package, distro: Distro | undefined): PackageQuery {
  const ecosystems = packageEcosystems(pkg, distro);
  const os = isOsPackage(pkg);
  // Red Hat keys some advisories by binary RPM, so rpm packages are looked up under both names.
  const rawNames = os ? [pkg.sourceName ?? pkg.name, ...(pkg.type === 'rpm' ? [pkg.name] : [])] : [pkg.name];
  const names = [...new Set(ecosystems.flatMap((ecosystem) => rawNames.map((name) => normalizePackageName(ecosystem, name))))];
  const version = os ? (pkg.sourceVersion ?? pkg.version) : pkg.type === 'golang' ? goVersion(pkg.version) : pkg.version;
  return { ecosystems, names, version };
}

function packageEcosystems(pkg: Package, distro: Distro | undefined): string[] {
  switch (pkg.type) {
    case 'npm':
      return ['npm'];
    case 'pypi':
      return ['PyPI'];
    case 'golang':
      // A binary's own module built from a working tree names no release: every advisory ever
      // published for the project would match it as "not comparable" (43 for a kubernetes build).
      // Not looked up, as Trivy and govulncheck do not; its dependencies are.
      return pkg.version === GO_DEVEL ? [] : ['Go'];
    case 'maven':
      return ['Maven'];
    case 'deb':
      return distro === undefined ? [] : debEcosystems(distro);
    case 'apk':
      return distro === undefined ? [] : apkEcosystems(distro);
    case 'rpm':
      return distro === undefined ? [] : rpmEcosystems(distro);
  }
}

function debEcosystems(distro: Distro): string[] {
  if (distro.versionId === '') return [];
  if (distro.id === 'ubuntu') return [`Ubuntu:${distro.versionId}`, `Ubuntu:${distro.versionId}:LTS`];
  if (distro.id === 'debian') return [`Debian:${major(distro.versionId)}`];
  return [];
}

function apkEcosystems(distro: Distro): string[] {
  if (distro.id === 'wolfi') return ['Wolfi'];
  if (distro.id === 'chainguard') return ['Chainguard'];
  const release = /^(\d+)\.(\d+)/.exec(distro.versionId);
  return distro.id === 'alpine' && release !== null ? [`Alpine:v${release[1]}.${release[2]}`] : [];
}

/** Best effort: Red Hat's ecosystems are CPE tails, of which the base OS and AppStream ones are guessed. */
function rpmEcosystems(distro: Distro): string[] {
  const release = major(distro.versionId);
  switch (distro.id) {
    case 'rhel':
      return [`Red Hat:enterprise_linux:${release}::baseos`, `Red Hat:enterprise_linux:${release}::appstream`];
    case 'almalinux':
      return [`AlmaLinux:${release}`];
    case 'rocky':
      return [`Rocky Linux:${release}`];
    case 'sles':
    case 'sled':
      return [`SUSE:${distro.prettyName}`];
    case 'opensuse-leap':
    case 'opensuse-tumbleweed':
      return [`openSUSE:${distro.prettyName}`];
    default:
      return [];
  }
}

function major(versionId: string): string {
  return versionId.split('.')[0] ?? versionId;
}

/** Go versions as OSV writes them: no `v`; toolchain `go1.22.3` ⇒ `1.22.3`. */
function goVersion(version: string): string {
  return version.replace(/^(v|go)(?=\d)/, '');
}
