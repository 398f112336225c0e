import type { RepositoryName } from '../../registry/index.ts';
import { AdapterMediaType } from '../../scan/index.ts';
import type { ApiRequest, ApiRoute } from './api-route.ts';
import { audit, done, ok, projectOf } from './api-guards.ts';
import { harborReportTypes } from './api-scans.ts';
import { PAGING_QUERY, pagedOk, pageHeaders, pageOf, pagingOf } from './paging.ts';

const P = '/projects/{project_name_or_id}';
const R = `${P}/repositories/{repository_name}`;

async function repositoryOf(req: ApiRequest, resource: 'repository' | 'artifact' | 'tag', action: 'read' | 'list' | 'delete' | 'create'): Promise<RepositoryName> {
  const project = await projectOf(req, resource, action);
  return { name: `${project.name}/${req.params['repository_name'] ?? ''}`, project: project.name };
}

/**
 * Harbor's `with_scan_overview=true`: each artifact with its scan's overview under the report types
 * the client accepts (`X-Accept-Vulnerabilities`; both of Slipway's by default). An index shows its
 * images' scans together: the worst status and severity, the counts summed.
 */
async function withScanOverview<T extends { readonly digest: string; readonly references: readonly string[] }>(req: ApiRequest, artifacts: readonly T[]): Promise<readonly T[]> {
  if (req.query.get('with_scan_overview') !== 'true') return artifacts;
  const types = harborReportTypes(req.ctx.req.headers['x-accept-vulnerabilities']) ?? [AdapterMediaType.genericReport, AdapterMediaType.nativeReport];
  return Promise.all(
    artifacts.map(async (artifact) => {
      const overview = await req.services.scans.overview(artifact.references.length > 0 ? artifact.references : [artifact.digest]);
      return overview === undefined ? artifact : { ...artifact, scan_overview: Object.fromEntries(types.map((type) => [type, overview])) };
    }),
  );
}

export const artifactRoutes: readonly ApiRoute[] = [
  {
    operationId: 'listRepositories',
    method: 'GET',
    path: `${P}/repositories`,
    tag: 'repository',
    summary: 'Repositories of a project, paged.',
    query: { ...PAGING_QUERY, name: { type: 'string' } },
    anonymous: true,
    async handle(req) {
      const project = await projectOf(req, 'repository', 'list');
      const paging = pagingOf(req.query);
      const name = req.query.get('name') ?? undefined;
      const result = await req.services.registry.artifacts.repositories(project.project_id, { ...paging, ...(name === undefined ? {} : { name }) });
      return ok(result.items, pageHeaders(req.ctx.url, paging, result.total));
    },
  },
  {
    operationId: 'deleteRepository',
    method: 'DELETE',
    path: R,
    tag: 'repository',
    summary: 'Deletes a repository with every artifact (refused by immutable tags).',
    async handle(req) {
      const repo = await repositoryOf(req, 'repository', 'delete');
      await req.services.registry.artifacts.deleteRepository(repo, req.principal.name);
      await audit(req, { project: repo.project, resource: repo.name, resourceType: 'repository', operation: 'delete' });
      return done;
    },
  },
  {
    operationId: 'listArtifacts',
    method: 'GET',
    path: `${R}/artifacts`,
    tag: 'artifact',
    summary: 'Artifacts with their tags: tagged ones and untagged ones outside an index; `all=true` adds index children and accessories.',
    query: { ...PAGING_QUERY, all: { type: 'boolean' }, with_scan_overview: { type: 'boolean' } },
    anonymous: true,
    async handle(req) {
      const repo = await repositoryOf(req, 'artifact', 'list');
      const all = await req.services.registry.artifacts.list(repo, { all: req.query.get('all') === 'true' });
      const { items, headers } = pageOf(req, all);
      return ok(await withScanOverview(req, items), headers);
    },
  },
  {
    operationId: 'getArtifact',
    method: 'GET',
    path: `${R}/artifacts/{reference}`,
    tag: 'artifact',
    summary: 'One artifact, by tag or digest.',
    query: { with_scan_overview: { type: 'boolean' } },
    anonymous: true,
    async handle(req) {
      const repo = await repositoryOf(req, 'artifact', 'read');
      const [artifact] = await withScanOverview(req, [await req.services.registry.artifacts.get(repo, req.params['reference'] ?? '')]);
      return ok(artifact);
    },
  },
  {
    operationId: 'deleteArtifact',
    method: 'DELETE',
    path: `${R}/artifacts/{reference}`,
    tag: 'artifact',
    summary: 'Deletes an artifact with its signatures, SBOMs and other accessories (412 when a tag is immutable).',
    async handle(req) {
      const repo = await repositoryOf(req, 'artifact', 'delete');
      const artifact = await req.services.registry.artifacts.get(repo, req.params['reference'] ?? '');
      const deleted = await req.services.registry.artifacts.delete(repo, artifact.digest, req.principal.name);
      return ok({ deleted });
    },
  },
  {
    operationId: 'listTags',
    method: 'GET',
    path: `${R}/artifacts/{reference}/tags`,
    tag: 'artifact',
    summary: 'Tags of an artifact, by name, paged.',
    query: PAGING_QUERY,
    anonymous: true,
    async handle(req) {
      const repo = await repositoryOf(req, 'tag', 'list');
      return pagedOk(req, (await req.services.registry.artifacts.get(repo, req.params['reference'] ?? '')).tags);
    },
  },
  {
    operationId: 'createTag',
    method: 'POST',
    path: `${R}/artifacts/{reference}/tags`,
    tag: 'artifact',
    summary: 'Adds a tag to an artifact (refused when the tag exists; immutability applies).',
    body: { type: 'object', required: ['name'], properties: { name: { type: 'string', minLength: 1, maxLength: 128 } } },
    async handle(req) {
      const repo = await repositoryOf(req, 'tag', 'create');
      const tag = (req.body as { name: string }).name;
      await req.services.registry.artifacts.addTag(repo, req.params['reference'] ?? '', tag, req.principal.name);
      await audit(req, { project: repo.project, resource: `${repo.name}:${tag}`, resourceType: 'tag', operation: 'create' });
      return { status: 201 };
    },
  },
  {
    operationId: 'deleteTag',
    method: 'DELETE',
    path: `${R}/artifacts/{reference}/tags/{tag_name}`,
    tag: 'artifact',
    summary: 'Removes a tag (412 when it is immutable).',
    async handle(req) {
      const repo = await repositoryOf(req, 'tag', 'delete');
      await req.services.registry.artifacts.deleteTag(repo, req.params['tag_name'] ?? '', req.principal.name);
      return done;
    },
  },
];
