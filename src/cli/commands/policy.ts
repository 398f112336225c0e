import type { Command } from 'commander';
import { ApiError, managed, serverOptions, table } from '../management-client.ts';
import { UsageError } from '../output.ts';
import { registerPolicyException } from './policy-exception.ts';
import { registerTrustPolicy } from './policy-trust.ts';
import { showProject, type Project } from './project.ts';

const bool = (value: unknown, name: string): string => {
  if (value === 'true' || value === 'false') return value;
  throw new UsageError(`${name} must be true or false`);
};

interface Allowlist {
  items: { cve_id: string }[];
  expires_at: number | null;
}

/** A project as `policy show` and `policy set` print it: its settings, then its own CVE allowlist. */
type PolicyView = Project & { readonly cve_allowlist?: Allowlist };

// A project without reuse_sys_cve_allowlist uses the system list too (Harbor's default): only "false" leaves it out.
const showPolicy = (p: PolicyView): string =>
  `${showProject(p)}\n  cve allowlist: ${describeAllowlist(p.cve_allowlist ?? { items: [], expires_at: null })}${p.metadata['reuse_sys_cve_allowlist'] === 'false' ? '' : ', plus the system allowlist'}`;

function describeAllowlist(list: Allowlist): string {
  if (list.items.length === 0) return 'empty';
  const ids = list.items.map((i) => i.cve_id).join(', ');
  if (list.expires_at === null) return `${ids} (never expires)`;
  const at = new Date(list.expires_at * 1000);
  return `${ids} (${at.getTime() <= Date.now() ? 'expired' : 'until'} ${at.toISOString()})`;
}

/** `--allow-cve` given several times, each maybe comma-separated: every id, in order. */
const collectIds = (value: string, previous: readonly string[] | undefined): string[] => [...(previous ?? []), ...value.split(',').map((id) => id.trim()).filter((id) => id !== '')];

/** What `policy show` says of the trust policy (`policy trust show` prints it whole). */
interface TrustSummary {
  version: number;
  keys: unknown[];
  identities: unknown[];
  threshold: number;
}

interface Rule {
  id: number;
  disabled: boolean;
  tag_selectors: { kind: string; decoration: string; pattern: string }[];
  scope_selectors: { repository: { decoration: string; pattern: string }[] };
}

/** `slipway policy`: a project's gates (vulnerability threshold, signatures), visibility, quotas, CVE allowlist, immutable tags and trust policy. */
export function registerPolicy(program: Command): void {
  const policy = program.command('policy').description("a project's policies: vulnerability gate, signature requirement, quotas, allowlist, immutable tags, trusted signers");
  serverOptions(policy.command('show').argument('<project>').description('every gate of a project: settings, allowlist, trust policy and immutable tag rules')).action(
    managed(
      async (client, _flags, project: string) => {
        const path = `/projects/${encodeURIComponent(project)}`;
        // Developers and guests may read the settings but not every rule: what they may not see is left out.
        const visible = <T>(call: Promise<T>) => call.catch((error: unknown) => (error instanceof ApiError && error.status === 403 ? null : Promise.reject(error)));
        const [settings, trust_policy, immutable_rules] = await Promise.all([
          client.call<PolicyView>('GET', path),
          visible(client.call<TrustSummary>('GET', `${path}/trust-policy`)),
          visible(client.all<Rule>(`${path}/immutabletagrules`)),
        ]);
        return { ...settings, trust_policy, immutable_rules };
      },
      (p) => {
        const trust = p.trust_policy;
        const count = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
        const hidden = 'not visible to you';
        const signers =
          trust === null
            ? hidden
            : trust.version === 0
              ? 'none set (trusts no signer)'
              : `version ${trust.version}: ${count(trust.keys.length, 'key', 'keys')}, ${count(trust.identities.length, 'identity', 'identities')}, threshold ${trust.threshold}`;
        const rules = p.immutable_rules === null ? hidden : `${p.immutable_rules.filter((r) => !r.disabled).length} active`;
        return [
          showPolicy(p),
          `  trust policy: ${signers} (slipway policy trust show ${p.name})`,
          `  immutable tag rules: ${rules} (slipway policy immutable list ${p.name})`,
        ].join('\n');
      },
    ),
  );
  serverOptions(
    policy
      .command('set')
      .argument('<project>')
      .option('--prevent-vulnerable <bool>', 'refuse pulls of artifacts at or above --severity (unscanned ones too)')
      .option('--severity <level>', 'none, low, medium, high or critical')
      .option('--require-signature <bool>', 'refuse pulls of artifacts without a signature the project trusts')
      .option('--auto-scan <bool>', 'scan on push')
      .option('--public <bool>', 'anyone may pull')
      .option('--storage-limit <bytes>', 'storage quota (-1 unlimited)', Number)
      .option('--count-limit <n>', 'artifact quota (-1 unlimited)', Number)
      .option('--allow-cve <ids>', "the project's CVE allowlist: replaces the project's list (repeatable and comma-separated; \"\" clears it)", collectIds)
      .option('--allow-cve-until <date>', 'when that allowlist expires (ISO date; with --allow-cve)')
      .option('--reuse-system-allowlist <bool>', 'whether the system CVE allowlist (policy allowlist) applies too (default true)'),
  ).action(
    managed(
      async (client, flags, project: string) => {
        const metadata: Record<string, string> = {};
        if (flags['preventVulnerable'] !== undefined) metadata['prevent_vul'] = bool(flags['preventVulnerable'], '--prevent-vulnerable');
        if (flags['severity'] !== undefined) metadata['severity'] = String(flags['severity']);
        if (flags['requireSignature'] !== undefined) metadata['enable_content_trust_cosign'] = bool(flags['requireSignature'], '--require-signature');
        if (flags['autoScan'] !== undefined) metadata['auto_scan'] = bool(flags['autoScan'], '--auto-scan');
        if (flags['public'] !== undefined) metadata['public'] = bool(flags['public'], '--public');
        if (flags['reuseSystemAllowlist'] !== undefined) metadata['reuse_sys_cve_allowlist'] = bool(flags['reuseSystemAllowlist'], '--reuse-system-allowlist');
        const until = flags['allowCveUntil'] === undefined ? null : Math.floor(Date.parse(String(flags['allowCveUntil'])) / 1000);
        if (Number.isNaN(until)) throw new UsageError('--allow-cve-until must be a date');
        const ids = flags['allowCve'] as readonly string[] | undefined;
        if (ids === undefined && until !== null) throw new UsageError('--allow-cve-until dates the list --allow-cve sets: give both');
        const allowlist = ids === undefined ? {} : { cve_allowlist: { items: ids.map((cve_id) => ({ cve_id })), expires_at: until } };
        return client.call<PolicyView>('PUT', `/projects/${encodeURIComponent(project)}`, {
          metadata,
          ...(flags['storageLimit'] === undefined ? {} : { storage_limit: flags['storageLimit'] }),
          ...(flags['countLimit'] === undefined ? {} : { count_limit: flags['countLimit'] }),
          ...allowlist,
        });
      },
      showPolicy,
    ),
  );
  serverOptions(
    policy
      .command('allowlist')
      .description('the system-wide CVE allowlist (projects use it unless policy set --reuse-system-allowlist false); no flags: show it')
      .option('--cves <ids>', 'replace it with these ids (comma-separated; empty clears it)')
      .option('--until <date>', 'when it expires (ISO date)'),
  ).action(
    managed(
      async (client, flags) => {
        if (flags['cves'] === undefined) return client.call<Allowlist>('GET', '/system/CVEAllowlist');
        const until = flags['until'] === undefined ? null : Math.floor(Date.parse(String(flags['until'])) / 1000);
        if (Number.isNaN(until)) throw new UsageError('--until must be a date');
        const items = String(flags['cves']).split(',').filter((id) => id !== '').map((cve_id) => ({ cve_id }));
        return client.call<Allowlist>('PUT', '/system/CVEAllowlist', { items, expires_at: until });
      },
      (list) => `System CVE allowlist: ${describeAllowlist(list)}`,
    ),
  );
  const immutable = policy.command('immutable').description('tags that can be neither overwritten nor deleted');
  serverOptions(immutable.command('list').argument('<project>')).action(
    managed(
      (client, _flags, project: string) => client.all<Rule>(`/projects/${encodeURIComponent(project)}/immutabletagrules`),
      (rules) => table(['ID', 'REPOSITORIES', 'TAGS', 'DISABLED'], rules.map((r) => [r.id, r.scope_selectors.repository.map((s) => `${s.decoration} ${s.pattern}`).join(', ') || 'all', r.tag_selectors.map((s) => `${s.decoration} ${s.pattern}`).join(', '), r.disabled])),
    ),
  );
  serverOptions(
    immutable
      .command('add')
      .argument('<project>')
      .requiredOption('--tags <pattern>', 'tags matching this doublestar pattern, e.g. "v*" or "release-**"')
      .option('--repos <pattern>', 'in repositories matching this pattern', '**'),
  ).action(
    managed(
      (client, flags, project: string) =>
        client.call<Rule>('POST', `/projects/${encodeURIComponent(project)}/immutabletagrules`, {
          tag_selectors: [{ kind: 'doublestar', decoration: 'matches', pattern: flags['tags'] }],
          scope_selectors: { repository: [{ kind: 'doublestar', decoration: 'repoMatches', pattern: flags['repos'] }] },
        }),
      (r) => `Added immutable rule ${r.id}`,
    ),
  );
  serverOptions(immutable.command('remove').argument('<project>').argument('<id>')).action(
    managed(
      async (client, _flags, project: string, id: string) => {
        await client.call('DELETE', `/projects/${encodeURIComponent(project)}/immutabletagrules/${encodeURIComponent(id)}`);
        return { removed: Number(id) };
      },
      (r) => `Removed immutable rule ${r.removed}`,
    ),
  );
  registerTrustPolicy(policy);
  registerPolicyException(policy);
}
