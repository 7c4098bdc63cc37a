import path from 'node:path';
import type { Logger } from 'pino';
import type { SuiteConfig } from '../config/index.js';
import { PgDb } from './pg.js';
import { PgliteDb } from './pglite.js';
import type { Db } from './types.js';

export * from './types.js';
export { PgDb } from './pg.js';
export { PgliteDb } from './pglite.js';
export { migrate, readMigrations, defaultMigrationsDir, type Migration } from './migrate.js';

/** The Postgres connection string the configuration asks for, or undefined for the embedded default. */
export function postgresUrl(config: SuiteConfig): string | undefined {
  const d = config.database;
  if (d.url) return d.url;
  if (!d.host) return undefined;
  const auth = `${encodeURIComponent(d.user)}:${encodeURIComponent(d.password)}`;
  return `postgres://${auth}@${d.host}:${d.port}/${encodeURIComponent(d.name)}`;
}

/** Opens real Postgres when DATABASE_URL / POSTGRES_HOST is set, else PGlite under DATA_DIR/pglite. */
export async function openDatabase(config: SuiteConfig, logger: Logger, applicationName?: string): Promise<Db> {
  const url = postgresUrl(config);
  if (url) {
    logger.info({ host: new URL(url).host }, 'storage: postgres');
    return new PgDb({
      connectionString: url,
      poolSize: config.database.pool_size,
      connectTimeoutMs: config.database.connect_timeout_ms,
      logger,
      applicationName,
    });
  }
  const dir = path.resolve(config.data_dir, 'pglite');
  logger.info({ dir }, 'storage: embedded PGlite');
  return PgliteDb.open(dir);
}
