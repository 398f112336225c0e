import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { http, https } from '../node-http.ts';
import { EventError } from './event-error.ts';
import type { WebhookTarget } from './webhook-policy.ts';

/**
 * One webhook delivery: a POST of the payload to one target, as Harbor's job service sends it,
 * plus Slipway's signature when the target has a `secret`.
 *
 * Signing (Slipway's addition; Harbor has none). With a secret, each request carries
 *   X-Slipway-Timestamp: <unix seconds>
 *   X-Slipway-Signature-256: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>
 * A receiver recomputes the HMAC over the raw body bytes exactly as received (before any JSON
 * parsing), compares it with `crypto.timingSafeEqual` (never `===`, which leaks the match length
 * through timing), and rejects timestamps further than a few minutes from its own clock, so that a
 * captured request cannot be replayed later. `verifyWebhookSignature` does all three.
 *
 * Uses node:http/node:https (not fetch) so that `skip_cert_verify` needs no extra package: it
 * turns off certificate checks for that request only. Redirects are not followed.
 */
export const SIGNATURE_HEADER = 'X-Slipway-Signature-256';
export const TIMESTAMP_HEADER = 'X-Slipway-Timestamp';
export const DEFAULT_DELIVERY_TIMEOUT_MS = 10_000;
const USER_AGENT = 'slipway-webhook';
/** How much of a failing receiver's answer an error quotes. */
const BODY_EXCERPT_CHARS = 200;

export interface DeliveryOptions {
  readonly contentType: string;
  readonly signal?: AbortSignal;
  /** For the whole exchange, connection to response headers; default 10 s. */
  readonly timeoutMs?: number;
  /** Milliseconds since the epoch for the signature timestamp; default now. */
  readonly now?: number;
}

export interface DeliveryResult {
  readonly status: number;
}

type DeliveryTarget = Pick<WebhookTarget, 'address' | 'auth_header' | 'skip_cert_verify' | 'secret'>;

/**
 * POSTs `body` to the target. Resolves on a 2xx answer; anything else, a network error or the
 * timeout throws `DELIVERY_FAILED` (with the status and at most 200 characters of the answer).
 * Errors name the target by origin and path only and never carry `auth_header` or `secret`.
 * When `signal` aborts, rejects with its reason.
 */
export async function deliverWebhook(target: DeliveryTarget, body: Buffer, options: DeliveryOptions): Promise<DeliveryResult> {
  options.signal?.throwIfAborted();
  const timeoutMs = options.timeoutMs ?? DEFAULT_DELIVERY_TIMEOUT_MS;
  let url: URL;
  try {
    url = new URL(target.address);
  } catch {
    throw new EventError('DELIVERY_FAILED', 'the webhook address is not a URL');
  }
  const where = `${url.origin}${url.pathname}`;
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new EventError('DELIVERY_FAILED', `webhook delivery to ${where} failed: only http and https are supported`);
  }
  const headers = requestHeaders(target, body, options);
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = options.signal === undefined ? timeout : AbortSignal.any([options.signal, timeout]);
  try {
    const response = await post(url, headers, body, signal, target.skip_cert_verify);
    if (response.status >= 200 && response.status < 300) return { status: response.status };
    const excerpt = response.excerpt === '' ? '' : `: ${response.excerpt}`;
    throw new EventError('DELIVERY_FAILED', `webhook delivery to ${where} failed: HTTP ${response.status}${excerpt}`, {
      status: response.status,
    });
  } catch (error) {
    if (error instanceof EventError) throw error;
    if (options.signal?.aborted === true) throw options.signal.reason;
    if (timeout.aborted) {
      throw new EventError('DELIVERY_FAILED', `webhook delivery to ${where} failed: no answer within ${timeoutMs} ms`, { cause: timeout.reason });
    }
    const reason = error instanceof Error ? error.message : String(error);
    throw new EventError('DELIVERY_FAILED', `webhook delivery to ${where} failed: ${reason}`, { cause: error });
  }
}

function requestHeaders(target: DeliveryTarget, body: Buffer, options: DeliveryOptions): Record<string, string | number> {
  const headers: Record<string, string | number> = {
    'content-type': options.contentType,
    'content-length': body.length,
    'user-agent': USER_AGENT,
  };
  if (target.auth_header !== undefined && target.auth_header !== '') headers['authorization'] = target.auth_header;
  if (target.secret !== undefined && target.secret !== '') {
    const timestamp = Math.floor((options.now ?? Date.now()) / 1000);
    headers[TIMESTAMP_HEADER] = String(timestamp);
    headers[SIGNATURE_HEADER] = signWebhook(target.secret, timestamp, body);
  }
  return headers;
}

/** `sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`. */
export function signWebhook(secret: string, timestamp: number | string, body: Buffer | string): string {
  const hmac = createHmac('sha256', secret).update(`${timestamp}.`).update(body);
  return `sha256=${hmac.digest('hex')}`;
}

/**
 * Checks a delivery's signature: the timestamp must be whole unix seconds within
 * `toleranceSeconds` (default 300) of `now` (milliseconds, default the current time), and the
 * header must match the HMAC of `"<timestamp>.<body>"`, compared in constant time.
 */
export function verifyWebhookSignature(
  secret: string,
  timestamp: string | number | undefined,
  body: Buffer | string,
  header: string | undefined,
  options: { readonly toleranceSeconds?: number; readonly now?: number } = {},
): boolean {
  if (header === undefined || timestamp === undefined) return false;
  const text = String(timestamp);
  if (!/^\d{1,15}$/.test(text)) return false;
  const nowSeconds = Math.floor((options.now ?? Date.now()) / 1000);
  if (Math.abs(nowSeconds - Number(text)) > (options.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(signWebhook(secret, text, body));
  const given = Buffer.from(header.trim());
  return given.length === expected.length && timingSafeEqual(given, expected);
}

interface Answer {
  readonly status: number;
  readonly excerpt: string;
}

function post(url: URL, headers: Record<string, string | number>, body: Buffer, signal: AbortSignal, insecure: boolean): Promise<Answer> {
  const { promise, resolve, reject } = Promise.withResolvers<Answer>();
  const common = { method: 'POST', headers, signal, agent: false as const };
  const req =
    url.protocol === 'https:'
      ? https.request(url, { ...common, rejectUnauthorized: !insecure })
      : http.request(url, common);
  req.on('error', reject);
  req.on('response', (res) => {
    const status = res.statusCode ?? 0;
    if (status >= 200 && status < 300) {
      res.resume();
      resolve({ status, excerpt: '' });
      return;
    }
    readExcerpt(res).then((excerpt) => resolve({ status, excerpt }), reject);
  });
  req.end(body);
  return promise;
}

/** The start of a response body, as text on one line, at most BODY_EXCERPT_CHARS characters. */
async function readExcerpt(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res) {
      chunks.push(chunk as Buffer);
      size += (chunk as Buffer).length;
      if (size >= BODY_EXCERPT_CHARS * 4) break;
    }
  } catch {
    // What arrived before the connection failed is excerpt enough.
  } finally {
    res.destroy();
  }
  const text = Buffer.concat(chunks).toString('utf8').replaceAll(/\s+/g, ' ').trim();
  // Cut by UTF-16 units, without leaving half of a surrogate pair at the end.
  return text.slice(0, BODY_EXCERPT_CHARS).replace(/[\uD800-\uDBFF]$/, '');
}
