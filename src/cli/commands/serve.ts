import type { Command } from 'commander';
import { loadConfig, type ConfigFlags } from '../../app-config.ts';
import { createApp } from '../../app.ts';
import { createLogger } from '../../core/log/logger.ts';

/** `slipway serve`: the registry and its APIs, until SIGTERM or SIGINT. */
export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the Slipway server (registry, token service, health and metrics)')
    .option('--config <file>', 'YAML configuration file (env SLIPWAY_CONFIG)')
    .option('--port <port>', 'port to listen on (env SLIPWAY_PORT, default 5000)')
    .option('--host <address>', 'address to listen on (env SLIPWAY_HOST, default 0.0.0.0)')
    .option('--data <dir>', 'data directory (env SLIPWAY_DATA, default ./data)')
    .option('--database-url <url>', 'PostgreSQL URL instead of the embedded SQLite (env SLIPWAY_DATABASE_URL)')
    .option('--demo', "local demo: create platform-dev, platform-staging and platform-production (npm start)")
    .action(async (flags: ConfigFlags) => {
      const config = await loadConfig(flags);
      const logger = createLogger({ level: config.logLevel });
      const app = await createApp(config, logger);
      const { port } = await app.listen();
      if (app.generatedAdminPassword !== undefined) {
        process.stderr.write(
          `\nSlipway created the first admin account.\n  username: admin\n  password: ${app.generatedAdminPassword}\n` +
            'It is shown only this once; set SLIPWAY_ADMIN_PASSWORD before the first start to choose it.\n\n',
        );
      }
      logger.info('slipway listening', {
        address: `${config.tls === undefined ? 'http' : 'https'}://${config.host}:${port}`,
        data: config.dataDir,
        database: config.database.kind,
        demo: config.demo,
        projects: config.projects.map((p) => p.name),
      });
      await waitForSignal();
      logger.info('shutting down: finishing in-flight requests', { graceSeconds: config.shutdownGraceSeconds });
      await app.close();
      logger.info('stopped');
    });
}

function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      resolve();
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}
