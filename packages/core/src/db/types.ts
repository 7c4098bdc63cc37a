/** The storage interface every service codes against: real Postgres (pg) or embedded PGlite. */
export interface QueryResult<T> {
  rows: T[];
  rowCount: number;
}

export interface Queryable {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResult<T>>;
}

/** A connection held for a long time by one owner (leader lease). */
export interface DedicatedSession extends Queryable {
  /** Resolves/rejects when the session breaks; used to notice a lost lease. */
  readonly closed: Promise<void>;
  release(): Promise<void>;
}

export interface Transaction extends Queryable {
  /** Executes a script of several statements without parameters. */
  exec(sql: string): Promise<void>;
}

export interface Db extends Queryable {
  readonly kind: 'postgres' | 'pglite';
  /** Runs `fn` in one transaction; commits when it resolves, rolls back when it throws. */
  transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T>;
  /** Executes a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
  /**
   * Opens a connection kept apart from the pool (pg only; PGlite has one connection).
   * `idleTimeoutMs`: the server ends the session after that long without a statement.
   */
  dedicatedSession(opts?: { idleTimeoutMs?: number }): Promise<DedicatedSession | null>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
