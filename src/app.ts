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
import { createTokenService } from './core/auth/token-service.ts';
import type { Logger } from './core/log/logger.ts';
import { createMetricsRegistry } from './core/metrics/metrics-registry.ts';
import { createBlobStore } from './core/storage/blob-store.ts';
import { createFilesystemDriver } from './core/storage/fs-driver.ts';
import { openDatabase, type MetadataDatabase } from './core/storage/metadata/database.ts';
import { createHttpServer, type HttpServer } from './http/http-server.ts';
import { opsMount } from './http/ops-mount.ts';
import { registryMount } from './http/registry-routes.ts';
import { createRequestAuthenticator } from './http/request-auth.ts';
import { tokenMount } from './http/token-handler.ts';
import { createRegistry, type Registry } from './registry/index.ts';

export interface App {
  readonly http: HttpServer;
  readonly registry: Registry;
  readonly database: MetadataDatabase;
  readonly authorizer: Authorizer;
  /** Set when this start created the first admin with a generated password (shown once). */
  readonly generatedAdminPassword: string | undefined;
  listen(): Promise<{ port: number }>;
  close(): Promise<void>;
}

const TOKEN_KEY_SETTING = 'token_signing_key';
export const TOKEN_SERVICE = 'slipway-registry';
const TOKEN_ISSUER = 'slipway-token-issuer';

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
  const registry = createRegistry({ database, blobs });
  for (const project of config.projects) await registry.ensureProject(project.name, { public: project.public });
  const admin = await ensureAdminUser(database, config.adminPassword);
  const authorizer = withCredentialCache(createLocalAuthorizer(database), { ttlMs: 5 * 60_000 });
  const tokens = createTokenService({
    keys: [await signingKey(database)],
    issuer: TOKEN_ISSUER,
    service: TOKEN_SERVICE,
    ttlSeconds: config.tokenTtlSeconds,
  });
  const metrics = createMetricsRegistry();
  let shuttingDown = false;
  let closing: Promise<void> | undefined;
  const authenticator = createRequestAuthenticator({ authorizer, tokens, externalUrl: config.externalUrl });
  const http = createHttpServer({
    logger,
    metrics,
    tls: config.tls === undefined ? undefined : { cert: await readFile(config.tls.certFile), key: await readFile(config.tls.keyFile) },
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
    ],
  });
  metrics.gauge('slipway_process_resident_memory_bytes', 'Resident set size of the process.', () => process.memoryUsage.rss());

  const sweeper = setInterval(() => {
    registry.blobs
      .expireUploads(config.uploadExpirySeconds * 1000)
      .then((removed) => removed > 0 && logger.info('expired abandoned uploads', { removed }))
      .catch((error: unknown) => logger.warn('upload expiry failed', { error }));
  }, Math.min(60_000, config.uploadExpirySeconds * 1000));
  sweeper.unref();

  return {
    http,
    registry,
    database,
    authorizer,
    generatedAdminPassword: admin.generatedPassword,
    listen: () => http.listen(config.port, config.host),
    close() {
      closing ??= (async () => {
        shuttingDown = true;
        clearInterval(sweeper);
        await http.close(config.shutdownGraceSeconds * 1000);
        await database.close();
      })();
      return closing;
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
