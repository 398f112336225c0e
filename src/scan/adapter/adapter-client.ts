/**
 * A client of Harbor's Pluggable Scanner API v1.2 (harbor-trivy.md §1): lets Slipway use an
 * external scanner (harbor-scanner-trivy, another Slipway) as Harbor does. Every call has its own
 * timeout (5 s, as Harbor); a scan asks for the report type the adapter's metadata says it
 * produces (checked by Harbor's health rule first), posts the request, then polls the report
 * honouring `Refresh-After` the way Harbor reads it, up to an overall deadline, and returns the
 * report's findings.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { AdapterError } from './adapter-error.ts';
import { AdapterMediaType } from './adapter-media-types.ts';
import { checkMetadata, type ScannerAdapterMetadata } from './adapter-metadata.ts';
import { fromHarborReport, type AdapterReport } from './harbor-findings.ts';

/** How Slipway authenticates to the adapter, as a Harbor scanner registration states it (§1.7). */
export interface AdapterAuth {
  readonly kind: 'Basic' | 'Bearer' | 'APIKey';
  /** `user:password` for Basic, the token or key otherwise. */
  readonly credential: string;
}

export interface AdapterScannerOptions {
  /** The adapter's base URL, as registered in Harbor (`http://trivy-adapter:8080`); `/api/v1` is appended. */
  readonly url: string;
  readonly auth?: AdapterAuth;
  /** Per adapter call (default 5000). */
  readonly timeoutMs?: number;
  /**
   * The report asked for: the generic 1.1 report or the legacy native 1.0 one. By default, the one
   * the adapter's metadata says its vulnerability capability produces (the generic one when both).
   */
  readonly reportMimeType?: ReportMimeType;
  /** How long one scan may take, from the request to its report (default one hour). */
  readonly scanTimeoutMs?: number;
  /** Waits between polls (tests shorten it). */
  readonly sleep?: (ms: number, options: { readonly signal?: AbortSignal }) => Promise<void>;
}

/** The image to scan and how the adapter reaches it. */
export interface AdapterScanTarget {
  /** The registry's base URL as the adapter must reach it (`https://registry.example`). */
  readonly registryUrl: string;
  /** The full `Authorization` header the adapter sends to the registry (`Bearer …`, `Basic …`). */
  readonly authorization?: string;
  /** The repository including its project (`team-a/api`). */
  readonly repository: string;
  readonly digest: string;
  /** The manifest's media type. */
  readonly mimeType: string;
  readonly tag?: string;
  readonly insecure?: boolean;
}

export interface AdapterScanResult extends AdapterReport {
  /** The adapter's scan request id. */
  readonly requestId: string;
}

export interface AdapterScannerClient {
  /** The adapter's metadata, checked against Harbor's health rule (`UNHEALTHY` otherwise). */
  metadata(options?: { readonly signal?: AbortSignal }): Promise<ScannerAdapterMetadata>;
  scan(target: AdapterScanTarget, options?: { readonly signal?: AbortSignal }): Promise<AdapterScanResult>;
}

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: string;
}

type ReportMimeType = typeof AdapterMediaType.genericReport | typeof AdapterMediaType.nativeReport;

/** Harbor's wait when `Refresh-After` is missing or unreadable. */
const DEFAULT_REFRESH_SECONDS = 5;
const DEFAULT_SCAN_TIMEOUT_MS = 60 * 60 * 1000;
/** The adapter's metadata is asked again after this long (an adapter may be upgraded in place). */
const METADATA_TTL_MS = 10 * 60 * 1000;

export function createAdapterScanner(options: AdapterScannerOptions): AdapterScannerClient {
  const base = `${options.url.replace(/\/+$/, '')}/api/v1`;
  const timeoutMs = options.timeoutMs ?? 5000;
  const sleep = options.sleep ?? wait;
  const scanTimeoutMs = options.scanTimeoutMs ?? DEFAULT_SCAN_TIMEOUT_MS;
  let negotiated: { readonly type: Promise<ReportMimeType>; readonly at: number } | undefined;

  async function call(method: string, path: string, headers: Record<string, string>, body: string | undefined, signal: AbortSignal | undefined): Promise<Answer> {
    const timeout = AbortSignal.timeout(timeoutMs);
    const combined = signal === undefined ? timeout : AbortSignal.any([signal, timeout]);
    try {
      const response = await fetch(`${base}${path}`, {
        method,
        headers: { ...authHeaders(options.auth), ...headers },
        redirect: 'manual',
        signal: combined,
        ...(body === undefined ? {} : { body }),
      });
      return { status: response.status, headers: response.headers, body: await response.text() };
    } catch (cause) {
      signal?.throwIfAborted();
      if (timeout.aborted) throw new AdapterError('TIMEOUT', `${method} ${base}${path}: no answer within ${timeoutMs} ms`, { cause });
      throw new AdapterError('UNREACHABLE', `${method} ${base}${path}: ${(cause as Error).message}`, { cause });
    }
  }

  async function metadata(signal: AbortSignal | undefined): Promise<ScannerAdapterMetadata> {
    const answer = await call('GET', '/metadata', { accept: AdapterMediaType.metadataV10 }, undefined, signal);
    if (answer.status !== 200) throw failure(answer, 'GET /metadata');
    return checkMetadata(json(answer.body, 'metadata'));
  }

  /** The report type to ask for: as configured, else as the adapter's metadata says (kept a while; a failure is not kept). */
  function reportType(signal: AbortSignal | undefined): Promise<ReportMimeType> {
    if (options.reportMimeType !== undefined) return Promise.resolve(options.reportMimeType);
    if (negotiated === undefined || Date.now() - negotiated.at > METADATA_TTL_MS) {
      const type = metadata(signal).then(vulnerabilityReportType);
      const entry = { type, at: Date.now() };
      negotiated = entry;
      type.catch(() => {
        if (negotiated === entry) negotiated = undefined;
      });
    }
    return negotiated.type;
  }

  async function submit(target: AdapterScanTarget, type: ReportMimeType, signal: AbortSignal | undefined): Promise<string> {
    const answer = await call('POST', '/scan', { 'content-type': AdapterMediaType.scanRequestV10, accept: AdapterMediaType.scanResponse }, JSON.stringify(scanRequest(target, type)), signal);
    if (answer.status !== 202) throw failure(answer, 'POST /scan');
    const id = (json(answer.body, 'scan response') as { id?: unknown } | null)?.id;
    if (typeof id !== 'string' || id === '') throw new AdapterError('PROTOCOL', 'scan response: no id');
    return id;
  }

  return {
    metadata: async (o = {}) => metadata(o.signal),
    async scan(target, o = {}) {
      const type = await reportType(o.signal);
      const requestId = await submit(target, type, o.signal);
      const path = `/scan/${encodeURIComponent(requestId)}/report`;
      const deadline = Date.now() + scanTimeoutMs;
      for (;;) {
        const answer = await call('GET', path, { accept: type }, undefined, o.signal);
        if (answer.status === 200) return { requestId, ...fromHarborReport(json(answer.body, 'report')) };
        if (answer.status !== 302) throw failure(answer, `GET ${path}`);
        const waitMs = refreshAfterSeconds(answer.headers.get('refresh-after')) * 1000;
        if (Date.now() + waitMs > deadline) throw new AdapterError('TIMEOUT', `scan request ${requestId}: no report within ${Math.round(scanTimeoutMs / 1000)} s`);
        await sleep(waitMs, o.signal === undefined ? {} : { signal: o.signal });
      }
    },
  };
}

/** The vulnerability report type an adapter produces that Slipway reads: the generic one when it offers both. */
function vulnerabilityReportType(metadata: ScannerAdapterMetadata): ReportMimeType {
  const produced = metadata.capabilities.filter((c) => (c.type ?? 'vulnerability') === 'vulnerability').flatMap((c) => c.produces_mime_types);
  for (const type of [AdapterMediaType.genericReport, AdapterMediaType.nativeReport] as const) if (produced.includes(type)) return type;
  throw new AdapterError('UNHEALTHY', `scanner metadata: no vulnerability capability produces ${AdapterMediaType.genericReport} or ${AdapterMediaType.nativeReport} (it offers ${produced.join(', ') || 'none'})`);
}

/** Rejects with the caller's own abort reason, as every other step does. */
async function wait(ms: number, options: { readonly signal?: AbortSignal }): Promise<void> {
  try {
    await delay(ms, undefined, options.signal === undefined ? {} : { signal: options.signal });
  } catch (error) {
    options.signal?.throwIfAborted();
    throw error;
  }
}

/** As Harbor reads it: an integer that fits an int8, else 5 s. */
export function refreshAfterSeconds(value: string | null): number {
  if (value === null || !/^\d+$/.test(value.trim())) return DEFAULT_REFRESH_SECONDS;
  const seconds = Number(value.trim());
  return seconds > 127 ? DEFAULT_REFRESH_SECONDS : seconds;
}

function scanRequest(target: AdapterScanTarget, type: ReportMimeType): unknown {
  return {
    registry: { url: target.registryUrl, authorization: target.authorization ?? '', ...(target.insecure === undefined ? {} : { insecure: target.insecure }) },
    artifact: { repository: target.repository, digest: target.digest, mime_type: target.mimeType, ...(target.tag === undefined ? {} : { tag: target.tag }) },
    enabled_capabilities: [{ type: 'vulnerability', produces_mime_types: [type], parameters: null }],
  };
}

function authHeaders(auth: AdapterAuth | undefined): Record<string, string> {
  if (auth === undefined) return {};
  switch (auth.kind) {
    case 'Basic':
      return { authorization: `Basic ${Buffer.from(auth.credential).toString('base64')}` };
    case 'Bearer':
      return { authorization: `Bearer ${auth.credential}` };
    case 'APIKey':
      return { 'x-scanneradapter-api-key': auth.credential };
  }
}

function failure(answer: Answer, what: string): AdapterError {
  const message = errorMessage(answer.body);
  const text = `${what}: ${answer.status}${message === undefined ? '' : ` ${message}`}`;
  const status = answer.status;
  if (status === 401 || status === 403) return new AdapterError('UNAUTHORIZED', text, { status });
  if (status === 404) return new AdapterError('NOT_FOUND', text, { status });
  if (status === 500 && what.endsWith('/report')) return new AdapterError('SCAN_FAILED', text, { status });
  if ((status >= 400 && status < 500) || status === 501) return new AdapterError('REJECTED', text, { status });
  return new AdapterError('PROTOCOL', text, { status });
}

/** `{"error":{"message":…}}`, the adapter's error body. */
function errorMessage(body: string): string | undefined {
  try {
    const message = (JSON.parse(body) as { error?: { message?: unknown } } | null)?.error?.message;
    return typeof message === 'string' ? message : undefined;
  } catch {
    return undefined;
  }
}

function json(body: string, what: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch (cause) {
    throw new AdapterError('PROTOCOL', `${what} is not JSON`, { cause });
  }
}
