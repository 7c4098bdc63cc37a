/**
 * Test storage: every storage-touching suite runs on embedded PGlite, and also on the real
 * Postgres/Redis of the machine when DATABASE_URL / REDIS_URL are set. Each suite gets a
 * database of its own (a fresh PGlite, or a new Postgres database dropped afterwards).
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import {
  MemoryCache,
  PgDb,
  PgliteDb,
  RedisCache,
  loadConfig,
  migrate,
  silentLogger,
  type Cache,
  type Db,
  type SuiteConfig,
} from '../../src/index.js';

export type Backend = 'pglite' | 'postgres';

export const REAL_DATABASE_URL = process.env.DATABASE_URL;
export const REAL_REDIS_URL = process.env.REDIS_URL;

/** The backends to run storage suites on here. */
export const backends: Backend[] = REAL_DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];

export interface TestStorage {
  backend: Backend;
  db: Db;
  /** For postgres: the URL of this suite's own database (to open more pools, e.g. a second replica). */
  url?: string;
  /** Empties every table (between tests). */
  reset(): Promise<void>;
  /** Closes and, for postgres, drops the database. */
  destroy(): Promise<void>;
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

export async function createTestStorage(backend: Backend): Promise<TestStorage> {
  let db: Db;
  let url: string | undefined;
  let drop = async () => {};
  if (backend === 'pglite') {
    db = await PgliteDb.open();
  } else {
    const name = `nexus_test_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
    const admin = new pg.Client({ connectionString: REAL_DATABASE_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    url = withDatabase(REAL_DATABASE_URL!, name);
    db = new PgDb({ connectionString: url, poolSize: 10, connectTimeoutMs: 3000, logger: silentLogger() });
    drop = async () => {
      const c = new pg.Client({ connectionString: REAL_DATABASE_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    };
  }
  await migrate(db);
  return {
    backend,
    db,
    url,
    reset: async () => {
      const res = await db.query<{ tablename: string }>(
        `SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'schema_migrations'`,
      );
      if (res.rows.length) await db.exec(`TRUNCATE ${res.rows.map((r) => `"${r.tablename}"`).join(', ')} RESTART IDENTITY CASCADE`);
    },
    destroy: async () => {
      await db.close();
      await drop();
    },
  };
}

/** An in-process cache, or a Redis one (isolated by a random key prefix) when REDIS_URL is set and asked for. */
export function createTestCache(kind: 'memory' | 'redis' = 'memory'): Cache {
  if (kind === 'redis' && REAL_REDIS_URL) return new RedisCache(REAL_REDIS_URL, silentLogger(), `nexus-test-${randomUUID().slice(0, 8)}:`);
  return new MemoryCache();
}

/** Configuration for tests: built-in defaults and the repository's YAML, no environment, plus overrides. */
export function testConfig(overrides: Record<string, unknown> = {}): SuiteConfig {
  return loadConfig({ env: {}, overrides: { log_level: 'silent', learning_engine_url: '', ...overrides } });
}
