import type { Agent, ScoringWeights, Task } from './types.js';

/** Resource amounts a task asks for: `requirements.resources`, numbers only. */
export function requiredResources(task: Pick<Task, 'requirements'>): Record<string, number> {
  const res = (task.requirements as { resources?: unknown }).resources;
  if (!res || typeof res !== 'object' || Array.isArray(res)) return {};
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(res)) if (typeof v === 'number' && Number.isFinite(v)) out[k] = v;
  return out;
}

/** Capacity units a task occupies: `requirements.load` when a positive number, else the default. */
export function taskLoad(requirements: Record<string, unknown>, defaultLoad: number): number {
  const l = requirements.load;
  return typeof l === 'number' && Number.isFinite(l) && l >= 0 ? l : defaultLoad;
}

/** The agent has the task type as a capability and offers at least every resource amount asked for. */
export function canHandle(agent: Pick<Agent, 'capabilities' | 'resource_requirements'>, task: Pick<Task, 'task_type' | 'requirements'>): boolean {
  if (!agent.capabilities.includes(task.task_type)) return false;
  for (const [resource, amount] of Object.entries(requiredResources(task))) {
    if ((agent.resource_requirements[resource] ?? 0) < amount) return false;
  }
  return true;
}

/** The load used for decisions: what tasks hold, or what the agent says it carries, whichever is higher. */
export function effectiveLoad(agent: Pick<Agent, 'current_load' | 'reported_load'>): number {
  return Math.max(agent.current_load, agent.reported_load ?? 0);
}

/**
 * Whether a task of `load` units may go to an agent carrying `current` of `capacity`:
 * never to a full agent, never past capacity — except that an idle agent takes even an
 * oversized task (otherwise it could never run).
 */
export function fitsOn(current: number, load: number, capacity: number): boolean {
  if (current >= capacity) return false;
  return current === 0 || current + load <= capacity;
}

export function isAvailable(
  agent: Pick<Agent, 'status' | 'current_load' | 'reported_load' | 'max_capacity' | 'last_heartbeat'>,
  now: Date,
  heartbeatTimeoutSeconds: number,
): boolean {
  return (
    agent.status === 'active' &&
    effectiveLoad(agent) < agent.max_capacity &&
    now.getTime() - agent.last_heartbeat.getTime() <= heartbeatTimeoutSeconds * 1000
  );
}

/**
 * Suitability of an agent for a task (0 when it cannot handle it):
 * (load_factor·w1 + performance·w2 + success_rate·w3 + 1/(1+avg_response)·w4) × specialisation bonus.
 */
export function agentScore(
  agent: Pick<Agent, 'capabilities' | 'resource_requirements' | 'current_load' | 'reported_load' | 'max_capacity' | 'performance_score' | 'success_rate' | 'average_response_time' | 'specializations'>,
  task: Pick<Task, 'task_type' | 'requirements'>,
  weights: ScoringWeights,
  specializationBonus = 1.5,
): number {
  if (!canHandle(agent, task)) return 0;
  const loadFactor = 1 - effectiveLoad(agent) / agent.max_capacity;
  const responseFactor = 1 / (1 + Math.max(0, agent.average_response_time));
  const base =
    loadFactor * weights.current_load +
    agent.performance_score * weights.performance_score +
    agent.success_rate * weights.success_rate +
    responseFactor * weights.response_time;
  return base * (agent.specializations.includes(task.task_type) ? specializationBonus : 1);
}

/** Priority plus aging: a task gains `agingFactor` priority levels per hour it waits. */
export function effectivePriority(task: Pick<Task, 'priority' | 'created_at'>, now: Date, agingFactor: number): number {
  const hours = Math.max(0, now.getTime() - task.created_at.getTime()) / 3_600_000;
  return task.priority + agingFactor * hours;
}

/**
 * The whole priority level a task has reached with aging. Levels, not the continuous
 * value, decide the order: otherwise two tasks of equal priority would never tie (the
 * older one is always a hair ahead) and deadlines would never matter.
 */
export function priorityLevel(task: Pick<Task, 'priority' | 'created_at'>, now: Date, agingFactor: number): number {
  return Math.floor(effectivePriority(task, now, agingFactor) + 1e-9);
}

/**
 * Queue order: highest effective priority level first; ties by earliest deadline (tasks
 * with a deadline before those without), then oldest first, then id for a total order.
 */
export function compareTasks(now: Date, agingFactor: number) {
  return (a: Pick<Task, 'priority' | 'created_at' | 'deadline' | 'id'>, b: Pick<Task, 'priority' | 'created_at' | 'deadline' | 'id'>): number => {
    const pa = priorityLevel(a, now, agingFactor);
    const pb = priorityLevel(b, now, agingFactor);
    if (pa !== pb) return pb - pa;
    const da = a.deadline?.getTime() ?? Number.POSITIVE_INFINITY;
    const db = b.deadline?.getTime() ?? Number.POSITIVE_INFINITY;
    if (da !== db) return da < db ? -1 : 1;
    const ca = a.created_at.getTime();
    const cb = b.created_at.getTime();
    if (ca !== cb) return ca - cb;
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  };
}

export interface PlannedAssignment {
  task_id: string;
  agent_id: string;
  load: number;
  score: number;
}

export interface PlanOptions {
  now: Date;
  weights: ScoringWeights;
  agingFactor: number;
  specializationBonus: number;
  heartbeatTimeoutSeconds: number;
}

type PlanAgent = Pick<Agent, 'id' | 'status' | 'capabilities' | 'resource_requirements' | 'current_load' | 'reported_load' | 'max_capacity' | 'last_heartbeat' | 'performance_score' | 'success_rate' | 'average_response_time' | 'specializations'>;
type PlanTask = Pick<Task, 'id' | 'task_type' | 'requirements' | 'priority' | 'created_at' | 'deadline' | 'load'>;

/**
 * Greedy assignment in queue order: each task goes to the highest-scoring available agent
 * that can take its load (an idle agent always can, so an oversized task is not stuck).
 * Agents' loads are updated as the plan goes, so work spreads. Pure: inputs are not mutated.
 */
export function planAssignments(tasks: PlanTask[], agents: PlanAgent[], opts: PlanOptions): PlannedAssignment[] {
  const w = opts.weights;
  // Everything in the score except the load term is fixed during a pass: compute it once.
  const pool = agents
    .filter((a) => isAvailable(a, opts.now, opts.heartbeatTimeoutSeconds))
    .map((a) => ({
      agent: a,
      load: effectiveLoad(a),
      fixed:
        a.performance_score * w.performance_score +
        a.success_rate * w.success_rate +
        (1 / (1 + Math.max(0, a.average_response_time))) * w.response_time,
      specializations: new Set(a.specializations),
    }));
  if (pool.length === 0) return [];
  const byCapability = new Map<string, typeof pool>();
  for (const entry of pool) {
    for (const cap of new Set(entry.agent.capabilities)) {
      let list = byCapability.get(cap);
      if (!list) byCapability.set(cap, (list = []));
      list.push(entry);
    }
  }
  const ordered = [...tasks].sort(compareTasks(opts.now, opts.agingFactor));
  const plan: PlannedAssignment[] = [];
  for (const task of ordered) {
    const candidates = byCapability.get(task.task_type);
    if (!candidates) continue;
    const resources = Object.entries(requiredResources(task));
    let best: (typeof pool)[number] | null = null;
    let bestScore = Number.NEGATIVE_INFINITY;
    for (const c of candidates) {
      const cap = c.agent.max_capacity;
      if (!fitsOn(c.load, task.load, cap)) continue;
      if (resources.length && resources.some(([r, amount]) => (c.agent.resource_requirements[r] ?? 0) < amount)) continue;
      const score =
        ((1 - c.load / cap) * w.current_load + c.fixed) *
        (c.specializations.has(task.task_type) ? opts.specializationBonus : 1);
      if (score > bestScore) {
        best = c;
        bestScore = score;
      }
    }
    if (!best) continue;
    best.load += task.load;
    plan.push({ task_id: task.id, agent_id: best.agent.id, load: task.load, score: bestScore });
  }
  return plan;
}
