import { readFile } from 'node:fs/promises';
import { basename, dirname, extname, resolve } from 'node:path';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { ATTESTATION_TYPE_NAMES, ATTESTATION_TYPES, predicateTypeOf, type TrustedIdentity, type TrustPolicy } from '../../core/policy/trust-policy.ts';
import { managed, serverOptions, table, type Flags } from '../management-client.ts';
import { UsageError } from '../output.ts';

type TrustPolicyView = TrustPolicy & { readonly version: number; readonly warnings?: readonly string[] };
type Fields = Record<string, unknown>;

const collect = (value: string, previous: readonly string[] = []): string[] => [...previous, value];
const many = (flags: Flags, name: string): readonly string[] => (flags[name] as unknown as readonly string[] | undefined) ?? [];
const listIn = (value: unknown): readonly unknown[] => (Array.isArray(value) ? value : []);
const isFields = (value: unknown): value is Fields => typeof value === 'object' && value !== null && !Array.isArray(value);

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${what} ${path}: ${(error as Error).message}`);
  }
}

/** `name=path` or `path` (named after the file: `release.pub` → `release`). */
async function keyFromFlag(spec: string): Promise<Fields> {
  const at = spec.indexOf('=');
  const path = at > 0 ? spec.slice(at + 1) : spec;
  const name = at > 0 ? spec.slice(0, at) : basename(path, extname(path));
  return { name, publicKey: await readText(path, 'the public key') };
}

/**
 * A policy file (YAML or JSON, the API's shape). A key may name its PEM file with `publicKeyFile`
 * (relative to the policy file) instead of giving `publicKey`. `version` is dropped: the file is
 * the policy wanted, whatever the server holds now.
 */
async function readPolicyFile(path: string): Promise<Fields> {
  let parsed: unknown;
  try {
    parsed = parseYaml(await readText(path, 'the policy file'));
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`${path} is neither YAML nor JSON: ${(error as Error).message}`);
  }
  if (!isFields(parsed)) throw new UsageError(`${path} must hold an object (keys, identities, threshold, …)`);
  const { version: _version, ...policy } = parsed;
  const keys = await Promise.all(
    listIn(policy['keys']).map(async (key) => {
      if (!isFields(key) || typeof key['publicKeyFile'] !== 'string') return key;
      const { publicKeyFile, ...rest } = key;
      return { ...rest, publicKey: await readText(resolve(dirname(path), publicKeyFile), 'the public key') };
    }),
  );
  return policy['keys'] === undefined ? policy : { ...policy, keys };
}

/** `--identity`/`--identity-regexp` subjects, each with the one `--issuer`/`--issuer-regexp` given. */
function identitiesFromFlags(flags: Flags): TrustedIdentity[] {
  const subjects = [...many(flags, 'identity').map((subject) => ({ subject })), ...many(flags, 'identityRegexp').map((subjectRegExp) => ({ subjectRegExp }))];
  const issuer = flags['issuer'] === undefined ? {} : { issuer: String(flags['issuer']) };
  const issuerRegExp = flags['issuerRegexp'] === undefined ? {} : { issuerRegExp: String(flags['issuerRegexp']) };
  const issuers = { ...issuer, ...issuerRegExp };
  if (subjects.length === 0) {
    if (Object.keys(issuers).length > 0) throw new UsageError('--issuer and --issuer-regexp go with --identity or --identity-regexp');
    return [];
  }
  if (Object.keys(issuers).length === 0) throw new UsageError('--identity and --identity-regexp need --issuer or --issuer-regexp (the OIDC issuer of the signing certificates)');
  return subjects.map((subject) => ({ ...subject, ...issuers }));
}

function attestationsFromFlags(flags: Flags): string[] {
  return many(flags, 'requireAttestation').map((name) => {
    const type = predicateTypeOf(name);
    if (type === undefined) throw new UsageError(`unknown attestation type ${JSON.stringify(name)}: give a predicate type URI or one of ${ATTESTATION_TYPE_NAMES}`);
    return type;
  });
}

/** The policy `set` sends: the file's (if any), with what the flags add or change. */
async function policyFromFlags(flags: Flags): Promise<Fields> {
  const base = flags['file'] === undefined ? {} : await readPolicyFile(String(flags['file']));
  const keys = await Promise.all(many(flags, 'key').map(keyFromFlag));
  const identities = identitiesFromFlags(flags);
  const attestations = attestationsFromFlags(flags);
  const threshold = flags['threshold'];
  if (threshold !== undefined && !Number.isSafeInteger(threshold)) throw new UsageError('--threshold must be a whole number');
  const changes: Fields = {
    ...(keys.length === 0 ? {} : { keys: [...listIn(base['keys']), ...keys] }),
    ...(identities.length === 0 ? {} : { identities: [...listIn(base['identities']), ...identities] }),
    ...(attestations.length === 0 ? {} : { requiredAttestations: [...listIn(base['requiredAttestations']), ...attestations] }),
    ...(threshold === undefined ? {} : { threshold }),
    ...(flags['tlog'] === false ? { requireTlog: false } : {}),
    ...(flags['ignoreDockerReference'] === true ? { ignoreDockerReference: true } : {}),
  };
  if (flags['file'] === undefined && Object.keys(changes).length === 0) throw new UsageError('nothing to set: give --file, or --key, --identity, --threshold, … (see --help)');
  return { ...base, ...changes };
}

const shortName = (uri: string): string => {
  const name = Object.entries(ATTESTATION_TYPES).find(([, value]) => value === uri)?.[0];
  return name === undefined ? uri : `${uri} (${name})`;
};
const either = (exact: string | undefined, pattern: string | undefined): string => [exact, pattern === undefined ? undefined : `/${pattern}/`].filter((part) => part !== undefined).join(' and ');

export function showTrustPolicy(view: TrustPolicyView): string {
  const lines = [`Trust policy, version ${view.version}${view.version === 0 ? ' (none set)' : ''}`];
  if (view.keys.length === 0 && view.identities.length === 0) lines.push('Trusts no signer: it names no keys or identities, so a signature requirement refuses every image');
  if (view.keys.length > 0) lines.push('', table(['KEY', 'KEY ID'], view.keys.map((key) => [key.name, key.keyId])));
  if (view.identities.length > 0) lines.push('', table(['IDENTITY', 'ISSUER'], view.identities.map((i) => [either(i.subject, i.subjectRegExp), either(i.issuer, i.issuerRegExp)])));
  lines.push(
    '',
    `Threshold: ${view.threshold} distinct trusted signer${view.threshold === 1 ? '' : 's'}`,
    `Required attestations: ${view.requiredAttestations.length === 0 ? 'none' : view.requiredAttestations.map(shortName).join(', ')}`,
    `Transparency log: ${view.requireTlog ? 'required' : 'not required'}`,
    `Docker reference: ${view.ignoreDockerReference ? 'ignored' : 'checked'}`,
  );
  for (const warning of view.warnings ?? []) lines.push('', `Warning: ${warning}`);
  return lines.join('\n');
}

/** `slipway policy trust show|set`: who may sign a project's images, how many must, which attestations must be there. */
export function registerTrustPolicy(policy: Command): void {
  const trust = policy.command('trust').description("a project's trust policy for signatures: trusted keys and keyless identities, threshold, required attestations");
  serverOptions(trust.command('show').argument('<project>').description('print the trust policy')).action(
    managed((client, _flags, project: string) => client.call<TrustPolicyView>('GET', `/projects/${encodeURIComponent(project)}/trust-policy`), showTrustPolicy),
  );
  serverOptions(
    trust
      .command('set')
      .argument('<project>')
      .description('replace the trust policy with the one --file and the flags describe (identity regular expressions must match the whole value)')
      .option('--file <path>', 'the policy as YAML or JSON (keys may name a PEM with publicKeyFile)')
      .option('--key <name=path>', 'trust this public key (PEM, as cosign.pub); repeatable', collect)
      .option('--identity <subject>', 'trust keyless signatures by this certificate subject (email, URI); repeatable', collect)
      .option('--identity-regexp <re>', 'trust subjects matching this regular expression (anchored); repeatable', collect)
      .option('--issuer <url>', 'the OIDC issuer of the identities given by flags')
      .option('--issuer-regexp <re>', 'an issuer regular expression (anchored) for the identities given by flags')
      .option('--threshold <n>', 'how many distinct trusted signers must have signed (default 1)', Number)
      .option('--require-attestation <type>', `an attestation a trusted signer must have made: a predicate type URI or ${ATTESTATION_TYPE_NAMES}; repeatable`, collect)
      .option('--no-tlog', 'accept signatures without a transparency-log entry (air-gapped signing)')
      .option('--ignore-docker-reference', "do not check that a signature's docker-reference names the repository"),
  ).action(
    managed(
      async (client, flags, project: string) => client.call<TrustPolicyView>('PUT', `/projects/${encodeURIComponent(project)}/trust-policy`, await policyFromFlags(flags)),
      showTrustPolicy,
    ),
  );
}
