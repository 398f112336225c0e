/**
 * The adapter's scan requests: accepted at once, run in the background (a few at a time), kept in
 * memory until their TTL ends, and bounded in number.
 *
 * The store is per process. Behind a load balancer with several `slipway serve` nodes, Harbor's
 * `POST /scan` and its report polls must reach the same node: register one node's own address
 * as the scanner URL, or make the adapter path sticky. Sharing requests between nodes would take
 * a table in the metadata database and a durable scan job, as the server's own scans have.
 */
import { randomUUID } from 'node:crypto';
import { isDigest } from '../../core/oci/digest.ts';
import { parseRepositoryName } from '../../core/oci/reference.ts';
import type { ScanResult } from '../report/scan-result.ts';
import { AdapterError } from './adapter-error.ts';
import { registryCredential } from './registry-credential.ts';
import { scanFromRegistry, type AdapterScanRequest, type RegistryScanDeps } from './registry-scan.ts';

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

export interface AdapterScansOptions extends RegistryScanDeps {
  /** Requests kept at most (default 1000); the oldest finished one makes room, else `BUSY`. */
  readonly maxEntries?: number;
  /** How long a request is kept after it was made (default one hour); a scan still running then is cancelled. */
  readonly ttlMs?: number;
  /** Scans running at once (default 2); the others wait their turn. */
  readonly concurrency?: number;
  readonly now?: () => number;
  readonly run?: AdapterScanRunner;
  readonly onFailure?: (id: string, error: unknown) => void;
}

export interface AdapterScans {
  /** Validates the request (`INVALID_REQUEST`), stores it and starts its scan; returns its id. */
  submit(request: AdapterScanRequest): string;
  get(id: string): AdapterScanEntry | undefined;
  /** Cancels every scan; later requests are refused (`CLOSED`). */
  close(): void;
}

interface Slot {
  readonly id: string;
  readonly request: AdapterScanRequest;
  readonly createdAt: number;
  readonly controller: AbortController;
  state: AdapterScanState;
}

export function createAdapterScans(options: AdapterScansOptions): AdapterScans {
  const maxEntries = options.maxEntries ?? 1000;
  const ttlMs = options.ttlMs ?? 3_600_000;
  const concurrency = options.concurrency ?? 2;
  const now = options.now ?? Date.now;
  const run = options.run ?? ((request, o) => scanFromRegistry(request, options, o));
  const slots = new Map<string, Slot>();
  const waiting: Slot[] = [];
  let running = 0;
  let closed = false;

  function expire(): void {
    // Insertion order is creation order: the expired ones are at the front.
    for (const slot of slots.values()) {
      if (slot.createdAt + ttlMs > now()) break;
      remove(slot, 'the scan request expired');
    }
  }

  function remove(slot: Slot, reason: string): void {
    slot.controller.abort(new AdapterError('CLOSED', reason));
    slots.delete(slot.id);
  }

  function makeRoom(): void {
    if (slots.size < maxEntries) return;
    const finished = [...slots.values()].find((s) => s.state.status !== 'pending');
    if (finished === undefined) throw new AdapterError('BUSY', `${maxEntries} scan requests are pending; try again later`);
    remove(finished, 'evicted');
  }

  async function execute(slot: Slot): Promise<void> {
    try {
      slot.controller.signal.throwIfAborted();
      slot.state = { status: 'done', result: await run(slot.request, { signal: slot.controller.signal }) };
    } catch (error) {
      slot.state = { status: 'failed', error: error instanceof Error ? error.message : String(error) };
      if (!slot.controller.signal.aborted) options.onFailure?.(slot.id, error);
    }
  }

  function pump(): void {
    while (running < concurrency && waiting.length > 0) {
      const slot = waiting.shift();
      if (slot === undefined) return;
      running += 1;
      void execute(slot).finally(() => {
        running -= 1;
        pump();
      });
    }
  }

  return {
    submit(request) {
      if (closed) throw new AdapterError('CLOSED', 'the scanner is shutting down');
      checkRequest(request);
      expire();
      makeRoom();
      const slot: Slot = { id: randomUUID(), request, createdAt: now(), controller: new AbortController(), state: { status: 'pending' } };
      slots.set(slot.id, slot);
      waiting.push(slot);
      pump();
      return slot.id;
    },
    get(id) {
      expire();
      const slot = slots.get(id);
      return slot === undefined ? undefined : { id: slot.id, request: slot.request, createdAt: slot.createdAt, state: slot.state };
    },
    close() {
      closed = true;
      waiting.length = 0;
      for (const slot of slots.values()) remove(slot, 'the scanner is shutting down');
    },
  };
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
