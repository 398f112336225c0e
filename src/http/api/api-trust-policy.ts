import { EMPTY_TRUST_POLICY } from '../../core/policy/trust-policy.ts';
import type { StoredTrustPolicy } from '../../registry/index.ts';
import type { ApiRoute, JsonSchema } from './api-route.ts';
import { audit, ok, projectOf } from './api-guards.ts';

const TEXT: JsonSchema = { type: 'string', minLength: 1, maxLength: 2048 };
const KEY: JsonSchema = {
  type: 'object',
  required: ['name', 'publicKey'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 128 },
    publicKey: { type: 'string', minLength: 1, maxLength: 16_384, description: 'PEM, as cosign.pub' },
    keyId: { type: 'string', description: 'base64 SHA-256 of the SPKI DER; computed by the server (ignored on input)' },
  },
};
const IDENTITY: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  description: 'A keyless signer: subject or subjectRegExp, and issuer or issuerRegExp. Regular expressions must match the WHOLE value (anchored, unlike cosign).',
  properties: { subject: TEXT, subjectRegExp: TEXT, issuer: TEXT, issuerRegExp: TEXT },
};
const FIELDS = {
  keys: { type: 'array', maxItems: 64, items: KEY },
  identities: { type: 'array', maxItems: 64, items: IDENTITY },
  threshold: { type: 'integer', minimum: 1, description: 'how many distinct trusted signers must have signed' },
  requiredAttestations: { type: 'array', maxItems: 32, items: { type: 'string', minLength: 1 }, description: 'predicate type URIs or cosign short names (slsaprovenance1, spdxjson, cyclonedx, vuln, …)' },
  requireTlog: { type: 'boolean' },
  ignoreDockerReference: { type: 'boolean' },
};
const TRUST_POLICY_INPUT: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...FIELDS,
    version: { type: 'integer', minimum: 0, description: 'the version read; when given, a policy changed since is not overwritten (409)' },
    warnings: { type: 'array', description: 'ignored on input (what a GET answered may be sent back as it is)' },
  },
};
const TRUST_POLICY: JsonSchema = {
  type: 'object',
  required: [...Object.keys(FIELDS), 'version'],
  properties: {
    ...FIELDS,
    keys: { type: 'array', items: { ...KEY, required: ['name', 'publicKey', 'keyId'] } },
    version: { type: 'integer', minimum: 0, description: '0 while the project has none' },
    warnings: { type: 'array', items: { type: 'string' }, description: 'what in the policy this server cannot honour (keyless identities without a Sigstore trusted root)' },
  },
};

const P = '/projects/{project_name_or_id}';
/** The stored policy, with warnings about what this server cannot honour. */
function view(stored: StoredTrustPolicy, keylessVerification: boolean) {
  const warnings =
    stored.policy.identities.length > 0 && !keylessVerification
      ? ['this server has no Sigstore trusted root (signing.trustedRoot, SLIPWAY_TRUSTED_ROOT): no keyless signature verifies here, so the identities cannot be satisfied']
      : [];
  return { ...stored.policy, version: stored.version, ...(warnings.length === 0 ? {} : { warnings }) };
}

/** A project's trust policy for signatures: who may sign its images, how many must, which attestations must be there. */
export const trustPolicyRoutes: readonly ApiRoute[] = [
  {
    operationId: 'getTrustPolicy',
    method: 'GET',
    path: `${P}/trust-policy`,
    tag: 'trust-policy',
    summary: "The project's trust policy for signatures (version 0, trusting nothing, when none was set).",
    response: TRUST_POLICY,
    async handle(req) {
      const project = await projectOf(req);
      return ok(view((await req.services.registry.trustPolicies.get(project.name)) ?? { policy: EMPTY_TRUST_POLICY, version: 0 }, req.services.keylessVerification));
    },
  },
  {
    operationId: 'putTrustPolicy',
    method: 'PUT',
    path: `${P}/trust-policy`,
    tag: 'trust-policy',
    summary: 'Replaces the trust policy (as immutable tag rules: project admins and maintainers); key ids are computed from the PEMs and the version increments.',
    body: TRUST_POLICY_INPUT,
    response: TRUST_POLICY,
    async handle(req) {
      const project = await projectOf(req, 'immutable-tag', 'update');
      // `warnings` is what a GET answered about this server, not part of the policy.
      const { warnings: _answered, ...input } = req.body as Record<string, unknown>;
      const stored = await req.services.registry.trustPolicies.set(project.name, input, req.principal.name);
      const { keys, ...rest } = stored.policy;
      await audit(req, {
        project: project.name,
        resource: `trust policy v${stored.version}`,
        resourceType: 'trust_policy',
        operation: 'update',
        detail: { ...rest, keys: keys.map((key) => ({ name: key.name, keyId: key.keyId })), version: stored.version },
      });
      return ok(view(stored, req.services.keylessVerification));
    },
  },
];
