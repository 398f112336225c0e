/**
 * Reading protobuf-JSON documents (trusted roots, legacy Rekor bundles) field by field: names in lowerCamelCase or
 * snake_case, bytes in standard or URL-safe base64, int64 as strings or numbers, timestamps in RFC 3339. Every reader
 * names the field it failed on, so the error says exactly what is wrong with the document.
 */
import { SignError, type SignErrorCode } from '../sign-error.ts';

/** A JSON object being read, with the document name, error code and field path to report failures under. */
export interface ProtoReader {
  readonly value: Readonly<Record<string, unknown>>;
  /** The document, for messages: `trusted root`, `cosign bundle annotation`. */
  readonly document: string;
  /** The field path inside the document (`tlogs[0].publicKey`); empty for the document itself. */
  readonly path: string;
  readonly code: SignErrorCode;
}

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

/** Throws the reader's error for one of its fields (`name` relative to it; empty = the object itself). */
export function fail(r: Pick<ProtoReader, 'document' | 'path' | 'code'>, name: string, why: string): never {
  const path = childPath(r, name);
  throw new SignError(r.code, path === '' ? `${r.document} ${why}` : `${r.document}: ${path} ${why}`);
}

/** Starts reading `value` as a JSON object at `path` of `document`. */
export function reader(value: unknown, document: string, code: SignErrorCode, path = ''): ProtoReader {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail({ document, path, code }, '', 'must be a JSON object');
  return { value: value as Record<string, unknown>, document, path, code };
}

/** The snake_case spelling of a lowerCamelCase field name. */
export function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

function childPath(r: Pick<ProtoReader, 'path'>, name: string): string {
  if (name === '') return r.path;
  return r.path === '' || name.startsWith('[') ? `${r.path}${name}` : `${r.path}.${name}`;
}

/** A field's raw value under either spelling; `undefined` (or JSON null) when absent. */
export function raw(r: ProtoReader, name: string): unknown {
  const v = r.value[name] ?? r.value[snakeCase(name)];
  return v === null ? undefined : v;
}

/** A nested object field, or `undefined` when absent. */
export function optionalObject(r: ProtoReader, name: string): ProtoReader | undefined {
  const v = raw(r, name);
  return v === undefined ? undefined : reader(v, r.document, r.code, childPath(r, name));
}

/** A nested object field that must be present. */
export function requiredObject(r: ProtoReader, name: string): ProtoReader {
  return optionalObject(r, name) ?? fail(r, name, 'is missing');
}

/** A repeated object field (absent = empty). */
export function objectList(r: ProtoReader, name: string): ProtoReader[] {
  const v = raw(r, name);
  if (v === undefined) return [];
  if (!Array.isArray(v)) fail(r, name, 'must be an array');
  return v.map((item, i) => reader(item, r.document, r.code, `${childPath(r, name)}[${i}]`));
}

/** A string field, or `undefined` when absent or empty (protobuf omits zero values). */
export function optionalString(r: ProtoReader, name: string): string | undefined {
  const v = raw(r, name);
  if (v === undefined || v === '') return undefined;
  if (typeof v !== 'string') fail(r, name, 'must be a string');
  return v;
}

/** A string field that must be present and non-empty. */
export function requiredString(r: ProtoReader, name: string): string {
  return optionalString(r, name) ?? fail(r, name, 'is missing');
}

/** Decodes standard or URL-safe base64 (padding optional); `undefined` when the text is not base64. */
export function decodeBase64(text: string): Buffer | undefined {
  if (!BASE64.test(text) || text.length % 4 === 1) return undefined;
  return Buffer.from(text, 'base64');
}

/** A bytes field that must be present and non-empty. */
export function requiredBytes(r: ProtoReader, name: string): Buffer {
  const text = requiredString(r, name);
  return decodeBase64(text) ?? fail(r, name, 'is not base64');
}

/** An int64 field (JSON string or number); 0 when absent. Must be a safe non-negative integer. */
export function int64(r: ProtoReader, name: string): number {
  const v = raw(r, name);
  if (v === undefined) return 0;
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) fail(r, name, 'must be a non-negative integer');
  return n;
}

/** An int64 field that must be present. */
export function requiredInt64(r: ProtoReader, name: string): number {
  if (raw(r, name) === undefined) fail(r, name, 'is missing');
  return int64(r, name);
}

/** An RFC 3339 timestamp field, or `undefined` when absent. */
export function optionalTimestamp(r: ProtoReader, name: string): Date | undefined {
  const v = optionalString(r, name);
  if (v === undefined) return undefined;
  const date = new Date(v);
  if (!RFC3339.test(v) || Number.isNaN(date.getTime())) fail(r, name, `is not an RFC 3339 timestamp: ${v}`);
  return date;
}
