/**
 * OSV records (schema 1.x, `formats/sbom-vuln.md` §4): parsed and validated for the fields the
 * database uses. A record without `id`/`modified`, with a bad timestamp or with a malformed range
 * (no `introduced`, `fixed` beside `last_affected`, a GIT range without repo or with short commit
 * ids, an event that is not exactly one of the four kinds) is refused with `RECORD_INVALID`.
 */
import { VulnDbError } from './vulndb-error.ts';

export type OsvRangeType = 'SEMVER' | 'ECOSYSTEM' | 'GIT';
export type OsvEventKind = 'introduced' | 'fixed' | 'last_affected' | 'limit';

export interface OsvEvent {
  readonly kind: OsvEventKind;
  readonly version: string;
}

export interface OsvRange {
  readonly type: OsvRangeType;
  readonly repo?: string;
  readonly events: readonly OsvEvent[];
}

/** A `severity[]` entry: `type` CVSS_V2/CVSS_V3/CVSS_V4/Ubuntu, `score` a vector or a priority word. */
export interface OsvSeverity {
  readonly type: string;
  readonly score: string;
}

export interface OsvAffected {
  /** Absent for entries that name only a repository (GIT ranges); such entries match nothing. */
  readonly package?: { readonly ecosystem: string; readonly name: string; readonly purl?: string };
  readonly severity: readonly OsvSeverity[];
  readonly ranges: readonly OsvRange[];
  readonly versions: readonly string[];
  readonly ecosystemSpecific: Readonly<Record<string, unknown>>;
  readonly databaseSpecific: Readonly<Record<string, unknown>>;
  /** The entry as the record has it (what `advisory_packages.affected` stores). */
  readonly raw: unknown;
}

export interface OsvRecord {
  readonly id: string;
  /** Milliseconds since the epoch. */
  readonly modified: number;
  /** Milliseconds since the epoch, when the record says. */
  readonly published?: number;
  readonly withdrawn?: number;
  readonly aliases: readonly string[];
  readonly upstream: readonly string[];
  readonly summary?: string;
  readonly details?: string;
  readonly severity: readonly OsvSeverity[];
  readonly affected: readonly OsvAffected[];
  readonly references: readonly string[];
  readonly databaseSpecific: Readonly<Record<string, unknown>>;
  /** The record as read (JSON-compatible; YAML timestamps kept as strings). */
  readonly raw: unknown;
}

type Json = Readonly<Record<string, unknown>>;

const RANGE_TYPES: readonly string[] = ['SEMVER', 'ECOSYSTEM', 'GIT'];
const EVENT_KINDS: readonly OsvEventKind[] = ['introduced', 'fixed', 'last_affected', 'limit'];
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;
const GIT_COMMIT = /^(0|[a-f0-9]{40}|[a-f0-9]{64})$/;

/**
 * Parses an OSV document: JSON, or YAML 1.2 (core schema, so timestamps stay strings). The YAML
 * parser loads on the first YAML document: a scan, which only reads stored JSON, never loads it.
 */
export async function parseOsvText(text: string, format: 'json' | 'yaml'): Promise<OsvRecord> {
  let value: unknown;
  try {
    value = format === 'json' ? JSON.parse(text) : (await import('yaml')).parse(text, { schema: 'core', uniqueKeys: true, maxAliasCount: 100 });
  } catch (error) {
    throw new VulnDbError('RECORD_INVALID', `not valid ${format.toUpperCase()}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  return parseOsvRecord(value);
}

/** Validates one record (already parsed from JSON or YAML). */
export function parseOsvRecord(value: unknown): OsvRecord {
  const record = object(value, 'record');
  const id = requiredString(record, 'id', '');
  const where = `record ${id}`;
  const modified = timestamp(requiredString(record, 'modified', where), `${where}: modified`);
  const withdrawnText = optionalString(record, 'withdrawn', where);
  const publishedText = optionalString(record, 'published', where);
  const summary = optionalString(record, 'summary', where);
  const details = optionalString(record, 'details', where);
  return {
    id,
    modified,
    ...(publishedText === undefined ? {} : { published: timestamp(publishedText, `${where}: published`) }),
    ...(withdrawnText === undefined ? {} : { withdrawn: timestamp(withdrawnText, `${where}: withdrawn`) }),
    aliases: strings(record.aliases, `${where}: aliases`),
    upstream: strings(record.upstream, `${where}: upstream`),
    ...(summary === undefined ? {} : { summary }),
    ...(details === undefined ? {} : { details }),
    severity: severities(record.severity, `${where}: severity`),
    affected: list(record.affected, `${where}: affected`).map((entry, i) => parseOsvAffected(entry, `${where}: affected[${i}]`)),
    references: list(record.references, `${where}: references`).flatMap((ref) => {
      const url = ref !== null && typeof ref === 'object' ? (ref as Json).url : undefined;
      return typeof url === 'string' ? [url] : [];
    }),
    databaseSpecific: optionalObject(record.database_specific, `${where}: database_specific`),
    raw: value,
  };
}

/** Validates one `affected[]` entry (also used on the stored copy when matching). */
export function parseOsvAffected(value: unknown, where = 'affected'): OsvAffected {
  const entry = object(value, where);
  const pkg = entry.package === undefined || entry.package === null ? undefined : object(entry.package, `${where}.package`);
  const purl = pkg === undefined ? undefined : optionalString(pkg, 'purl', `${where}.package`);
  return {
    ...(pkg === undefined
      ? {}
      : { package: { ecosystem: requiredString(pkg, 'ecosystem', `${where}.package`), name: requiredString(pkg, 'name', `${where}.package`), ...(purl === undefined ? {} : { purl }) } }),
    severity: severities(entry.severity, `${where}.severity`),
    ranges: list(entry.ranges, `${where}.ranges`).flatMap((range, i) => evaluated(range, `${where}.ranges[${i}]`)),
    versions: strings(entry.versions, `${where}.versions`),
    ecosystemSpecific: optionalObject(entry.ecosystem_specific, `${where}.ecosystem_specific`),
    databaseSpecific: optionalObject(entry.database_specific, `${where}.database_specific`),
    raw: value,
  };
}

/**
 * A range matching reads: SEMVER and ECOSYSTEM ones, strictly (a broken one is a broken record).
 * A GIT range (never evaluated: it needs the repository's history, `versions[]` stands for it) or a
 * range of a type this reader does not know is kept when well-formed and otherwise dropped, so
 * that a short commit id does not cost the record its ECOSYSTEM range (PYSEC-2021-424 has both).
 */
function evaluated(value: unknown, where: string): OsvRange[] {
  const type = typeof value === 'object' && value !== null ? (value as { type?: unknown }).type : undefined;
  if (type === 'SEMVER' || type === 'ECOSYSTEM') return [parseRange(value, where)];
  try {
    return [parseRange(value, where)];
  } catch (error) {
    if (error instanceof VulnDbError && error.code === 'RECORD_INVALID') return [];
    throw error;
  }
}

function parseRange(value: unknown, where: string): OsvRange {
  const range = object(value, where);
  const type = requiredString(range, 'type', where);
  if (!RANGE_TYPES.includes(type)) invalid(`${where}: unknown range type ${JSON.stringify(type)}`);
  const repo = optionalString(range, 'repo', where);
  if (type === 'GIT' && repo === undefined) invalid(`${where}: a GIT range needs a repo`);
  const events = list(range.events, `${where}.events`).map((event, i) => parseEvent(event, `${where}.events[${i}]`));
  if (!events.some((event) => event.kind === 'introduced')) invalid(`${where}: no introduced event`);
  if (events.some((e) => e.kind === 'fixed') && events.some((e) => e.kind === 'last_affected')) {
    invalid(`${where}: fixed and last_affected events in one range`);
  }
  if (type === 'GIT') {
    const bad = events.find((event) => !GIT_COMMIT.test(event.version));
    if (bad !== undefined) invalid(`${where}: GIT event ${JSON.stringify(bad.version)} is not a full commit id`);
  }
  return { type: type as OsvRangeType, ...(repo === undefined ? {} : { repo }), events };
}

function parseEvent(value: unknown, where: string): OsvEvent {
  const event = object(value, where);
  const keys = Object.keys(event);
  const kind = EVENT_KINDS.find((k) => k === keys[0]);
  if (keys.length !== 1 || kind === undefined) invalid(`${where}: an event has exactly one of ${EVENT_KINDS.join(', ')}`);
  const version = event[kind];
  if (typeof version !== 'string' || version === '') invalid(`${where}: ${kind} is not a non-empty string`);
  return { kind, version };
}

function severities(value: unknown, where: string): OsvSeverity[] {
  return list(value, where).map((item, i) => {
    const severity = object(item, `${where}[${i}]`);
    return { type: requiredString(severity, 'type', `${where}[${i}]`), score: requiredString(severity, 'score', `${where}[${i}]`) };
  });
}

function timestamp(text: string, where: string): number {
  const ms = TIMESTAMP.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(ms)) invalid(`${where}: ${JSON.stringify(text)} is not an RFC 3339 timestamp`);
  return ms;
}

function object(value: unknown, where: string): Json {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) invalid(`${where}: not an object`);
  return value as Json;
}

function optionalObject(value: unknown, where: string): Json {
  return value === undefined || value === null ? {} : object(value, where);
}

/** An optional array (absent or null ⇒ empty). */
function list(value: unknown, where: string): readonly unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) invalid(`${where}: not an array`);
  return value as unknown[];
}

function strings(value: unknown, where: string): string[] {
  return list(value, where).map((item, i) => {
    if (typeof item !== 'string') invalid(`${where}[${i}]: not a string`);
    return item;
  });
}

function requiredString(json: Json, key: string, where: string): string {
  const value = json[key];
  if (typeof value !== 'string' || value === '') invalid(`${where ? `${where}: ` : ''}${key} is missing or not a non-empty string`);
  return value;
}

function optionalString(json: Json, key: string, where: string): string | undefined {
  const value = json[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') invalid(`${where}: ${key} is not a string`);
  return value;
}

function invalid(message: string): never {
  throw new VulnDbError('RECORD_INVALID', message);
}
