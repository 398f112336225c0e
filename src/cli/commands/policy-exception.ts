import type { Command } from 'commander';
import { isDigest } from '../../core/oci/digest.ts';
import { isValidTag, parseRepositoryName } from '../../core/oci/reference.ts';
import { VEX_JUSTIFICATIONS, type ScanException } from '../../scan/index.ts';
import { managed, repositoryParam, serverOptions, table, type Flags, type ManagementClient } from '../management-client.ts';
import { UsageError } from '../output.ts';

const STATUSES = ['not_affected', 'fixed'] as const;
const exceptionsPath = (project: string): string => `/projects/${encodeURIComponent(project)}/scan-exceptions`;

/** `--cve`, `--justification`: present and not blank (the API's only rule). */
function required(flags: Flags, name: string, flag: string): string {
  const value = flags[name] === undefined ? '' : String(flags[name]).trim();
  if (value === '') throw new UsageError(`${flag} is required`);
  return value;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:[Zz]|[+-](\d{2}):(\d{2})))?$/;

/** An RFC 3339 date-time, or a full date alone (midnight UTC), in milliseconds; undefined for anything else, 2027-02-30 included. */
function rfc3339(value: string): number | undefined {
  const match = RFC3339.exec(value);
  if (match === null) return undefined;
  const [year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, offsetHour = 0, offsetMinute = 0] = match.slice(1).map((part) => (part === undefined ? 0 : Number(part)));
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 60 || offsetHour > 23 || offsetMinute > 59) return undefined;
  const at = Date.parse(match[4] === undefined ? `${value}T00:00:00Z` : value.replace(' ', 'T').toUpperCase());
  return Number.isNaN(at) ? undefined : at;
}

/**
 * `--expires`: `never`, or an RFC 3339 date, as the ISO string the API takes. A date already past
 * is refused: that exception would never apply.
 */
function expiresFrom(flags: Flags, now = Date.now()): string | null {
  const value = flags['expires'] === undefined ? '' : String(flags['expires']).trim();
  if (value === '') throw new UsageError('--expires is required: an RFC 3339 date (2027-01-31 or 2027-01-31T00:00:00Z), or never for an exception that does not expire');
  if (value === 'never') return null;
  const at = rfc3339(value);
  if (at === undefined) throw new UsageError(`--expires must be an RFC 3339 date (2027-01-31 or 2027-01-31T00:00:00Z) or never, not ${JSON.stringify(value)}`);
  if (at <= now) throw new UsageError(`--expires ${value} is in the past: the exception would never apply`);
  return new Date(at).toISOString();
}

/** The colon before a tag: one after the last `/`. */
const tagColon = (name: string): number => {
  const colon = name.lastIndexOf(':');
  return colon > name.lastIndexOf('/') ? colon : -1;
};

/** `<repository>:<tag>` or `<repository>[:<tag>]@sha256:…` (the digest wins), inside the project: the repository and the reference to resolve. */
function parseImage(image: string): { repository: string; reference: string } {
  const at = image.indexOf('@');
  const split = at !== -1 ? at : tagColon(image);
  if (split === -1) throw new UsageError(`name the image by tag or digest inside the project: <repository>:<tag> or <repository>@sha256:…, not ${JSON.stringify(image)}`);
  const named = image.slice(0, split);
  const repository = at !== -1 && tagColon(named) !== -1 ? named.slice(0, tagColon(named)) : named;
  const reference = image.slice(split + 1);
  try {
    parseRepositoryName(repository);
  } catch (error) {
    throw new UsageError(`${(error as Error).message} (give the repository inside the project, without registry or project: app or team/app)`);
  }
  if (at !== -1 ? !isDigest(reference) : !isValidTag(reference)) throw new UsageError(`invalid ${at !== -1 ? 'digest' : 'tag'} ${JSON.stringify(reference)} in ${JSON.stringify(image)}`);
  return { repository, reference };
}

interface ArtifactView {
  readonly digest: string;
  /** Digests of an index's children. */
  readonly references: readonly string[];
}

/**
 * The digests the exception is for: the artifact's, or, for an index, each child's — the scanner
 * and the pull gate look at the platform images, never at the index itself.
 */
async function digestsOf(client: ManagementClient, project: string, image: string): Promise<readonly string[]> {
  const { repository, reference } = parseImage(image);
  const artifact = await client.call<ArtifactView>('GET', `/projects/${encodeURIComponent(project)}/repositories/${repositoryParam(repository)}/artifacts/${reference}`);
  if (artifact.references.length === 0) return [artifact.digest];
  process.stderr.write(`${image} is an index (${artifact.digest}): excepting each of its ${artifact.references.length} images\n`);
  return artifact.references;
}

function expiry(e: ScanException, now = Date.now()): string {
  if (e.expires_at === null) return 'never';
  return Date.parse(e.expires_at) <= now ? `expired ${e.expires_at}` : e.expires_at;
}

const shortDigest = (digest: string): string => digest.slice(0, 19);

function showAdded(list: readonly ScanException[]): string {
  return list
    .map((e) => `Added exception ${e.id}: ${e.vulnerability} ${e.status} for ${e.digest} (${e.justification}), ${e.expires_at === null ? 'never expires' : `until ${e.expires_at}`}`)
    .join('\n');
}

function showList(list: readonly ScanException[]): string {
  if (list.length === 0) return 'No scan exceptions';
  return table(
    ['ID', 'DIGEST', 'VULNERABILITY', 'STATUS', 'JUSTIFICATION', 'AUTHOR', 'EXPIRES'],
    list.map((e) => [e.id, shortDigest(e.digest), e.vulnerability, e.status, e.justification, e.author, expiry(e)]),
  );
}

/**
 * `slipway policy exception add|list|delete`: per-image scan exceptions — "this CVE does not
 * affect this image digest", with why, who and until when. The pull gate and rescans ignore an
 * excepted vulnerability on that digest while the exception lasts; `list --openvex` is the
 * OpenVEX document `slipway scan --vex` reads.
 */
export function registerPolicyException(policy: Command): void {
  const exception = policy
    .command('exception')
    .description('per-image scan exceptions: one vulnerability that does not affect one image digest, with justification, author and expiry (OpenVEX-style)');
  serverOptions(
    exception
      .command('add')
      .argument('<project>')
      .argument('<image>', '<repository>:<tag> or <repository>@sha256:… inside the project (a tag is resolved to its digest; an index to each of its images)')
      .description('except a vulnerability for one image digest (project admins and maintainers)')
      .option('--cve <id>', 'required: the vulnerability (CVE-…, GHSA-…, an OSV id; aliases match too)')
      .option('--justification <text>', `required: why it does not apply, OpenVEX's ${VEX_JUSTIFICATIONS.join(', ')}, or free text (an OpenVEX impact statement)`)
      .option('--expires <date|never>', 'required: when the exception lapses, an RFC 3339 date (2027-01-31, midnight UTC, or 2027-01-31T00:00:00Z), or never')
      .option('--status <status>', `${STATUSES.join(' or ')} (default not_affected)`),
  ).action(
    managed(
      async (client, flags, project: string, image: string) => {
        const vulnerability = required(flags, 'cve', '--cve');
        const justification = required(flags, 'justification', '--justification');
        const expires_at = expiresFrom(flags);
        const status = flags['status'] === undefined ? undefined : String(flags['status']);
        if (status !== undefined && !(STATUSES as readonly string[]).includes(status)) throw new UsageError(`--status must be ${STATUSES.join(' or ')}, not ${JSON.stringify(status)}`);
        if (/^[a-z]+(?:_[a-z]+)+$/.test(justification) && !(VEX_JUSTIFICATIONS as readonly string[]).includes(justification)) {
          process.stderr.write(`note: ${justification} is not one of OpenVEX's justifications (${VEX_JUSTIFICATIONS.join(', ')}); it is kept as free text\n`);
        }
        const added: ScanException[] = [];
        for (const digest of await digestsOf(client, project, image)) {
          added.push(await client.call<ScanException>('POST', exceptionsPath(project), { digest, vulnerability, justification, expires_at, ...(status === undefined ? {} : { status }) }));
        }
        return added;
      },
      showAdded,
    ),
  );
  serverOptions(
    exception
      .command('list')
      .argument('<project>')
      .description("the project's scan exceptions, expired ones included")
      .option('--openvex', 'print them as an OpenVEX 0.2.0 document (what slipway scan --vex reads)'),
  ).action(
    managed(
      (client, flags, project: string): Promise<ScanException[] | Record<string, unknown>> =>
        flags['openvex'] === true ? client.call<Record<string, unknown>>('GET', `${exceptionsPath(project)}?format=openvex`) : client.all<ScanException>(exceptionsPath(project)),
      (result) => (Array.isArray(result) ? showList(result) : JSON.stringify(result, null, 2)),
    ),
  );
  serverOptions(exception.command('delete').argument('<project>').argument('<id>', 'the ID exception list shows').description('withdraw an exception')).action(
    managed(
      async (client, _flags, project: string, id: string) => {
        if (!/^[1-9]\d*$/.test(id)) throw new UsageError(`<id> must be an exception's number (see slipway policy exception list), not ${JSON.stringify(id)}`);
        await client.call('DELETE', `${exceptionsPath(project)}/${id}`);
        return { deleted: Number(id) };
      },
      (r) => `Deleted exception ${r.deleted}`,
    ),
  );
}
