import { startCoordinator } from '@nexus/coordinator';
import {
  ConfigError,
  createLogger,
  loadConfig,
  migrate,
  onShutdown,
  openCache,
  openDatabase,
  type SuiteConfig,
} from '@nexus/core';

/**
 * `npm start`: every service in one process sharing one storage connection — on a fresh
 * machine that is embedded PGlite under ./data and in-process events, so nothing else
 * needs installing. Ports: COORDINATOR_PORT (8070), LEARNING_PORT (8071), OPTIMIZER_PORT (8072).
 */
async function main(): Promise<void> {
  let config: SuiteConfig;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger({ level: config.log_level, name: 'nexus', async: true });
  const db = await openDatabase(config, logger, 'nexus-suite');
  const applied = await migrate(db);
  if (applied.length) logger.info({ applied }, 'migrations applied');
  const cache = openCache(config, logger);
  const port = (name: string, def: number) => {
    const v = process.env[name];
    const n = v === undefined ? def : Number(v);
    if (!Number.isInteger(n) || n < 0 || n > 65535) {
      process.stderr.write(`Invalid configuration: ${name} must be a port number\n`);
      process.exit(2);
    }
    return n;
  };
  const coordinator = await startCoordinator({
    config,
    logger: logger.child({ service: 'multi_agent_coordinator' }),
    db,
    cache,
    port: port('COORDINATOR_PORT', 8070),
  });
  logger.info({ coordinator: coordinator.port, storage: db.kind, cache: cache.kind }, 'nexus suite running');
  onShutdown(logger, config.http.shutdown_timeout_ms, [coordinator.stop, () => cache.close(), () => db.close()]);
}

main().catch((err) => {
  process.stderr.write(`nexus suite failed to start: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
