/**
 * The vulnerability database: what was imported, and which advisories affect a package.
 * Matching looks up (ecosystem, normalised name) in `advisory_packages` (OS packages by source
 * package), evaluates the stored `affected[]` entries with the ecosystem's version comparator,
 * and turns every hit into a finding; a version that cannot be compared is reported as a finding
 * too (fail closed). Withdrawn advisories never match.
 */
import type { MetadataDatabase } from '../../core/storage/metadata/database.ts';
import type { Distro, Finding, Package } from '../model.ts';
import { compareVersions, schemeForEcosystem, type VersionScheme } from '../versions/index.ts';
import { advisoryFindings, mergeFindings } from './advisory-finding.ts';
import { evaluateAffected, type ComparatorFor } from './osv-evaluate.ts';
import { parseOsvAffected, parseOsvRecord, type OsvAffected, type OsvRecord } from './osv-record.ts';
import { packageQuery } from './package-ecosystem.ts';
import { VulnDbError } from './vulndb-error.ts';

export interface VulnDbImport {
  readonly source: string;
  readonly records: number;
  readonly ecosystems: readonly string[];
  readonly importedAt: number;
}

export interface VulnDbStatus {
  /** Newest first. */
  readonly imports: readonly VulnDbImport[];
  readonly advisories: number;
  /** The largest `modified` of the stored advisories, or null when there is none. */
  readonly newestModified: number | null;
  readonly lastImportAt: number | null;
}

export interface VulnDb {
  status(options?: { readonly signal?: AbortSignal }): Promise<VulnDbStatus>;
  /** When data was last imported (null: never), without counting the advisories: what deciding whether a result is stale needs, on every push. */
  lastImportAt(options?: { readonly signal?: AbortSignal }): Promise<number | null>;
  /** The findings for one package, one per advisory id, sorted by id. */
  match(pkg: Package, distro: Distro | undefined, options?: { readonly signal?: AbortSignal }): Promise<Finding[]>;
  /** The findings for many packages, looked up in a few batched queries (an image's thousands of npm packages). */
  matchAll(packages: readonly Package[], distro: Distro | undefined, options?: { readonly signal?: AbortSignal }): Promise<Finding[]>;
}

/** One `affected[]` entry of a stored advisory that names the looked-up package. */
export interface AdvisoryRow {
  readonly id: string;
  /** The OSV record, as JSON. */
  readonly record: string;
  /** The `affected[]` entry, as JSON. */
  readonly affected: string;
  readonly ecosystem: string;
  readonly name: string;
}

export interface AdvisoryTotals {
  readonly count: number;
  readonly newest: number | null;
}

/**
 * Where the advisories are read from: the metadata database through Kysely (the server, `db
 * import`), or the SQLite file read directly (`openAdvisoryFile`, the CLI's scan). The matching
 * above it is one and the same.
 */
export interface AdvisoryStore {
  /** Every recorded import, newest first. */
  imports(): Promise<readonly VulnDbImport[]>;
  totals(): Promise<AdvisoryTotals>;
  /** The rows of advisories not withdrawn whose package is one of `names` in `ecosystem`. */
  rows(ecosystem: string, names: readonly string[]): Promise<readonly AdvisoryRow[]>;
}

/** Names per query, well under every database's bound-parameter limit. */
const BATCH = 500;

interface Advisory {
  readonly record: string;
  readonly affected: string[];
}

/** SEMVER ranges are SemVer 2.0 whatever the ecosystem; Go's own scheme reads them the same and knows its pseudo-versions. */
const comparatorFor: ComparatorFor = (range, ecosystem) => {
  const own = schemeForEcosystem(ecosystem);
  const scheme: VersionScheme | undefined = range.type === 'SEMVER' ? (own === 'go' ? 'go' : 'semver') : own;
  return scheme === undefined ? undefined : (a, b) => compareVersions(scheme, a, b);
};

/** The vulnerability database in the metadata database. */
export function createVulnDb(database: MetadataDatabase): VulnDb {
  const { db } = database;
  return vulnDbOver({
    async imports() {
      const rows = await db.selectFrom('vuln_imports').selectAll().orderBy('imported_at', 'desc').orderBy('id', 'desc').execute();
      return rows.map((row) => ({ source: row.source, records: row.records, ecosystems: parseEcosystems(row.ecosystems), importedAt: row.imported_at }));
    },
    async totals() {
      const totals = await db
        .selectFrom('advisories')
        .select((eb) => [eb.fn.countAll<number>().as('count'), eb.fn.max('modified').as('newest')])
        .executeTakeFirstOrThrow();
      return { count: totals.count, newest: totals.newest === null ? null : totals.newest };
    },
    rows: (ecosystem, names) =>
      db
        .selectFrom('advisory_packages as p')
        .innerJoin('advisories as a', 'a.id', 'p.advisory_id')
        .select(['a.id as id', 'a.record as record', 'p.affected as affected', 'p.ecosystem as ecosystem', 'p.name as name'])
        .where('p.ecosystem', '=', ecosystem)
        .where('p.name', 'in', names)
        .where('a.withdrawn', 'is', null)
        .execute(),
  });
}

/** The matching, over any store of advisories. */
export function vulnDbOver(store: AdvisoryStore): VulnDb {
  const lookUp = async (wanted: ReadonlyMap<string, ReadonlySet<string>>, signal: AbortSignal | undefined): Promise<Map<string, AdvisoryRow[]>> => {
    const byKey = new Map<string, AdvisoryRow[]>();
    for (const [ecosystem, names] of wanted) {
      const list = [...names];
      for (let i = 0; i < list.length; i += BATCH) {
        signal?.throwIfAborted();
        const rows = await guard(`looking up advisories in ${ecosystem}`, () => store.rows(ecosystem, list.slice(i, i + BATCH)));
        for (const row of rows) {
          const key = `${row.ecosystem}\0${row.name}`;
          const same = byKey.get(key);
          if (same === undefined) byKey.set(key, [row]);
          else same.push(row);
        }
      }
    }
    return byKey;
  };
  const matchAll: VulnDb['matchAll'] = async (packages, distro, options = {}) => {
    options.signal?.throwIfAborted();
    const queries = packages.map((pkg) => ({ pkg, query: packageQuery(pkg, distro) }));
    const wanted = new Map<string, Set<string>>();
    for (const { query } of queries) for (const ecosystem of query.ecosystems) for (const name of query.names) wanted.set(ecosystem, (wanted.get(ecosystem) ?? new Set()).add(name));
    const byKey = await lookUp(wanted, options.signal);
    const findings: Finding[] = [];
    for (const { pkg, query } of queries) {
      const rows = query.ecosystems.flatMap((e) => query.names.flatMap((n) => byKey.get(`${e}\0${n}`) ?? []));
      if (rows.length > 0) findings.push(...findingsFor(rows, pkg, query.version));
    }
    return findings;
  };
  return {
    async status(options = {}) {
      options.signal?.throwIfAborted();
      return guard('reading the vulnerability database status', async () => {
        const [imports, totals] = [await store.imports(), await store.totals()];
        return { imports, advisories: totals.count, newestModified: totals.newest, lastImportAt: lastOf(imports) };
      });
    },
    async lastImportAt(options = {}) {
      options.signal?.throwIfAborted();
      return guard('reading the vulnerability database status', async () => lastOf(await store.imports()));
    },
    match: (pkg, distro, options = {}) => matchAll([pkg], distro, options),
    matchAll,
  };
}

function lastOf(imports: readonly VulnDbImport[]): number | null {
  return imports.length === 0 ? null : Math.max(...imports.map((i) => i.importedAt));
}

/** Evaluates the advisories of `rows` (one row per affected[] entry) for one package. */
function findingsFor(rows: readonly { id: string; record: string; affected: string }[], pkg: Package, version: string): Finding[] {
  const advisories = new Map<string, Advisory>();
  for (const row of rows) {
    const advisory = advisories.get(row.id) ?? { record: row.record, affected: [] };
    advisory.affected.push(row.affected);
    advisories.set(row.id, advisory);
  }
  const findings: Finding[] = [];
  for (const [id, advisory] of advisories) findings.push(...evaluateAdvisory(id, advisory, pkg, version));
  return mergeFindings(findings).toSorted((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

function evaluateAdvisory(id: string, advisory: Advisory, pkg: Package, version: string): Finding[] {
  let entries: OsvAffected[];
  let record: OsvRecord;
  try {
    record = parseOsvRecord(JSON.parse(advisory.record));
    entries = advisory.affected.map((text) => parseOsvAffected(JSON.parse(text)));
  } catch (error) {
    throw new VulnDbError('QUERY_FAILED', `the stored advisory ${id} is damaged`, { cause: error });
  }
  if (record.withdrawn !== undefined) return [];
  const evaluation = evaluateAffected(entries, version, comparatorFor);
  return evaluation.kind === 'unaffected' ? [] : advisoryFindings(record, entries, pkg, evaluation);
}

/** The `ecosystems` column: a JSON array of names (anything else reads as none). */
export function parseEcosystems(text: string): string[] {
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
  } catch {
    return [];
  }
}

async function guard<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw new VulnDbError('QUERY_FAILED', `${what} failed`, { cause: error });
  }
}
