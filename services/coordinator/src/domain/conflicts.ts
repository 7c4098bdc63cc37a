import { canHandle, isAvailable, requiredResources } from './scoring.js';
import { OPEN_STATUSES, type Agent, type ConflictType, type Task } from './types.js';

/** A condition found in one detection pass; `key` identifies it across passes. */
export interface DetectedConflict {
  key: string;
  conflict_type: ConflictType;
  description: string;
  involved_agents: string[];
  involved_tasks: string[];
  severity: number;
  /** Ids that were depended on but do not exist (missing-dependency conflicts). */
  missing_dependencies?: string[];
}

export interface DetectOptions {
  now: Date;
  heartbeatTimeoutSeconds: number;
  /** Status of each task that open tasks depend on (absent: no such task). */
  dependencyStates?: Map<string, string>;
  /** Total a shared resource may reach across running tasks (the reference's 100 %). */
  resourceLimit?: number;
}

type DetectTask = Pick<Task, 'id' | 'task_type' | 'priority' | 'status' | 'requirements' | 'dependencies' | 'deadline' | 'estimated_duration' | 'started_at' | 'assigned_agent'>;
type DetectAgent = Pick<Agent, 'id' | 'status' | 'capabilities' | 'resource_requirements' | 'current_load' | 'reported_load' | 'max_capacity' | 'last_heartbeat'>;

const OPEN = new Set<string>(OPEN_STATUSES);

export function detectResourceConflicts(tasks: DetectTask[], limit = 100): DetectedConflict[] {
  const usage = new Map<string, { total: number; tasks: string[]; agents: Set<string> }>();
  for (const t of tasks) {
    if (t.status !== 'assigned' && t.status !== 'in_progress') continue;
    for (const [resource, amount] of Object.entries(requiredResources(t))) {
      let u = usage.get(resource);
      if (!u) usage.set(resource, (u = { total: 0, tasks: [], agents: new Set() }));
      u.total += amount;
      u.tasks.push(t.id);
      if (t.assigned_agent) u.agents.add(t.assigned_agent);
    }
  }
  const out: DetectedConflict[] = [];
  for (const [resource, u] of [...usage].sort(([a], [b]) => a.localeCompare(b))) {
    if (u.total <= limit) continue;
    out.push({
      key: `resource:${resource}`,
      conflict_type: 'resource_conflict',
      description: `Resource ${resource} over-allocated: ${round(u.total)} of ${limit} across ${u.tasks.length} running tasks`,
      involved_agents: [...u.agents].sort(),
      involved_tasks: u.tasks,
      severity: round(u.total / limit),
    });
  }
  return out;
}

export function detectPriorityConflict(tasks: DetectTask[], agents: DetectAgent[], opts: DetectOptions): DetectedConflict[] {
  const urgent = tasks.filter((t) => t.status === 'pending' && t.priority >= 4);
  const available = agents.filter((a) => isAvailable(a, opts.now, opts.heartbeatTimeoutSeconds));
  if (urgent.length <= available.length) return [];
  return [
    {
      key: 'priority',
      conflict_type: 'priority_conflict',
      description: `Too many high-priority tasks (${urgent.length}) for available agents (${available.length})`,
      involved_agents: available.map((a) => a.id).sort(),
      involved_tasks: urgent.map((t) => t.id),
      severity: round(urgent.length / Math.max(1, available.length)),
    },
  ];
}

/** Rotates a cycle so it starts at its smallest id: the same cycle always gets the same key. */
export function canonicalCycle(cycle: string[]): string[] {
  let start = 0;
  for (let i = 1; i < cycle.length; i++) if (cycle[i]! < cycle[start]!) start = i;
  return [...cycle.slice(start), ...cycle.slice(0, start)];
}

/**
 * Every elementary cycle reachable by depth-first search, each reported once
 * (as its canonical rotation, without the repeated closing node).
 */
export function findDependencyCycles(graph: Map<string, string[]>): string[][] {
  const state = new Map<string, 1 | 2>(); // 1 = on stack, 2 = done
  const stack: string[] = [];
  const seen = new Set<string>();
  const cycles: string[][] = [];

  const visit = (root: string) => {
    // Iterative DFS: deep chains must not overflow the call stack.
    const frames: Array<{ node: string; next: number }> = [{ node: root, next: 0 }];
    state.set(root, 1);
    stack.push(root);
    while (frames.length) {
      const frame = frames[frames.length - 1]!;
      const deps = graph.get(frame.node) ?? [];
      if (frame.next >= deps.length) {
        frames.pop();
        stack.pop();
        state.set(frame.node, 2);
        continue;
      }
      const dep = deps[frame.next++]!;
      if (!graph.has(dep)) continue;
      const s = state.get(dep);
      if (s === 1) {
        const cycle = canonicalCycle(stack.slice(stack.lastIndexOf(dep)));
        const key = cycle.join('\u0000');
        if (!seen.has(key)) {
          seen.add(key);
          cycles.push(cycle);
        }
      } else if (s === undefined) {
        state.set(dep, 1);
        stack.push(dep);
        frames.push({ node: dep, next: 0 });
      }
    }
  };
  for (const node of [...graph.keys()].sort()) if (!state.has(node)) visit(node);
  return cycles;
}

/**
 * Strongly connected components with more than one task (or a task depending on itself):
 * exactly the groups of tasks that wait on each other in a loop. Iterative Tarjan.
 */
export function dependencyLoops(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const loops: string[][] = [];
  let counter = 0;
  for (const root of [...graph.keys()].sort()) {
    if (index.has(root)) continue;
    const frames: Array<{ node: string; next: number }> = [{ node: root, next: 0 }];
    index.set(root, counter);
    low.set(root, counter++);
    stack.push(root);
    onStack.add(root);
    while (frames.length) {
      const frame = frames[frames.length - 1]!;
      const deps = graph.get(frame.node) ?? [];
      if (frame.next < deps.length) {
        const dep = deps[frame.next++]!;
        if (!graph.has(dep)) continue;
        if (!index.has(dep)) {
          index.set(dep, counter);
          low.set(dep, counter++);
          stack.push(dep);
          onStack.add(dep);
          frames.push({ node: dep, next: 0 });
        } else if (onStack.has(dep)) {
          low.set(frame.node, Math.min(low.get(frame.node)!, index.get(dep)!));
        }
        continue;
      }
      frames.pop();
      const parent = frames[frames.length - 1];
      if (parent) low.set(parent.node, Math.min(low.get(parent.node)!, low.get(frame.node)!));
      if (low.get(frame.node) === index.get(frame.node)) {
        const members: string[] = [];
        let m: string;
        do {
          m = stack.pop()!;
          onStack.delete(m);
          members.push(m);
        } while (m !== frame.node);
        const selfLoop = members.length === 1 && (graph.get(members[0]!) ?? []).includes(members[0]!);
        if (members.length > 1 || selfLoop) loops.push(members.sort());
      }
    }
  }
  return loops;
}

/**
 * One conflict per dependency loop. The key and description name a cycle of the loop
 * (canonical rotation, so the same loop always has the same key); involved_tasks lists
 * every task in the loop, since none of them can ever start.
 */
export function detectDependencyConflicts(tasks: DetectTask[]): DetectedConflict[] {
  const graph = new Map<string, string[]>();
  for (const t of tasks) if (OPEN.has(t.status) && t.dependencies.length) graph.set(t.id, t.dependencies);
  return dependencyLoops(graph)
    .map((members) => {
      const inLoop = new Set(members);
      const sub = new Map(members.map((m) => [m, (graph.get(m) ?? []).filter((d) => inLoop.has(d))]));
      const cycle = findDependencyCycles(sub)[0] ?? members;
      const extra = members.length - cycle.length;
      return {
        key: `dependency:${cycle.join('>')}`,
        conflict_type: 'dependency_conflict' as const,
        description: `Circular dependency detected: ${[...cycle, cycle[0]].join(' -> ')}${extra > 0 ? ` (${members.length} tasks wait on each other)` : ''}`,
        involved_agents: [],
        involved_tasks: extra > 0 ? members : cycle,
        severity: round(Math.min(1, members.length / 10)),
      };
    })
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/**
 * Pending tasks that can never start because of their dependencies: one on a task that
 * failed or was cancelled (blocked), or on a task that does not exist (missing).
 */
export function detectBlockedDependencies(tasks: DetectTask[], states: Map<string, string>): DetectedConflict[] {
  const out: DetectedConflict[] = [];
  for (const t of tasks) {
    if (t.status !== 'pending' || t.dependencies.length === 0) continue;
    const dead = t.dependencies.filter((d) => states.get(d) === 'failed' || states.get(d) === 'cancelled');
    const missing = t.dependencies.filter((d) => !states.has(d));
    if (dead.length) {
      out.push({
        key: `dependency-blocked:${t.id}`,
        conflict_type: 'dependency_conflict',
        description: `Task ${t.id} can never start: its dependencies ${dead.join(', ')} ended as ${dead.map((d) => states.get(d)).join(', ')}`,
        involved_agents: [],
        involved_tasks: [t.id, ...dead],
        severity: 0.6,
      });
    } else if (missing.length) {
      out.push({
        key: `dependency-missing:${t.id}`,
        conflict_type: 'dependency_conflict',
        description: `Task ${t.id} waits for tasks that do not exist: ${missing.join(', ')}`,
        involved_agents: [],
        involved_tasks: [t.id],
        severity: 0.3,
        missing_dependencies: missing,
      });
    }
  }
  return out;
}

export function detectCapabilityConflicts(tasks: DetectTask[], agents: DetectAgent[]): DetectedConflict[] {
  const byType = new Map<string, { tasks: string[]; capable: boolean }>();
  // Tasks asking the same of an agent share one answer: O(distinct needs × agents).
  const handled = new Map<string, boolean>();
  for (const t of tasks) {
    if (t.status !== 'pending') continue;
    const need = `${t.task_type}\u0000${JSON.stringify(Object.entries(requiredResources(t)).sort())}`;
    let ok = handled.get(need);
    if (ok === undefined) handled.set(need, (ok = agents.some((a) => canHandle(a, t))));
    if (ok) continue;
    let entry = byType.get(t.task_type);
    if (!entry) {
      entry = { tasks: [], capable: agents.some((a) => a.capabilities.includes(t.task_type)) };
      byType.set(t.task_type, entry);
    }
    entry.tasks.push(t.id);
  }
  return [...byType]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([type, e]) => ({
      key: `capability:${type}`,
      conflict_type: 'capability_conflict' as const,
      description: e.capable
        ? `No registered agent with capability '${type}' offers the resources ${e.tasks.length} pending task(s) require`
        : `No registered agent has capability '${type}' required by ${e.tasks.length} pending task(s)`,
      involved_agents: [],
      involved_tasks: e.tasks,
      severity: round(Math.min(1, 0.5 + e.tasks.length / 20)),
    }));
}

/** Open tasks that can no longer finish before their deadline, given their estimated duration. */
export function detectTimingConflicts(tasks: DetectTask[], now: Date): DetectedConflict[] {
  const out: DetectedConflict[] = [];
  for (const t of tasks) {
    if (!t.deadline || !OPEN.has(t.status)) continue;
    const elapsed = t.status === 'in_progress' && t.started_at ? (now.getTime() - t.started_at.getTime()) / 1000 : 0;
    const remaining = Math.max(0, t.estimated_duration - elapsed);
    const finish = now.getTime() + remaining * 1000;
    if (finish <= t.deadline.getTime()) continue;
    const lateBy = (finish - t.deadline.getTime()) / 1000;
    out.push({
      key: `timing:${t.id}`,
      conflict_type: 'timing_conflict',
      description:
        t.deadline.getTime() < now.getTime()
          ? `Task ${t.id} missed its deadline ${t.deadline.toISOString()}`
          : `Task ${t.id} cannot finish before its deadline ${t.deadline.toISOString()} (about ${Math.round(lateBy)} s late)`,
      involved_agents: t.assigned_agent ? [t.assigned_agent] : [],
      involved_tasks: [t.id],
      severity: round(Math.min(1, 0.5 + lateBy / Math.max(3600, t.estimated_duration || 0))),
    });
  }
  return out;
}

export function detectConflicts(tasks: DetectTask[], agents: DetectAgent[], opts: DetectOptions): DetectedConflict[] {
  return [
    ...detectResourceConflicts(tasks, opts.resourceLimit ?? 100),
    ...detectPriorityConflict(tasks, agents, opts),
    ...detectDependencyConflicts(tasks),
    ...(opts.dependencyStates ? detectBlockedDependencies(tasks, opts.dependencyStates) : []),
    ...detectCapabilityConflicts(tasks, agents),
    ...detectTimingConflicts(tasks, opts.now),
  ];
}

/** What the coordinator proposes to do about a conflict (put to a vote, then applied). */
export type ResolutionPlan =
  | { type: 'resource_reallocation'; action: 'reschedule_tasks'; tasks_to_reschedule: string[]; reason: string }
  | { type: 'priority_management'; action: 'implement_priority_queue'; queue_strategy: 'strict_priority_with_aging'; reason: string }
  | { type: 'dependency_resolution'; action: 'break_circular_dependency'; tasks_to_fail: string[]; reason: string }
  | { type: 'dependency_resolution'; action: 'fail_blocked_task'; tasks: string[]; reason: string }
  | { type: 'dependency_resolution'; action: 'report_missing_dependency'; missing_dependencies: string[]; tasks: string[]; reason: string }
  | { type: 'capability_gap'; action: 'report_missing_capability'; missing_capability: string; tasks: string[]; reason: string }
  | { type: 'deadline_risk'; action: 'raise_priority'; tasks: string[]; reason: string };

export function planResolution(conflict: DetectedConflict, tasks: Array<Pick<Task, 'id' | 'priority' | 'status'>>): ResolutionPlan {
  switch (conflict.conflict_type) {
    case 'resource_conflict': {
      const involved = tasks
        .filter((t) => conflict.involved_tasks.includes(t.id))
        .sort((a, b) => a.priority - b.priority || (a.id < b.id ? -1 : 1));
      const half = Math.floor(involved.length / 2);
      return {
        type: 'resource_reallocation',
        action: 'reschedule_tasks',
        tasks_to_reschedule: involved.slice(0, Math.max(1, half)).map((t) => t.id),
        reason: 'Resource over-allocation: reschedule the lower-priority half of the tasks using it',
      };
    }
    case 'priority_conflict':
      return {
        type: 'priority_management',
        action: 'implement_priority_queue',
        queue_strategy: 'strict_priority_with_aging',
        reason: 'Too many high-priority tasks for available agents: serve them by strict priority with aging',
      };
    case 'dependency_conflict':
      if (conflict.key.startsWith('dependency-blocked:')) {
        const [task, ...deps] = conflict.involved_tasks;
        return {
          type: 'dependency_resolution',
          action: 'fail_blocked_task',
          tasks: [task!],
          reason: `Dependency ${deps.join(', ')} did not complete`,
        };
      }
      if (conflict.key.startsWith('dependency-missing:')) {
        return {
          type: 'dependency_resolution',
          action: 'report_missing_dependency',
          missing_dependencies: conflict.missing_dependencies ?? [],
          tasks: conflict.involved_tasks,
          reason: 'Submit the missing tasks (or cancel this one); it waits until they exist and complete',
        };
      }
      return {
        type: 'dependency_resolution',
        action: 'break_circular_dependency',
        tasks_to_fail: conflict.involved_tasks,
        reason: 'Circular dependency: the tasks on the cycle can never start, fail them with a clear error',
      };
    case 'capability_conflict':
      return {
        type: 'capability_gap',
        action: 'report_missing_capability',
        missing_capability: conflict.key.slice('capability:'.length),
        tasks: conflict.involved_tasks,
        reason: 'Register an agent with this capability (and the required resources) to run these tasks',
      };
    case 'timing_conflict':
      return {
        type: 'deadline_risk',
        action: 'raise_priority',
        tasks: conflict.involved_tasks,
        reason: 'Deadline at risk: raise the task priority by one level',
      };
  }
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
