/**
 * Scanning in the server, composed: scan-on-push (project metadata `auto_scan`), scan jobs, the
 * SCANNING_COMPLETED / SCANNING_FAILED webhooks and audit entries, and the scan facts the pull
 * gate asks for.
 */
import type { AuditLog } from './core/events/audit-log.ts';
import type { JobHandler } from './core/jobs/job-worker.ts';
import type { JobQueue } from './core/jobs/job-queue.ts';
import { isAttestationManifest } from './core/oci/descriptor.ts';
import { parseManifest, type Manifest } from './core/oci/manifest.ts';
import type { MetadataDatabase } from './core/storage/metadata/database.ts';
import { ServerWriter, type EventFanout } from './app-events.ts';
import { Readable } from 'node:stream';
import { digestOf } from './core/oci/digest.ts';
import { isRunnableLayerMediaType, MediaType } from './core/oci/media-types.ts';
import type { Registry, ScanFacts, ScanGate } from './registry/index.ts';
import { toSpdx, toTrivyJson, type ScanOutcome, type ScanRequests, type ScanResult, type ScanService } from './scan/index.ts';

export const SCAN_JOB = 'scan';

interface ScanJobPayload {
  readonly repository: string;
  readonly digest: string;
  readonly operator: string;
  /** Attest the result with the server's key even where the project does not ask for it. */
  readonly attest?: boolean;
  /** The digest has a result already: it stands for the gate until this scan's replaces it. */
  readonly rescan?: boolean;
  /** The tags it was pushed with, which the webhooks name. */
  readonly tags?: readonly string[];
  /**
   * Scanned already, and arrived in another repository (pushed, copied or promoted there): the SBOM
   * and report are copied beside it, not made again (scanned once per digest); the scan is run
   * only when no repository holds them.
   */
  readonly arrival?: boolean;
}


/** The images `digest` stands for: itself, or an index's children that are images (BuildKit's attestation manifests are not). */
function imagesOf(manifest: Manifest, digest: string): string[] {
  return manifest.kind === 'index' ? manifest.manifests.filter((m) => !isAttestationManifest(m)).map((m) => m.digest) : [digest];
}

export function createScanRequests(deps: { database: MetadataDatabase; registry: Registry; scans: ScanService; jobs: JobQueue }): ScanRequests {
  const manifestOf = async (repository: string, digest: string): Promise<Manifest | undefined> => {
    const found = await deps.registry.content.manifest(repository, digest);
    return found === undefined ? undefined : parseManifest(found.bytes, found.mediaType);
  };
  const enqueue = async (repository: string, digest: string, manifest: Manifest, operator: string, options: Parameters<ScanRequests['request']>[3] = {}): Promise<number[]> => {
    const ids: number[] = [];
    for (const d of imagesOf(manifest, digest)) {
      const state = await deps.scans.pending(d);
      const tags = d === digest ? (options.tags ?? []) : [];
      if (state === 'scanned' && options.rescan !== true) {
        // Copied from a repository that holds them (none does after an unsupported scan, or with an external scanner).
        const holders = await scanArtifactHolders(deps.database, d);
        if (!holders.includes(repository) && holders.length > 0) ids.push(await deps.jobs.enqueue(SCAN_JOB, { repository, digest: d, operator, arrival: true, ...(tags.length > 0 ? { tags } : {}) } satisfies ScanJobPayload, { maxAttempts: 3 }));
        continue;
      }
      if (state === 'in-flight') continue;
      const payload: ScanJobPayload = { repository, digest: d, operator, ...(options.attest === true ? { attest: true } : {}), ...(state === 'queued' ? {} : { rescan: true }), ...(tags.length > 0 ? { tags } : {}) };
      // Retried when its node dies mid-scan (the lease runs out); a scan that fails is recorded, not retried.
      ids.push(await deps.jobs.enqueue(SCAN_JOB, payload, { maxAttempts: 3 }));
    }
    return ids;
  };
  return {
    async request(repository, digest, operator, options) {
      const manifest = await manifestOf(repository, digest);
      return manifest === undefined ? [] : enqueue(repository, digest, manifest, operator, options);
    },
    async images(repository, digest) {
      const manifest = await manifestOf(repository, digest);
      return manifest === undefined ? undefined : imagesOf(manifest, digest);
    },
    async afterPush(project, repository, digest, tags = []) {
      if ((await projectMetadata(deps.database, project))['auto_scan'] !== 'true') return;
      const manifest = await manifestOf(repository, digest);
      if (manifest === undefined) return;
      // Signatures, SBOMs and other referrers are not images, nor is a manifest without a layer a
      // runtime could run (BuildKit's attestation manifests, pushed before their index): not scanned.
      if (manifest.subject !== undefined) return;
      if (manifest.kind === 'image' && manifest.layers.length > 0 && !manifest.layers.some((layer) => isRunnableLayerMediaType(layer.mediaType))) return;
      await enqueue(repository, digest, manifest, 'auto', { tags });
    },
  };
}

async function tagsOf(database: MetadataDatabase, repository: string, digest: string): Promise<string[]> {
  const rows = await database.db
    .selectFrom('tags as t')
    .innerJoin('repositories as r', 'r.id', 't.repository_id')
    .select('t.name')
    .where('r.name', '=', repository)
    .where('t.manifest_digest', '=', digest)
    .orderBy('t.name')
    .execute();
  return rows.map((row) => row.name);
}

async function projectMetadata(database: MetadataDatabase, project: string): Promise<Record<string, string>> {
  const row = await database.db.selectFrom('projects').select('metadata').where('name', '=', project).executeTakeFirst();
  return row === undefined ? {} : (JSON.parse(row.metadata) as Record<string, string>);
}

/** What a scan's outcome is reported to: referrers, attestations, the audit log, webhooks. */
export interface ScanReporting {
  scans: ScanService;
  events: EventFanout;
  audit: AuditLog;
  database: MetadataDatabase;
  externalHost: () => string;
  registry: Registry;
  /** Attests the SBOM and vulnerability report of a successful scan, for projects with `auto_attest` (absent: the server has no signing key). */
  attest?: (repository: string, digest: string, result: ScanResult) => Promise<readonly string[]>;
}

/** The scan job: runs the scan, then reports it (see reportScan). */
export function scanJobHandler(deps: ScanReporting): JobHandler {
  return async (payload, _job, { signal }) => {
    const { repository, digest, operator, attest: requested, rescan, tags = [], arrival } = payload as ScanJobPayload;
    const source = arrival === true ? (await scanArtifactHolders(deps.database, digest)).find((holder) => holder !== repository) : undefined;
    const stored = source === undefined ? undefined : await storedOutcome(deps.scans, digest);
    if (source !== undefined && stored !== undefined) {
      const attached = await copyScanArtifacts(deps.registry, source, repository, digest).catch((error: unknown) => [`not attached: ${error instanceof Error ? error.message : String(error)}`]);
      return reportScan(deps, { repository, digest, operator, outcome: stored, tags, attached });
    }
    const outcome = await deps.scans.run(repository, digest, { signal, ...(rescan === true || arrival === true ? { keepPrevious: true } : {}) });
    return reportScan(deps, { repository, digest, operator, outcome, tags, ...(requested === true ? { attest: true } : {}) });
  };
}

/**
 * Reports a scan of `digest` in `repository`: attaches its SBOM and report as referrers (replacing
 * an earlier scan's), attests them where asked, records it in the audit log and tells the
 * project's webhooks (SCANNING_COMPLETED, or SCANNING_FAILED for a failed or unsupported scan).
 * Scan jobs and rescans alike.
 */
async function reportScan(
  deps: ScanReporting,
  {
    repository,
    digest,
    operator,
    outcome,
    tags = [],
    attest: requested,
    attached: copied,
  }: { repository: string; digest: string; operator: string; outcome: ScanOutcome; tags?: readonly string[]; attest?: boolean; attached?: readonly string[] },
): Promise<{ status: string; severity: string | null; findings: number; attached: readonly string[] }> {
  const project = repository.split('/')[0] ?? '';
  let attached: readonly string[] = copied ?? [];
  if (outcome.status === 'Success' && outcome.result !== undefined) {
    attached = await attachScanArtifacts(deps.registry, repository, digest, outcome.result).catch((error: unknown) => [`not attached: ${error instanceof Error ? error.message : String(error)}`]);
    if (deps.attest !== undefined && (requested === true || (await projectMetadata(deps.database, project))['auto_attest'] === 'true')) {
      const attest = deps.attest;
      const result = outcome.result;
      const attested = await attest(repository, digest, result).catch((error: unknown) => [`not attested: ${error instanceof Error ? error.message : String(error)}`]);
      attached = [...attached, ...attested];
    }
  }
  await deps.audit.record({
    username: operator,
    project,
    resource: `${repository}@${digest}`,
    resourceType: 'scan',
    operation: 'scan',
    result: outcome.status === 'Error' ? 'failure' : 'success',
    detail: { status: outcome.status, severity: outcome.severity, findings: outcome.findings.length, ...(outcome.error === undefined ? {} : { error: outcome.error }) },
  });
  const row = await deps.database.db.selectFrom('projects').select(['id', 'public']).where('name', '=', project).executeTakeFirst();
  if (row !== undefined) {
    // Harbor's overview of the scan as stored (report id, times, duration, the scanner's version).
    const overview = await deps.scans.overview([digest]);
    // A scan asked for, or a rescan, names the image by its tags as a push does (Harbor's `tag`).
    const named = tags.length > 0 ? tags : await tagsOf(deps.database, repository, digest);
    await deps.events.notify(row.id, {
      type: outcome.status === 'Success' ? 'SCANNING_COMPLETED' : 'SCANNING_FAILED',
      occurAt: Date.now(),
      operator,
      project,
      projectPublic: row.public === 1,
      repository,
      digest,
      tags: named,
      externalHost: deps.externalHost(),
      scanType: 'vulnerability',
      ...(overview === undefined ? {} : { scanOverview: { 'application/vnd.security.vulnerability.report; version=1.1': overview } }),
    });
  }
  return { status: outcome.status, severity: outcome.severity, findings: outcome.findings.length, attached };
}

export const SBOM_ARTIFACT_TYPE = 'application/spdx+json';
export const REPORT_ARTIFACT_TYPE = 'application/vnd.slipway.vulnerability-report.v1+json';
const SCANNER_ANNOTATION = 'dev.slipway.scanner';

/**
 * Attaches the SBOM (SPDX 2.3) and the vulnerability report (Trivy JSON) to the scanned image as
 * OCI 1.1 referrers, replacing the ones an earlier scan attached. They travel with the image
 * (copy, promote, mirror) like signatures do.
 */
async function attachScanArtifacts(registry: Registry, repository: string, digest: string, result: ScanResult): Promise<string[]> {
  const repo = { name: repository, project: repository.split('/')[0] ?? '' };
  const subject = await registry.content.manifest(repository, digest);
  if (subject === undefined) return [];
  const previous = (await registry.artifacts.list(repo, { all: true })).filter((a) => a.subject === digest && a.annotations[SCANNER_ANNOTATION] !== undefined);
  const created = new Date(result.createdAt).toISOString();
  const pushed: string[] = [];
  for (const [artifactType, body] of [
    [SBOM_ARTIFACT_TYPE, JSON.stringify(toSpdx(result))],
    [REPORT_ARTIFACT_TYPE, JSON.stringify(toTrivyJson(result))],
  ] as const) {
    const bytes = Buffer.from(body);
    const layer = await registry.blobs.uploadMonolithic(repo, digestOf(bytes), Readable.from([bytes]), bytes.byteLength, ServerWriter.scanner);
    const empty = Buffer.from('{}');
    const config = await registry.blobs.uploadMonolithic(repo, digestOf(empty), Readable.from([empty]), empty.byteLength, ServerWriter.scanner);
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.ociManifest,
        artifactType,
        config: { mediaType: MediaType.ociEmpty, digest: config.digest, size: config.size },
        layers: [{ mediaType: artifactType === SBOM_ARTIFACT_TYPE ? 'application/spdx+json' : 'application/json', digest: layer.digest, size: layer.size }],
        subject: { mediaType: subject.mediaType, digest, size: subject.bytes.byteLength },
        annotations: { 'org.opencontainers.image.created': created, [SCANNER_ANNOTATION]: result.scanner.version },
      }),
    );
    const put = await registry.manifests.putManifest(repo, digestOf(manifest), Readable.from([manifest]), MediaType.ociManifest, ServerWriter.scanner);
    pushed.push(put.digest);
  }
  for (const old of previous) if (!pushed.includes(old.digest)) await registry.manifests.deleteManifest(repo, old.digest, ServerWriter.scanner).catch(() => undefined);
  return pushed;
}

const SCAN_ARTIFACT_TYPES = [SBOM_ARTIFACT_TYPE, REPORT_ARTIFACT_TYPE];

/** The repositories holding both the SBOM and the report the scanner attached to `digest`. */
async function scanArtifactHolders(database: MetadataDatabase, digest: string): Promise<string[]> {
  const rows = await database.db
    .selectFrom('manifests as m')
    .innerJoin('repositories as r', 'r.id', 'm.repository_id')
    .select((eb) => ['r.name as repository', eb.fn.countAll<number | string>().as('count')])
    .where('m.subject_digest', '=', digest)
    .where('m.artifact_type', 'in', SCAN_ARTIFACT_TYPES)
    .groupBy('r.name')
    .orderBy('r.name')
    .execute();
  return rows.filter((row) => Number(row.count) >= SCAN_ARTIFACT_TYPES.length).map((row) => row.repository);
}

/** The stored result of `digest` as a scan outcome (its findings, without the full result). */
async function storedOutcome(scans: ScanService, digest: string): Promise<ScanOutcome | undefined> {
  const report = await scans.report(digest);
  if (report === undefined || (report.scan_status !== 'Success' && report.scan_status !== 'Unsupported')) return undefined;
  return { digest, status: report.scan_status, severity: report.severity, findings: report.findings, ...(report.error === null ? {} : { error: report.error }) };
}

/**
 * Copies the scanner's referrers of `digest` (SBOM, report) from `from` into `to` byte for byte:
 * their blobs linked (the store holds them once), their manifests put under the same digests.
 */
async function copyScanArtifacts(registry: Registry, from: string, to: string, digest: string): Promise<string[]> {
  const source = { name: from, project: from.split('/')[0] ?? '' };
  const target = { name: to, project: to.split('/')[0] ?? '' };
  const artifacts = (await registry.artifacts.list(source, { all: true })).filter((a) => a.subject === digest && a.annotations[SCANNER_ANNOTATION] !== undefined);
  const copied: string[] = [];
  for (const artifact of artifacts) {
    const found = await registry.content.manifest(from, artifact.digest);
    if (found === undefined) continue;
    const manifest = parseManifest(found.bytes, found.mediaType);
    if (manifest.kind !== 'image') continue;
    for (const blob of [manifest.config, ...manifest.layers]) {
      if (await registry.blobs.mountBlob(target, blob.digest, source, true, ServerWriter.scanner)) continue;
      await registry.blobs.uploadMonolithic(target, blob.digest, await registry.content.openBlob(blob.digest), blob.size, ServerWriter.scanner);
    }
    const put = await registry.manifests.putManifest(target, artifact.digest, Readable.from([found.bytes]), found.mediaType, ServerWriter.scanner);
    copied.push(put.digest);
  }
  return copied;
}

/** The pull gate's scan facts, from the scan service. */
export function scanFactsFrom(scans: ScanService): ScanFacts {
  return { scanOf: (request) => scans.facts(request.digest, request.project) };
}

export const RESCAN_JOB = 'rescan';
export const VULNDB_WATCH_JOB = 'vulndb-watch';
const WATCH_SETTING = 'rescan_after_import_id';

/** One artifact whose verdict a rescan changed, in words: `passed`, or `blocked: <the gate's reasons>`. */
interface VerdictChange {
  readonly repository: string;
  readonly digest: string;
  readonly before: string;
  readonly after: string;
  /** `before → after`. */
  readonly change: string;
}

/**
 * Rescans every scannable image of one project (or all), each digest once, and lists the
 * artifacts whose verdict changed: what the project's scan gate says (passed, or blocked and why —
 * threshold, `prevent_vul`, CVE allowlists and per-image exceptions applied), before and after.
 * What a new vulnerability database import, a schedule, or an operator asking "what does today's
 * data say" gets back.
 */
export function rescanJobHandler(deps: ScanReporting & { gate: ScanGate }): JobHandler {
  return async (payload, _job, { signal }) => {
    const { project, trigger, operator = 'rescan' } = payload as { project?: string; trigger: string; operator?: string };
    const images = await rescannableImages(deps.database, project);
    const verdicts = (repositories: readonly string[], digest: string) => Promise.all(repositories.map((repository) => verdictOf(deps.gate, repository, digest, signal)));
    const changed: VerdictChange[] = [];
    for (const [digest, repositories] of images) {
      signal.throwIfAborted();
      const before = await verdicts(repositories, digest);
      // The last result stands for the gate while the image is scanned again.
      const outcome = await deps.scans.run(repositories[0] ?? '', digest, { signal, keepPrevious: true });
      // Each repository holding the image gets the new report and SBOM, its audit entry and its webhooks.
      for (const repository of repositories) await reportScan(deps, { repository, digest, operator, outcome });
      const after = await verdicts(repositories, digest);
      repositories.forEach((repository, i) => {
        const [was, now] = [before[i] ?? '', after[i] ?? ''];
        if (was !== now) changed.push({ repository, digest, before: was, after: now, change: `${was} → ${now}` });
      });
    }
    return { trigger, project: project ?? null, scanned: images.size, changed };
  };
}

/** The image manifests (not referrers, not indexes) of a project or of all, as digest → the repositories holding it. */
async function rescannableImages(database: MetadataDatabase, project: string | undefined): Promise<Map<string, string[]>> {
  let query = database.db
    .selectFrom('manifests as m')
    .innerJoin('repositories as r', 'r.id', 'm.repository_id')
    .innerJoin('projects as p', 'p.id', 'r.project_id')
    .select(['r.name as repository', 'm.digest'])
    .where('m.subject_digest', 'is', null)
    .where('m.artifact_type', 'in', ['application/vnd.oci.image.config.v1+json', 'application/vnd.docker.container.image.v1+json']);
  if (project !== undefined) query = query.where('p.name', '=', project);
  const images = new Map<string, string[]>();
  for (const { repository, digest } of await query.orderBy('r.name').orderBy('m.digest').execute()) images.set(digest, [...(images.get(digest) ?? []), repository]);
  return images;
}

async function verdictOf(gate: ScanGate, repository: string, digest: string, signal: AbortSignal): Promise<string> {
  const { passed, reasons } = await gate.check(repository.split('/')[0] ?? '', repository, digest, { signal });
  return passed ? 'passed' : `blocked: ${reasons.join('; ')}`;
}

/** Checks for a vulnerability database import newer than the last one rescanned for, and rescans everything once for it. */
export function vulndbWatchHandler(deps: { database: MetadataDatabase; jobs: JobQueue }): JobHandler {
  return async () => {
    const { db } = deps.database;
    const latest = await db.selectFrom('vuln_imports').select('id').orderBy('id', 'desc').executeTakeFirst();
    if (latest === undefined) return { rescan: false };
    const seen = await db.selectFrom('settings').select('value').where('key', '=', WATCH_SETTING).executeTakeFirst();
    if (seen !== undefined && Number(seen.value) >= latest.id) return { rescan: false };
    const value = String(latest.id);
    // Compare-and-set, so that of several nodes exactly one enqueues the rescan.
    const updated =
      seen === undefined
        ? await db.insertInto('settings').values({ key: WATCH_SETTING, value }).onConflict((oc) => oc.column('key').doNothing()).executeTakeFirst()
        : await db.updateTable('settings').set({ value }).where('key', '=', WATCH_SETTING).where('value', '=', seen.value).executeTakeFirst();
    const won = 'numInsertedOrUpdatedRows' in updated ? Number(updated.numInsertedOrUpdatedRows ?? 0n) > 0 : Number(updated.numUpdatedRows) > 0;
    if (!won) return { rescan: false };
    const job = await deps.jobs.enqueue(RESCAN_JOB, { trigger: `vulnerability data import ${latest.id}` }, { maxAttempts: 1 });
    return { rescan: true, job };
  };
}
