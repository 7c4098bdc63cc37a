import type { Server } from 'node:http';
import type { Express } from 'express';
import type { Logger } from 'pino';

export async function listen(app: Express, port: number, host = '0.0.0.0'): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host, (err?: Error) => (err ? reject(err) : resolve(server)));
    server.on('error', reject);
    // Keep-alive sockets of load balancers outlive ours by default; avoid resets.
    server.keepAliveTimeout = 65_000;
    server.headersTimeout = 66_000;
  });
}

/** Stops accepting, lets in-flight requests finish, then drops idle keep-alive sockets. */
export function closeServer(server: Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => {
      server.closeAllConnections();
      resolve();
    }, graceMs);
    force.unref();
    server.close(() => {
      clearTimeout(force);
      resolve();
    });
    server.closeIdleConnections();
  });
}

/**
 * On SIGTERM/SIGINT runs `steps` in order (stop listening, stop cycles, flush, close
 * pools) and exits; a watchdog exits anyway after `timeoutMs`.
 */
export function onShutdown(logger: Logger, timeoutMs: number, steps: Array<() => Promise<void>>): void {
  let shuttingDown = false;
  const run = async (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.info({ signal }, 'shutting down');
    const watchdog = setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, timeoutMs);
    watchdog.unref();
    for (const step of steps) {
      try {
        await step();
      } catch (err) {
        logger.warn({ err: (err as Error).message }, 'shutdown step failed');
      }
    }
    logger.info('shutdown complete');
    // Buffered (asynchronous) log lines must reach stdout before the process ends.
    await new Promise<void>((resolve) => logger.flush(() => resolve()));
    process.exit(0);
  };
  process.once('SIGTERM', () => void run('SIGTERM'));
  process.once('SIGINT', () => void run('SIGINT'));
}
