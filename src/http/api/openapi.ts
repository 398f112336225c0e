import { API_PREFIX, type ApiRoute, type JsonSchema } from './api-route.ts';

const ERRORS: JsonSchema = {
  type: 'object',
  required: ['errors'],
  properties: { errors: { type: 'array', items: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' } } } } },
};

/** Path parameters named in a template, in order. */
export function pathParameters(path: string): string[] {
  return [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1] ?? '');
}

/** The OpenAPI 3.1 document of `/api/v2.0`, generated from the route table. */
export function openApiDocument(routes: readonly ApiRoute[], version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const operations = (paths[route.path] ??= {});
    operations[route.method.toLowerCase()] = {
      operationId: route.operationId,
      summary: route.summary,
      tags: [route.tag],
      parameters: [
        ...pathParameters(route.path).map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } })),
        ...Object.entries(route.query ?? {}).map(([name, schema]) => ({ name, in: 'query', required: false, schema })),
      ],
      ...(route.body === undefined ? {} : { requestBody: { required: true, content: { 'application/json': { schema: route.body } } } }),
      responses: {
        [successStatus(route)]: { description: 'success', ...(route.response === undefined ? {} : { content: { 'application/json': { schema: route.response } } }) },
        default: { description: 'error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Errors' } } } },
      },
      security: route.anonymous === true ? [{}, { basic: [] }] : [{ basic: [] }],
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Slipway management API', version, description: "Projects, members, robots, policies, audit and housekeeping, shaped like Harbor's /api/v2.0." },
    servers: [{ url: API_PREFIX }],
    paths,
    components: {
      schemas: { Errors: ERRORS },
      securitySchemes: { basic: { type: 'http', scheme: 'basic' } },
    },
  };
}

function successStatus(route: ApiRoute): string {
  if (route.method === 'POST') return '201';
  if (route.method === 'DELETE') return '200';
  return '200';
}
