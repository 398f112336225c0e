/**
 * The HTTP exchange shared by the Fulcio and Rekor clients: one JSON call with a timeout, and
 * the mapping of every failure (unreachable, timed out, refused, unreadable answer) to
 * `SIGSTORE_UNAVAILABLE`. A caller's own abort is passed through as its abort reason.
 */
import { SignError } from '../sign-error.ts';

/** Which Sigstore service is called (named in messages). */
export type SigstoreService = 'Fulcio' | 'Rekor';

/** One answer of a Sigstore service, body read as text. */
export interface ServiceAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: string;
}

export interface ServiceCall {
  readonly method: 'GET' | 'POST';
  readonly url: string;
  /** JSON, sent with `Content-Type: application/json`. */
  readonly body?: string;
  readonly signal?: AbortSignal;
}

/** Each call must be answered within this time (Fulcio and Rekor answer in well under a second). */
const CALL_TIMEOUT_MS = 30_000;
/** How much of an error body a message quotes. */
const MESSAGE_LIMIT = 500;

/** Calls a Sigstore service; the answer may have any status (see {@link serviceRefused}). */
export async function callService(service: SigstoreService, call: ServiceCall): Promise<ServiceAnswer> {
  const timeout = AbortSignal.timeout(CALL_TIMEOUT_MS);
  const signal = call.signal === undefined ? timeout : AbortSignal.any([call.signal, timeout]);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (call.body !== undefined) headers['content-type'] = 'application/json';
  try {
    const response = await fetch(call.url, {
      method: call.method,
      headers,
      redirect: 'manual',
      signal,
      ...(call.body === undefined ? {} : { body: call.body }),
    });
    return { status: response.status, headers: response.headers, body: await response.text() };
  } catch (cause) {
    call.signal?.throwIfAborted();
    const why = timeout.aborted ? `no answer within ${CALL_TIMEOUT_MS / 1000} s` : networkReason(cause);
    throw new SignError('SIGSTORE_UNAVAILABLE', `${service} at ${call.url} could not be reached: ${why}`, { cause });
  }
}

/** The error for an answer with an unexpected status: status and the service's own message. */
export function serviceRefused(service: SigstoreService, what: string, answer: ServiceAnswer): SignError {
  return new SignError('SIGSTORE_UNAVAILABLE', `${service} refused ${what}: HTTP ${answer.status}: ${errorMessage(answer.body)}`);
}

/** Parses a JSON answer; an unreadable one is a `SIGSTORE_UNAVAILABLE`. */
export function parseAnswer(service: SigstoreService, what: string, body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch (cause) {
    throw new SignError('SIGSTORE_UNAVAILABLE', `${service} answered ${what} with something other than JSON`, { cause });
  }
}

/** The error for an answer that parses but lacks what the protocol promises. */
export function malformedAnswer(service: SigstoreService, what: string, detail: string): SignError {
  return new SignError('SIGSTORE_UNAVAILABLE', `${service} answered ${what} with an unreadable response: ${detail}`);
}

/** Fulcio (grpc-gateway) and Rekor (go-swagger) both answer errors as `{"code":…,"message":"…"}`. */
function errorMessage(body: string): string {
  let message = body.trim();
  try {
    const parsed = JSON.parse(body) as { message?: unknown } | null;
    if (typeof parsed?.message === 'string' && parsed.message !== '') message = parsed.message;
  } catch {
    // not JSON: quote the text
  }
  if (message === '') return '(empty body)';
  return message.length > MESSAGE_LIMIT ? `${message.slice(0, MESSAGE_LIMIT)}…` : message;
}

/** `fetch failed` says nothing; its cause (`ECONNREFUSED …`) does. */
function networkReason(cause: unknown): string {
  if (!(cause instanceof Error)) return String(cause);
  const inner = cause.cause;
  if (inner instanceof Error) return inner.message === '' ? cause.message : inner.message;
  return cause.message;
}
