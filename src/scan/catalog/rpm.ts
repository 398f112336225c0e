import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { CatalogFile, Cataloger, Distro, Package, RecordBudget } from '../model.ts';
import { linkByName, type Requirements } from './dependencies.ts';
import { withOriginLayers } from './layer-origin.ts';
import { distroQualifier, osPackageUrl } from './os-package-url.ts';
import { parseRpmHeader, type RpmHeader } from './rpm-header.ts';
import { ScanError } from '../scan-error.ts';

/** The SQLite rpmdb (RHEL 9, recent Fedora); the first one found wins (`var/lib/rpm` is often a symlink to the second). */
const DATABASES: readonly string[] = ['var/lib/rpm/rpmdb.sqlite', 'usr/lib/sysimage/rpm/rpmdb.sqlite'];

/**
 * RPM packages from the SQLite rpmdb: `SELECT blob FROM Packages`, each blob an RPM header.
 * SQLite needs a file, so the database (and its `-wal`, when present) is copied to a private temp
 * directory that is removed afterwards. An unreadable database or header throws PACKAGE_DB_INVALID:
 * all packages or none, never a silent part.
 */
export const rpm: Cataloger = {
  name: 'rpm',
  version: 3,
  wants: (path) => DATABASES.some((database) => path === database || path === `${database}-wal`),
  catalog(files, { distro, records }) {
    for (const path of DATABASES) {
      const database = files.get(path);
      if (database === undefined) continue;
      const linked = linkByName(readHeaders(database, files.get(`${path}-wal`), records).flatMap((blob) => packageOf(blob, database, distro)));
      // An earlier version is read without a write-ahead log: the one kept belongs to the current database.
      return withOriginLayers(linked, [database], (version) => readHeaders(version, undefined, records).flatMap((blob) => packageOf(blob, version, distro).map(({ found }) => found.purl)));
    }
    return [];
  },
};

function readHeaders(database: CatalogFile, wal: CatalogFile | undefined, records: RecordBudget | undefined): readonly Uint8Array[] {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-rpmdb-'));
  try {
    const path = join(dir, 'rpmdb.sqlite');
    writeFileSync(path, database.content, { mode: 0o600 });
    if (wal !== undefined) writeFileSync(`${path}-wal`, wal.content, { mode: 0o600 });
    const db = new DatabaseSync(path, { readOnly: wal === undefined });
    try {
      const table = db.prepare("SELECT type FROM sqlite_master WHERE name = 'Packages'").get();
      if (table?.['type'] !== 'table') throw new Error('no Packages table');
      const blobs: Uint8Array[] = [];
      for (const row of db.prepare('SELECT hnum, blob FROM Packages ORDER BY hnum').iterate()) {
        records?.take(1, database.path);
        blobs.push(row['blob'] instanceof Uint8Array ? row['blob'] : invalid(database, `Packages row ${String(row['hnum'])} holds no blob`));
      }
      return blobs;
    } finally {
      db.close();
    }
  } catch (error) {
    if (error instanceof ScanError) throw error;
    return invalid(database, `not a readable rpmdb (${error instanceof Error ? error.message : String(error)})`, error);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * One package with what it requires and provides: capabilities are linked by name (a library's
 * soname, `openssl-libs(x86-64)`); file requirements (`/bin/sh`) and `rpmlib(…)` features, which no
 * package provides by name, are left out.
 */
function packageOf(blob: Uint8Array, database: CatalogFile, distro: Distro | undefined): Requirements[] {
  const header = parseRpmHeader(blob) ?? invalid(database, `a ${blob.byteLength}-byte header blob does not parse`);
  if (header.name === 'gpg-pubkey') return [];
  const source = parseSourceRpm(header.sourceRpm);
  const epoch = header.epoch === undefined ? '' : `${header.epoch}:`;
  const found: Package = {
    type: 'rpm',
    name: header.name,
    version: `${epoch}${header.version}-${header.release}`,
    ...(source === undefined ? {} : { sourceName: source.name, sourceVersion: `${epoch}${source.version}` }),
    ...(header.arch === undefined ? {} : { arch: header.arch }),
    licenses: header.license === undefined ? [] : [header.license],
    purl: rpmPurl(header, distro),
    location: database.path,
    foundBy: 'rpm',
    layerDiffId: database.layerDiffId,
    layerDigest: database.layerDigest,
  };
  return [{ found, requires: header.requires.map((name) => [name]), provides: header.provides }];
}

/** `openssl-3.0.7-27.el9.src.rpm` → `openssl`, `3.0.7-27.el9`. */
export function parseSourceRpm(sourceRpm: string | undefined): { readonly name: string; readonly version: string } | undefined {
  const match = /^(.+)-([^-]+)-([^-]+)\.(?:no)?src\.rpm$/.exec(sourceRpm ?? '');
  return match?.[1] === undefined ? undefined : { name: match[1], version: `${match[2]}-${match[3]}` };
}

function rpmPurl(header: RpmHeader, distro: Distro | undefined): string {
  const qualifiers = { arch: header.arch, distro: distroQualifier(distro), epoch: header.epoch === undefined ? undefined : String(header.epoch) };
  return osPackageUrl('rpm', distro?.id, header.name, `${header.version}-${header.release}`, qualifiers);
}

function invalid(database: CatalogFile, reason: string, cause?: unknown): never {
  throw new ScanError('PACKAGE_DB_INVALID', `${database.path}: ${reason}`, { cause, detail: { layer: database.layerDigest, entry: database.path } });
}
