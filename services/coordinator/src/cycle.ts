import { LeaderLease, Wakeable, type Cache, type Logger, type SuiteConfig } from '@nexus/core';
import { EVENTS_CHANNEL, type Coordinator } from './coordinator.js';
import type { CoordinatorMetrics } from './metrics.js';

const SWEEP_EVERY_MS = 2000;

/**
 * The coordinator's background work. Every replica listens for events; only the lease
 * holder runs the loops:
 *  - assignment: woken by "work" events (submissions, freed capacity, new agents) and
 *    polled every `assignment_poll_ms`; also retires agents past the heartbeat timeout;
 *  - full cycle every COORDINATION_INTERVAL: timeouts, conflicts, consensus, assignment;
 *  - outbox delivery to the learning engine.
 * While coordination is stopped (shared flag in the database) only delivery runs.
 */
export class Scheduler {
  private readonly assignment: Wakeable;
  private readonly cycle: Wakeable;
  private readonly outbox: Wakeable;
  private running = true;
  private lastSweep = 0;
  /** Something may be assignable (an event arrived, or the last pass assigned work). */
  private dirty = true;
  private lastPass = 0;
  /** Without events, how often a pass runs anyway (rescheduled tasks coming due, missed events). */
  private readonly idleRecheckMs: number;
  private unsubscribe: Array<() => void> = [];
  private loopsOn = false;

  constructor(
    private readonly coordinator: Coordinator,
    readonly lease: LeaderLease,
    private readonly cache: Cache,
    private readonly logger: Logger,
    config: SuiteConfig['coordinator'],
    private readonly metrics: CoordinatorMetrics,
  ) {
    const onError = (what: string) => (err: unknown) => this.logger.warn({ err: (err as Error).message ?? String(err) }, `${what} failed`);
    this.assignment = new Wakeable(() => this.assignmentTick(), config.coordination.assignment_poll_ms, onError('assignment pass'), config.coordination.assignment_debounce_ms);
    this.cycle = new Wakeable(async () => void (await this.fullCycle()), config.coordination.interval_seconds * 1000, onError('coordination cycle'));
    // Without a broker, another replica's submissions are only seen by polling: poll fast.
    const eventsShared = cache.kind === 'redis' || coordinator.db.kind === 'pglite';
    this.idleRecheckMs = config.coordination.assignment_poll_ms * (eventsShared ? 5 : 1);
    this.outbox = new Wakeable(async () => void (await this.coordinator.runOutboxDelivery()), config.outbox.poll_ms, onError('outbox delivery'));
  }

  async start(): Promise<void> {
    this.unsubscribe.push(
      this.coordinator.onLocalEvent((e) => this.onEvent(e)),
      await this.cache.subscribe(EVENTS_CHANNEL, (raw) => {
        for (const e of this.coordinator.handleRemoteEvent(raw)) this.onEvent(e);
      }),
      this.lease.onChange((leader) => void (leader ? this.startLoops() : this.stopLoops())),
    );
    await this.lease.start();
  }

  private onEvent(e: 'work' | 'state'): void {
    if (!this.loopsOn) return;
    // Remember the work even while stopped: it is due as soon as coordination resumes.
    this.dirty = true;
    if (e === 'state') {
      void this.refreshRunning().then(() => this.assignment.wake());
    } else if (this.running) {
      this.assignment.wake();
    }
  }

  private async refreshRunning(): Promise<void> {
    try {
      this.running = await this.coordinator.isRunning();
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'could not read coordination state');
    }
  }

  private async startLoops(): Promise<void> {
    if (this.loopsOn) return;
    this.loopsOn = true;
    await this.refreshRunning();
    this.dirty = true;
    this.assignment.start();
    this.cycle.start();
    this.outbox.start();
    this.assignment.wake();
    this.cycle.wake();
  }

  private async stopLoops(): Promise<void> {
    if (!this.loopsOn) return;
    this.loopsOn = false;
    await Promise.all([this.assignment.stop(), this.cycle.stop(), this.outbox.stop()]);
  }

  private async assignmentTick(): Promise<void> {
    if (!this.running) {
      // Without a broker a start on another replica reaches us only through the database.
      await this.refreshRunning();
      if (!this.running) return;
    }
    if (Date.now() - this.lastSweep >= SWEEP_EVERY_MS) {
      this.lastSweep = Date.now();
      await this.coordinator.runAgentSweep();
    }
    if (!this.dirty && Date.now() - this.lastPass < this.idleRecheckMs) return;
    this.dirty = false;
    this.lastPass = Date.now();
    const n = await this.coordinator.runAssignment();
    // A pass may leave more (scan limit, capacity freed meanwhile): go again soon.
    if (n > 0) {
      this.dirty = true;
      this.assignment.wake();
    }
  }

  /** One full coordination cycle; exported for tests and POST-triggered runs. */
  async fullCycle(): Promise<Record<string, unknown>> {
    await this.refreshRunning();
    if (!this.running) return { skipped: 'coordination stopped' };
    const end = this.metrics.cycleSeconds.startTimer({ kind: 'cycle' });
    const started = performance.now();
    // Before each step the lease is re-checked: a replica that lost it mid-cycle stops at once.
    const step = async <T>(run: () => Promise<T>): Promise<T> => {
      if (this.loopsOn && !this.lease.isLeader()) throw new Error('lease lost during the coordination cycle');
      return run();
    };
    const c = this.coordinator;
    const sweep = await step(() => c.runAgentSweep());
    const timeouts = await step(() => c.runTaskTimeouts());
    const conflicts = await step(() => c.runConflictDetection());
    const decided = await step(() => c.runConsensusSweep());
    const assigned = await step(() => c.runAssignment());
    const purged = await step(() => c.runRetention());
    end();
    const details = { inactive_agents: sweep.inactive.length, timed_out_tasks: timeouts.length, ...conflicts, sessions_decided: decided, assigned, purged };
    const ms = Math.round(performance.now() - started);
    await this.coordinator.recordCycle({ kind: 'full', ms, details });
    this.logger.debug({ ms, ...details }, 'coordination cycle');
    return details;
  }

  isLeader(): boolean {
    return this.lease.isLeader();
  }

  async stop(): Promise<void> {
    for (const u of this.unsubscribe) u();
    this.unsubscribe = [];
    await this.stopLoops();
    await this.lease.stop();
  }
}
