import { HttpError } from './http-error.ts';

export interface Range {
  readonly start: number;
  /** Inclusive. */
  readonly end: number;
}

/**
 * Parses a single-range `Range: bytes=…` header against a size (RFC 9110): `a-b`, `a-`, `-n`.
 * Returns undefined for no header or forms we serve whole (several ranges); throws 416 when the
 * range cannot be satisfied.
 */
export function parseRangeHeader(header: string | undefined, size: number): Range | undefined {
  if (header === undefined) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (match === null) return undefined;
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return undefined;
  const unsatisfiable = () =>
    new HttpError('RANGE_NOT_SATISFIABLE', `range ${header} is outside the ${size} bytes of the blob`, {
      headers: { 'content-range': `bytes */${size}` },
    });
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) throw unsatisfiable();
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (start >= size || (last !== '' && Number(last) < start)) throw unsatisfiable();
  return { start, end };
}

/**
 * Parses an upload chunk's `Content-Range: <start>-<end>` (inclusive; a `bytes ` or `bytes=` prefix
 * is tolerated). Returns undefined when absent (a streamed append).
 */
export function parseContentRange(header: string | undefined): Range | undefined {
  if (header === undefined || header.trim() === '') return undefined;
  const match = /^(?:bytes[ =])?(\d+)-(\d+)(?:\/(?:\d+|\*))?$/.exec(header.trim());
  if (match === null) throw new HttpError('RANGE_NOT_SATISFIABLE', `malformed Content-Range ${JSON.stringify(header)}`);
  const start = Number(match[1]);
  const end = Number(match[2]);
  if (start > end) throw new HttpError('RANGE_NOT_SATISFIABLE', `Content-Range ${header} ends before it starts`);
  return { start, end };
}
