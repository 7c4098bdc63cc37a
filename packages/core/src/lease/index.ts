import type { Logger } from 'pino';
import type { Db, DedicatedSession } from '../db/types.js';

export interface LeaseOptions {
  /** How often a follower retries the lock, and the leader checks its session (ms). */
  intervalMs?: number;
}

/** Stable 32-bit key for a lease name (pg advisory locks take integers). */
export function leaseKey(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}

const LEASE_NAMESPACE = 7070;

/**
 * Leadership among replicas: whoever holds a Postgres session-level advisory lock on a
 * dedicated connection leads. If the leader dies its session ends, Postgres frees the
 * lock and a follower takes it on its next attempt (within `intervalMs`).
 * On PGlite (one process owns the database) the lease is always held.
 */
export class LeaderLease {
  private session: DedicatedSession | null = null;
  private leader = false;
  private timer: NodeJS.Timeout | null = null;
  private stopped = true;
  private ticking = false;
  private readonly listeners = new Set<(leader: boolean) => void>();
  private readonly key: number;
  private readonly intervalMs: number;

  constructor(
    private readonly db: Db,
    readonly name: string,
    private readonly logger: Logger,
    opts: LeaseOptions = {},
  ) {
    this.key = leaseKey(name);
    this.intervalMs = opts.intervalMs ?? 2000;
  }

  isLeader(): boolean {
    return this.leader;
  }

  onChange(listener: (leader: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async start(): Promise<void> {
    this.stopped = false;
    if (this.db.kind === 'pglite') {
      this.setLeader(true);
      return;
    }
    await this.tick();
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref();
  }

  private setLeader(value: boolean): void {
    if (this.leader === value) return;
    this.leader = value;
    this.logger.info({ lease: this.name }, value ? 'lease acquired: this replica leads' : 'lease lost');
    for (const l of this.listeners) l(value);
  }

  private async dropSession(): Promise<void> {
    const s = this.session;
    this.session = null;
    this.setLeader(false);
    if (s) await s.release();
  }

  private async tick(): Promise<void> {
    if (this.ticking || this.stopped) return;
    this.ticking = true;
    try {
      if (!this.session) {
        // A holder that falls silent (hung, partitioned) is cut off by the server after
        // a few missed checks, which frees the lock for the other replicas.
        const s = await this.db.dedicatedSession({ idleTimeoutMs: Math.max(6000, this.intervalMs * 4) });
        if (!s) return;
        if (this.stopped) {
          // stop() ran while we were connecting: this session must not outlive it.
          await s.release();
          return;
        }
        this.session = s;
        void s.closed.then(() => {
          if (this.session === s) void this.dropSession();
        });
      }
      if (this.leader) {
        // Times out (query_timeout) when the database is cut off: leadership is dropped.
        await this.session.query('SELECT 1');
      } else {
        const res = await this.session.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS ok', [
          LEASE_NAMESPACE,
          this.key,
        ]);
        if (this.stopped) {
          await this.dropSession();
          return;
        }
        if (res.rows[0]?.ok) this.setLeader(true);
      }
    } catch (err) {
      this.logger.warn({ lease: this.name, err: (err as Error).message }, 'lease check failed');
      await this.dropSession();
    } finally {
      this.ticking = false;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.db.kind === 'pglite') {
      this.setLeader(false);
      return;
    }
    // Closing the session frees the lock at once, so a follower can take over quickly.
    await this.dropSession();
  }
}
