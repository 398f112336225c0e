import { AdapterMediaType, exceptionsAsOpenVex, storedHarborReport } from '../../scan/index.ts';
import { HttpError } from '../http-error.ts';
import { API_PREFIX, type ApiRequest, type ApiRoute } from './api-route.ts';
import { audit, created, done, intParam, ok, projectOf } from './api-guards.ts';
import { publicOrigin } from '../public-origin.ts';
import { PAGING_QUERY, pagedOk } from './paging.ts';

const R = '/projects/{project_name_or_id}/repositories/{repository_name}/artifacts/{reference}';

/** The report media types an `X-Accept-Vulnerabilities` header asks for that Slipway has (both carry Harbor's report). */
export function harborReportTypes(header: string | string[] | undefined): string[] | undefined {
  if (header === undefined) return undefined;
  const asked = (Array.isArray(header) ? header.join(',') : header).split(',');
  const known: readonly string[] = [AdapterMediaType.genericReport, AdapterMediaType.nativeReport];
  return known.filter((type) => asked.some((a) => a.replace(/\s+/g, '') === type.replace(/\s+/g, '')));
}

async function artifactOf(req: ApiRequest, resource: 'scan' | 'artifact', action: 'create' | 'read') {
  const project = await projectOf(req, resource, action);
  const repo = { name: `${project.name}/${req.params['repository_name'] ?? ''}`, project: project.name };
  const artifact = await req.services.registry.artifacts.get(repo, req.params['reference'] ?? '');
  return { project, repo, artifact };
}

/**
 * The scan gate of an artifact; an index passes when every image in it does (the children are
 * what is scanned and run; BuildKit's attestation manifests are neither).
 */
async function scanGateOf(req: ApiRequest, project: string, repository: string, artifact: { digest: string; references: readonly string[] }) {
  const digests = (await req.services.scanRequests.images(repository, artifact.digest)) ?? (artifact.references.length > 0 ? artifact.references : [artifact.digest]);
  const verdicts = await Promise.all(digests.map((d) => req.services.scanGate.check(project, repository, d)));
  const reasons = verdicts.flatMap((v, i) => v.reasons.map((r) => (digests.length > 1 ? `${digests[i] ?? ''}: ${r}` : r)));
  return { passed: verdicts.every((v) => v.passed), reasons };
}

export const scanRoutes: readonly ApiRoute[] = [
  {
    operationId: 'scanArtifact',
    method: 'POST',
    path: `${R}/scan`,
    tag: 'scan',
    summary: "Scans an artifact now (an index: each child), as durable jobs; `attest=true` also attests the SBOM and vulnerability report with the server's key.",
    query: { attest: { type: 'boolean' } },
    async handle(req) {
      const { project, repo, artifact } = await artifactOf(req, 'scan', 'create');
      const attest = req.query.get('attest') === 'true';
      if (attest && !req.services.canAttest) throw new HttpError('BAD_REQUEST', "attest=true needs the server's signing key (signing.key, SLIPWAY_SIGNING_KEY); this server has none");
      // Asked for, a scanned image is scanned again; its last result stands for the gate meanwhile.
      const jobs = await req.services.scanRequests.request(repo.name, artifact.digest, req.principal.name, { attest, rescan: true });
      await audit(req, { project: project.name, resource: `${repo.name}@${artifact.digest}`, resourceType: 'scan', operation: 'create' });
      return { status: 202, body: { jobs } };
    },
  },
  {
    operationId: 'getVulnerabilitiesAddition',
    method: 'GET',
    path: `${R}/additions/vulnerabilities`,
    tag: 'scan',
    summary:
      "The artifact's latest scan: status, severity, findings, and how old the vulnerability data was. With Harbor's `X-Accept-Vulnerabilities` header, Harbor's answer instead: the report under each accepted report media type (`{}` before a successful scan).",
    anonymous: true,
    async handle(req) {
      const { repo, artifact } = await artifactOf(req, 'artifact', 'read');
      const report = await req.services.scans.report(artifact.digest);
      const accepted = harborReportTypes(req.ctx.req.headers['x-accept-vulnerabilities']);
      if (accepted !== undefined) {
        // Harbor's clients (its UI, harbor-cli, its API's users) read this shape.
        if (report?.scan_status !== 'Success') return ok({});
        const harbor = storedHarborReport(
          { severity: report.severity, findings: report.findings, generatedAt: Date.parse(report.end_time ?? report.start_time), scanner: report.scanner },
          { repository: repo.name, digest: artifact.digest, mimeType: artifact.manifest_media_type },
        );
        return ok(Object.fromEntries(accepted.map((type) => [type, harbor])));
      }
      if (report === undefined) throw new HttpError('NOT_FOUND', `artifact ${artifact.digest} has not been scanned`);
      return ok(report);
    },
  },
  {
    operationId: 'getScanGate',
    method: 'GET',
    path: `${R}/scan-gate`,
    tag: 'scan',
    summary: 'Whether the artifact passed its scan gate (scanned, and under the project threshold with allowlists and exceptions): what signing asks first.',
    async handle(req) {
      const { project, repo, artifact } = await artifactOf(req, 'artifact', 'read');
      return ok(await scanGateOf(req, project.name, repo.name, artifact));
    },
  },
  {
    operationId: 'overrideScanGate',
    method: 'POST',
    path: `${R}/scan-gate/overrides`,
    tag: 'scan',
    summary: 'Records that the caller signs or attests the artifact although its scan gate has not passed, and why (the audit log keeps who, what and why).',
    body: {
      type: 'object',
      required: ['action', 'reason'],
      additionalProperties: false,
      properties: { action: { type: 'string', enum: ['sign', 'attest'] }, reason: { type: 'string', minLength: 1, maxLength: 1024 } },
    },
    async handle(req) {
      const project = await projectOf(req, 'repository', 'push');
      const repo = { name: `${project.name}/${req.params['repository_name'] ?? ''}`, project: project.name };
      const artifact = await req.services.registry.artifacts.get(repo, req.params['reference'] ?? '');
      const { action, reason } = req.body as { action: string; reason: string };
      const gate = await scanGateOf(req, project.name, repo.name, artifact);
      await audit(req, { project: project.name, resource: `${repo.name}@${artifact.digest}`, resourceType: 'scan-gate', operation: `override-${action}`, detail: { reason, gate } });
      return { status: 201, body: { recorded: true, gate } };
    },
  },
  {
    operationId: 'listScanExceptions',
    method: 'GET',
    path: '/projects/{project_name_or_id}/scan-exceptions',
    tag: 'scan',
    summary:
      "The project's per-image exceptions, a page at a time (Harbor's `page`, `page_size`, `X-Total-Count` and `Link`); `format=openvex` gives them all as one OpenVEX 0.2.0 document that `slipway scan --vex` reads.",
    query: { format: { enum: ['json', 'openvex'] }, ...PAGING_QUERY },
    async handle(req) {
      const project = await projectOf(req, 'scan', 'read');
      const list = await req.services.scans.exceptions(project.project_id);
      if (req.query.get('format') !== 'openvex') return pagedOk(req, list);
      return ok(exceptionsAsOpenVex(list, { id: `${publicOrigin(req.ctx.req, req.services.externalUrl)}${API_PREFIX}/projects/${project.project_id}/scan-exceptions?format=openvex`, author: `Slipway project ${project.name}` }));
    },
  },
  {
    operationId: 'createScanException',
    method: 'POST',
    path: '/projects/{project_name_or_id}/scan-exceptions',
    tag: 'scan',
    summary: 'Excepts one vulnerability for one image digest until it expires; recorded with who and why.',
    body: {
      type: 'object',
      required: ['digest', 'vulnerability', 'justification', 'expires_at'],
      properties: {
        digest: { type: 'string', pattern: '^sha(256|512):[0-9a-f]+$' },
        vulnerability: { type: 'string', minLength: 1 },
        status: { enum: ['not_affected', 'fixed'] },
        justification: { type: 'string', minLength: 1 },
        expires_at: { type: ['string', 'null'], format: 'date-time' },
      },
    },
    async handle(req) {
      // An exception lets vulnerable images through: project admins and maintainers only.
      const project = await projectOf(req, 'scan', 'create');
      const body = req.body as { digest: string; vulnerability: string; status?: string; justification: string; expires_at: string | null };
      const exception = await req.services.scans.addException({
        projectId: project.project_id,
        digest: body.digest,
        vulnerability: body.vulnerability,
        justification: body.justification,
        author: req.principal.name,
        expiresAt: body.expires_at === null ? null : Date.parse(body.expires_at),
        ...(body.status === undefined ? {} : { status: body.status }),
      });
      await audit(req, { project: project.name, resource: `${body.digest} ${body.vulnerability}`, resourceType: 'scan_exception', operation: 'create', detail: { justification: body.justification, expires_at: body.expires_at } });
      return created(`${API_PREFIX}/projects/${project.project_id}/scan-exceptions/${exception.id}`, exception);
    },
  },
  {
    operationId: 'deleteScanException',
    method: 'DELETE',
    path: '/projects/{project_name_or_id}/scan-exceptions/{id}',
    tag: 'scan',
    summary: 'Withdraws an exception.',
    async handle(req) {
      const project = await projectOf(req, 'scan', 'create');
      if (!(await req.services.scans.deleteException(project.project_id, intParam(req, 'id')))) throw new HttpError('NOT_FOUND', 'no such exception');
      await audit(req, { project: project.name, resource: `exception ${intParam(req, 'id')}`, resourceType: 'scan_exception', operation: 'delete' });
      return done;
    },
  },
];
