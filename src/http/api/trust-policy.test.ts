import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { databaseKinds } from '../../testing/databases.ts';
import { apiCaller, type ApiCaller } from '../../testing/management-api.ts';
import { startSlipway, type TestSlipway } from '../../testing/slipway-server.ts';
import type { TrustPolicy } from '../../core/policy/trust-policy.ts';

/** What the trust-policy API answers. */
type PolicyView = TrustPolicy & { readonly version: number; readonly warnings?: readonly string[] };
type Errors = { errors: { code: string; message: string }[] };

const keyPair = () => {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { pem: publicKey.export({ type: 'spki', format: 'pem' }).toString(), keyId: createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('base64') };
};
const GITHUB = 'https://token.actions.githubusercontent.com';

/** The per-project trust policy through the management API, on both databases. */
for (const kind of databaseKinds) {
  describe(`trust policy API (${kind})`, () => {
    let server: TestSlipway;
    let admin: ApiCaller;

    before(async () => {
      server = await startSlipway({ database: kind, projects: [] });
      admin = apiCaller(server.url, { username: 'admin', password: server.adminPassword });
      await admin.ok('POST', '/projects', { project_name: 'signed' });
    });
    after(() => server.stop());

    it('serves version 0, trusting nothing, until a policy is set', async () => {
      assert.deepEqual(await admin.ok('GET', '/projects/signed/trust-policy'), {
        keys: [],
        identities: [],
        threshold: 1,
        requiredAttestations: [],
        requireTlog: true,
        ignoreDockerReference: false,
        version: 0,
      });
    });

    it('stores a policy with computed key ids, returns it, and increments the version on every change', async () => {
      const release = keyPair();
      const ci = keyPair();
      const body = {
        keys: [
          { name: 'release', publicKey: release.pem },
          { name: 'ci', publicKey: ci.pem },
        ],
        identities: [{ subjectRegExp: 'https://github\\.com/acme/.*', issuer: GITHUB }],
        threshold: 2,
        requiredAttestations: ['slsaprovenance1', 'https://example.com/custom/v1'],
        requireTlog: false,
      };
      const put = await admin.ok<PolicyView>('PUT', '/projects/signed/trust-policy', body);
      const expected: PolicyView = {
        keys: [
          { name: 'release', publicKey: release.pem, keyId: release.keyId },
          { name: 'ci', publicKey: ci.pem, keyId: ci.keyId },
        ],
        identities: [{ subjectRegExp: 'https://github\\.com/acme/.*', issuer: GITHUB }],
        threshold: 2,
        requiredAttestations: ['https://slsa.dev/provenance/v1', 'https://example.com/custom/v1'],
        requireTlog: false,
        ignoreDockerReference: false,
        version: 1,
        // This test server has no Sigstore trusted root: it says the identities cannot be satisfied here.
        warnings: [
          'this server has no Sigstore trusted root (signing.trustedRoot, SLIPWAY_TRUSTED_ROOT): no keyless signature verifies here, so the identities cannot be satisfied',
        ],
      };
      assert.deepEqual(put, expected);
      const project = await admin.ok<{ project_id: number }>('GET', '/projects/signed');
      assert.deepEqual(await admin.ok('GET', `/projects/${project.project_id}/trust-policy`), expected, 'by id as by name');

      const again = await admin.ok<PolicyView>('PUT', '/projects/signed/trust-policy', put);
      assert.equal(again.version, 2, 'what was read can be sent back as it is');
      assert.deepEqual({ ...again, version: 1 }, expected);
      const stale = await admin.call('PUT', '/projects/signed/trust-policy', put);
      assert.equal(stale.status, 409, 'version 1 was read, but the policy is at version 2');
      assert.match((stale.body as Errors).errors[0]?.message ?? '', /is at version 2, not 1/);
      const { version: _version, ...unversioned } = put;
      assert.equal((await admin.ok<PolicyView>('PUT', '/projects/signed/trust-policy', { ...unversioned, ignoreDockerReference: true })).version, 3);
      assert.equal((await admin.ok<PolicyView>('GET', '/projects/signed/trust-policy')).ignoreDockerReference, true);

      const log = await admin.ok<{ resource: string; resource_type: string; operation: string }[]>('GET', '/projects/signed/audit-logs?resource_type=trust_policy');
      assert.deepEqual(log.map((e) => [e.resource, e.operation]), [
        ['trust policy v3', 'update'],
        ['trust policy v2', 'update'],
        ['trust policy v1', 'update'],
      ]);
    });

    it('refuses a key that does not parse, and an invalid policy, with 400 and the reason', async () => {
      const broken = await admin.call('PUT', '/projects/signed/trust-policy', { keys: [{ name: 'broken', publicKey: '-----BEGIN PUBLIC KEY-----\nbm90IGEga2V5\n-----END PUBLIC KEY-----\n' }] });
      assert.equal(broken.status, 400);
      assert.equal((broken.body as Errors).errors[0]?.code, 'BAD_REQUEST');
      assert.match((broken.body as Errors).errors[0]?.message ?? '', /^key "broken": the public key does not parse as PEM/);
      const invalid = await admin.call('PUT', '/projects/signed/trust-policy', { identities: [{ subject: 'alice@example.com' }], requiredAttestations: ['sbom'] });
      assert.equal(invalid.status, 400);
      assert.match((invalid.body as Errors).errors[0]?.message ?? '', /^invalid trust policy: identities\[0\] needs issuer or issuerRegExp; requiredAttestations\[0\] must be a predicate type URI/);
      const unknown = await admin.call('PUT', '/projects/signed/trust-policy', { keyz: [] });
      assert.equal(unknown.status, 400);
      assert.match((unknown.body as Errors).errors[0]?.message ?? '', /must NOT have additional properties \("keyz"\)/);
      assert.equal((await admin.ok<PolicyView>('GET', '/projects/signed/trust-policy')).version, 3, 'nothing changed');
      assert.equal((await admin.call('GET', '/projects/nowhere/trust-policy')).status, 404);
    });

    it('lets members read it, project admins and maintainers change it; anonymous callers must log in', async () => {
      await admin.ok('POST', '/users', { username: 'dev', password: 'Developer-Password-1' });
      await admin.ok('POST', '/users', { username: 'keeper', password: 'Maintainer-Password-1' });
      await admin.ok('POST', '/users', { username: 'outsider', password: 'Outsider-Password-1' });
      await admin.ok('POST', '/projects/signed/members', { role_id: 2, member_user: { username: 'dev' } });
      await admin.ok('POST', '/projects/signed/members', { role_id: 4, member_user: { username: 'keeper' } });
      const developer = apiCaller(server.url, { username: 'dev', password: 'Developer-Password-1' });
      const maintainer = apiCaller(server.url, { username: 'keeper', password: 'Maintainer-Password-1' });
      const outsider = apiCaller(server.url, { username: 'outsider', password: 'Outsider-Password-1' });
      const anonymous = apiCaller(server.url);

      assert.equal((await developer.ok<PolicyView>('GET', '/projects/signed/trust-policy')).version, 3);
      const refused = await developer.call('PUT', '/projects/signed/trust-policy', {});
      assert.equal(refused.status, 403);
      assert.match((refused.body as Errors).errors[0]?.message ?? '', /dev lacks the permission immutable-tag:update in project signed/);
      assert.equal((await outsider.call('GET', '/projects/signed/trust-policy')).status, 403, 'a private project is not readable by non-members');
      assert.equal((await anonymous.call('GET', '/projects/signed/trust-policy')).status, 401);
      assert.equal((await anonymous.call('PUT', '/projects/signed/trust-policy', {})).status, 401);
      assert.equal((await maintainer.ok<PolicyView>('PUT', '/projects/signed/trust-policy', { identities: [{ subject: 'alice@example.com', issuer: GITHUB }] })).version, 4);
    });

    it('is in the OpenAPI document', async () => {
      const doc = (await (await fetch(`${server.url}/api/v2.0/openapi.json`)).json()) as { paths: Record<string, Record<string, { operationId: string; requestBody?: unknown }>> };
      const path = doc.paths['/projects/{project_name_or_id}/trust-policy'];
      assert.equal(path?.['get']?.operationId, 'getTrustPolicy');
      assert.equal(path?.['put']?.operationId, 'putTrustPolicy');
      assert.ok(path['put']?.requestBody !== undefined);
    });
  });
}
