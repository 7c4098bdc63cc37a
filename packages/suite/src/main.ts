import { startCoordinator } from '@nexus/coordinator';
import { onShutdown, openRuntime } from '@nexus/core';

/**
 * `npm start`: every service in one process sharing one storage connection — on a fresh
 * machine that is embedded PGlite under ./data and in-process events, so nothing else
 * needs installing. Port: COORDINATOR_PORT (8070); the learning engine (8071) and the
 * optimizer (8072) join here when they exist.
 */
async function main(): Promise<void> {
  const { config, logger, db, cache } = await openRuntime({ applicationName: 'nexus-suite' });
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
