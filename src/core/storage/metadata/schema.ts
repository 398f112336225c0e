import type { ColumnType, Generated } from 'kysely';

/**
 * The metadata schema, one definition for SQLite and PostgreSQL. Portable column choices:
 * timestamps are integer milliseconds since the epoch, booleans are integers 0/1, JSON is text,
 * sizes are bigints read back as JavaScript numbers (exact below 2^53 bytes).
 */
export interface Schema {
  projects: ProjectsTable;
  repositories: RepositoriesTable;
  blobs: BlobsTable;
  repository_blobs: RepositoryBlobsTable;
  manifests: ManifestsTable;
  manifest_references: ManifestReferencesTable;
  tags: TagsTable;
  uploads: UploadsTable;
  users: UsersTable;
  settings: SettingsTable;
  project_members: ProjectMembersTable;
  robots: RobotsTable;
  immutable_rules: ImmutableRulesTable;
  retention_policies: RetentionPoliciesTable;
  retention_executions: RetentionExecutionsTable;
  audit_log: AuditLogTable;
  webhook_policies: WebhookPoliciesTable;
  jobs: JobsTable;
  schedules: SchedulesTable;
  labels: LabelsTable;
  artifact_labels: ArtifactLabelsTable;
  vuln_imports: VulnImportsTable;
  advisories: AdvisoriesTable;
  advisory_packages: AdvisoryPackagesTable;
  scan_reports: ScanReportsTable;
  scan_exceptions: ScanExceptionsTable;
  trust_policies: TrustPoliciesTable;
}

type Id = Generated<number>;
/** Milliseconds since the epoch. */
type Millis = number;

export interface ProjectsTable {
  id: Id;
  name: string;
  public: ColumnType<number, number | undefined, number>;
  created_at: Millis;
  /** Harbor's project metadata as a JSON object of strings (`prevent_vul`, `severity`, …). */
  metadata: ColumnType<string, string | undefined, string>;
  /** Bytes; -1 = unlimited. */
  storage_limit: ColumnType<number, number | undefined, number>;
  /** Artifacts; -1 = unlimited. */
  count_limit: ColumnType<number, number | undefined, number>;
  /** `{"items":[{"cve_id":…}],"expires_at":<unix s>|null}` */
  cve_allowlist: ColumnType<string, string | undefined, string>;
  updated_at: ColumnType<Millis, Millis | undefined, Millis>;
}

export interface RepositoriesTable {
  id: Id;
  project_id: number;
  name: string;
  created_at: Millis;
  updated_at: Millis;
}

/** Every blob the store holds (layers, configs and manifest bytes), by digest. */
export interface BlobsTable {
  digest: string;
  size: number;
  created_at: Millis;
}

/** A blob is readable in a repository only when linked here (upload, mount or manifest push). */
export interface RepositoryBlobsTable {
  repository_id: number;
  digest: string;
  created_at: Millis;
}

export interface ManifestsTable {
  id: Id;
  repository_id: number;
  digest: string;
  media_type: string;
  size: number;
  /** `artifactType`, else an image manifest's config media type (what the referrers API reports). */
  artifact_type: string | null;
  subject_digest: string | null;
  /** Top-level annotations as JSON text, or null. */
  annotations: string | null;
  pushed_at: Millis;
  pulled_at: Millis | null;
}

/** What a manifest points at: its config and layers (`blob`) or an index's children (`manifest`). */
export interface ManifestReferencesTable {
  manifest_id: number;
  digest: string;
  kind: 'blob' | 'manifest';
}

export interface TagsTable {
  repository_id: number;
  name: string;
  manifest_digest: string;
  updated_at: Millis;
}

export interface UploadsTable {
  id: string;
  repository_id: number;
  /** Bytes received so far. */
  size: number;
  created_at: Millis;
  updated_at: Millis;
}

export interface UsersTable {
  id: Id;
  username: string;
  /** `scrypt$N$r$p$salt$hash`, base64 parts. */
  password_hash: string;
  is_admin: number;
  created_at: Millis;
  disabled: ColumnType<number, number | undefined, number>;
  /** Consecutive failed logins; reset by a successful one. */
  failed_logins: ColumnType<number, number | undefined, number>;
  /** Logins are refused until then (back-off after repeated failures). */
  locked_until: Millis | null;
}

/** Small deployment-wide values shared by every node (the token signing key, for one). */
export interface SettingsTable {
  key: string;
  value: string;
}

/** Harbor's project roles: 1 projectAdmin, 2 developer, 3 guest, 4 maintainer, 5 limitedGuest. */
export interface ProjectMembersTable {
  project_id: number;
  user_id: number;
  role_id: number;
  created_at: Millis;
}

export interface RobotsTable {
  id: Id;
  /** `<project>+<name>` (project level) or `<name>` (system level); presented as `robot$<name>`. */
  name: string;
  level: 'project' | 'system';
  project_id: number | null;
  description: ColumnType<string, string | undefined, string>;
  secret_hash: string;
  /** JSON: Harbor's `[{kind, namespace, access: [{resource, action, effect}]}]`. */
  permissions: string;
  expires_at: Millis | null;
  disabled: ColumnType<number, number | undefined, number>;
  creator: string;
  created_at: Millis;
  updated_at: Millis;
}

export interface ImmutableRulesTable {
  id: Id;
  project_id: number;
  /** JSON: Harbor's immutable tag rule (`tag_selectors`, `scope_selectors`). */
  rule: string;
  disabled: ColumnType<number, number | undefined, number>;
  created_at: Millis;
}

export interface RetentionPoliciesTable {
  id: Id;
  project_id: number;
  /** JSON: Harbor's retention policy (`rules`, `trigger`). */
  policy: string;
  next_run_at: Millis | null;
  created_at: Millis;
  updated_at: Millis;
}

export interface RetentionExecutionsTable {
  id: Id;
  policy_id: number;
  dry_run: number;
  trigger: string;
  status: string;
  /** JSON: per-artifact decisions and counts. */
  result: string | null;
  started_at: Millis;
  finished_at: Millis | null;
}

export interface AuditLogTable {
  id: Id;
  at: Millis;
  username: string;
  project: string | null;
  resource: string;
  resource_type: string;
  operation: string;
  result: 'success' | 'failure';
  /** JSON text, or null. */
  detail: string | null;
}

export interface WebhookPoliciesTable {
  id: Id;
  project_id: number | null;
  name: string;
  description: ColumnType<string, string | undefined, string>;
  enabled: ColumnType<number, number | undefined, number>;
  /** JSON array of Harbor event types. */
  event_types: string;
  /** JSON array of `{type, address, auth_header, skip_cert_verify, payload_format, secret}`. */
  targets: string;
  creator: string;
  created_at: Millis;
  updated_at: Millis;
}

export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed';

/** The durable job queue: claimed with `FOR UPDATE SKIP LOCKED` on PostgreSQL. */
export interface JobsTable {
  id: Id;
  kind: string;
  /** JSON text. */
  payload: string;
  status: JobStatus;
  attempts: ColumnType<number, number | undefined, number>;
  max_attempts: number;
  /** Not before then (back-off between attempts). */
  run_at: Millis;
  locked_by: string | null;
  /** A running job whose lease passed is taken again (its worker died). */
  locked_until: Millis | null;
  last_error: string | null;
  result: string | null;
  created_at: Millis;
  updated_at: Millis;
}

export interface SchedulesTable {
  name: string;
  /** Five fields (minute first) or Harbor's six (seconds first). */
  cron: string;
  job_kind: string;
  payload: string;
  next_run_at: Millis;
}

/** A Harbor label: global when `project_id` is null, else of that project. */
export interface LabelsTable {
  id: Id;
  name: string;
  description: ColumnType<string, string | undefined, string>;
  color: ColumnType<string, string | undefined, string>;
  project_id: number | null;
  created_at: Millis;
  updated_at: Millis;
}

export interface ArtifactLabelsTable {
  manifest_id: number;
  label_id: number;
  created_at: Millis;
}

/** One `slipway db import`: what was read, when, how many records. */
export interface VulnImportsTable {
  id: Id;
  source: string;
  /** JSON array of the ecosystems the import held. */
  ecosystems: string;
  records: number;
  imported_at: Millis;
}

/** An OSV record, stored verbatim (JSON text); a newer `modified` replaces it. */
export interface AdvisoriesTable {
  id: string;
  modified: Millis;
  withdrawn: Millis | null;
  record: string;
  import_id: number;
}

/** One `affected[]` entry of an advisory, findable by (ecosystem, normalised package name). */
export interface AdvisoryPackagesTable {
  advisory_id: string;
  /** As the record says: `Debian:12`, `Alpine:v3.18`, `npm`, `PyPI`, `Go`, `Maven`. */
  ecosystem: string;
  name: string;
  /** JSON of the `affected[]` entry (ranges, versions, severity, ecosystem_specific). */
  affected: string;
}

/** The latest scan of an artifact (by digest: content is the same in every project). */
export interface ScanReportsTable {
  digest: string;
  status: 'Pending' | 'Running' | 'Success' | 'Error' | 'Unsupported';
  /** The highest finding severity (Harbor's scale), `None` when clean. */
  severity: string | null;
  /** JSON: `[{id, aliases, severity, package, version, fixed}]`. */
  findings: string | null;
  packages: number | null;
  error: string | null;
  /** When the vulnerability data used was imported (scans state its age). */
  db_updated_at: Millis | null;
  scanner_version: string;
  /** `dpkg@2 apk@2 …`: the catalogers that made the result (null: an external scanner, or unknown). */
  catalogers: ColumnType<string | null, string | null | undefined, string | null>;
  started_at: Millis;
  finished_at: Millis | null;
}

/** A per-image exception: an OpenVEX-style statement that a vulnerability does not apply, until it expires. */
export interface ScanExceptionsTable {
  id: Id;
  project_id: number;
  digest: string;
  vulnerability: string;
  /** `not_affected` or `fixed`. */
  status: string;
  justification: string;
  author: string;
  expires_at: Millis | null;
  created_at: Millis;
}

/** A project's trust policy for signatures; at most one per project. */
export interface TrustPoliciesTable {
  project_id: number;
  /** JSON: the policy (`keys` with their computed `keyId`, `identities`, `threshold`, …). */
  policy: string;
  /** 1 for the first policy, incremented on every change (a verification cache key). */
  version: number;
  updated_at: Millis;
  /** Who made the change. */
  updated_by: string;
}
