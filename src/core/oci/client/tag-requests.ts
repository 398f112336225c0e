import { pullScope } from './auth-challenge.ts';
import { RegistryClientError } from './client-error.ts';
import { discard, header, readBody, type TransportResponse } from './http-transport.ts';
import { parseJsonObject } from './json-body.ts';
import { unexpected } from './registry-requester.ts';
import { repositoryPath, retrying, withSignal, type RepositoryContext } from './repository-context.ts';

export interface ListTagsOptions {
  /** `n` per page; the registry's default when unset. */
  readonly pageSize?: number;
  readonly signal?: AbortSignal;
}

const PAGE_LIMIT = 16 * 1024 * 1024;

/** Every tag of the repository, following `Link` pagination (same origin only). Nothing for an unknown repository. */
export async function* listTags(context: RepositoryContext, o: ListTagsOptions = {}): AsyncGenerator<string> {
  let target: string | URL = repositoryPath(context, `tags/list${o.pageSize === undefined ? '' : `?n=${o.pageSize}`}`);
  let origin: string | undefined;
  for (;;) {
    const current = target;
    const page = await retrying(context, o.signal, async () => {
      const response = await context.requester.send({ method: 'GET', host: context.host, target: current, scopes: pullScope(context.name), ...withSignal(o.signal) });
      if (response.status === 404) {
        discard(response);
        return undefined;
      }
      if (response.status !== 200) throw await unexpected(response, `GET tags ${context.name}`);
      const listed = parseJsonObject(await readBody(response, PAGE_LIMIT, o.signal), `tags of ${context.name}`)['tags'];
      const tags: string[] = Array.isArray(listed) ? listed.filter((t): t is string => typeof t === 'string') : [];
      return { tags, next: nextLink(response), origin: response.url.origin };
    });
    if (page === undefined) return;
    yield* page.tags;
    origin ??= page.origin;
    if (page.next === undefined) return;
    if (page.next.origin !== origin) throw new RegistryClientError('PROTOCOL', `tags of ${context.name}: the next page is on another origin (${page.next.origin})`);
    target = page.next;
  }
}

/** The `rel="next"` target of a `Link` header, resolved against the request URL. */
export function nextLink(response: TransportResponse): URL | undefined {
  const value = header(response, 'link');
  if (value === undefined) return undefined;
  for (const part of value.split(/,(?=\s*<)/)) {
    const match = /^\s*<([^>]*)>\s*;(.*)$/.exec(part);
    if (match !== null && /(?:^|;)\s*rel="?next"?\s*(?:;|$)/i.test(match[2] ?? '')) return new URL(match[1] ?? '', response.url);
  }
  return undefined;
}
