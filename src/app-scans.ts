/**
 * Scanning in the server, composed: scan-on-push (project metadata `auto_scan`), scan jobs, the
 * SCANNING_COMPLETED / SCANNING_FAILED webhooks and audit entries, and the scan facts the pull
 * gate asks for.
 */
import type { AuditLog } from './core/events/audit-log.ts';
import type { JobHandler } from './core/jobs/job-worker.ts';
import type { JobQueue } from './core/jobs/job-queue.ts';
import { parseManifest } from './core/oci/manifest.ts';
import type { MetadataDatabase } from './core/storage/metadata/database.ts';
import type { EventFanout } from './app-events.ts';
import type { Registry, ScanFacts } from './registry/index.ts';
import { type ScanRequests, type ScanService } from './scan/index.ts';

export const SCAN_JOB = 'scan';


export function createScanRequests(deps: { database: MetadataDatabase; registry: Registry; scans: ScanService; jobs: JobQueue }): ScanRequests {
  const request: ScanRequests['request'] = async (repository, digest, operator) => {
    const found = await deps.registry.content.manifest(repository, digest);
    if (found === undefined) return [];
    const manifest = parseManifest(found.bytes, found.mediaType);
    const digests = manifest.kind === 'index' ? manifest.manifests.map((m) => m.digest) : [digest];
    const ids: number[] = [];
    for (const d of digests) {
      await deps.scans.pending(d);
      ids.push(await deps.jobs.enqueue(SCAN_JOB, { repository, digest: d, operator }, { maxAttempts: 1 }));
    }
    return ids;
  };
  return {
    request,
    async afterPush(project, repository, digest) {
      const row = await deps.database.db.selectFrom('projects').select('metadata').where('name', '=', project).executeTakeFirst();
      const meta = row === undefined ? {} : (JSON.parse(row.metadata) as Record<string, string>);
      if (meta['auto_scan'] !== 'true') return;
      const found = await deps.registry.content.manifest(repository, digest);
      // Signatures, SBOMs and other referrers are not images: they are not scanned.
      if (found === undefined || parseManifest(found.bytes, found.mediaType).subject !== undefined) return;
      await request(repository, digest, 'auto');
    },
  };
}

/** The scan job: runs the scan, then tells webhooks and the audit log. */
export function scanJobHandler(deps: { scans: ScanService; events: EventFanout; audit: AuditLog; database: MetadataDatabase; externalHost: () => string }): JobHandler {
  return async (payload, _job, { signal }) => {
    const { repository, digest, operator } = payload as { repository: string; digest: string; operator: string };
    const outcome = await deps.scans.run(repository, digest, { signal });
    const project = repository.split('/')[0] ?? '';
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
    if (row !== undefined && outcome.status !== 'Unsupported') {
      const counts: Record<string, number> = {};
      for (const f of outcome.findings) counts[f.severity] = (counts[f.severity] ?? 0) + 1;
      await deps.events.notify(row.id, {
        type: outcome.status === 'Success' ? 'SCANNING_COMPLETED' : 'SCANNING_FAILED',
        occurAt: Date.now(),
        operator,
        project,
        projectPublic: row.public === 1,
        repository,
        digest,
        tags: [],
        externalHost: deps.externalHost(),
        scanType: 'vulnerability',
        scanOverview: {
          'application/vnd.security.vulnerability.report; version=1.1': {
            scan_status: outcome.status,
            severity: outcome.severity ?? '',
            summary: outcome.status === 'Success' ? { total: outcome.findings.length, fixable: outcome.findings.filter((f) => f.fixed.length > 0).length, summary: counts } : null,
            scanner: { name: 'Slipway', vendor: 'Slipway' },
          },
        },
      });
    }
    return { status: outcome.status, severity: outcome.severity, findings: outcome.findings.length };
  };
}

/** The pull gate's scan facts, from the scan service. */
export function scanFactsFrom(scans: ScanService): ScanFacts {
  return { scanOf: (request) => scans.facts(request.digest, request.project) };
}
