import { HttpError } from '../http-error.ts';
import { ok } from './api-guards.ts';
import type { ApiRequest } from './api-route.ts';

export interface Paging {
  readonly page: number;
  readonly pageSize: number;
}

export const PAGING_QUERY = {
  page: { type: 'integer', minimum: 1, default: 1 },
  page_size: { type: 'integer', minimum: 1, maximum: 100, default: 10 },
} as const;

/** Harbor's `page` (from 1) and `page_size` (10 by default, at most 100). */
export function pagingOf(query: URLSearchParams): Paging {
  const page = Number(query.get('page') ?? 1);
  const pageSize = Number(query.get('page_size') ?? 10);
  if (!Number.isInteger(page) || page < 1) throw new HttpError('BAD_REQUEST', 'page must be a positive integer');
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 100) throw new HttpError('BAD_REQUEST', 'page_size must be between 1 and 100');
  return { page, pageSize };
}

/** Harbor's headers: `X-Total-Count` and a request-relative `Link` with prev/next, joined by " , ". */
export function pageHeaders(url: URL, paging: Paging, total: number): Record<string, string> {
  const links: string[] = [];
  const at = (page: number) => {
    const next = new URLSearchParams([['page', String(page)], ['page_size', String(paging.pageSize)]]);
    for (const [key, value] of url.searchParams) if (key !== 'page' && key !== 'page_size') next.append(key, value);
    return `<${url.pathname}?${next.toString()}>`;
  };
  if (paging.page > 1) links.push(`${at(paging.page - 1)}; rel="prev"`);
  if (paging.page * paging.pageSize < total) links.push(`${at(paging.page + 1)}; rel="next"`);
  return { 'x-total-count': String(total), ...(links.length === 0 ? {} : { link: links.join(' , ') }) };
}

/**
 * A 200 answer with the page the request asks for (`page`, `page_size`) of a list the server holds
 * whole (robots, users, an artifact's tags…), each item through `view`, and Harbor's headers.
 */
export function pagedOk<T>(req: ApiRequest, all: readonly T[], view: (item: T) => unknown = (item) => item) {
  const { items, headers } = pageOf(req, all);
  return ok(items.map(view), headers);
}

/** The page of `all` the request asks for, and Harbor's headers for it (for a view that must be awaited). */
export function pageOf<T>(req: ApiRequest, all: readonly T[]): { items: T[]; headers: Record<string, string> } {
  const paging = pagingOf(req.query);
  return { items: all.slice((paging.page - 1) * paging.pageSize, paging.page * paging.pageSize), headers: pageHeaders(req.ctx.url, paging, all.length) };
}
