import type { AdapterScans } from '../../scan/index.ts';
import type { VulnDb } from '../../scan/index.ts';
import type { HttpContext } from '../http-server.ts';

/** What the adapter's handlers work with. */
export interface AdapterDeps {
  readonly scans: AdapterScans;
  readonly vulndb: Pick<VulnDb, 'status'>;
  readonly version: string;
  /** The `Refresh-After` of a report that is not ready yet (seconds). */
  readonly refreshAfterSeconds: number;
}

export interface AdapterRequest {
  readonly ctx: HttpContext;
  /** The path's captured parameters, decoded. */
  readonly params: readonly string[];
  readonly deps: AdapterDeps;
}

export interface AdapterResponse {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string | number>>;
  /** Sent as JSON under `contentType`. */
  readonly body?: unknown;
  readonly contentType?: string;
}

export interface AdapterRoute {
  readonly method: 'GET' | 'POST';
  /** Matched against the path after `/api/v1`. */
  readonly pattern: RegExp;
  readonly name: string;
  readonly handle: (request: AdapterRequest) => Promise<AdapterResponse>;
}
