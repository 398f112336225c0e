import { parseSeverity } from '../core/policy/pull-policy.ts';
import { RegistryError } from './registry-error.ts';

/** Harbor's project metadata keys Slipway honours; all values are strings, as in Harbor. */
const BOOLEAN_KEYS = ['public', 'auto_scan', 'auto_sbom_generation', 'auto_attest', 'prevent_vul', 'reuse_sys_cve_allowlist', 'enable_content_trust', 'enable_content_trust_cosign'] as const;
const KEYS: ReadonlySet<string> = new Set([...BOOLEAN_KEYS, 'severity', 'retention_id']);

/** Validates and normalises metadata as Harbor does: booleans to "true"/"false", severity lower-cased (`negligible` → `none`). */
export function normalizeMetadata(input: unknown): Record<string, string> {
  if (input === undefined || input === null) return {};
  if (typeof input !== 'object' || Array.isArray(input)) throw new RegistryError('INVALID', 'metadata must be an object of strings');
  const out: Record<string, string> = {};
  for (const [key, raw] of Object.entries(input)) {
    if (!KEYS.has(key)) throw new RegistryError('INVALID', `unknown project metadata ${JSON.stringify(key)}; known: ${[...KEYS].join(', ')}`);
    if (key === 'retention_id') continue; // set by the retention API only
    const value = typeof raw === 'boolean' || typeof raw === 'number' ? String(raw) : raw;
    if (typeof value !== 'string') throw new RegistryError('INVALID', `metadata ${key} must be a string`);
    if (key === 'severity') {
      const severity = parseSeverity(value);
      if (severity === undefined) throw new RegistryError('INVALID', `severity must be one of none, low, medium, high, critical (not ${JSON.stringify(value)})`);
      out[key] = severity;
    } else {
      if (!['true', 'false', '1', '0'].includes(value.toLowerCase())) throw new RegistryError('INVALID', `metadata ${key} must be "true" or "false"`);
      out[key] = value === '1' || value.toLowerCase() === 'true' ? 'true' : 'false';
    }
  }
  return out;
}

export interface CveAllowlist {
  readonly items: readonly { readonly cve_id: string }[];
  /** Unix seconds; null never expires. */
  readonly expires_at: number | null;
}

const CVE_ID = /^(CVE-\d{4}-\d{4,}|GHSA(-[23456789cfghjmpqrvwx]{4}){3}|[A-Z][A-Z0-9]*-[A-Za-z0-9:._-]+)$/;

export function normalizeAllowlist(input: unknown): CveAllowlist {
  if (input === undefined || input === null) return { items: [], expires_at: null };
  if (typeof input !== 'object' || Array.isArray(input)) throw new RegistryError('INVALID', 'cve_allowlist must be an object {items, expires_at}');
  const { items, expires_at: expiresAt } = input as Record<string, unknown>;
  if (items !== undefined && !Array.isArray(items)) throw new RegistryError('INVALID', 'cve_allowlist.items must be an array');
  const list = (items ?? []).map((item: unknown) => {
    const id = typeof item === 'object' && item !== null ? (item as Record<string, unknown>)['cve_id'] : undefined;
    if (typeof id !== 'string' || !CVE_ID.test(id)) throw new RegistryError('INVALID', `invalid vulnerability id ${JSON.stringify(id)} in the allowlist`);
    return { cve_id: id };
  });
  if (expiresAt !== undefined && expiresAt !== null && (typeof expiresAt !== 'number' || !Number.isInteger(expiresAt))) {
    throw new RegistryError('INVALID', 'cve_allowlist.expires_at must be unix seconds or null');
  }
  return { items: list, expires_at: typeof expiresAt === 'number' ? expiresAt : null };
}
