import { createHash, createPublicKey } from 'node:crypto';
import { sql } from 'kysely';
import { validateTrustPolicy, type TrustedKey, type TrustPolicy } from '../core/policy/trust-policy.ts';
import type { MetadataDatabase } from '../core/storage/metadata/database.ts';
import { RegistryError } from './registry-error.ts';

/** A project's trust policy and its version (1 for the first one; every change increments it). */
export interface StoredTrustPolicy {
  readonly policy: TrustPolicy;
  readonly version: number;
}

export type TrustPolicies = ReturnType<typeof createTrustPolicies>;

/** Standard base64 of the SHA-256 of the key's SPKI DER; RegistryError `INVALID` when the PEM does not parse. */
export function trustedKeyId(name: string, pem: string): string {
  let der: Buffer;
  try {
    der = createPublicKey(pem).export({ type: 'spki', format: 'der' });
  } catch (cause) {
    throw new RegistryError('INVALID', `key ${JSON.stringify(name)}: the public key does not parse as PEM (${(cause as Error).message})`, { cause, detail: { key: name } });
  }
  return createHash('sha256').update(der).digest('base64');
}

function withKeyIds(keys: readonly Omit<TrustedKey, 'keyId'>[]): TrustedKey[] {
  const trusted = keys.map((key) => ({ ...key, keyId: trustedKeyId(key.name, key.publicKey) }));
  for (const [i, key] of trusted.entries()) {
    const same = trusted.findIndex((other) => other.keyId === key.keyId);
    if (same !== i) throw new RegistryError('INVALID', `keys ${JSON.stringify(trusted[same]?.name)} and ${JSON.stringify(key.name)} are the same public key`, { detail: { keyId: key.keyId } });
  }
  return trusted;
}

/** Splits off `version`: the version the caller read, so that a change made since is not overwritten. */
function expectedVersion(input: unknown): { expected: number | undefined; rest: unknown } {
  if (typeof input !== 'object' || input === null || Array.isArray(input) || !('version' in input)) return { expected: undefined, rest: input };
  const { version, ...rest } = input as Record<string, unknown>;
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 0) throw new RegistryError('INVALID', `version must be a whole number of at least 0, got ${JSON.stringify(version)}`);
  return { expected: version, rest };
}

/**
 * Per-project trust policies for signatures. `set` replaces the policy, computing each key's id
 * from its PEM, and increments the version; with `version` in the input it refuses (CONFLICT)
 * when the stored version is another (0: none stored yet).
 */
export function createTrustPolicies(database: MetadataDatabase, clock: () => number = Date.now) {
  const { db } = database;

  async function projectId(project: string): Promise<number> {
    const row = await db.selectFrom('projects').select('id').where('name', '=', project).executeTakeFirst();
    if (row === undefined) throw new RegistryError('PROJECT_UNKNOWN', `project ${project} does not exist`, { detail: { project } });
    return row.id;
  }

  async function get(project: string): Promise<StoredTrustPolicy | undefined> {
    const row = await db
      .selectFrom('trust_policies')
      .innerJoin('projects', 'projects.id', 'trust_policies.project_id')
      .select(['trust_policies.policy', 'trust_policies.version'])
      .where('projects.name', '=', project)
      .executeTakeFirst();
    return row === undefined ? undefined : { policy: JSON.parse(row.policy) as TrustPolicy, version: row.version };
  }

  /** Stores `policy` as version `expected + 1`, or the next version when `expected` is undefined; undefined when the stored version is not `expected`. */
  async function write(id: number, policy: string, actor: string, expected: number | undefined): Promise<number | undefined> {
    const now = clock();
    const values = { project_id: id, policy, version: 1, updated_at: now, updated_by: actor };
    const changes = { policy, updated_at: now, updated_by: actor };
    if (expected === undefined) {
      const row = await db
        .insertInto('trust_policies')
        .values(values)
        .onConflict((oc) => oc.column('project_id').doUpdateSet({ ...changes, version: sql<number>`trust_policies.version + 1` }))
        .returning('version')
        .executeTakeFirstOrThrow();
      return row.version;
    }
    const row =
      expected === 0
        ? await db.insertInto('trust_policies').values(values).onConflict((oc) => oc.column('project_id').doNothing()).returning('version').executeTakeFirst()
        : await db
            .updateTable('trust_policies')
            .set({ ...changes, version: expected + 1 })
            .where('project_id', '=', id)
            .where('version', '=', expected)
            .returning('version')
            .executeTakeFirst();
    return row === undefined ? undefined : row.version;
  }

  return {
    get,
    async set(project: string, input: unknown, actor: string): Promise<StoredTrustPolicy> {
      const { expected, rest } = expectedVersion(input);
      const checked = validateTrustPolicy(rest);
      if (!checked.ok) throw new RegistryError('INVALID', `invalid trust policy: ${checked.errors.join('; ')}`, { detail: { errors: checked.errors } });
      const policy: TrustPolicy = { ...checked.policy, keys: withKeyIds(checked.policy.keys) };
      const version = await write(await projectId(project), JSON.stringify(policy), actor, expected);
      if (version === undefined) {
        const current = (await get(project))?.version ?? 0;
        throw new RegistryError('CONFLICT', `the trust policy of ${project} is at version ${current}, not ${expected}: it changed since it was read`, { detail: { version: current } });
      }
      return { policy, version };
    },
  };
}
