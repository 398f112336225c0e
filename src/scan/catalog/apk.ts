import type { CatalogFile, Cataloger, Distro, Package, RecordBudget } from '../model.ts';
import { linkByName, MAX_DEPENDENCY_EDGES, type Requirements } from './dependencies.ts';
import { withOriginLayers } from './layer-origin.ts';
import { distroQualifier, osPackageUrl } from './os-package-url.ts';

/** `lib/apk/db/installed`; newer Alpine moves it under `usr/` (the walker follows a `lib` symlink). */
const DATABASES: readonly string[] = ['lib/apk/db/installed', 'usr/lib/apk/db/installed'];

/**
 * Alpine packages from apk's installed database: records of `X:value` lines separated by blank
 * lines — `P` name, `V` version, `A` arch, `o` origin (the source package advisories use),
 * `L` licence. Records without a name or a version are skipped.
 */
export const apk: Cataloger = {
  name: 'apk',
  version: 3,
  wants: (path) => DATABASES.includes(path),
  catalog(files, { distro, records }) {
    const seen = new Set<string>();
    const packages: Package[] = [];
    const edges = { left: MAX_DEPENDENCY_EDGES };
    for (const path of DATABASES) {
      const file = files.get(path);
      if (file === undefined || seen.has(file.path)) continue;
      seen.add(file.path);
      const linked = linkByName(packagesIn(file, distro, records), edges);
      for (const found of withOriginLayers(linked, [file], (version) => packagesIn(version, distro, records).map((r) => r.found.purl))) packages.push(found);
    }
    return packages;
  },
};

function packagesIn(file: CatalogFile, distro: Distro | undefined, records: RecordBudget | undefined): Requirements[] {
  const packages: Requirements[] = [];
  for (const record of parseRecords(file.content.toString('utf8'), () => records?.take(1, file.path))) {
    const found = packageOf(record, file, distro);
    if (found === undefined) continue;
    // `D:so:libc.musl-x86_64.so.1 busybox>=1.36 !conflicting`, `p:cmd:sh=1.36.1-r2 so:libcrypto.so.3=3.1.4`
    const requires = names(record.get('D'), true).map((name) => [name]);
    packages.push({ found, requires, provides: names(record.get('p'), false) });
  }
  return packages;
}

/** The names in a `D:` or `p:` line, without versions; `!name` (a conflict) is not a requirement. */
function names(line: string | undefined, requirements: boolean): string[] {
  if (line === undefined) return [];
  return line
    .split(/\s+/)
    .filter((word) => word !== '' && !(requirements && word.startsWith('!')))
    .map((word) => word.split(/[<>=~]/)[0] ?? '')
    .filter((name) => name !== '');
}

/** The first value of each single-letter key, per record. */
function parseRecords(text: string, onRecord: () => void): ReadonlyMap<string, string>[] {
  const records: ReadonlyMap<string, string>[] = [];
  let fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') {
      if (fields.size > 0) {
        onRecord();
        records.push(fields);
      }
      fields = new Map();
    } else if (line[1] === ':' && !fields.has(line[0] ?? '')) {
      fields.set(line[0] ?? '', line.slice(2).trim());
    }
  }
  if (fields.size > 0) {
    onRecord();
    records.push(fields);
  }
  return records;
}

function packageOf(record: ReadonlyMap<string, string>, file: CatalogFile, distro: Distro | undefined): Package | undefined {
  const name = record.get('P');
  const version = record.get('V');
  if (name === undefined || name === '' || version === undefined || version === '') return undefined;
  const arch = record.get('A') || undefined;
  const license = record.get('L') || undefined;
  return {
    type: 'apk',
    name,
    version,
    sourceName: record.get('o') || name,
    sourceVersion: version,
    ...(arch === undefined ? {} : { arch }),
    licenses: license === undefined ? [] : [license],
    purl: osPackageUrl('apk', distro?.id ?? 'alpine', name.toLowerCase(), version, { arch, distro: distroQualifier(distro) }),
    location: file.path,
    foundBy: 'apk',
    layerDiffId: file.layerDiffId,
    layerDigest: file.layerDigest,
  };
}
