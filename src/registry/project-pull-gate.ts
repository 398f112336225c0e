import { SCANNER_PRINCIPAL } from '../core/auth/authorizer.ts';
import type { MetadataDatabase } from '../core/storage/metadata/database.ts';
import { evaluatePullPolicy, evaluateScanGate, parseSeverity, type ProjectPullSettings, type ScanFact, type SignatureFact } from '../core/policy/pull-policy.ts';
import type { PullGate, PullRequest } from './pull-gate.ts';
import { isIndexMediaType, isRunnableLayerMediaType } from '../core/oci/media-types.ts';

/** Scan facts about a digest: a port the scan stage fills. */
export interface ScanFacts {
  scanOf(request: PullRequest, options?: { signal?: AbortSignal }): Promise<ScanFact>;
}

/** Signature facts about a digest against the project's trust policy: a port the signing stage fills. */
export interface SignatureFacts {
  signatureOf(request: PullRequest, options?: { signal?: AbortSignal }): Promise<SignatureFact>;
}

/** Until the scan stage is wired in, nothing is scanned: a project that prevents vulnerable images serves none. */
export const noScanFacts: ScanFacts = { scanOf: () => Promise.resolve({ status: 'none' }) };
export const noSignatureFacts: SignatureFacts = {
  signatureOf: () => Promise.resolve({ verified: false, reason: 'no signature verification is configured on this server' }),
};

const COSIGN_TAG = /^sha256-[0-9a-f]{64}(\.(sig|att|sbom))?$/;

/**
 * The pull gate of projects: `prevent_vul` + `severity` and `enable_content_trust_cosign`, from
 * the project metadata, with the system and project CVE allowlists. Indexes pass (their
 * children are checked when pulled by digest); signatures, attestations and other referrers pass
 * (a verifier must be able to fetch them), but only when no runtime could run them: a manifest
 * with a layer of an image media type is gated whatever subject or cosign-looking tag its pusher
 * gave it.
 */
export function createProjectPullGate(database: MetadataDatabase, ports: { scans: ScanFacts; signatures: SignatureFacts; clock?: () => number }): PullGate {
  const { db } = database;
  const clock = ports.clock ?? Date.now;

  async function isAccessory(request: PullRequest): Promise<boolean> {
    if (!(request.subject !== null || (await hasOnlyCosignTags(request)))) return false;
    return !(await request.layerMediaTypes()).some(isRunnableLayerMediaType);
  }

  async function hasOnlyCosignTags(request: PullRequest): Promise<boolean> {
    const tags = await db
      .selectFrom('tags as t')
      .innerJoin('repositories as r', 'r.id', 't.repository_id')
      .select('t.name')
      .where('r.name', '=', request.repository)
      .where('t.manifest_digest', '=', request.digest)
      .execute();
    return tags.length > 0 && tags.every((t) => COSIGN_TAG.test(t.name));
  }

  return {
    async check(request, options) {
      const project = await projectPolicy(database, request.project);
      if (project === undefined) return { allowed: false, reasons: [`project ${request.project} does not exist`] };
      const { settings } = project;
      if (!settings.preventVulnerable && !settings.requireSignature) return { allowed: true };
      if (request.principal.kind === SCANNER_PRINCIPAL.kind && request.principal.name === SCANNER_PRINCIPAL.name) return { allowed: true };
      if (isIndexMediaType(request.mediaType) || (await isAccessory(request))) return { allowed: true };
      const [scan, signature, allowed] = await Promise.all([
        settings.preventVulnerable ? ports.scans.scanOf(request, options) : Promise.resolve<ScanFact>({ status: 'none' }),
        settings.requireSignature ? ports.signatures.signatureOf(request, options) : Promise.resolve<SignatureFact>({ verified: true, by: [] }),
        allowlist(database, clock, project),
      ]);
      return evaluatePullPolicy(settings, { scan, signature, allowlist: allowed });
    },
  };
}

/** A project's pull settings and CVE allowlist, from its metadata; undefined when there is no such project. */
interface ProjectPolicy {
  readonly settings: ProjectPullSettings;
  readonly cveAllowlist: string;
  readonly reuseSystemAllowlist: boolean;
}

async function projectPolicy(database: MetadataDatabase, name: string): Promise<ProjectPolicy | undefined> {
  const row = await database.db.selectFrom('projects').select(['metadata', 'cve_allowlist']).where('name', '=', name).executeTakeFirst();
  if (row === undefined) return undefined;
  const meta = JSON.parse(row.metadata) as Record<string, string>;
  return {
    settings: {
      preventVulnerable: isTrue(meta['prevent_vul']),
      severity: parseSeverity(meta['severity'] ?? 'critical') ?? 'critical',
      requireSignature: isTrue(meta['enable_content_trust_cosign']),
    },
    cveAllowlist: row.cve_allowlist,
    reuseSystemAllowlist: meta['reuse_sys_cve_allowlist'] !== 'false',
  };
}

/** The CVE ids a project allows: its own list and, unless it opts out, the system list; expired lists left out. */
async function allowlist(database: MetadataDatabase, clock: () => number, project: ProjectPolicy): Promise<Set<string>> {
  const lists = [project.cveAllowlist];
  if (project.reuseSystemAllowlist) {
    const system = await database.db.selectFrom('settings').select('value').where('key', '=', 'cve_allowlist').executeTakeFirst();
    if (system !== undefined) lists.push(system.value);
  }
  const ids = new Set<string>();
  for (const text of lists) {
    const list = JSON.parse(text) as { items?: { cve_id?: string }[]; expires_at?: number | null };
    if (typeof list.expires_at === 'number' && list.expires_at * 1000 <= clock()) continue;
    for (const item of list.items ?? []) if (typeof item.cve_id === 'string') ids.add(item.cve_id);
  }
  return ids;
}

/** Whether an image passed its project's scan gate: what signing asks before it signs. */
export interface ScanGate {
  check(project: string, repository: string, digest: string, options?: { signal?: AbortSignal }): Promise<{ readonly passed: boolean; readonly reasons: readonly string[] }>;
}

/**
 * The scan gate: a successful scan, and — when the project prevents vulnerable images — no
 * finding at or above its severity outside the allowlists and exceptions. Not scanned, still
 * running or failed means not passed, whatever the project's pull settings.
 */
export function createScanGate(database: MetadataDatabase, scans: ScanFacts, clock: () => number = Date.now): ScanGate {
  return {
    async check(project, repository, digest, options) {
      const policy = await projectPolicy(database, project);
      if (policy === undefined) return { passed: false, reasons: [`project ${project} does not exist`] };
      const request: PullRequest = { project, repository, digest, mediaType: '', artifactType: null, subject: null, layerMediaTypes: () => Promise.resolve([]), principal: SCANNER_PRINCIPAL };
      const scan = await scans.scanOf(request, options);
      const reasons = evaluateScanGate(policy.settings, { scan, allowlist: await allowlist(database, clock, policy) });
      return { passed: reasons.length === 0, reasons };
    },
  };
}

function isTrue(value: string | undefined): boolean {
  return value === 'true' || value === '1';
}
