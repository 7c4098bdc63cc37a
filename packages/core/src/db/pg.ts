import pg from 'pg';
import type { Logger } from 'pino';
import { UnavailableError, isConnectionError } from '../errors/index.js';
import type { Db, DedicatedSession, QueryResult, Transaction } from './types.js';

// Return timestamps as Date (default) and bigint counts as numbers (our counts stay far below 2^53).
pg.types.setTypeParser(20, (v: string) => Number(v));
pg.types.setTypeParser(1700, (v: string) => Number(v));

export interface PgOptions {
  connectionString: string;
  poolSize: number;
  connectTimeoutMs: number;
  logger: Logger;
  applicationName?: string;
  /** Server-side limit per statement (ms); a client-side guard fires a second later. Default 5000. */
  statementTimeoutMs?: number;
  /** Longest wait for a row lock (ms). Default 3000. */
  lockTimeoutMs?: number;
}

/** Ask the server to probe idle connections, so a vanished client's session (and its locks) end within ~15 s. */
const SERVER_KEEPALIVE = '-c tcp_keepalives_idle=5 -c tcp_keepalives_interval=2 -c tcp_keepalives_count=3';

function wrap(err: unknown): never {
  if (isConnectionError(err)) throw new UnavailableError('Database unavailable');
  throw err;
}

export class PgDb implements Db {
  readonly kind = 'postgres' as const;
  private readonly pool: pg.Pool;

  constructor(private readonly opts: PgOptions) {
    const statementTimeout = opts.statementTimeoutMs ?? 5000;
    this.pool = new pg.Pool({
      connectionString: opts.connectionString,
      max: opts.poolSize,
      connectionTimeoutMillis: opts.connectTimeoutMs,
      idleTimeoutMillis: 30_000,
      keepAlive: true,
      application_name: opts.applicationName ?? 'nexus',
      // A database that stops answering must turn into a quick 503, not a hung request.
      statement_timeout: statementTimeout,
      query_timeout: statementTimeout + 1000,
      lock_timeout: opts.lockTimeoutMs ?? 3000,
      options: SERVER_KEEPALIVE,
    });
    // An idle client losing its connection must not crash the process; the next query reconnects.
    this.pool.on('error', (err) => opts.logger.warn({ err: err.message }, 'postgres idle client error'));
  }

  async query<T>(sql: string, params?: unknown[]): Promise<QueryResult<T>> {
    try {
      const res = await this.pool.query(sql, params as unknown[]);
      return { rows: res.rows as T[], rowCount: res.rowCount ?? 0 };
    } catch (err) {
      return wrap(err);
    }
  }

  async transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      return wrap(err);
    }
    const tx: Transaction = {
      query: async <R>(sql: string, params?: unknown[]) => {
        const res = await client.query(sql, params as unknown[]);
        return { rows: res.rows as R[], rowCount: res.rowCount ?? 0 };
      },
      exec: async (sql: string) => {
        await client.query(sql);
      },
    };
    let broken = false;
    try {
      await client.query('BEGIN');
      const out = await fn(tx);
      await client.query('COMMIT');
      return out;
    } catch (err) {
      broken = isConnectionError(err);
      if (!broken) await client.query('ROLLBACK').catch(() => undefined);
      return wrap(err);
    } finally {
      client.release(broken);
    }
  }

  async exec(sql: string): Promise<void> {
    try {
      await this.pool.query(sql);
    } catch (err) {
      wrap(err);
    }
  }

  async dedicatedSession(opts: { idleTimeoutMs?: number } = {}): Promise<DedicatedSession> {
    const client = new pg.Client({
      connectionString: this.opts.connectionString,
      connectionTimeoutMillis: this.opts.connectTimeoutMs,
      keepAlive: true,
      keepAliveInitialDelayMillis: 1000,
      application_name: `${this.opts.applicationName ?? 'nexus'}-lease`,
      query_timeout: 3000,
      statement_timeout: 2000,
      options: `${SERVER_KEEPALIVE}${opts.idleTimeoutMs ? ` -c idle_session_timeout=${Math.round(opts.idleTimeoutMs)}` : ''}`,
    });
    let resolveClosed!: () => void;
    const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
    client.on('error', () => resolveClosed());
    client.on('end', () => resolveClosed());
    try {
      await client.connect();
    } catch (err) {
      return wrap(err);
    }
    return {
      closed,
      query: async <R>(sql: string, params?: unknown[]) => {
        try {
          const res = await client.query(sql, params as unknown[]);
          return { rows: res.rows as R[], rowCount: res.rowCount ?? 0 };
        } catch (err) {
          return wrap(err);
        }
      },
      release: async () => {
        // end() waits for the server; on a dead network it never answers: cut the socket.
        const ended = client.end().catch(() => undefined);
        const timer = new Promise((r) => setTimeout(r, 1000).unref());
        await Promise.race([ended, timer]);
        (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
      },
    };
  }

  async ping(): Promise<void> {
    await this.query('SELECT 1');
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => undefined);
  }
}
