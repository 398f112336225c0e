import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SlipwayConfig } from '../app-config.ts';
import { DEMO_PROJECTS } from '../app-config.ts';
import { createApp, type App } from '../app.ts';
import { createLogger, silentLogger } from '../core/log/logger.ts';
import type { DatabaseConfig } from '../core/storage/metadata/database.ts';
import { testDatabaseConfig } from './databases.ts';

export const TEST_ADMIN_PASSWORD = 'Admin-Password-1';

/** A real Slipway server on a loopback port, over a temp data directory, for one test file. */
export interface TestSlipway {
  readonly app: App;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** `127.0.0.1:<port>`, as image references name it. */
  readonly host: string;
  readonly adminPassword: string;
  readonly dataDir: string;
  readonly blobRoot: string;
  readonly database: DatabaseConfig;
  stop(): Promise<void>;
}

export interface TestSlipwayOptions {
  readonly database?: 'sqlite' | 'postgres';
  /** Projects to create; the three environment projects by default (private). */
  readonly projects?: readonly { readonly name: string; readonly public: boolean }[];
  readonly config?: Partial<SlipwayConfig>;
}

export async function startSlipway(options: TestSlipwayOptions = {}): Promise<TestSlipway> {
  const dataDir = await mkdtemp(join(tmpdir(), 'slipway-test-'));
  const database = await testDatabaseConfig(options.database ?? 'sqlite', dataDir);
  const blobRoot = join(dataDir, 'blobs');
  const config: SlipwayConfig = {
    host: '127.0.0.1',
    port: 0,
    dataDir,
    externalUrl: undefined,
    tls: undefined,
    database,
    storage: { kind: 'filesystem', root: blobRoot },
    tokenTtlSeconds: 300,
    uploadExpirySeconds: 3600,
    shutdownGraceSeconds: 5,
    logLevel: 'debug',
    projects: options.projects ?? DEMO_PROJECTS.map((name) => ({ name, public: false })),
    adminPassword: TEST_ADMIN_PASSWORD,
    demo: false,
    jobPollMs: 50,
    gcGracePeriodSeconds: 3600,
    auditRetentionDays: 90,
    ...options.config,
  };
  // SLIPWAY_TEST_LOG=1 shows the server's request log while debugging a test.
  const logger = process.env['SLIPWAY_TEST_LOG'] === '1' ? createLogger({ level: 'debug', stream: process.stderr }) : silentLogger;
  const app = await createApp(config, logger);
  const { port } = await app.listen();
  return {
    app,
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    adminPassword: TEST_ADMIN_PASSWORD,
    dataDir,
    blobRoot,
    database,
    async stop() {
      await app.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
