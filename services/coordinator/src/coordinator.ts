import { randomUUID } from 'node:crypto';
import {
  Batcher,
  ConflictError,
  NotFoundError,
  UnavailableError,
  ValidationError,
  retryTx,
  type Cache,
  type Db,
  type Logger,
  type Queryable,
  type SuiteConfig,
} from '@nexus/core';
import { updateAgentMetrics } from './domain/agent-metrics.js';
import { mergeSolutions, readyToMerge, selectParticipants, solutionConfidence } from './domain/collaboration.js';
import { detectConflicts, planResolution, type DetectedConflict, type ResolutionPlan } from './domain/conflicts.js';
import { tally, type SessionState } from './domain/consensus.js';
import { taskExperience } from './domain/experience.js';
import { effectiveLoad, fitsOn, isAvailable, planAssignments, taskLoad, type PlannedAssignment } from './domain/scoring.js';
import { applyTransition, allowedTransitions, canTransition, type StatusChange } from './domain/task-state.js';
import { HOLDING_STATUSES, type Agent, type AgentStatus, type TaskStatus } from './domain/types.js';
import type { CoordinatorMetrics } from './metrics.js';
import * as agents from './store/agent-store.js';
import * as collabs from './store/collaboration-store.js';
import * as conflicts from './store/conflict-store.js';
import * as consensus from './store/consensus-store.js';
import * as outbox from './store/outbox-store.js';
import { agentJson, collaborationJson, conflictJson, sessionJson, taskJson } from './store/rows.js';
import * as state from './store/state-store.js';
import * as tasks from './store/task-store.js';

export const EVENTS_CHANNEL = 'coordinator:events';
export type CoordinatorEvent = 'work' | 'state';
const EXPERIENCE_TOPIC = 'learning.experience';
const MAX_PENDING_SCAN = 20_000;
const STATUS_CACHE_MS = 1000;

export interface CoordinatorDeps {
  db: Db;
  cache: Cache;
  config: SuiteConfig;
  logger: Logger;
  metrics: CoordinatorMetrics;
  /** Identifies this process among replicas (status, logs). */
  replicaId?: string;
  fetch?: typeof fetch;
}

export interface AgentInput {
  id: string;
  agent_type: string;
  name: string;
  capabilities: string[];
  max_capacity?: number;
  specializations: string[];
  resource_requirements: Record<string, number>;
  status?: AgentStatus;
}

export interface TaskInput {
  id?: string;
  task_type: string;
  priority: number;
  description: string;
  requirements: Record<string, unknown>;
  dependencies: string[];
  deadline: Date | null;
  estimated_duration: number;
  max_retries?: number;
}

export interface HeartbeatInput {
  status?: AgentStatus;
  current_load?: number;
  performance_score?: number;
  success_rate?: number;
  average_response_time?: number;
}

interface ChangeOptions {
  /** Fail for good, without automatic retry (e.g. a dependency cycle). */
  noRetry?: boolean;
  /** When going back to pending: not before this time. */
  notBefore?: Date;
  /** Change only a task currently in one of these states (checked under the row lock); otherwise leave it. */
  onlyFrom?: TaskStatus[];
}

/** A transaction saw the row change under it; run it again. */
class RaceError extends Error {
  readonly code = '40001';
}

/**
 * The coordinator's use cases. Routes call these; the background scheduler calls the
 * `run…` methods on the leader replica only. All state lives in the database.
 */
export class Coordinator {
  readonly db: Db;
  private readonly cache: Cache;
  private readonly cfg: SuiteConfig['coordinator'];
  private readonly logger: Logger;
  private readonly metrics: CoordinatorMetrics;
  private readonly learningUrl: string;
  private readonly fetchFn: typeof fetch;
  readonly replicaId: string;
  private statusCache: { at: number; value: Record<string, unknown> } | null = null;
  private publishPending = new Set<CoordinatorEvent>();
  private publishTimer: NodeJS.Timeout | null = null;
  private readonly taskInserts: Batcher<tasks.NewTask, boolean>;
  /** Local listeners (the scheduler of this process), called without a broker round trip. */
  private readonly localListeners = new Set<(e: CoordinatorEvent) => void>();

  constructor(deps: CoordinatorDeps) {
    this.db = deps.db;
    this.cache = deps.cache;
    this.cfg = deps.config.coordinator;
    this.logger = deps.logger;
    this.metrics = deps.metrics;
    this.learningUrl = deps.config.learning_engine_url.replace(/\/+$/, '');
    this.fetchFn = deps.fetch ?? fetch;
    this.replicaId = deps.replicaId ?? randomUUID().slice(0, 8);
    this.taskInserts = new Batcher((batch) => this.flushTaskInserts(batch), 500, 4);
  }

  // ---------------------------------------------------------------- events

  onLocalEvent(listener: (e: CoordinatorEvent) => void): () => void {
    this.localListeners.add(listener);
    return () => this.localListeners.delete(listener);
  }

  /**
   * Tells the leader (wherever it runs) that there may be work. Local listeners hear at
   * once; the broadcast to other replicas is coalesced to one message per 10 ms.
   */
  notify(event: CoordinatorEvent): void {
    this.statusCache = null;
    for (const l of this.localListeners) l(event);
    this.publishPending.add(event);
    if (this.publishTimer) return;
    this.publishTimer = setTimeout(() => {
      this.publishTimer = null;
      const events = [...this.publishPending];
      this.publishPending.clear();
      const message = JSON.stringify({ from: this.replicaId, events });
      this.cache.publish(EVENTS_CHANNEL, message).catch((err: Error) => this.logger.debug({ err: err.message }, 'event publish failed'));
    }, 10);
    this.publishTimer.unref();
  }

  /** Called for events published by other replicas. */
  handleRemoteEvent(raw: string): CoordinatorEvent[] {
    try {
      const msg = JSON.parse(raw) as { from?: string; events?: CoordinatorEvent[] };
      if (msg.from === this.replicaId) return [];
      this.statusCache = null;
      return (msg.events ?? []).filter((e) => e === 'work' || e === 'state');
    } catch {
      return [];
    }
  }

  // ---------------------------------------------------------------- coordination state

  async isRunning(db: Queryable = this.db): Promise<boolean> {
    return (await state.getState<boolean>(db, 'coordination_running')) ?? true;
  }

  async setRunning(running: boolean): Promise<void> {
    await state.setState(this.db, 'coordination_running', running);
    this.notify('state');
    if (running) this.notify('work');
  }

  async recordCycle(info: { kind: string; ms: number; details?: Record<string, unknown> }): Promise<void> {
    await state.setState(this.db, 'last_cycle', { replica: this.replicaId, at: new Date().toISOString(), ...info });
  }

  async status(leader: boolean | null = null): Promise<Record<string, unknown>> {
    const cached = this.statusCache;
    if (cached && Date.now() - cached.at < STATUS_CACHE_MS) return { ...cached.value, this_replica_leads: leader, last_update: new Date().toISOString() };
    const res = await this.db.query<{ a: Record<string, number> | null; t: Record<string, number> | null; c: number; k: number; running: boolean | null; last_cycle: Record<string, unknown> | null }>(
      `SELECT
         (SELECT json_object_agg(status, n) FROM (SELECT status, count(*)::int AS n FROM agents GROUP BY status) s) AS a,
         (SELECT json_object_agg(status, n) FROM (SELECT status, count(*)::int AS n FROM tasks GROUP BY status) s) AS t,
         (SELECT count(*)::int FROM conflicts WHERE NOT resolved) AS c,
         (SELECT count(*)::int FROM collaborations WHERE status = 'active') AS k,
         (SELECT value FROM coordinator_state WHERE key = 'coordination_running') AS running,
         (SELECT value FROM coordinator_state WHERE key = 'last_cycle') AS last_cycle`,
    );
    const r = res.rows[0]!;
    const a = r.a ?? {};
    const t = r.t ?? {};
    const sum = (o: Record<string, number>) => Object.values(o).reduce((x, y) => x + Number(y), 0);
    const value = {
      coordination_running: r.running ?? true,
      total_agents: sum(a),
      active_agents: Number(a.active ?? 0),
      inactive_agents: Number(a.inactive ?? 0),
      draining_agents: Number(a.draining ?? 0),
      total_tasks: sum(t),
      pending_tasks: Number(t.pending ?? 0),
      assigned_tasks: Number(t.assigned ?? 0),
      in_progress_tasks: Number(t.in_progress ?? 0),
      delegated_tasks: Number(t.delegated ?? 0),
      completed_tasks: Number(t.completed ?? 0),
      failed_tasks: Number(t.failed ?? 0),
      cancelled_tasks: Number(t.cancelled ?? 0),
      active_conflicts: Number(r.c),
      active_collaborations: Number(r.k),
      replica_id: this.replicaId,
      leader: (r.last_cycle?.replica as string | undefined) ?? null,
      last_cycle_ms: (r.last_cycle?.ms as number | undefined) ?? null,
      last_cycle: r.last_cycle ?? null,
    };
    this.statusCache = { at: Date.now(), value };
    return { ...value, this_replica_leads: leader, last_update: new Date().toISOString() };
  }

  // ---------------------------------------------------------------- agents

  async registerAgent(input: AgentInput): Promise<Agent> {
    const ok = await agents.insertAgent(this.db, {
      id: input.id,
      agent_type: input.agent_type,
      name: input.name,
      capabilities: [...new Set(input.capabilities)],
      max_capacity: input.max_capacity ?? this.cfg.agents.max_capacity_default,
      specializations: [...new Set(input.specializations)],
      resource_requirements: input.resource_requirements,
      status: input.status ?? 'active',
    });
    if (!ok) throw new ConflictError(`Agent ${input.id} is already registered`);
    this.notify('work');
    return (await agents.getAgent(this.db, input.id))!;
  }

  async listAgents(filter: { status?: string; agent_type?: string }) {
    return (await agents.listAgents(this.db, filter)).map(agentJson);
  }

  async getAgent(id: string) {
    const agent = await agents.getAgent(this.db, id);
    if (!agent) throw new NotFoundError(`Agent ${id} not found`);
    const held = await tasks.tasksOfAgent(this.db, id, HOLDING_STATUSES);
    return { ...agentJson(agent), tasks: held.map(taskJson), task_count: held.length };
  }

  async agentTasks(id: string, statuses: readonly TaskStatus[]) {
    const agent = await agents.getAgent(this.db, id);
    if (!agent) throw new NotFoundError(`Agent ${id} not found`);
    return (await tasks.tasksOfAgent(this.db, id, statuses)).map(taskJson);
  }

  /** Unregisters an agent; whatever it held goes back to the queue. */
  async deleteAgent(id: string): Promise<string[]> {
    const released = await retryTx(() =>
      this.db.transaction(async (tx) => {
        const agent = await agents.getAgent(tx, id, true);
        if (!agent) throw new NotFoundError(`Agent ${id} not found`);
        const ids = await tasks.releaseTasksOfAgent(tx, id);
        await agents.deleteAgent(tx, id);
        return ids;
      }),
    );
    this.notify('work');
    return released;
  }

  /**
   * Liveness and self-reported state. One statement in the common case; an agent reporting
   * itself inactive gives its tasks back to the queue.
   */
  async heartbeat(id: string, input: HeartbeatInput) {
    const patch = {
      status: input.status,
      reported_load: input.current_load,
      performance_score: input.performance_score,
      success_rate: input.success_rate,
      average_response_time: input.average_response_time,
    };
    // Going inactive: the status and the release of its tasks commit together.
    const hb =
      input.status === 'inactive'
        ? await retryTx(() =>
            this.db.transaction(async (tx) => {
              const touched = await agents.touchAgent(tx, id, patch); // locks the agent row
              if (!touched) return null;
              const released = await this.releaseHeldBy(tx, [id]);
              touched.agent.current_load = 0;
              return { ...touched, assigned_tasks: [], released };
            }),
          )
        : await agents.touchAgent(this.db, id, patch).then((r) => r && { ...r, released: [] as string[] });
    if (!hb) throw new NotFoundError(`Agent ${id} not found`);
    const { agent, previous, released } = hb;
    const wasStale = Date.now() - previous.last_heartbeat.getTime() > this.cfg.agents.heartbeat_timeout * 1000;
    const loadDropped = input.current_load !== undefined && input.current_load < (previous.reported_load ?? 0);
    if (agent.status !== previous.status || released.length || loadDropped || wasStale) this.notify('work');
    return { agent: agentJson(agent), assigned_tasks: hb.assigned_tasks, released_tasks: released };
  }

  // ---------------------------------------------------------------- tasks

  private async flushTaskInserts(batch: tasks.NewTask[]): Promise<Array<boolean | Error>> {
    // The same id twice in one batch: the first wins, the others are duplicates.
    const seen = new Set<string>();
    const unique: tasks.NewTask[] = [];
    const isDup = batch.map((t) => {
      if (seen.has(t.id)) return true;
      seen.add(t.id);
      unique.push(t);
      return false;
    });
    let byId: Map<string, boolean | Error>;
    try {
      const inserted = await tasks.insertTasks(this.db, unique);
      byId = new Map(unique.map((t, i) => [t.id, inserted[i]!]));
    } catch (err) {
      if (err instanceof UnavailableError || unique.length === 1) throw err;
      // One bad row must not fail its neighbours: insert them one by one.
      byId = new Map();
      for (const t of unique) {
        try {
          byId.set(t.id, (await tasks.insertTasks(this.db, [t]))[0]!);
        } catch (rowErr) {
          if (rowErr instanceof UnavailableError) throw rowErr;
          byId.set(t.id, rowErr as Error);
        }
      }
    }
    return batch.map((t, i) => !isDup[i] && byId.get(t.id)!);
  }

  async submitTask(input: TaskInput): Promise<string> {
    const id = input.id ?? randomUUID();
    const ok = await this.taskInserts.add({
      id,
      task_type: input.task_type,
      priority: input.priority,
      description: input.description,
      requirements: input.requirements,
      dependencies: [...new Set(input.dependencies)],
      deadline: input.deadline ? input.deadline.toISOString() : null,
      estimated_duration: input.estimated_duration,
      max_retries: input.max_retries ?? this.cfg.tasks.max_retries,
      load: taskLoad(input.requirements, this.cfg.tasks.default_load),
    });
    if (!ok) throw new ConflictError(`Task ${id} already exists`);
    this.notify('work');
    return id;
  }

  async getTask(id: string) {
    const task = await tasks.getTask(this.db, id);
    if (!task) throw new NotFoundError(`Task ${id} not found`);
    return taskJson(task);
  }

  async listTasks(filter: tasks.TaskFilter, limit: number, cursor: string | undefined) {
    let after: number | null = null;
    if (cursor) {
      const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
      if (!/^\d{1,18}$/.test(decoded)) throw new ValidationError('Invalid query', [{ field: 'cursor', message: 'not a cursor returned by this API' }]);
      after = Number(decoded);
    }
    const page = await tasks.listTasks(this.db, filter, limit, after);
    return {
      tasks: page.tasks.map(taskJson),
      total: page.total,
      next_cursor: page.lastSeq === null ? null : Buffer.from(String(page.lastSeq)).toString('base64url'),
    };
  }

  /**
   * Applies a status change under row locks (agent first, then task — the order every
   * writer uses), frees the agent's capacity, updates its metrics, and queues the
   * experience for the learning engine when the outcome is final.
   */
  async changeTaskStatus(id: string, change: StatusChange & { agent_id?: string }, opts: ChangeOptions = {}) {
    const out = await retryTx(() => this.db.transaction((tx) => this.changeTaskStatusIn(tx, id, change, opts)));
    if (out.changed) {
      this.statusCache = null;
      if (out.freed) this.notify('work');
    }
    return { task: taskJson(out.task), changed: out.changed, retried: out.retried };
  }

  /** The status change inside the caller's transaction (also used by conflict resolutions). */
  private async changeTaskStatusIn(tx: Queryable, id: string, change: StatusChange & { agent_id?: string }, opts: ChangeOptions) {
    const peek = await tasks.getTask(tx, id);
    if (!peek) throw new NotFoundError(`Task ${id} not found`);
    const agent = peek.assigned_agent ? await agents.getAgent(tx, peek.assigned_agent, true) : null;
    const { task, now } = (await tasks.lockTask(tx, id))!;
    if (task.assigned_agent !== peek.assigned_agent) throw new RaceError('task reassigned concurrently');
    if (opts.onlyFrom && !opts.onlyFrom.includes(task.status)) return { task, changed: false, freed: false, retried: false };
    if (change.agent_id !== undefined && change.agent_id !== task.assigned_agent) {
      throw new ConflictError(`Task ${id} is not assigned to agent ${change.agent_id}${task.assigned_agent ? '' : ' (it is unassigned)'}`);
    }
    if (task.status === change.status) return { task, changed: false, freed: false, retried: false };
    if (!canTransition(task.status, change.status)) {
      const allowed = allowedTransitions(task.status).filter((s) => s !== 'assigned');
      throw new ConflictError(
        change.status === 'assigned'
          ? 'Tasks are assigned by the coordinator, not through a status update'
          : `Illegal transition ${task.status} -> ${change.status}; allowed from ${task.status}: ${allowed.join(', ') || 'none (final state)'}`,
      );
    }
    const t = opts.noRetry ? { ...task, max_retries: task.retry_count } : task;
    const result = applyTransition(t, change, now);
    const patch: tasks.TaskPatch = { ...result.patch } as tasks.TaskPatch;
    if (opts.notBefore && patch.status === 'pending') patch.not_before = opts.notBefore;
    const updated = await tasks.patchTask(tx, id, patch);
    if (agent && result.releaseLoad > 0) await agents.releaseLoad(tx, agent.id, result.releaseLoad);
    if (agent && result.agentOutcome) {
      await agents.setAgentMetrics(
        tx,
        agent.id,
        updateAgentMetrics(
          agent,
          { success: result.agentOutcome === 'success', durationSeconds: updated.actual_duration, estimatedSeconds: task.estimated_duration },
          this.cfg.agents.metrics_smoothing,
        ),
      );
    }
    if (result.final && task.assigned_agent && this.learningUrl) {
      const exp = taskExperience(updated.assigned_agent ? updated : { ...updated, assigned_agent: task.assigned_agent }, agent, result.final, now);
      await outbox.enqueue(tx, EXPERIENCE_TOPIC, exp.id, exp);
    }
    const freed = result.releaseLoad > 0 || updated.status === 'pending' || updated.status === 'completed';
    return { task: updated, changed: true, freed, retried: result.retried };
  }

  // ---------------------------------------------------------------- background work (leader)

  /**
   * One assignment pass: plan in memory, then claim atomically. Passes of this process
   * run one at a time; against other processes (a lease handover) the claim re-checks
   * every agent's committed load under its row lock, so no agent is ever overfilled.
   * Returns the number of tasks assigned.
   */
  runAssignment(): Promise<number> {
    const run = this.assignmentChain.then(() => this.assignOnce());
    this.assignmentChain = run.catch(() => undefined);
    return run;
  }

  private assignmentChain: Promise<unknown> = Promise.resolve();

  private async assignOnce(): Promise<number> {
    const end = this.metrics.cycleSeconds.startTimer({ kind: 'assignment' });
    try {
      const available = await agents.availableAgents(this.db, this.cfg.agents.heartbeat_timeout);
      if (available.length === 0) return 0;
      const plan = await this.planPass(available);
      if (plan.length === 0) return 0;
      const claimed = await retryTx(() =>
        this.db.transaction(async (tx) => {
          // A stop that committed before this point wins: nothing is assigned after it returns.
          if ((await state.getState<boolean>(tx, 'coordination_running', true)) === false) return [];
          const locked = await agents.lockAssignableAgents(tx, [...new Set(plan.map((p) => p.agent_id))]);
          const load = new Map([...locked.values()].map((a) => [a.id, effectiveLoad(a)]));
          const fits = plan.filter((p) => {
            const a = locked.get(p.agent_id);
            const current = load.get(p.agent_id);
            if (!a || current === undefined || !fitsOn(current, p.load, a.max_capacity)) return false;
            load.set(p.agent_id, current + p.load);
            return true;
          });
          const rows = await tasks.claimTasks(tx, fits);
          const deltas = new Map<string, number>();
          for (const r of rows) deltas.set(r.assigned_agent, (deltas.get(r.assigned_agent) ?? 0) + Number(r.held_load));
          await agents.addLoads(tx, deltas);
          return rows;
        }),
      );
      if (claimed.length) {
        this.metrics.assignments.inc(claimed.length);
        for (const r of claimed) {
          this.metrics.queueWait.observe(Math.max(0, (new Date(r.assigned_at).getTime() - new Date(r.created_at).getTime()) / 1000));
        }
        this.statusCache = null;
        this.logger.debug({ assigned: claimed.length }, 'tasks assigned');
      }
      return claimed.length;
    } finally {
      end();
    }
  }

  /**
   * Plans a pass page by page in queue order, so tasks nobody can take now (missing
   * resources, too big for the room left) do not hide runnable ones behind them.
   */
  private async planPass(available: Agent[]): Promise<PlannedAssignment[]> {
    const types = [...new Set(available.flatMap((a) => a.capabilities))];
    const unit = Math.max(1e-6, this.cfg.tasks.default_load);
    const pool = available.map((a) => ({ ...a }));
    const room = () => pool.reduce((n, a) => n + Math.ceil(Math.max(0, a.max_capacity - effectiveLoad(a)) / unit), 0);
    const pageSize = Math.min(MAX_PENDING_SCAN, Math.max(100, room() * 2));
    const byId = new Map(pool.map((a) => [a.id, a]));
    const plan: PlannedAssignment[] = [];
    const planned = new Set<string>();
    const opts = {
      now: new Date(),
      weights: this.cfg.agents.performance_weight,
      agingFactor: this.cfg.tasks.priority_aging_factor,
      specializationBonus: this.cfg.agents.specialization_bonus,
      heartbeatTimeoutSeconds: this.cfg.agents.heartbeat_timeout,
    };
    for (let offset = 0; offset < MAX_PENDING_SCAN; offset += pageSize) {
      const page = await tasks.eligiblePendingTasks(this.db, types, this.cfg.tasks.priority_aging_factor, pageSize, offset);
      const fresh = page.filter((t) => !planned.has(t.id)); // rows may shift between pages
      const step = planAssignments(fresh, pool, opts);
      for (const p of step) planned.add(p.task_id);
      for (const p of step) byId.get(p.agent_id)!.current_load += p.load;
      plan.push(...step);
      if (page.length < pageSize || room() === 0) break;
    }
    return plan;
  }

  /** Agents silent for longer than the heartbeat timeout become inactive; their tasks return to the queue. */
  async runAgentSweep(): Promise<{ inactive: string[]; released: string[] }> {
    const res = await retryTx(() =>
      this.db.transaction(async (tx) => {
        const ids = await agents.markStaleAgentsInactive(tx, this.cfg.agents.heartbeat_timeout);
        // Also any task still held by an inactive or unknown agent (left by an interrupted release).
        const orphans = await tasks.agentsHoldingTasksWhileGone(tx);
        const all = [...new Set([...ids, ...orphans])].sort();
        await agents.lockAgents(tx, all);
        return { inactive: ids, released: await this.releaseHeldBy(tx, all) };
      }),
    );
    if (res.inactive.length) this.logger.info({ agents: res.inactive, released: res.released.length }, 'agents past heartbeat timeout marked inactive');
    if (res.released.length) this.notify('work');
    return res;
  }

  /** Gives every task the (locked) agents hold back to the queue; they then hold nothing. */
  private async releaseHeldBy(tx: Queryable, agentIds: string[]): Promise<string[]> {
    const released: string[] = [];
    for (const id of agentIds) released.push(...(await tasks.releaseTasksOfAgent(tx, id)));
    if (agentIds.length) await agents.zeroLoad(tx, agentIds);
    return released;
  }

  /** In-progress tasks running longer than TASK_TIMEOUT fail with "Task timeout" (and retry). */
  async runTaskTimeouts(): Promise<string[]> {
    const ids = await tasks.timedOutTasks(this.db, this.cfg.tasks.default_timeout);
    const done: string[] = [];
    for (const id of ids) {
      try {
        await this.changeTaskStatus(id, { status: 'failed', error_message: 'Task timeout' });
        done.push(id);
      } catch (err) {
        if (!(err instanceof ConflictError || err instanceof NotFoundError)) throw err;
      }
    }
    return done;
  }

  /**
   * Detects conflicts and reconciles them with the stored ones by key: new conditions are
   * recorded and a resolution proposed (in one transaction), standing ones refreshed,
   * cleared ones closed.
   */
  async runConflictDetection(): Promise<{ detected: number; opened: number; closed: number }> {
    const [open, allAgents, stored] = await Promise.all([tasks.openTasks(this.db), agents.listAgents(this.db), conflicts.openConflicts(this.db)]);
    const now = new Date();
    const deps = await tasks.dependencyStates(this.db, open);
    const detected = detectConflicts(open, allAgents, { now, heartbeatTimeoutSeconds: this.cfg.agents.heartbeat_timeout, dependencyStates: deps });
    const storedByKey = new Map(stored.map((c) => [c.conflict_key, c]));
    const voters = allAgents.filter((a) => isAvailable(a, now, this.cfg.agents.heartbeat_timeout)).map((a) => a.id).sort();
    const seen = new Set<string>();
    let opened = 0;
    let applied = false;
    for (const d of detected) {
      seen.add(d.key);
      const existing = storedByKey.get(d.key);
      if (existing) {
        if (changed(existing, d)) await conflicts.refreshConflict(this.db, existing.id, d);
        continue;
      }
      const plan = planResolution(d, open);
      const result = await retryTx(() =>
        this.db.transaction(async (tx) => {
          const id = randomUUID();
          if (!(await conflicts.insertConflict(tx, id, d, plan))) return null;
          return this.proposeResolution(tx, id, plan, voters);
        }),
      );
      if (result === null) continue;
      opened++;
      applied ||= result === 'applied';
    }
    const cleared = stored.filter((c) => !seen.has(c.conflict_key)).map((c) => c.id);
    await conflicts.closeConflicts(this.db, cleared);
    const standing = stored.filter((c) => seen.has(c.conflict_key)).map((c) => c.id);
    await conflicts.markSeen(this.db, standing);
    if (opened || cleared.length) this.statusCache = null;
    if (applied) this.notify('work');
    return { detected: detected.length, opened, closed: cleared.length };
  }

  /** Puts a resolution to the available agents; with nobody to ask it is applied at once. */
  private async proposeResolution(tx: Queryable, conflictId: string, plan: ResolutionPlan, voters: string[]): Promise<'applied' | 'voting'> {
    if (voters.length === 0) {
      const outcome = await this.applyResolution(tx, plan);
      await conflicts.setResolutionState(tx, conflictId, {
        resolution_status: 'applied',
        outcome: { consensus: 'not_required', reason: 'no eligible voters', ...outcome },
      });
      return 'applied';
    }
    const sessionId = randomUUID();
    await consensus.createSession(tx, {
      id: sessionId,
      proposal_id: `resolve_conflict_${conflictId}`,
      proposal_type: 'conflict_resolution',
      subject_id: conflictId,
      proposal: plan,
      eligible_agents: voters,
      threshold: this.cfg.coordination.consensus_threshold,
      timeout_seconds: this.cfg.coordination.consensus_timeout_seconds,
    });
    await conflicts.setResolutionState(tx, conflictId, { resolution_status: 'pending_consensus', consensus_session: sessionId });
    return 'voting';
  }

  /** Carries out a resolution inside the caller's transaction; returns what was done. */
  private async applyResolution(tx: Queryable, plan: ResolutionPlan): Promise<Record<string, unknown>> {
    const changedIds: string[] = [];
    const tryChange = async (id: string, change: StatusChange, opts: ChangeOptions) => {
      try {
        const r = await this.changeTaskStatusIn(tx, id, change, opts);
        if (r.changed) changedIds.push(id);
      } catch (err) {
        // Validation failures happen before any write: the transaction is still good.
        if (!(err instanceof ConflictError || err instanceof NotFoundError)) throw err;
      }
    };
    switch (plan.action) {
      case 'reschedule_tasks': {
        const notBefore = new Date(Date.now() + this.cfg.coordination.interval_seconds * 1000);
        for (const id of plan.tasks_to_reschedule) await tryChange(id, { status: 'pending' }, { notBefore, onlyFrom: ['assigned'] });
        return { applied: true, rescheduled_tasks: changedIds, not_before: notBefore.toISOString() };
      }
      case 'break_circular_dependency': {
        const message = `Circular dependency: ${[...plan.tasks_to_fail, plan.tasks_to_fail[0]].join(' -> ')}`;
        for (const id of plan.tasks_to_fail) await tryChange(id, { status: 'failed', error_message: message }, { noRetry: true });
        return { applied: true, failed_tasks: changedIds };
      }
      case 'fail_blocked_task': {
        for (const id of plan.tasks) await tryChange(id, { status: 'failed', error_message: plan.reason }, { noRetry: true, onlyFrom: ['pending'] });
        return { applied: true, failed_tasks: changedIds };
      }
      case 'raise_priority':
        return { applied: true, raised_priority: await tasks.raisePriority(tx, plan.tasks) };
      case 'implement_priority_queue':
        return { applied: true, note: 'the queue is served by strict priority with aging' };
      case 'report_missing_capability':
        return { applied: true, reported: true, missing_capability: plan.missing_capability };
      case 'report_missing_dependency':
        return { applied: true, reported: true, missing_dependencies: plan.missing_dependencies };
    }
  }

  /** Closes sessions that timed out, each in its own transaction with its consequences. */
  async runConsensusSweep(): Promise<number> {
    const sessions = await consensus.activeSessions(this.db);
    let decided = 0;
    for (const candidate of sessions) {
      const outcome = await retryTx(() =>
        this.db.transaction(async (tx) => {
          const s = await consensus.getSession(tx, candidate.id, true);
          if (!s || s.status !== 'active') return null;
          const votes = await consensus.votesOf(tx, [s.id]);
          const t = tally(s.eligible_agents, votes, s.threshold, new Date(s.created_at), s.timeout_seconds, new Date());
          if (t.state === 'active') return null;
          await consensus.decideSession(tx, s.id, t.state, t.ratio);
          return this.onSessionDecided(tx, s, t.state, t.ratio);
        }),
      );
      if (outcome === null) continue;
      decided++;
      this.statusCache = null;
      if (outcome.applied) this.notify('work');
    }
    return decided;
  }

  /**
   * The consequence of a decided vote, in the transaction that decided it (holding the
   * session row lock), so it happens exactly once.
   */
  private async onSessionDecided(tx: Queryable, s: consensus.ConsensusSession, result: SessionState, ratio: number): Promise<{ applied: boolean }> {
    if (s.proposal_type === 'collaboration_solution') {
      await collabs.updateCollaboration(tx, s.subject_id, { status: result === 'passed' ? 'agreed' : 'rejected' });
      return { applied: false };
    }
    const conflict = await conflicts.getConflict(tx, s.subject_id, true);
    if (!conflict) return { applied: false };
    if (result !== 'passed') {
      await conflicts.setResolutionState(tx, conflict.id, { resolution_status: result, outcome: { consensus: false, ratio, reason: result } });
      return { applied: false };
    }
    const outcome = conflict.resolved
      ? { applied: false, reason: 'the condition had already cleared' }
      : await this.applyResolution(tx, s.proposal as ResolutionPlan);
    await conflicts.setResolutionState(tx, conflict.id, {
      resolution_status: outcome.applied ? 'applied' : 'passed',
      outcome: { consensus: true, ratio, ...outcome },
    });
    return { applied: Boolean(outcome.applied) };
  }

  /** Deletes delivered outbox rows and old resolved conflicts and decided votes. */
  async runRetention(): Promise<Record<string, number>> {
    const r = this.cfg.retention;
    const outboxRows = await this.db.query(
      `DELETE FROM outbox WHERE delivered_at < now() - make_interval(secs => $1)`,
      [r.delivered_outbox_days * 86400],
    );
    const conflictRows = await this.db.query(
      `DELETE FROM conflicts WHERE resolved AND resolved_at < now() - make_interval(secs => $1)`,
      [r.history_days * 86400],
    );
    const sessionRows = await this.db.query(
      `DELETE FROM consensus_sessions s WHERE s.status <> 'active' AND s.decided_at < now() - make_interval(secs => $1)
         AND NOT EXISTS (SELECT 1 FROM conflicts c WHERE c.consensus_session = s.id)
         AND NOT EXISTS (SELECT 1 FROM collaborations k WHERE k.consensus_session = s.id)`,
      [r.history_days * 86400],
    );
    return { outbox: outboxRows.rowCount, conflicts: conflictRows.rowCount, sessions: sessionRows.rowCount };
  }

  // ---------------------------------------------------------------- conflicts & consensus (API)

  async listConflicts(includeResolved: boolean, type?: string) {
    return (await conflicts.listConflicts(this.db, includeResolved, type)).map(conflictJson);
  }

  async getConflict(id: string) {
    const c = await conflicts.getConflict(this.db, id);
    if (!c) throw new NotFoundError(`Conflict ${id} not found`);
    return conflictJson(c);
  }

  async listSessions(status?: string) {
    const sessions = await consensus.listSessions(this.db, status);
    const votes = await consensus.votesOf(this.db, sessions.map((s) => s.id));
    return sessions.map((s) => sessionJson(s, votes.filter((v) => v.session_id === s.id)));
  }

  async getSession(id: string) {
    const s = await consensus.getSession(this.db, id);
    if (!s) throw new NotFoundError(`Consensus session ${id} not found`);
    return sessionJson(s, await consensus.votesOf(this.db, [id]));
  }

  async castVote(sessionId: string, vote: { agent_id: string; vote: boolean; reasoning?: string }) {
    const res = await retryTx(() =>
      this.db.transaction(async (tx) => {
        const s = await consensus.getSession(tx, sessionId, true);
        if (!s) throw new NotFoundError(`Consensus session ${sessionId} not found`);
        if (s.status !== 'active') throw new ConflictError(`Consensus session ${sessionId} is ${s.status}; votes are closed`);
        if (!s.eligible_agents.includes(vote.agent_id)) {
          throw new ConflictError(`Agent ${vote.agent_id} is not eligible to vote in session ${sessionId}`);
        }
        await consensus.upsertVote(tx, { session_id: sessionId, agent_id: vote.agent_id, vote: vote.vote, reasoning: vote.reasoning ?? '' });
        const votes = await consensus.votesOf(tx, [sessionId]);
        const t = tally(s.eligible_agents, votes, s.threshold, new Date(s.created_at), s.timeout_seconds, new Date());
        let applied = false;
        if (t.state !== 'active') {
          await consensus.decideSession(tx, sessionId, t.state, t.ratio);
          applied = (await this.onSessionDecided(tx, s, t.state, t.ratio)).applied;
        }
        return { tally: t, votes: votes.length, applied };
      }),
    );
    if (res.tally.state !== 'active') this.statusCache = null;
    if (res.applied) this.notify('work');
    return { session_id: sessionId, status: res.tally.state, votes_cast: res.votes, eligible_voters: res.tally.eligible, consensus_ratio: res.tally.ratio };
  }

  // ---------------------------------------------------------------- collaborations

  async createCollaboration(input: { problem_id: string; description: string; required_capabilities: string[] }): Promise<string> {
    const all = await agents.listAgents(this.db, { status: 'active' });
    const participants = selectParticipants(all, input.required_capabilities);
    if (participants.length < 2) {
      throw new ValidationError(
        `Not enough suitable agents: collaboration needs at least two active agents having one of [${input.required_capabilities.join(', ')}], found ${participants.length}`,
      );
    }
    const id = randomUUID();
    await collabs.insertCollaboration(this.db, { id, ...input, participating_agents: participants });
    this.statusCache = null;
    return id;
  }

  async listCollaborations(status?: string) {
    const list = await collabs.listCollaborations(this.db, status);
    const sols = await collabs.solutionsOf(this.db, list.map((c) => c.id));
    return list.map((c) => collaborationJson(c, sols.filter((s) => s.collaboration_id === c.id)));
  }

  async getCollaboration(id: string) {
    const c = await collabs.getCollaboration(this.db, id);
    if (!c) throw new NotFoundError(`Collaboration ${id} not found`);
    return collaborationJson(c, await collabs.solutionsOf(this.db, [id]));
  }

  /** Records an agent's solution; once half the participants answered, merges and calls a vote. */
  async submitSolution(id: string, agentId: string, solution: Record<string, unknown>) {
    return retryTx(() =>
      this.db.transaction(async (tx) => {
        const c = await collabs.getCollaboration(tx, id, true);
        if (!c) throw new NotFoundError(`Collaboration ${id} not found`);
        if (c.status !== 'active') throw new ConflictError(`Collaboration ${id} is ${c.status}; no more solutions are accepted`);
        if (!c.participating_agents.includes(agentId)) {
          throw new ValidationError(`Agent ${agentId} is not a participant of collaboration ${id}`, [
            { field: 'agent_id', message: `must be one of: ${c.participating_agents.join(', ')}` },
          ]);
        }
        await collabs.upsertSolution(tx, { collaboration_id: id, agent_id: agentId, solution, confidence: solutionConfidence(solution) });
        const sols = await collabs.solutionsOf(tx, [id]);
        let merged: Record<string, unknown> | null = null;
        let session = c.consensus_session;
        if (readyToMerge(c.participating_agents.length, sols.length)) {
          merged = mergeSolutions(sols.map((s) => ({ agent_id: s.agent_id, solution: s.solution, confidence: s.confidence })));
          if (!session) {
            session = randomUUID();
            await consensus.createSession(tx, {
              id: session,
              proposal_id: `collaboration_solution_${id}`,
              proposal_type: 'collaboration_solution',
              subject_id: id,
              proposal: merged,
              eligible_agents: c.participating_agents,
              threshold: this.cfg.coordination.consensus_threshold,
              timeout_seconds: this.cfg.coordination.consensus_timeout_seconds,
            });
          } else {
            // The proposal changed: votes cast on the earlier merge no longer count.
            await consensus.updateProposal(tx, session, merged);
          }
          await collabs.updateCollaboration(tx, id, { merged_solution: merged, consensus_session: session });
        }
        return { collaboration_id: id, solutions_received: sols.length, participants: c.participating_agents.length, merged_solution: merged, consensus_session: session };
      }),
    );
  }

  // ---------------------------------------------------------------- outbox

  /** Delivers due experiences to the learning engine; failures back off exponentially. */
  async runOutboxDelivery(): Promise<{ delivered: number; failed: number }> {
    if (!this.learningUrl) return { delivered: 0, failed: 0 };
    const due = await outbox.dueMessages(this.db, this.cfg.outbox.batch_size);
    if (due.length === 0) return { delivered: 0, failed: 0 };
    const delivered: number[] = [];
    let failed = 0;
    const url = `${this.learningUrl}/learning/experiences`;
    await Promise.all(
      due.map(async (m) => {
        let error: string;
        let permanent = false;
        try {
          const res = await this.fetchFn(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(m.payload),
            signal: AbortSignal.timeout(this.cfg.outbox.request_timeout_ms),
          });
          // 409: the engine has this experience already (an earlier attempt got through).
          if (res.ok || res.status === 409) {
            delivered.push(m.id);
            return;
          }
          error = `HTTP ${res.status}: ${(await res.text().catch(() => '')).slice(0, 300)}`;
          permanent = [400, 413, 422].includes(res.status);
        } catch (err) {
          error = (err as Error).message;
        }
        failed++;
        const backoff = Math.min(this.cfg.outbox.max_backoff_seconds, 2 ** Math.min(m.attempts, 16)) * (0.75 + Math.random() * 0.5);
        await outbox.markFailed(this.db, m.id, error, permanent ? null : backoff);
        this.logger.warn({ message_key: m.message_key, attempts: m.attempts + 1, error, permanent }, 'experience delivery failed');
      }),
    );
    await outbox.markDelivered(this.db, delivered);
    return { delivered: delivered.length, failed };
  }

  async outboxStats() {
    return outbox.outboxStats(this.db);
  }

  /** Waits until queued task inserts are written (shutdown). */
  async flush(): Promise<void> {
    await this.taskInserts.idle();
  }
}

function changed(existing: conflicts.ConflictRecord, d: DetectedConflict): boolean {
  return (
    existing.description !== d.description ||
    existing.severity !== d.severity ||
    existing.involved_tasks.join('\u0000') !== d.involved_tasks.join('\u0000') ||
    existing.involved_agents.join('\u0000') !== d.involved_agents.join('\u0000')
  );
}
