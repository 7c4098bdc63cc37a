/** Builders for domain objects used by the unit tests. Every field has a sensible default. */
import type { Agent, ScoringWeights, Task } from '../../src/domain/types.js';

/** A fixed reference instant, so tests never depend on the wall clock. */
export const NOW = new Date('2024-06-01T12:00:00.000Z');

export const secondsBefore = (s: number, from: Date = NOW): Date => new Date(from.getTime() - s * 1000);
export const secondsAfter = (s: number, from: Date = NOW): Date => new Date(from.getTime() + s * 1000);
export const hoursBefore = (h: number, from: Date = NOW): Date => secondsBefore(h * 3600, from);

/** The SPEC §4 weights (config/multi-agent.yaml `agents.performance_weight`). */
export const SPEC_WEIGHTS: ScoringWeights = {
  current_load: 0.3,
  performance_score: 0.25,
  success_rate: 0.25,
  response_time: 0.2,
};

export const HEARTBEAT_TIMEOUT = 120;
export const DEFAULT_LOAD = 10;

export function makeAgent(overrides: Partial<Agent> = {}): Agent {
  return {
    id: 'agent-1',
    agent_type: 'operations',
    name: 'Agent 1',
    capabilities: ['analysis'],
    current_load: 0,
    reported_load: null,
    max_capacity: 100,
    status: 'active',
    last_heartbeat: NOW,
    performance_score: 1,
    success_rate: 1,
    average_response_time: 0,
    tasks_completed: 0,
    tasks_failed: 0,
    specializations: [],
    resource_requirements: {},
    registered_at: hoursBefore(1),
    ...overrides,
  };
}

export function makeTask(overrides: Partial<Task> = {}): Task {
  return {
    id: 'task-1',
    task_type: 'analysis',
    priority: 3,
    description: 'a task',
    requirements: {},
    dependencies: [],
    assigned_agent: null,
    status: 'pending',
    created_at: NOW,
    assigned_at: null,
    started_at: null,
    completed_at: null,
    deadline: null,
    result: null,
    error_message: null,
    retry_count: 0,
    max_retries: 3,
    estimated_duration: 0,
    actual_duration: 0,
    load: DEFAULT_LOAD,
    held_load: 0,
    not_before: null,
    ...overrides,
  };
}

/** `n` agents `prefix-0 … prefix-(n-1)` sharing the given overrides. */
export function makeAgents(n: number, overrides: Partial<Agent> = {}, prefix = 'agent'): Agent[] {
  return Array.from({ length: n }, (_, i) => makeAgent({ id: `${prefix}-${i}`, name: `${prefix} ${i}`, ...overrides }));
}

/** `n` tasks `prefix-0 … prefix-(n-1)` sharing the given overrides. */
export function makeTasks(n: number, overrides: Partial<Task> = {}, prefix = 'task'): Task[] {
  return Array.from({ length: n }, (_, i) => makeTask({ id: `${prefix}-${i}`, ...overrides }));
}

/** A deterministic pseudo-random generator (mulberry32), for large generated inputs. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A copy of `items` in a deterministic shuffled order. */
export function shuffled<T>(items: readonly T[], seed = 42): T[] {
  const out = [...items];
  const next = rng(seed);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
