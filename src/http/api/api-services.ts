import type { AccessControl } from '../../core/auth/access-control.ts';
import type { Robots } from '../../core/auth/robots.ts';
import type { Users } from '../../core/auth/users.ts';
import type { AuditLog } from '../../core/events/audit-log.ts';
import type { WebhookPolicyStore } from '../../core/events/webhook-policy-store.ts';
import type { JobQueue } from '../../core/jobs/job-queue.ts';
import type { CveAllowlist, Registry, ScanGate } from '../../registry/index.ts';
import { type ScanRequests, type ScanService } from '../../scan/index.ts';

/** What the management API's handlers may call: facades only, no database. */
export interface ApiServices {
  readonly registry: Registry;
  readonly scans: ScanService;
  readonly scanRequests: ScanRequests;
  /** Whether the server has a signing key, so that a scan may be attested on request (`?attest=true`). */
  readonly canAttest: boolean;
  /** Whether the server has a Sigstore trusted root (`signing.trustedRoot`), without which no keyless signature verifies. */
  readonly keylessVerification: boolean;
  /** `externalUrl` from the configuration: where clients reach the server behind a proxy. */
  readonly externalUrl: string | undefined;
  /** Whether an image passed its project's scan gate (what signing asks first). */
  readonly scanGate: ScanGate;
  readonly access: AccessControl;
  /** Whether `password` is `username`'s (a failure counts towards the account's lock-out). */
  readonly verifyPassword: (username: string, password: string) => Promise<boolean>;
  readonly users: Users;
  readonly robots: Robots;
  readonly audit: AuditLog;
  readonly webhooks: WebhookPolicyStore;
  /** Reads job state; starting work goes through `start`, which knows the job kinds. */
  readonly jobs: Pick<JobQueue, 'get' | 'list'>;
  /** Starts background work as durable jobs; each returns the job id. */
  readonly start: {
    gc(options: { dryRun: boolean; gracePeriodMs: number }): Promise<number>;
    rescan(options: { project?: string; trigger: string }): Promise<number>;
    retention(executionId: number): Promise<number>;
  };
  /** Job kinds the API reads back by id. */
  readonly jobKinds: { readonly gc: string; readonly rescan: string };
  readonly system: {
    getAllowlist(): Promise<CveAllowlist>;
    setAllowlist(value: unknown): Promise<CveAllowlist>;
    /** Sets (or clears) the garbage collection schedule. */
    setGcSchedule(cron: string | undefined, options: { dryRun: boolean; gracePeriodMs: number }): Promise<void>;
    gcSchedule(): Promise<{ cron: string; next_run_at: string } | undefined>;
    /** Sets (or clears) the schedule of full rescans. */
    setRescanSchedule(cron: string | undefined): Promise<void>;
    rescanSchedule(): Promise<{ cron: string; next_run_at: string } | undefined>;
    /** Default grace period for blobs and links of GC runs. */
    readonly gcGracePeriodMs: number;
  };
}
