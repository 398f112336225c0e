/**
 * The scan request body (harbor-trivy.md §1.4): its JSON schema, and the checks a schema cannot
 * state (what each capability may ask for). Unknown fields are ignored, as Harbor sends more
 * than the spec (`artifact.size`, `registry.insecure`). The statuses are the spec's: 400 for a
 * value of the wrong JSON type, 422 for a missing or empty field, 501 for an artifact or report
 * type this scanner has no capability for.
 */
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import { CONSUMED_MIME_TYPES, isSbomMediaType, PRODUCES, type AdapterScanRequest, type CapabilityType } from '../../scan/index.ts';
import { AdapterHttpError } from './adapter-http-error.ts';

interface ScanRequestBody {
  readonly registry: { readonly url: string; readonly authorization?: string; readonly insecure?: boolean };
  readonly artifact: { readonly repository: string; readonly digest: string; readonly tag?: string; readonly mime_type?: string };
  readonly enabled_capabilities?: readonly {
    readonly type: CapabilityType;
    /** Absent: every type the capability produces. */
    readonly produces_mime_types?: readonly string[];
    readonly parameters?: { readonly sbom_media_types?: readonly string[] } | null;
  }[];
}

const SCHEMA = {
  type: 'object',
  required: ['registry', 'artifact'],
  properties: {
    registry: {
      type: 'object',
      required: ['url'],
      properties: { url: { type: 'string', minLength: 1 }, authorization: { type: 'string' }, insecure: { type: 'boolean' } },
    },
    artifact: {
      type: 'object',
      required: ['repository', 'digest'],
      properties: { repository: { type: 'string', minLength: 1 }, digest: { type: 'string', minLength: 1 }, tag: { type: 'string' }, mime_type: { type: 'string' } },
    },
    enabled_capabilities: {
      type: 'array',
      items: {
        type: 'object',
        required: ['type'],
        properties: {
          type: { enum: ['vulnerability', 'sbom'] },
          produces_mime_types: { type: 'array', items: { type: 'string' } },
          parameters: { type: ['object', 'null'], properties: { sbom_media_types: { type: 'array', items: { type: 'string' } } } },
        },
      },
    },
  },
} as const;

const validate = new Ajv2020({ allErrors: true, strict: false }).compile<ScanRequestBody>(SCHEMA);

/** The request Slipway scans, or an error naming every invalid field (see above for the statuses). */
export function parseScanRequest(body: unknown): AdapterScanRequest {
  if (!validate(body)) {
    const wrongType = (validate.errors ?? []).some((e) => e.keyword === 'type');
    throw new AdapterHttpError(wrongType ? 'BAD_REQUEST' : 'UNPROCESSABLE', `invalid scan request: ${describe(validate.errors)}`);
  }
  const { registry, artifact } = body;
  if (artifact.mime_type !== undefined && artifact.mime_type !== '' && !CONSUMED_MIME_TYPES.includes(artifact.mime_type)) {
    throw new AdapterHttpError('NO_CAPABILITY', `unsupported artifact.mime_type ${JSON.stringify(artifact.mime_type)}; scans ${CONSUMED_MIME_TYPES.join(', ')}`);
  }
  for (const [i, capability] of (body.enabled_capabilities ?? []).entries()) checkCapability(capability, i);
  return {
    registry: { url: registry.url, ...(registry.authorization === undefined ? {} : { authorization: registry.authorization }), ...(registry.insecure === undefined ? {} : { insecure: registry.insecure }) },
    artifact: {
      repository: artifact.repository,
      digest: artifact.digest,
      ...(artifact.mime_type === undefined || artifact.mime_type === '' ? {} : { mimeType: artifact.mime_type }),
      ...(artifact.tag === undefined || artifact.tag === '' ? {} : { tag: artifact.tag }),
    },
  };
}

function checkCapability(capability: NonNullable<ScanRequestBody['enabled_capabilities']>[number], i: number): void {
  const type = capability.type;
  const unknown = (capability.produces_mime_types ?? []).filter((t) => !PRODUCES[type].includes(t));
  if (unknown.length > 0) throw new AdapterHttpError('NO_CAPABILITY', `enabled_capabilities[${i}]: ${type} does not produce ${unknown.join(', ')}`);
  if (type !== 'sbom') return;
  const media = capability.parameters?.sbom_media_types ?? [];
  if (media.length === 0) throw new AdapterHttpError('UNPROCESSABLE', `enabled_capabilities[${i}]: sbom needs parameters.sbom_media_types`);
  const unsupported = media.filter((m) => !isSbomMediaType(m));
  if (unsupported.length > 0) throw new AdapterHttpError('NO_CAPABILITY', `enabled_capabilities[${i}]: unsupported sbom_media_types ${unsupported.join(', ')}`);
}

function describe(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`).join('; ');
}
