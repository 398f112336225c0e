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
}

type Id = Generated<number>;
/** Milliseconds since the epoch. */
type Millis = number;

export interface ProjectsTable {
  id: Id;
  name: string;
  public: ColumnType<number, number | undefined, number>;
  created_at: Millis;
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
}

/** Small deployment-wide values shared by every node (the token signing key, for one). */
export interface SettingsTable {
  key: string;
  value: string;
}
