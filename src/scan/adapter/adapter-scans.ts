/**
 * The adapter's scan requests, durable: `POST /scan` enqueues an `adapter-scan` job in the metadata
 * database and answers with an id; whichever node's job worker claims it pulls and scans the image
 * and stores the result in the job; a report poll reads it back on any node. So Harbor may reach
 * every `slipway serve` node behind a load balancer, and a restart loses no request.
 *
 * The id is `<job id>-<random UUID>`: the UUID, kept in the payload, makes ids unguessable. A request
 * is kept for its TTL (one hour by default, ample for Harbor's polling); after that it reads as
 * unknown, a scan that had not started then is not run, and `purge` deletes it with its stored
 * registry authorization.
 */
import { randomUUID, timingSafeEqual } from 'node:crypto';
import type { JobHandler } from '../../core/jobs/job-worker.ts';
import type { JobQueue } from '../../core/jobs/job-queue.ts';
import { isDigest } from '../../core/oci/digest.ts';
import { parseRepositoryName } from '../../core/oci/reference.ts';
import type { ScanResult } from '../report/scan-result.ts';
import { AdapterError } from './adapter-error.ts';
import { registryCredential } from './registry-credential.ts';
import { scanFromRegistry, type AdapterScanRequest, type RegistryScanDeps } from './registry-scan.ts';

export const ADAPTER_SCAN_JOB = 'adapter-scan';

export type AdapterScanState =
  | { readonly status: 'pending' }
  | { readonly status: 'done'; readonly result: ScanResult }
  | { readonly status: 'failed'; readonly error: string };

export interface AdapterScanEntry {
  readonly id: string;
  readonly request: AdapterScanRequest;
  readonly createdAt: number;
  readonly state: AdapterScanState;
}

/** Runs one scan; the default pulls the image from the request's registry. */
export type AdapterScanRunner = (request: AdapterScanRequest, options: { readonly signal: AbortSignal }) => Promise<ScanResult>;

export interface AdapterScansOptions {
  readonly queue: JobQueue;
  /** Requests waiting to start at most (default 1000); beyond that a request is refused with `BUSY`. */
  readonly maxPending?: number;
  /** How long a request is kept after it was made (default one hour). */
  readonly ttlMs?: number;
  readonly now?: () => number;
}

export interface AdapterScans {
  /** Validates the request (`INVALID_REQUEST`), enqueues its scan and returns its id. */
  submit(request: AdapterScanRequest, options?: { readonly signal?: AbortSignal }): Promise<string>;
  /** The request and its state; `undefined` for an unknown or expired id. */
  get(id: string, options?: { readonly signal?: AbortSignal }): Promise<AdapterScanEntry | undefined>;
  /** Deletes the requests past their TTL that have finished (or never started); returns how many. */
  purge(options?: { readonly signal?: AbortSignal }): Promise<number>;
}

interface AdapterScanPayload {
  readonly key: string;
  readonly request: AdapterScanRequest;
}

const ID = /^([1-9]\d{0,15})-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;
/** A failed pull is tried once more (a registry hiccup), no more: Harbor is polling. */
const MAX_ATTEMPTS = 2;

export function createAdapterScans(options: AdapterScansOptions): AdapterScans {
  const { queue } = options;
  const maxPending = options.maxPending ?? 1000;
  const ttlMs = options.ttlMs ?? 3_600_000;
  const now = options.now ?? Date.now;

  return {
    async submit(request, o = {}) {
      checkRequest(request);
      // Requests older than the TTL are dropped unscanned when their turn comes: they do not count.
      if ((await queue.count({ kind: ADAPTER_SCAN_JOB, status: 'queued', createdAfter: now() - ttlMs }, o)) >= maxPending) {
        throw new AdapterError('BUSY', `${maxPending} scan requests are waiting; try again later`);
      }
      const key = randomUUID();
      const payload: AdapterScanPayload = { key, request };
      const id = await queue.enqueue(ADAPTER_SCAN_JOB, payload, { maxAttempts: MAX_ATTEMPTS, ...o });
      return `${id}-${key}`;
    },
    async get(id, o = {}) {
      const match = ID.exec(id);
      if (match === null) return undefined;
      const job = await queue.get(Number(match[1]), o);
      if (job === undefined || job.kind !== ADAPTER_SCAN_JOB || job.createdAt + ttlMs <= now()) return undefined;
      const payload = job.payload as AdapterScanPayload;
      if (!sameKey(payload.key, match[2] ?? '')) return undefined;
      const state: AdapterScanState =
        job.status === 'succeeded'
          ? { status: 'done', result: job.result as ScanResult }
          : job.status === 'failed'
            ? { status: 'failed', error: job.lastError ?? 'the scan failed' }
            : { status: 'pending' };
      return { id, request: payload.request, createdAt: job.createdAt, state };
    },
    purge(o = {}) {
      return queue.purge({ kinds: [ADAPTER_SCAN_JOB], createdBefore: now() - ttlMs + 1, statuses: ['queued', 'succeeded', 'failed'] }, o);
    },
  };
}

/**
 * The `adapter-scan` job: scans the request's image (pulled from its registry), unless the request
 * expired before a worker took it. The scan result is the job's result.
 */
export function adapterScanJobHandler(deps: RegistryScanDeps & { readonly ttlMs?: number; readonly now?: () => number; readonly run?: AdapterScanRunner }): JobHandler {
  const ttlMs = deps.ttlMs ?? 3_600_000;
  const now = deps.now ?? Date.now;
  const run = deps.run ?? ((request, o) => scanFromRegistry(request, deps, o));
  return async (payload, job, { signal }) => {
    if (job.createdAt + ttlMs <= now()) return { expired: true };
    return run((payload as AdapterScanPayload).request, { signal });
  };
}

function sameKey(stored: string, given: string): boolean {
  const a = Buffer.from(stored);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** What the values must be: an http(s) registry URL, a valid repository name and digest, a Bearer or Basic authorization. */
function checkRequest(request: AdapterScanRequest): void {
  if (!isDigest(request.artifact.digest)) throw new AdapterError('INVALID_REQUEST', `invalid artifact.digest ${JSON.stringify(request.artifact.digest)}`);
  try {
    parseRepositoryName(request.artifact.repository);
  } catch (cause) {
    throw new AdapterError('INVALID_REQUEST', `invalid artifact.repository ${JSON.stringify(request.artifact.repository)}`, { cause });
  }
  let url: URL;
  try {
    url = new URL(request.registry.url);
  } catch (cause) {
    throw new AdapterError('INVALID_REQUEST', `invalid registry.url ${JSON.stringify(request.registry.url)}`, { cause });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new AdapterError('INVALID_REQUEST', 'registry.url must be an http or https URL');
  registryCredential(request.registry.authorization);
}
