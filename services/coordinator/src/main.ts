import { pathToFileURL } from 'node:url';
import {
  closeServer,
  listen,
  onShutdown,
  openRuntime,
  type Cache,
  type Db,
  type Logger,
  type SuiteConfig,
} from '@nexus/core';
import { createCoordinatorService } from './app.js';

export const DEFAULT_PORT = 8070;

export interface RunningService {
  port: number;
  /** Stops listening (in-flight requests finish), stops background work, flushes writes. */
  stop(): Promise<void>;
}

/** Starts the coordinator on storage the caller opened (and will close). */
export async function startCoordinator(opts: { config: SuiteConfig; logger: Logger; db: Db; cache: Cache; port?: number }): Promise<RunningService> {
  const service = createCoordinatorService({ config: opts.config, logger: opts.logger, db: opts.db, cache: opts.cache });
  await service.scheduler.start();
  const port = opts.port ?? opts.config.port ?? DEFAULT_PORT;
  const server = await listen(service.app, port);
  const address = server.address();
  const actual = typeof address === 'object' && address ? address.port : port;
  opts.logger.info({ port: actual }, 'multi-agent coordinator listening');
  return {
    port: actual,
    stop: async () => {
      // Leave time within the shutdown budget for the steps that follow.
      await closeServer(server, Math.max(500, opts.config.http.shutdown_timeout_ms - 2000));
      await service.scheduler.stop();
      await service.coordinator.flush();
    },
  };
}

async function main(): Promise<void> {
  const { config, logger, db, cache } = await openRuntime({ applicationName: 'nexus-coordinator', service: 'multi_agent_coordinator' });
  const service = await startCoordinator({ config, logger, db, cache });
  onShutdown(logger, config.http.shutdown_timeout_ms, [service.stop, () => cache.close(), () => db.close()]);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    process.stderr.write(`coordinator failed to start: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
}
