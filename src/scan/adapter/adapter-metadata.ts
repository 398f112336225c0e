/**
 * The adapter's metadata (harbor-trivy.md §1.3): what Slipway announces, and Harbor's health rule
 * that a scanner's metadata must pass before Harbor uses it.
 */
import { isoSeconds } from '../report/scan-result.ts';
import { AdapterError } from './adapter-error.ts';
import { AdapterMediaType, CONSUMED_MIME_TYPES, KNOWN_REPORT_TYPES, SBOM_MEDIA_TYPES } from './adapter-media-types.ts';
import { MediaType } from '../../core/oci/media-types.ts';

export type CapabilityType = 'vulnerability' | 'sbom';

export interface AdapterCapability {
  /** Absent means `vulnerability`. */
  readonly type?: CapabilityType;
  readonly consumes_mime_types: readonly string[];
  readonly produces_mime_types: readonly string[];
  readonly additional_attributes?: { readonly sbom_media_types?: readonly string[] };
}

export interface AdapterScanner {
  readonly name: string;
  readonly vendor: string;
  readonly version: string;
}

export interface ScannerAdapterMetadata {
  readonly scanner: AdapterScanner;
  readonly capabilities: readonly AdapterCapability[];
  readonly properties: Readonly<Record<string, string>>;
}

/** What each capability type of Slipway's adapter produces. */
export const PRODUCES: Readonly<Record<CapabilityType, readonly string[]>> = {
  vulnerability: [AdapterMediaType.genericReport, AdapterMediaType.nativeReport],
  sbom: [AdapterMediaType.sbomReport],
};

/** Slipway's own metadata; `dbUpdatedAt` is the last vulnerability database import (ms), when there was one. */
export function slipwayMetadata(options: { readonly version: string; readonly dbUpdatedAt: number | null }): ScannerAdapterMetadata {
  return {
    scanner: { name: 'Slipway', vendor: 'Slipway', version: options.version },
    capabilities: [
      { type: 'vulnerability', consumes_mime_types: CONSUMED_MIME_TYPES, produces_mime_types: PRODUCES.vulnerability },
      { type: 'sbom', consumes_mime_types: CONSUMED_MIME_TYPES, produces_mime_types: PRODUCES.sbom, additional_attributes: { sbom_media_types: SBOM_MEDIA_TYPES } },
    ],
    properties: {
      'harbor.scanner-adapter/scanner-type': 'os-package-vulnerability',
      ...(options.dbUpdatedAt === null ? {} : { 'harbor.scanner-adapter/vulnerability-database-updated-at': isoSeconds(options.dbUpdatedAt) }),
      'harbor.scanner-adapter/registry-authorization-type': 'Bearer',
    },
  };
}

/**
 * Checks a metadata document as Harbor does before it marks a scanner healthy: a named scanner,
 * and every capability consumes Docker v2 manifests and produces a report type Harbor knows.
 * Returns it typed; throws `UNHEALTHY` naming the first rule broken.
 */
export function checkMetadata(value: unknown): ScannerAdapterMetadata {
  const fail = (why: string): never => {
    throw new AdapterError('UNHEALTHY', `scanner metadata: ${why}`);
  };
  if (!isObject(value)) return fail('not a JSON object');
  const scanner = value['scanner'];
  if (!isObject(scanner) || !['name', 'vendor', 'version'].every((k) => typeof scanner[k] === 'string' && scanner[k] !== '')) {
    return fail('scanner name, vendor and version are required');
  }
  const capabilities = value['capabilities'];
  if (!Array.isArray(capabilities) || capabilities.length === 0) return fail('no capabilities');
  for (const [i, capability] of capabilities.entries()) {
    if (!isObject(capability)) return fail(`capability ${i} is not an object`);
    if (!strings(capability['consumes_mime_types']).includes(MediaType.dockerManifest)) return fail(`capability ${i} does not consume ${MediaType.dockerManifest}`);
    if (!strings(capability['produces_mime_types']).some((t) => KNOWN_REPORT_TYPES.includes(t))) return fail(`capability ${i} produces no report type Harbor knows`);
  }
  const properties = isObject(value['properties']) ? value['properties'] : {};
  return { ...(value as unknown as ScannerAdapterMetadata), properties: Object.fromEntries(Object.entries(properties).filter(([, v]) => typeof v === 'string')) as Record<string, string> };
}

function strings(value: unknown): readonly string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
