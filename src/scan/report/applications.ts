/**
 * Where a package belongs in a report, as Trivy arranges an image (harbor-trivy.md §6,
 * sbom-vuln.md §1): OS packages under the operating system; language packages in one application
 * per lockfile or binary, except installed packages, which are gathered per language (`Node.js`,
 * `Python`, `Java`). The Trivy JSON results and the SBOMs' application packages both follow it.
 */
import { isOsPackage, type Package, type PackageType } from '../model.ts';
import { contentHash } from './content-hash.ts';
import { reportPackages, sanitizeId } from './package-ref.ts';
import type { ScanResult } from './scan-result.ts';

/** The file a language package came from decides Trivy's `Type` (lockfile vs installed package). */
const LANG_TYPES: readonly { readonly type: PackageType; readonly file: RegExp; readonly trivy: string }[] = [
  { type: 'npm', file: /(^|\/)package-lock\.json$/, trivy: 'npm' },
  { type: 'npm', file: /(^|\/)yarn\.lock$/, trivy: 'yarn' },
  { type: 'npm', file: /(^|\/)pnpm-lock\.yaml$/, trivy: 'pnpm' },
  { type: 'npm', file: /./, trivy: 'node-pkg' },
  { type: 'pypi', file: /(^|\/)requirements\.txt$/, trivy: 'pip' },
  { type: 'pypi', file: /(^|\/)poetry\.lock$/, trivy: 'poetry' },
  { type: 'pypi', file: /(^|\/)Pipfile\.lock$/, trivy: 'pipenv' },
  { type: 'pypi', file: /./, trivy: 'python-pkg' },
  { type: 'golang', file: /(^|\/)go\.mod$/, trivy: 'gomod' },
  { type: 'golang', file: /./, trivy: 'gobinary' },
  { type: 'maven', file: /(^|\/)pom\.xml$/, trivy: 'pom' },
  { type: 'maven', file: /./, trivy: 'jar' },
];

/** Installed packages Trivy gathers into one result per language, named so (its `PkgTargets`); lockfiles and binaries keep their path. */
const GATHERED: Readonly<Record<string, string>> = { 'node-pkg': 'Node.js', 'python-pkg': 'Python', jar: 'Java' };

/** The application a language package belongs to: `key` tells applications apart, `target` names it, `type` is Trivy's. */
export interface Application {
  readonly key: string;
  readonly target: string;
  readonly type: string;
}

export function applicationOf(pkg: Package): Application {
  const type = LANG_TYPES.find((t) => t.type === pkg.type && t.file.test(pkg.location))?.trivy ?? pkg.type;
  const gathered = GATHERED[type];
  return gathered === undefined ? { key: `${pkg.location}\0${type}`, target: pkg.location, type } : { key: `\0${type}`, target: gathered, type };
}

/** An application of the image as the SBOMs list it, with its packages. */
export interface SbomApplication {
  /** `app-<type>-<hash>`: a bom-ref, and the tail of an SPDXID. */
  readonly ref: string;
  readonly target: string;
  readonly type: string;
  readonly packages: readonly Package[];
}

/**
 * How the SBOM writers arrange the image (sbom-vuln.md §1, Trivy's layout): the OS packages under
 * the operating system, the language packages under their applications, in report order.
 */
export function sbomLayout(result: ScanResult): { readonly packages: readonly Package[]; readonly osPackages: readonly Package[]; readonly applications: readonly SbomApplication[] } {
  const packages = reportPackages(result);
  const osPackages: Package[] = [];
  const applications = new Map<string, SbomApplication & { packages: Package[] }>();
  for (const pkg of packages) {
    if (isOsPackage(pkg)) {
      osPackages.push(pkg);
      continue;
    }
    const { key, target, type } = applicationOf(pkg);
    let application = applications.get(key);
    if (application === undefined) {
      application = { ref: `app-${sanitizeId(type) || 'application'}-${contentHash(['application', key]).slice(0, 16)}`, target, type, packages: [] };
      applications.set(key, application);
    }
    application.packages.push(pkg);
  }
  return { packages, osPackages, applications: [...applications.values()] };
}
