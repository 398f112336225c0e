import { fixedCredentials } from '../../core/oci/client/credentials.ts';
import { createRegistryClient } from '../../core/oci/client/registry-client.ts';
import type { Cataloger } from '../model.ts';
import type { ScanResult } from '../report/scan-result.ts';
import { openScanImage } from '../scan-image.ts';
import { scanImage } from '../scanner.ts';
import type { VulnDb } from '../vulndb/vulndb.ts';
import { registryCredential } from './registry-credential.ts';

/** A scan request as Harbor sends it (§1.4), after validation. */
export interface AdapterScanRequest {
  readonly registry: {
    /** `https://host[:port]` (path ignored); `http:` URLs are reached without TLS. */
    readonly url: string;
    /** The full `Authorization` header for the registry. */
    readonly authorization?: string;
    /** Skip TLS verification (Harbor's `registry.insecure`). */
    readonly insecure?: boolean;
  };
  readonly artifact: { readonly repository: string; readonly digest: string; readonly mimeType?: string; readonly tag?: string };
}

export interface RegistryScanDeps {
  readonly vulndb: VulnDb;
  readonly catalogers: readonly Cataloger[];
  readonly version: string;
}

/**
 * Pulls `repository@digest` from the request's registry with the request's authorization, and
 * scans it with the local vulnerability database.
 */
export async function scanFromRegistry(request: AdapterScanRequest, deps: RegistryScanDeps, options: { readonly signal?: AbortSignal } = {}): Promise<ScanResult> {
  const url = new URL(request.registry.url);
  // An explicit port keeps a dotless host (`http://core`) from reading as a Docker Hub namespace.
  const host = `${url.hostname}:${url.port || (url.protocol === 'http:' ? '80' : '443')}`;
  const insecure = url.protocol === 'http:' || request.registry.insecure === true;
  const client = createRegistryClient({ credentials: fixedCredentials(registryCredential(request.registry.authorization)), insecure: (h) => insecure && h === host });
  const signal = options.signal === undefined ? {} : { signal: options.signal };
  try {
    const image = await openScanImage(`${host}/${request.artifact.repository}@${request.artifact.digest}`, { client, ...signal });
    return await scanImage(image, { catalogers: deps.catalogers, vulndb: deps.vulndb, version: deps.version, ...signal });
  } finally {
    client.close();
  }
}
