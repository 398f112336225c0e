/**
 * OpenVEX 0.2.0 documents (sbom-vuln.md §7), checked on the way in. Accepts the bare document or an
 * in-toto Statement whose `predicateType` starts with `https://openvex.dev/ns`.
 *
 * Slipway extension: `slipway_expires` (RFC 3339), on a statement or on the document (inherited by
 * statements without their own). A statement applies while `now` is before its expiry; once
 * expired it is ignored entirely, as if it were not in the document.
 */
import { ReportError } from './report-error.ts';

export const VEX_STATUSES = ['not_affected', 'affected', 'fixed', 'under_investigation'] as const;
export type VexStatus = (typeof VEX_STATUSES)[number];

export const VEX_JUSTIFICATIONS = [
  'component_not_present',
  'vulnerable_code_not_present',
  'vulnerable_code_not_in_execute_path',
  'vulnerable_code_cannot_be_controlled_by_adversary',
  'inline_mitigations_already_exist',
] as const;
export type VexJustification = (typeof VEX_JUSTIFICATIONS)[number];

export interface OpenVexComponent {
  readonly '@id'?: string;
  readonly identifiers?: { readonly purl?: string; readonly cpe22?: string; readonly cpe23?: string };
  readonly hashes?: Readonly<Record<string, string>>;
}

export interface OpenVexProduct extends OpenVexComponent {
  readonly subcomponents?: readonly OpenVexComponent[];
}

export interface OpenVexStatement {
  readonly '@id'?: string;
  readonly vulnerability: { readonly name: string; readonly '@id'?: string; readonly description?: string; readonly aliases?: readonly string[] };
  readonly products?: readonly OpenVexProduct[];
  readonly status: VexStatus;
  readonly justification?: VexJustification;
  readonly impact_statement?: string;
  readonly action_statement?: string;
  readonly status_notes?: string;
  readonly timestamp?: string;
  readonly last_updated?: string;
  readonly slipway_expires?: string;
}

export interface OpenVexDocument {
  readonly '@context': string;
  readonly '@id': string;
  readonly author: string;
  readonly role?: string;
  readonly timestamp: string;
  readonly last_updated?: string;
  readonly version: number;
  readonly tooling?: string;
  readonly slipway_expires?: string;
  readonly statements: readonly OpenVexStatement[];
}

type Json = Readonly<Record<string, unknown>>;

function fail(path: string, message: string): never {
  throw new ReportError('VEX_INVALID', `OpenVEX ${path}: ${message}`);
}

function object(value: unknown, path: string): Json {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(path, 'must be an object');
  return value as Json;
}

function text(json: Json, key: string, path: string, required: boolean): string | undefined {
  const value = json[key];
  if (value === undefined && !required) return undefined;
  if (typeof value !== 'string' || value === '') fail(`${path}.${key}`, 'must be a non-empty string');
  return value;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

function time(json: Json, key: string, path: string, required: boolean): void {
  const value = text(json, key, path, required);
  if (value !== undefined && (!RFC3339.test(value) || Number.isNaN(Date.parse(value)))) fail(`${path}.${key}`, `${JSON.stringify(value)} is not an RFC 3339 time`);
}

function list(json: Json, key: string, path: string): readonly unknown[] | undefined {
  const value = json[key];
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) fail(`${path}.${key}`, 'must be an array');
  return value;
}

function checkComponent(value: unknown, path: string): void {
  const json = object(value, path);
  text(json, '@id', path, false);
  if (json.identifiers !== undefined) for (const key of ['purl', 'cpe22', 'cpe23']) text(object(json.identifiers, `${path}.identifiers`), key, `${path}.identifiers`, false);
  if (json.hashes !== undefined) for (const key of Object.keys(object(json.hashes, `${path}.hashes`))) text(object(json.hashes, path), key, `${path}.hashes`, true);
  if (json['@id'] === undefined && json.identifiers === undefined && json.hashes === undefined) fail(path, 'needs @id, identifiers or hashes');
}

function checkProduct(value: unknown, path: string): void {
  checkComponent(value, path);
  list(object(value, path), 'subcomponents', path)?.forEach((sub, i) => checkComponent(sub, `${path}.subcomponents[${i}]`));
}

function checkStatus(json: Json, path: string): void {
  const status = text(json, 'status', path, true);
  if (!(VEX_STATUSES as readonly (string | undefined)[]).includes(status)) fail(`${path}.status`, `must be one of ${VEX_STATUSES.join(', ')}`);
  const justification = text(json, 'justification', path, false);
  const impact = text(json, 'impact_statement', path, false);
  if (justification !== undefined && !(VEX_JUSTIFICATIONS as readonly string[]).includes(justification)) fail(`${path}.justification`, `must be one of ${VEX_JUSTIFICATIONS.join(', ')}`);
  if (status === 'not_affected' && justification === undefined && impact === undefined) fail(path, 'not_affected needs a justification or an impact_statement');
  if (status !== 'not_affected' && (justification !== undefined || impact !== undefined)) fail(path, `justification and impact_statement belong to not_affected, not ${status}`);
  if (status === 'affected' && text(json, 'action_statement', path, false) === undefined) fail(path, 'affected needs an action_statement');
}

function checkStatement(value: unknown, path: string): void {
  const json = object(value, path);
  const vulnerability = object(json.vulnerability, `${path}.vulnerability`);
  text(vulnerability, 'name', `${path}.vulnerability`, true);
  text(vulnerability, '@id', `${path}.vulnerability`, false);
  list(vulnerability, 'aliases', `${path}.vulnerability`)?.forEach((alias, i) => {
    if (typeof alias !== 'string' || alias === '') fail(`${path}.vulnerability.aliases[${i}]`, 'must be a non-empty string');
  });
  list(json, 'products', path)?.forEach((product, i) => checkProduct(product, `${path}.products[${i}]`));
  checkStatus(json, path);
  for (const key of ['timestamp', 'last_updated', 'slipway_expires']) time(json, key, path, false);
}

function checkDocument(json: Json): void {
  const context = text(json, '@context', '', true) ?? '';
  if (!context.startsWith('https://openvex.dev/ns')) fail('@context', `${JSON.stringify(context)} is not an OpenVEX context`);
  text(json, '@id', '', true);
  text(json, 'author', '', true);
  time(json, 'timestamp', '', true);
  for (const key of ['last_updated', 'slipway_expires']) time(json, key, '', false);
  if (typeof json.version !== 'number' || !Number.isInteger(json.version) || json.version < 1) fail('.version', 'must be an integer ≥ 1');
  const statements = list(json, 'statements', '');
  if (statements === undefined || statements.length === 0) fail('.statements', 'needs at least one statement');
  statements.forEach((statement, i) => checkStatement(statement, `.statements[${i}]`));
}

/** Unwraps an in-toto Statement carrying an OpenVEX predicate. */
function unwrap(json: Json): Json {
  if (json.predicateType === undefined) return json;
  if (typeof json.predicateType !== 'string' || !json.predicateType.startsWith('https://openvex.dev/ns')) fail('.predicateType', 'is not an OpenVEX predicate');
  return object(json.predicate, '.predicate');
}

/** Checks and returns an OpenVEX document (parsed JSON, or its text); throws `ReportError` `VEX_INVALID`. */
export function parseOpenVex(input: unknown): OpenVexDocument {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch (cause) {
      throw new ReportError('VEX_INVALID', 'OpenVEX: the document is not JSON', { cause });
    }
  }
  const json = unwrap(object(value, 'document'));
  checkDocument(json);
  return json as unknown as OpenVexDocument;
}
