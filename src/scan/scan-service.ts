import type { FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { ImageSource } from '../core/oci/copy-endpoints.ts';
import type { Descriptor } from '../core/oci/descriptor.ts';
import type { Digest } from '../core/oci/digest.ts';
import type { MetadataDatabase } from '../core/storage/metadata/database.ts';
import type { ScanFact } from '../core/policy/pull-policy.ts';
import { isIndexMediaType } from '../core/oci/media-types.ts';
import type { Cataloger, Finding, Severity } from './model.ts';
import { SEVERITIES } from './model.ts';
import type { ScanResult } from './report/scan-result.ts';
import type { ScanImage } from './image-config.ts';
import { imageFromSource } from './scan-image.ts';
import { ScanError } from './scan-error.ts';
import { VEX_JUSTIFICATIONS } from './report/openvex.ts';
import { combineScanOverviews, harborScanOverview, type HarborScanOverview } from './report/harbor-report.ts';
import { scanImage } from './scanner.ts';
import type { VulnDb } from './vulndb/vulndb.ts';

/** Where the scanner reads images it is asked about: the registry's trusted internal reads. */
export interface ImageContent {
  manifest(repository: string, digest: string, options?: { signal?: AbortSignal }): Promise<{ bytes: Buffer; mediaType: string } | undefined>;
  openBlob(digest: string, options?: { signal?: AbortSignal }): Promise<Readable>;
  /** Where blobs are local files: one opened to be read in place (the walker reuses its buffers). */
  openBlobFile?(digest: string, options?: { signal?: AbortSignal }): Promise<FileHandle>;
}

/** A stored finding, compact: what the gate and the API need. */
export interface StoredFinding {
  readonly id: string;
  readonly aliases: readonly string[];
  readonly severity: Severity;
  readonly package: string;
  readonly version: string;
  readonly fixed: readonly string[];
}

export interface ScanOutcome {
  readonly digest: string;
  readonly status: 'Success' | 'Error' | 'Unsupported';
  readonly severity: string | null;
  readonly findings: readonly StoredFinding[];
  readonly result?: ScanResult;
  readonly error?: string;
}

export interface ScanException {
  readonly id: number;
  readonly project_id: number;
  readonly digest: string;
  readonly vulnerability: string;
  readonly status: string;
  readonly justification: string;
  readonly author: string;
  readonly expires_at: string | null;
  readonly creation_time: string;
}

export type ScanService = ReturnType<typeof createScanService>;

/** A scanner outside Slipway (a Harbor Pluggable Scanner adapter) used instead of the built-in one. */
export interface ExternalScanner {
  scan(target: { repository: string; digest: string; mediaType: string }, options: { signal?: AbortSignal }): Promise<{ severity: string; findings: readonly StoredFinding[] }>;
}

/** How the server asks for scans (implemented where jobs are composed). */
export interface ScanRequests {
  /**
   * Enqueues scans of the artifact (an index: of its children). One never scanned (or whose scan
   * failed) is marked Pending; one already scanned is scanned again when `rescan` asks or newer
   * vulnerability data came in since, and keeps its last result for the gate until the new one is
   * stored. With `attest`, each
   * successful scan is attested with the server's key whatever the project's `auto_attest`.
   */
  request(repository: string, digest: string, operator: string, options?: { readonly attest?: boolean; readonly rescan?: boolean; readonly tags?: readonly string[] }): Promise<number[]>;
  /** The images an artifact stands for (itself, or an index's images); undefined when it is not in the registry. */
  images(repository: string, digest: string): Promise<readonly string[] | undefined>;
  /** After a push (of `tags`, if any): scans when the project asks for it. */
  afterPush(project: string, repository: string, digest: string, tags?: readonly string[]): Promise<void>;
}

const rank = (s: string) => SEVERITIES.indexOf(s as Severity);

/**
 * Scans in the server: runs a scan of an artifact in the registry, keeps the result per digest,
 * and answers the pull gate's question "what does the scanner know of this digest", with
 * per-image exceptions applied until they expire.
 */
/** A waiting or running scan younger than this is not started again. */
const IN_FLIGHT_MS = 10 * 60_000;

export function createScanService(deps: {
  database: MetadataDatabase;
  content: ImageContent;
  catalogers: readonly Cataloger[];
  vulndb: VulnDb;
  version: string;
  /** When set, scans go to this external scanner (no SBOM or report referrers are produced then). */
  external?: ExternalScanner;
  /** The registry's host as clients name it (`registry.example`, `localhost:5000`): reports name images `<host>/<repository>@<digest>`. */
  registryHost?: () => string;
  clock?: () => number;
}) {
  const { db } = deps.database;
  const clock = deps.clock ?? Date.now;
  // The scan cache key, with the digest (DESIGN.md): a result other catalogers made is not current.
  const catalogers = deps.external === undefined ? deps.catalogers.map((c) => `${c.name}@${c.version}`).join(' ') : null;

  /** The image, or why it is not scannable (an index: its children are; an artifact that is not a container image). */
  async function open(repository: string, digest: string, signal?: AbortSignal): Promise<ScanImage | string | undefined> {
    try {
      const source = contentSource(deps.content, repository, deps.registryHost?.());
      return await imageFromSource(source, digest, `${source.description}@${digest}`, { indexes: 'refuse', ...(signal === undefined ? {} : { signal }) });
    } catch (error) {
      if (error instanceof ScanError && error.code === 'IMAGE_UNKNOWN') return undefined;
      if (error instanceof ScanError && error.code === 'UNSUPPORTED') return error.message;
      throw error;
    }
  }

  async function record(digest: string, values: { status: 'Pending' | 'Running' | 'Success' | 'Error' | 'Unsupported'; severity?: string | null; findings?: string | null; packages?: number | null; error?: string | null; dbUpdatedAt?: number | null; finished?: boolean }): Promise<void> {
    const now = clock();
    const row = {
      status: values.status,
      severity: values.severity ?? null,
      findings: values.findings ?? null,
      packages: values.packages ?? null,
      error: values.error ?? null,
      db_updated_at: values.dbUpdatedAt ?? null,
      scanner_version: deps.version,
      catalogers,
      finished_at: values.finished === true ? now : null,
    };
    await db
      .insertInto('scan_reports')
      .values({ digest, ...row, started_at: now })
      .onConflict((oc) => oc.column('digest').doUpdateSet(values.status === 'Pending' || values.status === 'Running' ? { ...row, started_at: now } : row))
      .execute();
  }

  /** When `digest` is an index in project `projectId`, the images it lists; undefined when it is not an index there. */
  async function indexChildren(projectId: number, digest: string): Promise<string[] | undefined> {
    const found = await db
      .selectFrom('manifests as m')
      .innerJoin('repositories as r', 'r.id', 'm.repository_id')
      .select(['m.id', 'm.media_type'])
      .where('r.project_id', '=', projectId)
      .where('m.digest', '=', digest)
      .executeTakeFirst();
    if (found === undefined || !isIndexMediaType(found.media_type)) return undefined;
    const children = await db.selectFrom('manifest_references').select('digest').where('manifest_id', '=', found.id).where('kind', '=', 'manifest').orderBy('digest').execute();
    return children.map((child) => child.digest);
  }

  return {
    /**
     * Marks a digest as waiting for its scan (the gate then answers "Pending") unless it has been
     * scanned (Success, Unsupported: a re-push or a new tag of it, in any project, blocks nothing)
     * or a scan of it is already waiting or running — started less than {@link IN_FLIGHT_MS} ago,
     * so that a scan lost with its node does not block the digest for good. Returns `queued` when a
     * scan job is needed (a failed scan is tried again); `stale` when a result stands but was made
     * with older vulnerability data than the database now holds, or by other catalogers (an older
     * Slipway's: the cache key is the digest and the catalogers' versions), so that arriving in
     * another project it is scanned again, its result standing meanwhile; `scanned` when a current
     * result stands; `in-flight` otherwise. Pushing an index after its children, or asking twice, scans each
     * image once.
     */
    async pending(digest: string): Promise<'queued' | 'stale' | 'scanned' | 'in-flight'> {
      const now = clock();
      const row = { status: 'Pending' as const, severity: null, findings: null, packages: null, error: null, db_updated_at: null, scanner_version: deps.version, finished_at: null, started_at: now };
      const result = await db
        .insertInto('scan_reports')
        .values({ digest, ...row })
        .onConflict((oc) =>
          oc
            .column('digest')
            .doUpdateSet(row)
            .where((eb) =>
              eb.or([eb('scan_reports.status', '=', 'Error'), eb.and([eb('scan_reports.status', 'in', ['Pending', 'Running']), eb('scan_reports.started_at', '<', now - IN_FLIGHT_MS)])]),
            ),
        )
        .executeTakeFirst();
      if (Number(result.numInsertedOrUpdatedRows ?? 0n) > 0) return 'queued';
      const current = await db.selectFrom('scan_reports').select(['status', 'db_updated_at', 'catalogers']).where('digest', '=', digest).executeTakeFirst();
      if (current?.status !== 'Success' && current?.status !== 'Unsupported') return 'in-flight';
      if (catalogers !== null && current.catalogers !== catalogers) return 'stale';
      const lastImportAt = await deps.vulndb.lastImportAt();
      return lastImportAt !== null && (current.db_updated_at ?? 0) < lastImportAt ? 'stale' : 'scanned';
    },

    /**
     * Scans one image manifest of `repository` and stores the outcome. Indexes: each child is
     * scanned by its own job. With `keepPrevious` (a rescan), a digest already scanned keeps its
     * last result, which the gate goes on using, until the new one replaces it: a rescan does not
     * make images unpullable while it runs.
     */
    async run(repository: string, digest: string, options: { signal?: AbortSignal; keepPrevious?: boolean } = {}): Promise<ScanOutcome> {
      const previous = options.keepPrevious === true ? await db.selectFrom('scan_reports').select('status').where('digest', '=', digest).executeTakeFirst() : undefined;
      if (previous?.status !== 'Success' && previous?.status !== 'Unsupported') await record(digest, { status: 'Running' });
      try {
        const image = await open(repository, digest, options.signal);
        if (image === undefined || typeof image === 'string') {
          const error = image === undefined ? `${repository}@${digest} is not in the registry` : image;
          await record(digest, { status: 'Unsupported', error, finished: true });
          return { digest, status: 'Unsupported', severity: null, findings: [], error };
        }
        if (deps.external !== undefined) {
          const external = await deps.external.scan({ repository, digest, mediaType: image.mediaType ?? '' }, options);
          await record(digest, { status: 'Success', severity: external.severity, findings: JSON.stringify(external.findings), finished: true });
          return { digest, status: 'Success', severity: external.severity, findings: external.findings };
        }
        const result = await scanImage(image, { catalogers: deps.catalogers, vulndb: deps.vulndb, version: deps.version, ...(options.signal === undefined ? {} : { signal: options.signal }) });
        if (result.distro === undefined && result.packages.length === 0) {
          // Nothing recognised is not "clean": the gate must not pass what the scanner cannot see into.
          const error = 'no operating system and no packages recognised in the image';
          await record(digest, { status: 'Unsupported', error, packages: 0, dbUpdatedAt: result.db.updatedAt, finished: true });
          return { digest, status: 'Unsupported', severity: null, findings: [], error, result };
        }
        if (result.unexamined !== undefined) {
          // Packages the scanner could not read may be vulnerable: not a clean result (fail closed).
          const error = `not every file that may hold packages was read, so the image is not vouched for: ${result.unexamined.join('; ')}`;
          await record(digest, { status: 'Error', error, packages: result.packages.length, dbUpdatedAt: result.db.updatedAt, finished: true });
          return { digest, status: 'Error', severity: null, findings: [], error };
        }
        const findings = result.findings.map(compact);
        const severity = findings.length === 0 ? 'None' : (findings.map((f) => f.severity).toSorted((a, b) => rank(b) - rank(a))[0] ?? 'Unknown');
        await record(digest, { status: 'Success', severity, findings: JSON.stringify(findings), packages: result.packages.length, dbUpdatedAt: result.db.updatedAt, finished: true });
        return { digest, status: 'Success', severity, findings, result };
      } catch (error) {
        // Stopped (a shutdown), not failed: the last result stands and the job runs again.
        if (options.signal?.aborted === true) throw error;
        const message = error instanceof Error ? error.message : String(error);
        await record(digest, { status: 'Error', error: message, finished: true });
        return { digest, status: 'Error', severity: null, findings: [], error: message };
      }
    },

    /** What the pull gate asks: the scan status and, after success, the findings not excepted for this project. */
    async facts(digest: string, project: string): Promise<ScanFact> {
      const owner = await db.selectFrom('projects').select('id').where('name', '=', project).executeTakeFirst();
      if (owner === undefined) return { status: 'none' };
      const projectId = owner.id;
      const row = await db.selectFrom('scan_reports').selectAll().where('digest', '=', digest).executeTakeFirst();
      if (row === undefined) return { status: 'none' };
      if (row.status !== 'Success') return { status: row.status };
      const excepted = new Set((await this.exceptions(projectId, digest)).filter((e) => e.expires_at === null || Date.parse(e.expires_at) > clock()).map((e) => e.vulnerability));
      const findings = (JSON.parse(row.findings ?? '[]') as StoredFinding[]).filter((f) => !excepted.has(f.id) && !f.aliases.some((a) => excepted.has(a)));
      return { status: 'Success', findings: findings.map((f) => ({ id: f.id, severity: f.severity, aliases: f.aliases })) };
    },

    /** Harbor's `scan_overview` of an image, or of an index's images together; undefined when none was scanned. */
    async overview(digests: readonly string[]): Promise<HarborScanOverview | undefined> {
      const rows = digests.length === 0 ? [] : await db.selectFrom('scan_reports').selectAll().where('digest', 'in', digests).execute();
      return combineScanOverviews(
        rows.map((row) =>
          harborScanOverview({ digest: row.digest, status: row.status, severity: row.severity, findings: JSON.parse(row.findings ?? '[]') as StoredFinding[], startedAt: row.started_at, finishedAt: row.finished_at, scannerVersion: row.scanner_version }),
        ),
      );
    },

    async report(digest: string) {
      const row = await db.selectFrom('scan_reports').selectAll().where('digest', '=', digest).executeTakeFirst();
      if (row === undefined) return undefined;
      return {
        digest,
        scan_status: row.status,
        severity: row.severity,
        packages: row.packages,
        findings: JSON.parse(row.findings ?? '[]') as StoredFinding[],
        error: row.error,
        vulnerability_data_updated_at: row.db_updated_at === null ? null : new Date(row.db_updated_at).toISOString(),
        scanner: { name: 'Slipway', vendor: 'Slipway', version: row.scanner_version },
        start_time: new Date(row.started_at).toISOString(),
        end_time: row.finished_at === null ? null : new Date(row.finished_at).toISOString(),
      };
    },

    /**
     * Records an exception; refuses one the gate could never apply (EXCEPTION_INVALID): an expiry
     * already past, or an index's digest (the gate checks its images, which the error lists).
     */
    async addException(input: { projectId: number; digest: string; vulnerability: string; justification: string; author: string; expiresAt: number | null; status?: string }): Promise<ScanException> {
      if (input.expiresAt !== null && input.expiresAt <= clock()) {
        throw new ScanError('EXCEPTION_INVALID', `expires_at ${new Date(input.expiresAt).toISOString()} is not in the future: the exception would never apply`);
      }
      const children = await indexChildren(input.projectId, input.digest);
      if (children !== undefined) {
        throw new ScanError('EXCEPTION_INVALID', `${input.digest} is an index, which the gate does not check itself: add the exception for each of its images (${children.join(', ') || 'it has none'})`);
      }
      const row = await db
        .insertInto('scan_exceptions')
        .values({ project_id: input.projectId, digest: input.digest, vulnerability: input.vulnerability, status: input.status ?? 'not_affected', justification: input.justification, author: input.author, expires_at: input.expiresAt, created_at: clock() })
        .returningAll()
        .executeTakeFirstOrThrow();
      return exceptionView(row);
    },
    async exceptions(projectId: number, digest?: string): Promise<ScanException[]> {
      let query = db.selectFrom('scan_exceptions').selectAll().where('project_id', '=', projectId);
      if (digest !== undefined) query = query.where('digest', '=', digest);
      return (await query.orderBy('id').execute()).map(exceptionView);
    },
    async deleteException(projectId: number, id: number): Promise<boolean> {
      const result = await db.deleteFrom('scan_exceptions').where('id', '=', id).where('project_id', '=', projectId).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
    /** Digests whose last scan succeeded: what a rescan after a database import goes over. */
    async scannedDigests(): Promise<string[]> {
      return (await db.selectFrom('scan_reports').select('digest').where('status', 'in', ['Success', 'Error']).execute()).map((r) => r.digest);
    },
  };
}

/** The registry's trusted reads of one repository, as an image source. */
function contentSource(content: ImageContent, repository: string, host: string | undefined): ImageSource {
  const openBlobFile = content.openBlobFile?.bind(content);
  return {
    description: host === undefined ? repository : `${host}/${repository}`,
    ...(host === undefined ? {} : { registry: { host, repository } }),
    async getManifest(reference, options) {
      if (reference === undefined) return undefined;
      const found = await content.manifest(repository, reference, options);
      return found === undefined ? undefined : { ...found, digest: reference as Digest };
    },
    openBlob: (descriptor, options) => content.openBlob(descriptor.digest, options),
    ...(openBlobFile === undefined ? {} : { openBlobFile: (descriptor: Descriptor, options?: { signal?: AbortSignal }) => openBlobFile(descriptor.digest, options) }),
    referrers: () => Promise.resolve([]),
  };
}

function compact(f: Finding): StoredFinding {
  return { id: f.id, aliases: f.aliases, severity: f.severity, package: f.package.name, version: f.package.version, fixed: f.fixedVersions };
}

function exceptionView(r: { id: number; project_id: number; digest: string; vulnerability: string; status: string; justification: string; author: string; expires_at: number | null; created_at: number }): ScanException {
  return {
    id: r.id,
    project_id: r.project_id,
    digest: r.digest,
    vulnerability: r.vulnerability,
    status: r.status,
    justification: r.justification,
    author: r.author,
    expires_at: r.expires_at === null ? null : new Date(r.expires_at).toISOString(),
    creation_time: new Date(r.created_at).toISOString(),
  };
}

/** Exceptions as an OpenVEX 0.2.0 document (what `slipway scan --vex` and other VEX consumers read). */
export function exceptionsAsOpenVex(list: readonly ScanException[], document: { readonly id: string; readonly author: string }): Record<string, unknown> {
  const newest = list.reduce((t, e) => (e.creation_time > t ? e.creation_time : t), '1970-01-01T00:00:00.000Z');
  return {
    '@context': 'https://openvex.dev/ns/v0.2.0',
    '@id': document.id,
    author: document.author,
    timestamp: newest,
    version: 1,
    statements: list.map((e) => ({
      vulnerability: { name: e.vulnerability },
      products: [{ '@id': e.digest }],
      status: e.status,
      ...vexReason(e),
      timestamp: e.creation_time,
      supplier: e.author,
      ...(e.expires_at === null ? {} : { slipway_expires: e.expires_at }),
    })),
  };
}

/**
 * Why, in OpenVEX's fields: a `not_affected` statement takes one of its justifications, else the text as its impact
 * statement; justification and impact statement belong to `not_affected` only, so a `fixed` one says it in its notes.
 */
function vexReason(e: ScanException): Record<string, string> {
  if (e.status !== 'not_affected') return { status_notes: e.justification };
  return (VEX_JUSTIFICATIONS as readonly string[]).includes(e.justification) ? { justification: e.justification } : { impact_statement: e.justification };
}
