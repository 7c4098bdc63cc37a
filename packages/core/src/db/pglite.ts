import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { UnavailableError } from '../errors/index.js';
import type { Db, QueryResult, Transaction } from './types.js';

/**
 * Embedded Postgres (WASM). One connection per data directory, so every statement is
 * serialised here; a transaction holds the connection until it ends.
 */
export class PgliteDb implements Db {
  readonly kind = 'pglite' as const;
  private closed = false;

  private constructor(private readonly pg: PGlite) {}

  /** `dataDir` undefined → in-memory database (tests). */
  static async open(dataDir?: string): Promise<PgliteDb> {
    if (dataDir) mkdirSync(dataDir, { recursive: true });
    const pg = dataDir ? new PGlite(dataDir) : new PGlite();
    await pg.waitReady;
    return new PgliteDb(pg);
  }

  private ensureOpen(): void {
    if (this.closed) throw new UnavailableError('Database is closed');
  }

  async query<T>(sql: string, params?: unknown[]): Promise<QueryResult<T>> {
    this.ensureOpen();
    const res = await this.pg.query<T>(sql, params);
    return { rows: res.rows, rowCount: res.affectedRows ?? res.rows.length };
  }

  async transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    this.ensureOpen();
    return this.pg.transaction(async (t) => {
      const tx: Transaction = {
        query: async <R>(sql: string, params?: unknown[]) => {
          const res = await t.query<R>(sql, params);
          return { rows: res.rows, rowCount: res.affectedRows ?? res.rows.length };
        },
        exec: async (sql: string) => {
          await t.exec(sql);
        },
      };
      return fn(tx);
    });
  }

  async exec(sql: string): Promise<void> {
    this.ensureOpen();
    await this.pg.exec(sql);
  }

  async dedicatedSession(): Promise<null> {
    return null;
  }

  async ping(): Promise<void> {
    await this.query('SELECT 1');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pg.close();
  }
}
