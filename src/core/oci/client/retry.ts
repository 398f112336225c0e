import { setTimeout as sleep } from 'node:timers/promises';
import { RegistryClientError } from './client-error.ts';

export interface RetryPolicy {
  /** Total tries, the first included. Default 4. */
  readonly attempts?: number;
  /** Delay before the first retry; doubles each time, with jitter. Default 250 ms. */
  readonly baseDelayMs?: number;
  /** Cap on one delay, `Retry-After` included. Default 30 s. */
  readonly maxDelayMs?: number;
}

export interface RetryOptions extends RetryPolicy {
  readonly signal?: AbortSignal;
  readonly onRetry?: (error: RegistryClientError, attempt: number, delayMs: number) => void;
}

/**
 * Runs `operation` again after transient failures (network errors, 429, 5xx), with exponential
 * backoff and jitter, honouring `Retry-After`. Callers use it for idempotent requests and for whole
 * blob uploads, whose `operation` re-opens the source each time. Anything else is thrown at once.
 */
export async function withRetry<T>(operation: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const attempts = Math.max(1, options.attempts ?? 4);
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (error) {
      options.signal?.throwIfAborted();
      if (attempt >= attempts || !isTransient(error)) throw error;
      const delay = retryDelay(error, attempt, options);
      options.onRetry?.(error, attempt, delay);
      await sleep(delay, undefined, options.signal === undefined ? {} : { signal: options.signal });
    }
  }
}

export function isTransient(error: unknown): error is RegistryClientError {
  return error instanceof RegistryClientError && error.transient;
}

/** Full-jitter exponential backoff; `Retry-After` wins when it asks for longer. */
export function retryDelay(error: RegistryClientError, attempt: number, policy: RetryPolicy = {}): number {
  const max = policy.maxDelayMs ?? 30_000;
  const ceiling = Math.min(max, (policy.baseDelayMs ?? 250) * 2 ** (attempt - 1));
  const backoff = ceiling / 2 + Math.random() * (ceiling / 2);
  return Math.min(max, Math.max(backoff, error.retryAfterMs ?? 0));
}

/** `Retry-After`: delay seconds or an HTTP date, in milliseconds from now. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
