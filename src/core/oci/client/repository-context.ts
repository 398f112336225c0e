import type { Requester } from './registry-requester.ts';
import { withRetry, type RetryPolicy } from './retry.ts';

/** What every request against one repository shares. */
export interface RepositoryContext {
  readonly host: string;
  readonly name: string;
  readonly requester: Requester;
  readonly retry: RetryPolicy;
}

/** `/v2/<name>/<rest>`. */
export function repositoryPath(context: RepositoryContext, rest: string): string {
  return `/v2/${context.name}/${rest}`;
}

/** A reference in this repository as messages name it: `name:tag`, or `name@digest` (a tag never contains a colon). */
export function describeReference(context: RepositoryContext, reference: string): string {
  return reference.includes(':') ? `${context.name}@${reference}` : `${context.name}:${reference}`;
}

/** Runs an idempotent operation under the client's retry policy. */
export function retrying<T>(context: RepositoryContext, signal: AbortSignal | undefined, operation: () => Promise<T>): Promise<T> {
  return withRetry(operation, { ...context.retry, ...(signal === undefined ? {} : { signal }) });
}

/** `{ signal }` when there is one, for option bags under exactOptionalPropertyTypes. */
export function withSignal(signal: AbortSignal | undefined): { signal?: AbortSignal } {
  return signal === undefined ? {} : { signal };
}
