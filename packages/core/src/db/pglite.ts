import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
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

  private constructor(
    private readonly pg: PGlite,
    private readonly lockFile: string | null,
  ) {}

  /** `dataDir` undefined → in-memory database (tests). */
  static async open(dataDir?: string): Promise<PgliteDb> {
    let lockFile: string | null = null;
    if (dataDir) {
      mkdirSync(dataDir, { recursive: true });
      lockFile = acquireDirLock(dataDir);
    }
    try {
      const pg = dataDir ? new PGlite(dataDir) : new PGlite();
      await pg.waitReady;
      return new PgliteDb(pg, lockFile);
    } catch (err) {
      if (lockFile) rmSync(lockFile, { force: true });
      throw err;
    }
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
    if (this.lockFile) rmSync(this.lockFile, { force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * One process per embedded data directory: two would corrupt it. A lock file holds the
 * owner's pid; a lock left by a dead process (kill -9) is taken over.
 */
function acquireDirLock(dir: string): string {
  const file = path.join(dir, 'nexus.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return file;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number(readFileSync(file, 'utf8').trim());
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && alive(owner)) {
        throw new Error(
          `The embedded database in ${dir} is in use by process ${owner}. Stop it, or set DATABASE_URL to share a real Postgres between processes.`,
        );
      }
      rmSync(file, { force: true });
    }
  }
  throw new Error(`Could not lock the embedded database directory ${dir}`);
}
