import type { CatalogFile, CatalogFiles, Cataloger, Distro, Package, RecordBudget } from '../model.ts';
import { linkByName, type Requirements } from './dependencies.ts';
import { withOriginLayers } from './layer-origin.ts';
import { firstLine, parseDeb822, type Paragraph } from './deb822.ts';
import { distroQualifier, osPackageUrl } from './os-package-url.ts';

const STATUS = 'var/lib/dpkg/status';
const STATUS_D = /^var\/lib\/dpkg\/status\.d\/[^/]+$/;
const COPYRIGHT = /^usr\/share\/doc\/[^/]+\/copyright$/;
const DEP5_FORMAT = /copyright-format\/1\.0|dep5/i;

/**
 * Debian packages from dpkg's database: `var/lib/dpkg/status` (only `… installed` stanzas) and
 * distroless `var/lib/dpkg/status.d/<pkg>` (one stanza per file, installed by definition).
 * Licences come from `usr/share/doc/<pkg>/copyright` when it is machine-readable (DEP-5).
 */
export const dpkg: Cataloger = {
  name: 'dpkg',
  version: 3,
  wants: (path) => path === STATUS || isStatusD(path) || COPYRIGHT.test(path),
  catalog(files, { distro, records }) {
    const databases = [files.get(STATUS), ...files.list().filter((file) => isStatusD(file.path))];
    const present = databases.filter((file) => file !== undefined);
    // Linked across every database: a distroless image's status.d holds one package per file.
    const linked = linkByName(present.flatMap((file) => packagesIn(file, files, distro, records)));
    return withOriginLayers(linked, present, (version) => packagesIn(version, NO_FILES, distro, records).map(({ found }) => found.purl));
  },
};

/** Earlier versions of a database are read for the packages in them only (no copyright files). */
const NO_FILES: CatalogFiles = { get: () => undefined, list: () => [] };

function isStatusD(path: string): boolean {
  return STATUS_D.test(path) && !path.endsWith('.md5sums');
}

function packagesIn(file: CatalogFile, files: CatalogFiles, distro: Distro | undefined, records: RecordBudget | undefined): Requirements[] {
  const packages: Requirements[] = [];
  for (const paragraph of parseDeb822(file.content.toString('utf8'), () => records?.take(1, file.path))) {
    const found = packageOf(paragraph, file, files, distro);
    if (found === undefined) continue;
    const requires = [...relations(paragraph.get('pre-depends')), ...relations(paragraph.get('depends'))];
    packages.push({ found, requires, provides: relations(paragraph.get('provides')).flat() });
  }
  return packages;
}

/**
 * A relationship field (`Depends: libc6 (>= 2.34), debconf (>= 0.5) | debconf-2.0, python3:any`)
 * as package names, each entry its alternatives: versions, architecture qualifiers and
 * restrictions dropped (only installed packages are linked, and dpkg checked the rest).
 */
export function relations(field: string | undefined): string[][] {
  if (field === undefined) return [];
  return field
    .split(',')
    .map((entry) =>
      entry
        .split('|')
        .map((alternative) => /^\s*([a-z0-9][a-z0-9+.-]*)/i.exec(alternative)?.[1]?.toLowerCase())
        .filter((name): name is string => name !== undefined),
    )
    .filter((alternatives) => alternatives.length > 0);
}

function packageOf(paragraph: Paragraph, file: CatalogFile, files: CatalogFiles, distro: Distro | undefined): Package | undefined {
  const name = firstLine(paragraph.get('package'));
  const version = firstLine(paragraph.get('version'));
  if (name === undefined || version === undefined || !isInstalled(paragraph.get('status'))) return undefined;
  const arch = firstLine(paragraph.get('architecture'));
  const source = parseSource(firstLine(paragraph.get('source')), name, version);
  const vendor = distro?.id ?? 'debian';
  return {
    type: 'deb',
    name,
    version,
    sourceName: source.name,
    sourceVersion: source.version,
    ...(arch === undefined ? {} : { arch }),
    licenses: copyrightLicenses(files.get(`usr/share/doc/${name}/copyright`)),
    purl: osPackageUrl('deb', vendor, name.toLowerCase(), version, { arch, distro: distroQualifier(distro) }),
    location: file.path,
    foundBy: 'dpkg',
    layerDiffId: file.layerDiffId,
    layerDigest: file.layerDigest,
  };
}

/** `want flag state`: only the `installed` state counts (`hold ok installed` too); no Status means status.d. */
function isInstalled(status: string | undefined): boolean {
  return status === undefined || status.trim().split(/\s+/)[2] === 'installed';
}

/** `Source: name` or `Source: name (version)`; absent ⇒ the binary's own name and version. */
export function parseSource(source: string | undefined, name: string, version: string): { readonly name: string; readonly version: string } {
  const match = source === undefined ? null : /^(\S+)(?:\s+\((.+)\))?$/.exec(source);
  return { name: match?.[1] ?? name, version: match?.[2]?.trim() ?? version };
}

/** Every distinct `License:` short name of a machine-readable (DEP-5) copyright file; none from free text. */
export function copyrightLicenses(file: CatalogFile | undefined): readonly string[] {
  if (file === undefined) return [];
  const paragraphs = parseDeb822(file.content.toString('utf8'));
  const header = paragraphs[0];
  if (!DEP5_FORMAT.test(header?.get('format') ?? header?.get('format-specification') ?? '')) return [];
  const licenses = new Set<string>();
  for (const paragraph of paragraphs) {
    const license = firstLine(paragraph.get('license'));
    if (license !== undefined) licenses.add(license);
  }
  return [...licenses];
}
