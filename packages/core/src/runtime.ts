import type { Logger } from 'pino';
import { openCache, type Cache } from './cache/index.js';
import { ConfigError, loadConfig, type SuiteConfig } from './config/index.js';
import { migrate, openDatabase, type Db } from './db/index.js';
import { createLogger } from './log/index.js';

export interface Runtime {
  config: SuiteConfig;
  logger: Logger;
  db: Db;
  cache: Cache;
}

/**
 * What every entry point does first: configuration (exit 2 with the message naming the
 * bad key), logging, storage with migrations applied, and the cache/event bus.
 */
export async function openRuntime(opts: { applicationName: string; service?: string }): Promise<Runtime> {
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
  const root = createLogger({ level: config.log_level, name: 'nexus', async: true });
  const logger = opts.service ? root.child({ service: opts.service }) : root;
  const db = await openDatabase(config, logger, opts.applicationName);
  const applied = await migrate(db);
  if (applied.length) logger.info({ applied }, 'migrations applied');
  const cache = openCache(config, logger);
  return { config, logger, db, cache };
}
