/**
 * Reads a Harbor vulnerability report (native 1.0 or generic 1.1, harbor-trivy.md §1.6) that an
 * external adapter produced, into Slipway findings. Harbor reports name a package only by name and
 * version, so the findings carry those (and the layer, when the adapter says) rather than a full
 * catalogued `Package`.
 */
import type { Finding, Package, Severity } from '../model.ts';
import { SEVERITIES } from '../model.ts';
import { AdapterError } from './adapter-error.ts';
import type { AdapterScanner } from './adapter-metadata.ts';

/** A finding as an external scanner reports it: a `Finding` whose package is known by name and version only. */
export interface AdapterFinding extends Omit<Finding, 'package'> {
  readonly package: Pick<Package, 'name' | 'version' | 'layerDigest' | 'layerDiffId'>;
}

export interface AdapterReport {
  readonly generatedAt: string;
  readonly scanner: AdapterScanner;
  /** The highest severity found, `None` when clean. */
  readonly severity: Severity | 'None';
  readonly findings: readonly AdapterFinding[];
}

type Json = Record<string, unknown>;

export function fromHarborReport(value: unknown): AdapterReport {
  if (!isObject(value) || !Array.isArray(value['vulnerabilities'])) throw protocol('the report has no vulnerabilities array');
  const scanner = isObject(value['scanner']) ? value['scanner'] : {};
  const findings = value['vulnerabilities'].map((item: unknown, i) => finding(item, i));
  const top = findings.reduce((max, f) => Math.max(max, SEVERITIES.indexOf(f.severity)), -1);
  return {
    generatedAt: text(value['generated_at']),
    scanner: { name: text(scanner['name']), vendor: text(scanner['vendor']), version: text(scanner['version']) },
    severity: top === -1 ? 'None' : (SEVERITIES[top] ?? 'Unknown'),
    findings,
  };
}

function finding(item: unknown, i: number): AdapterFinding {
  if (!isObject(item) || typeof item['id'] !== 'string' || typeof item['package'] !== 'string' || typeof item['version'] !== 'string') {
    throw protocol(`vulnerability ${i} lacks id, package or version`);
  }
  const layer = isObject(item['layer']) ? item['layer'] : {};
  const cvss = preferredCvss(item['preferred_cvss']);
  const links = Array.isArray(item['links']) ? item['links'].filter((l): l is string => typeof l === 'string') : [];
  return {
    id: item['id'],
    aliases: [...new Set([item['id'], ...advisoryIdsIn(links)])],
    package: {
      name: item['package'],
      version: item['version'],
      ...(typeof layer['digest'] === 'string' && layer['digest'] !== '' ? { layerDigest: layer['digest'] } : {}),
      ...(typeof layer['diff_id'] === 'string' && layer['diff_id'] !== '' ? { layerDiffId: layer['diff_id'] } : {}),
    },
    severity: severity(item['severity']),
    ...(cvss === undefined ? {} : { cvss }),
    fixedVersions: text(item['fix_version'])
      .split(',')
      .map((v) => v.trim())
      .filter((v) => v !== ''),
    summary: text(item['description']),
    references: links,
  };
}

/**
 * Harbor's report has no aliases; the advisory pages a finding links to name them
 * (`https://github.com/advisories/GHSA-…`, `…/nvd.nist.gov/vuln/detail/CVE-…`), so that an
 * allowlist or exception written with either id applies.
 */
function advisoryIdsIn(links: readonly string[]): string[] {
  return links.flatMap((link) => /\/(GHSA-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}|CVE-\d{4}-\d{4,})(?:$|[/?#])/i.exec(link)?.[1] ?? []).map((id) => (id.startsWith('GHSA-') || id.startsWith('ghsa-') ? `GHSA-${id.slice(5).toLowerCase()}` : id.toUpperCase()));
}

/** Harbor's names map one to one; anything else (Harbor's `None` included) is `Unknown`. */
function severity(value: unknown): Severity {
  return SEVERITIES.find((s) => s === value) ?? 'Unknown';
}

function preferredCvss(value: unknown): Finding['cvss'] {
  if (!isObject(value)) return undefined;
  for (const [score, vector] of [
    ['score_v3', 'vector_v3'],
    ['score_v2', 'vector_v2'],
  ] as const) {
    if (typeof value[score] === 'number' && typeof value[vector] === 'string' && value[vector] !== '') return { score: value[score], vector: value[vector] };
  }
  return undefined;
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function protocol(why: string): AdapterError {
  return new AdapterError('PROTOCOL', `scanner report: ${why}`);
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
