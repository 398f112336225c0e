/**
 * The composition root: builds storage, database, services and the HTTP server from a
 * configuration, and wires the ports the stages declare. Nothing else constructs these.
 */
import { readFile } from 'node:fs/promises';
import type { SlipwayConfig } from './app-config.ts';
import type { Authorizer } from './core/auth/authorizer.ts';
import { exportSigningKey, generateSigningKey, loadSigningKey, type SigningKey } from './core/auth/jwt.ts';
import { withCredentialCache } from './core/auth/credential-cache.ts';
import { createLocalAuthorizer, ensureAdminUser } from './core/auth/local-authorizer.ts';
import { createAccessControl } from './core/auth/access-control.ts';
import { createRobots } from './core/auth/robots.ts';
import { createUsers } from './core/auth/users.ts';
import { createAuditLog } from './core/events/audit-log.ts';
import { createWebhookPolicyStore } from './core/events/webhook-policy-store.ts';
import { createJobQueue, type JobQueue } from './core/jobs/job-queue.ts';
import { createJobWorker } from './core/jobs/job-worker.ts';
import { createScheduler } from './core/jobs/scheduler.ts';
import { apiMount } from './http/api/api-mount.ts';
import { apiRoutes } from './http/api/api-routes.ts';
import type { ApiServices } from './http/api/api-services.ts';
import { createEventFanout, WEBHOOK_JOB, webhookJobHandler } from './app-events.ts';
import { createScanRequests, RESCAN_JOB, rescanJobHandler, SCAN_JOB, scanFactsFrom, scanJobHandler, VULNDB_WATCH_JOB, vulndbWatchHandler, type ScanReporting } from './app-scans.ts';
import { ADAPTER_SCAN_JOB, adapterScanJobHandler, catalogers, createAdapterScans, createAdapterScanner, createScanService, createVulnDb, type ExternalScanner, type ScanRequests } from './scan/index.ts';

import { scannerAdapterMount } from './http/scanner-adapter/scanner-adapter-mount.ts';
import { createProjectPullGate, createProjectWritePolicy, createScanGate, noSignatureFacts, normalizeAllowlist, type SignatureFacts } from './registry/index.ts';
import { scanAttester, signatureFactsFrom } from './app-signing.ts';
import { keySigner, loadPrivateKey, loadTrustedRoot, type Signer } from './sign/index.ts';
import { SLIPWAY_VERSION } from './version.ts';
import { createTokenService, type TokenService } from './core/auth/token-service.ts';
import { SCANNER_PRINCIPAL } from './core/auth/authorizer.ts';
import type { Logger } from './core/log/logger.ts';
import { createMetricsRegistry } from './core/metrics/metrics-registry.ts';
import { parseDigest } from './core/oci/digest.ts';
import { createBlobStore } from './core/storage/blob-store.ts';
import { createFilesystemDriver } from './core/storage/fs-driver.ts';
import { openDatabase, type MetadataDatabase } from './core/storage/metadata/database.ts';
import { createHttpServer, type HttpServer } from './http/http-server.ts';
import { opsMount } from './http/ops-mount.ts';
import { registryMount } from './http/registry-routes.ts';
import { createRequestAuthenticator } from './http/request-auth.ts';
import { tokenMount } from './http/token-handler.ts';
import { createRegistry, type Registry, type RetentionExecutionView } from './registry/index.ts';
import { fileErrorReason } from './core/format/file-error.ts';

export interface App {
  readonly http: HttpServer;
  readonly registry: Registry;
  readonly database: MetadataDatabase;
  readonly authorizer: Authorizer;
  readonly jobs: JobQueue;
  /** Runs every due job and schedule now and waits for them (tests). */
  runJobs(): Promise<number>;
  /** Set when this start created the first admin with a generated password (shown once). */
  readonly generatedAdminPassword: string | undefined;
  listen(): Promise<{ port: number }>;
  close(): Promise<void>;
}

const TOKEN_KEY_SETTING = 'token_signing_key';
export const TOKEN_SERVICE = 'slipway-registry';
const TOKEN_ISSUER = 'slipway-token-issuer';
const GC_JOB = 'gc';
const RETENTION_JOB = 'retention';
const JOBS_PURGE_JOB = 'jobs-purge';
/** Finished jobs (their results are the GC and rescan history) are kept this long. */
const FINISHED_JOB_RETENTION_MS = 30 * 86_400_000;

export async function createApp(config: SlipwayConfig, logger: Logger): Promise<App> {
  const database = await openDatabase(config.database);
  try {
    return await assemble(config, logger, database);
  } catch (error) {
    await database.close();
    throw error;
  }
}

async function assemble(config: SlipwayConfig, logger: Logger, database: MetadataDatabase): Promise<App> {
  const driver = createFilesystemDriver({ root: config.storage.root });
  const blobs = createBlobStore(driver);
  const openBlobFile = blobs.openFile?.bind(blobs);
  const audit = createAuditLog(database);
  const webhooks = createWebhookPolicyStore(database);
  const jobs = createJobQueue(database);
  const scheduler = createScheduler(database, jobs);
  const access = createAccessControl(database);
  const authorizer = withCredentialCache(
    createLocalAuthorizer(database, {
      access,
      onLogin: (e) =>
        void audit
          .record({ username: e.username, resource: e.username, resourceType: 'user', operation: 'login', result: e.success ? 'success' : 'failure', ...(e.reason === undefined ? {} : { detail: { reason: e.reason } }) })
          .catch((error: unknown) => logger.warn('audit record failed', { error })),
    }),
    { ttlMs: 60_000 },
  );
  let port = config.port;
  const externalHost = () => (config.externalUrl === undefined ? `localhost:${port}` : new URL(config.externalUrl).host);
  let scanRequests: ScanRequests | undefined;
  const events = createEventFanout({
    database,
    audit,
    webhooks,
    jobs,
    logger,
    externalHost,
    afterPush: (project, repository, digest, tags) => scanRequests?.afterPush(project, repository, digest, tags) ?? Promise.resolve(),
  });
  if (config.externalScanner !== undefined && config.externalUrl === undefined) {
    logger.warn('the external scanner adapter pulls images from http://127.0.0.1:<port>: set externalUrl (SLIPWAY_EXTERNAL_URL) to the address it reaches this server at, unless it runs on this host', {
      adapter: config.externalScanner.url,
    });
  }
  const scans = createScanService({
    database,
    ...(config.externalScanner === undefined ? {} : { external: externalScanner(config.externalScanner, () => tokens, () => config.externalUrl ?? `http://127.0.0.1:${port}`) }),
    // The registry is built just below; the scanner reads through it only when a job runs.
    content: {
      manifest: (...args) => registry.content.manifest(...args),
      openBlob: (...args) => registry.content.openBlob(...args),
      // Where blobs are local files (the filesystem driver), layers are read in place.
      ...(openBlobFile === undefined ? {} : { openBlobFile: (digest: string, options?: { signal?: AbortSignal }) => openBlobFile(parseDigest(digest), options) }),
    },
    catalogers,
    vulndb: createVulnDb(database),
    version: SLIPWAY_VERSION,
    registryHost: externalHost,
  });
  const signing = config.signing ?? {};
  const trustedRoot = signing.trustedRootFile === undefined ? undefined : await loadTrustedRoot(signing.trustedRootFile);
  // Built once the registry exists (verification reads signatures through it).
  let signatureFacts: SignatureFacts = noSignatureFacts;
  const registry = createRegistry({
    database,
    blobs,
    pullGate: createProjectPullGate(database, { scans: scanFactsFrom(scans), signatures: { signatureOf: (request, options) => signatureFacts.signatureOf(request, options) } }),
    writePolicy: createProjectWritePolicy(database, events),
    events,
    retentionSchedules: {
      async set(policyId, cron) {
        if (cron === undefined) await scheduler.remove(`retention-${policyId}`);
        else await scheduler.upsert(`retention-${policyId}`, cron, 'retention-scheduled', { policyId });
      },
    },
    onRetentionFinished(execution, project) {
      if (execution.dry_run || (execution.deleted ?? 0) === 0) return;
      void notifyRetention(execution, project).catch((error: unknown) => logger.warn('retention webhook failed', { error }));
    },
  });
  signatureFacts = signatureFactsFrom({ registry, ...(trustedRoot === undefined ? {} : { trustedRoot }), ignoreSct: signing.ignoreSct === true });
  const attestor = await serverSigner(signing);
  const requests = createScanRequests({ database, registry, scans, jobs });
  scanRequests = requests;
  async function notifyRetention(execution: RetentionExecutionView, project: string): Promise<void> {
    const row = await registry.projects.get(project);
    const deleted = (execution.decisions ?? []).filter((d) => d.outcome === 'DEL');
    await events.notify(row.project_id, {
      type: 'TAG_RETENTION',
      occurAt: Date.now(),
      operator: execution.trigger,
      project,
      retention: {
        total: execution.total ?? 0,
        retained: execution.retained ?? 0,
        project_name: project,
        retention_policy_id: execution.policy_id,
        result: execution.status === 'Success' ? 'SUCCESS' : 'FAILED',
        deleted_artifact: deleted.map((d) => ({ type: 'image', status: 'SUCCESS', name_tag: d.tags.length > 0 ? `${d.repository}:${d.tags[0] ?? ''}` : `${d.repository}@${d.digest}` })),
      },
    });
  }
  for (const project of config.projects) await registry.ensureProject(project.name, { public: project.public });
  const admin = await ensureAdminUser(database, config.adminPassword);
  await scheduler.upsert('audit-purge', '17 3 * * *', 'audit-purge', { olderThanMs: config.auditRetentionDays * 86_400_000 });
  // A new vulnerability data import (`slipway db import`, from any process) triggers one rescan of everything.
  await scheduler.upsert('vulndb-watch', '* * * * *', VULNDB_WATCH_JOB, {});
  await scheduler.upsert(JOBS_PURGE_JOB, '*/10 * * * *', JOBS_PURGE_JOB, {});
  const adapterVulnDb = createVulnDb(database);
  const adapterScans = createAdapterScans({ queue: jobs });
  const tokens = createTokenService({
    keys: [await signingKey(database)],
    issuer: TOKEN_ISSUER,
    service: TOKEN_SERVICE,
    ttlSeconds: config.tokenTtlSeconds,
  });
  const scanGate = createScanGate(database, scanFactsFrom(scans));
  const scanReporting: ScanReporting = {
    scans,
    events,
    audit,
    database,
    externalHost,
    registry,
    ...(attestor === undefined ? {} : { attest: scanAttester({ registry, signer: attestor, ...(signing.rekorUrl === undefined ? {} : { rekorUrl: signing.rekorUrl }) }) }),
  };
  // Scans run on workers of their own: an hour-long rescan, or an external adapter slow to answer,
  // must not hold up webhooks, garbage collection and the rest behind them.
  const workerFor = (handlers: Parameters<typeof createJobWorker>[0]['handlers']) => createJobWorker({ queue: jobs, logger, pollMs: config.jobPollMs, handlers });
  const scanWorker = workerFor({
    [SCAN_JOB]: scanJobHandler(scanReporting),
    [RESCAN_JOB]: rescanJobHandler({ ...scanReporting, gate: scanGate }),
    [ADAPTER_SCAN_JOB]: adapterScanJobHandler({ vulndb: adapterVulnDb, catalogers, version: SLIPWAY_VERSION }),
  });
  const worker = workerFor({
    [WEBHOOK_JOB]: webhookJobHandler(webhooks),
    [VULNDB_WATCH_JOB]: vulndbWatchHandler({ database, jobs }),
    [RETENTION_JOB]: (payload) => registry.retention.run((payload as { executionId: number }).executionId),
    'retention-scheduled': async (payload) => {
      const execution = await registry.retention.startExecution((payload as { policyId: number }).policyId, false, 'SCHEDULE');
      const result = await registry.retention.run(execution.id);
      return { executionId: result.id, status: result.status, deleted: result.deleted };
    },
    [GC_JOB]: async (payload, _job, { signal }) => {
      const { dryRun, gracePeriodMs } = payload as { dryRun: boolean; gracePeriodMs: number };
      const report = await registry.gc.run({ dryRun, gracePeriodMs, signal });
      logger.info('garbage collection finished', { dryRun, blobsDeleted: report.blobsDeleted, bytesFreed: report.bytesFreed, errors: report.errors.length });
      return report;
    },
    'audit-purge': async (payload) => ({ purged: await audit.purge((payload as { olderThanMs: number }).olderThanMs) }),
    [JOBS_PURGE_JOB]: async (_payload, _job, { signal }) => ({
      adapterScans: await adapterScans.purge({ signal }),
      finished: await jobs.purge({ updatedBefore: Date.now() - FINISHED_JOB_RETENTION_MS }, { signal }),
    }),
  });
  const onChange = (name: string) => authorizer.forget(name);
  const services: ApiServices = {
    registry,
    scans,
    scanRequests: requests,
    canAttest: attestor !== undefined,
    keylessVerification: trustedRoot !== undefined,
    externalUrl: config.externalUrl,
    scanGate,
    access,
    verifyPassword: async (username, password) => (await authorizer.authenticate(username, password)) !== undefined,
    users: createUsers(database, { onChange }),
    robots: createRobots(database, { onChange }),
    audit,
    webhooks,
    jobs,
    start: {
      gc: (options) => jobs.enqueue(GC_JOB, options, { maxAttempts: 1 }),
      rescan: (options) => jobs.enqueue(RESCAN_JOB, options, { maxAttempts: 1 }),
      retention: (executionId) => jobs.enqueue(RETENTION_JOB, { executionId }, { maxAttempts: 1 }),
    },
    jobKinds: { gc: GC_JOB, rescan: RESCAN_JOB },
    system: {
      async getAllowlist() {
        const row = await database.db.selectFrom('settings').select('value').where('key', '=', 'cve_allowlist').executeTakeFirst();
        return normalizeAllowlist(row === undefined ? undefined : JSON.parse(row.value));
      },
      async setAllowlist(value) {
        const list = normalizeAllowlist(value);
        await database.db
          .insertInto('settings')
          .values({ key: 'cve_allowlist', value: JSON.stringify(list) })
          .onConflict((oc) => oc.column('key').doUpdateSet({ value: JSON.stringify(list) }))
          .execute();
        return list;
      },
      async setGcSchedule(cron, options) {
        if (cron === undefined) await scheduler.remove('gc');
        else await scheduler.upsert('gc', cron, GC_JOB, options);
      },
      async setRescanSchedule(cron) {
        if (cron === undefined) await scheduler.remove('rescan');
        else await scheduler.upsert('rescan', cron, RESCAN_JOB, { trigger: 'schedule' });
      },
      async rescanSchedule() {
        const found = (await scheduler.list()).find((s) => s.name === 'rescan');
        return found === undefined ? undefined : { cron: found.cron, next_run_at: new Date(found.nextRunAt).toISOString() };
      },
      async gcSchedule() {
        const found = (await scheduler.list()).find((s) => s.name === 'gc');
        return found === undefined ? undefined : { cron: found.cron, next_run_at: new Date(found.nextRunAt).toISOString() };
      },
      gcGracePeriodMs: config.gcGracePeriodSeconds * 1000,
    },
  };
  const adapter = config.scannerAdapter ?? { enabled: config.demo, apiKey: undefined };
  const metrics = createMetricsRegistry();
  let shuttingDown = false;
  let closing: Promise<void> | undefined;
  const authenticator = createRequestAuthenticator({ authorizer, tokens, externalUrl: config.externalUrl });
  const http = createHttpServer({
    logger,
    metrics,
    tls: config.tls === undefined ? undefined : { cert: await readSetting(config.tls.certFile, 'tls.cert'), key: await readSetting(config.tls.keyFile, 'tls.key') },
    mounts: [
      opsMount({
        metrics,
        isShuttingDown: () => shuttingDown,
        checks: [
          { name: 'database', check: (o) => database.ping(o) },
          { name: 'storage', check: async (o) => void (await driver.list('/', o)) },
        ],
      }),
      tokenMount({ authorizer, tokens }),
      registryMount({ registry, authenticator }),
      apiMount({ routes: apiRoutes, services, authenticator, version: SLIPWAY_VERSION }),
      ...(adapter.enabled ? [scannerAdapterMount({ scans: adapterScans, vulndb: adapterVulnDb, version: SLIPWAY_VERSION, apiKey: adapter.apiKey })] : []),
    ],
  });
  metrics.gauge('slipway_process_resident_memory_bytes', 'Resident set size of the process.', () => process.memoryUsage.rss());

  const tickSchedules = () => scheduler.tick().catch((error: unknown) => logger.warn('schedule tick failed', { error }));
  const timers: NodeJS.Timeout[] = [];

  return {
    http,
    registry,
    database,
    authorizer,
    jobs,
    generatedAdminPassword: admin.generatedPassword,
    async listen() {
      const address = await http.listen(config.port, config.host);
      port = address.port;
      const sweeper = setInterval(() => {
        registry.blobs
          .expireUploads(config.uploadExpirySeconds * 1000)
          .then((removed) => removed > 0 && logger.info('expired abandoned uploads', { removed }))
          .catch((error: unknown) => logger.warn('upload expiry failed', { error }));
      }, Math.min(60_000, config.uploadExpirySeconds * 1000));
      timers.push(sweeper, setInterval(() => void tickSchedules(), Math.max(config.jobPollMs, 1000)));
      for (const timer of timers) timer.unref();
      worker.start();
      scanWorker.start();
      return address;
    },
    async runJobs() {
      await tickSchedules();
      const [others, scanned] = [await worker.runOnce(), await scanWorker.runOnce()];
      return others + scanned;
    },
    close() {
      closing ??= (async () => {
        shuttingDown = true;
        for (const timer of timers) clearInterval(timer);
        await http.close(config.shutdownGraceSeconds * 1000);
        await Promise.all([worker.stop(), scanWorker.stop()]);
        await database.close();
      })();
      return closing;
    },
  };
}

/**
 * Scans through an external Harbor Pluggable Scanner adapter: it pulls the image from this
 * server with a short-lived token of the server's own scanner (which passes the pull gate, as
 * Harbor's scanner-pull does), and its report becomes the stored findings.
 */
function externalScanner(
  settings: NonNullable<SlipwayConfig['externalScanner']>,
  tokens: () => TokenService,
  registryUrl: () => string,
): ExternalScanner {
  const client = createAdapterScanner({ url: settings.url, ...(settings.auth === undefined ? {} : { auth: settings.auth }) });
  return {
    async scan(target, options) {
      const { token } = tokens().issue(SCANNER_PRINCIPAL, [{ type: 'repository', name: target.repository, actions: ['pull'] }]);
      const result = await client.scan(
        { registryUrl: registryUrl(), authorization: `Bearer ${token}`, repository: target.repository, digest: target.digest, mimeType: target.mediaType },
        options.signal === undefined ? {} : { signal: options.signal },
      );
      return {
        severity: result.severity,
        findings: result.findings.map((f) => ({ id: f.id, aliases: f.aliases, severity: f.severity, package: f.package.name, version: f.package.version, fixed: f.fixedVersions })),
      };
    },
  };
}

/** The token signing key every node shares, created once in the database. */
async function signingKey(database: MetadataDatabase): Promise<SigningKey> {
  const read = () => database.db.selectFrom('settings').select('value').where('key', '=', TOKEN_KEY_SETTING).executeTakeFirst();
  const existing = await read();
  if (existing !== undefined) return loadSigningKey(existing.value);
  await database.db
    .insertInto('settings')
    .values({ key: TOKEN_KEY_SETTING, value: exportSigningKey(generateSigningKey()) })
    .onConflict((oc) => oc.column('key').doNothing())
    .execute();
  const stored = await read();
  if (stored === undefined) throw new Error('token signing key could not be stored');
  return loadSigningKey(stored.value);
}

/** The server's own signer (attesting scan results), from `signing.key`; none when not configured. */
async function serverSigner(signing: NonNullable<SlipwayConfig['signing']>): Promise<Signer | undefined> {
  if (signing.keyFile === undefined) return undefined;
  const password = signing.keyPassword;
  const key = await loadPrivateKey(await readFile(signing.keyFile, 'utf8'), () => Promise.resolve(password ?? ''));
  return keySigner(key);
}

/** A file the configuration names; a failure says which setting named it. */
async function readSetting(file: string, setting: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (error) {
    throw new Error(`${setting}: cannot read ${file}: ${fileErrorReason(error)}`, { cause: error });
  }
}
