import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { before, it } from 'node:test';
import { ANONYMOUS } from '../core/auth/authorizer.ts';
import type { MetadataDatabase } from '../core/storage/metadata/database.ts';
import { describeEachDatabase } from '../testing/databases.ts';
import { createProjects } from './projects.ts';
import { RegistryError } from './registry-error.ts';
import { createTrustPolicies, trustedKeyId, type TrustPolicies } from './trust-policies.ts';

const publicPem = (): string => generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
const code = (expected: string) => (error: unknown) => error instanceof RegistryError && error.code === expected;

describeEachDatabase('trust policies', (open) => {
  let database: MetadataDatabase;
  let policies: TrustPolicies;
  let now = 1000;

  before(async () => {
    database = await open();
    policies = createTrustPolicies(database, () => now++);
    await createProjects(database).create({ project_name: 'signed' }, ANONYMOUS);
    await createProjects(database).create({ project_name: 'doomed' }, ANONYMOUS);
  });

  it('has none until one is set, then stores it with computed key ids and a version that grows on every change', async () => {
    assert.equal(await policies.get('signed'), undefined);
    const pem = publicPem();
    const first = await policies.set('signed', { keys: [{ name: 'release', publicKey: pem }], requiredAttestations: ['slsaprovenance1'] }, 'alice');
    const keyId = createHash('sha256').update(Buffer.from(pem.replaceAll(/-----[^-]+-----|\s/g, ''), 'base64')).digest('base64');
    assert.equal(first.version, 1);
    assert.deepEqual(first.policy, {
      keys: [{ name: 'release', publicKey: pem, keyId }],
      identities: [],
      threshold: 1,
      requiredAttestations: ['https://slsa.dev/provenance/v1'],
      requireTlog: true,
      ignoreDockerReference: false,
    });
    assert.deepEqual(await policies.get('signed'), first);
    const second = await policies.set('signed', { identities: [{ subject: 'alice@example.com', issuer: 'https://accounts.example.com' }] }, 'bob');
    assert.equal(second.version, 2);
    assert.equal((await policies.set('signed', second.policy, 'bob')).version, 3, 'even an identical policy is a new version');
    const row = await database.db.selectFrom('trust_policies').selectAll().executeTakeFirstOrThrow();
    assert.equal(row.updated_by, 'bob');
    assert.equal(typeof row.updated_at, 'number');
  });

  it('refuses a change made on a version other than the stored one', async () => {
    const current = (await policies.get('signed'))?.version ?? 0;
    assert.equal((await policies.set('signed', { version: current, threshold: 1 }, 'alice')).version, current + 1);
    await assert.rejects(policies.set('signed', { version: current, threshold: 1 }, 'alice'), (error) => code('CONFLICT')(error) && /is at version \d+, not \d+/.test((error as Error).message));
    await assert.rejects(policies.set('doomed', { version: 3 }, 'alice'), code('CONFLICT'));
    assert.equal((await policies.set('doomed', { version: 0 }, 'alice')).version, 1, 'version 0: none stored yet');
    await assert.rejects(policies.set('doomed', { version: 0 }, 'alice'), code('CONFLICT'));
  });

  it('refuses keys that do not parse, the same key twice, invalid policies and unknown projects', async () => {
    await assert.rejects(
      policies.set('signed', { keys: [{ name: 'broken', publicKey: '-----BEGIN PUBLIC KEY-----\nbm90IGEga2V5\n-----END PUBLIC KEY-----\n' }] }, 'alice'),
      (error) => code('INVALID')(error) && (error as Error).message.startsWith('key "broken": the public key does not parse as PEM'),
    );
    const pem = publicPem();
    await assert.rejects(policies.set('signed', { keys: [{ name: 'a', publicKey: pem }, { name: 'b', publicKey: pem }] }, 'alice'), /keys "a" and "b" are the same public key/);
    await assert.rejects(policies.set('signed', { threshold: 0 }, 'alice'), (error) => code('INVALID')(error) && (error as RegistryError).detail !== undefined);
    await assert.rejects(policies.set('nowhere', {}, 'alice'), code('PROJECT_UNKNOWN'));
    assert.throws(() => trustedKeyId('x', 'garbage'), code('INVALID'));
  });

  it('goes with its project', async () => {
    assert.notEqual(await policies.get('doomed'), undefined);
    await createProjects(database).delete('doomed');
    assert.equal(await policies.get('doomed'), undefined);
    assert.equal((await database.db.selectFrom('trust_policies').select('project_id').execute()).length, 1);
  });
});
