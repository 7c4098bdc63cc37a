import type { Agent, Task } from '../domain/types.js';

/** Columns selected for agents and tasks (everything except internal bookkeeping). */
export const AGENT_COLUMNS = `id, agent_type, name, capabilities, current_load, reported_load, max_capacity, status,
  last_heartbeat, performance_score, success_rate, average_response_time, tasks_completed, tasks_failed,
  specializations, resource_requirements, registered_at`;

export const TASK_COLUMNS = `id, task_type, priority, description, requirements, dependencies, assigned_agent, status,
  created_at, assigned_at, started_at, completed_at, deadline, result, error_message, retry_count, max_retries,
  estimated_duration, actual_duration, load, held_load, not_before`;

const date = (v: unknown): Date | null => (v == null ? null : v instanceof Date ? v : new Date(String(v)));

export function toAgent(r: Record<string, unknown>): Agent {
  return {
    ...(r as unknown as Agent),
    last_heartbeat: date(r.last_heartbeat)!,
    registered_at: date(r.registered_at)!,
  };
}

export function toTask(r: Record<string, unknown>): Task {
  return {
    ...(r as unknown as Task),
    priority: Number(r.priority),
    created_at: date(r.created_at)!,
    assigned_at: date(r.assigned_at),
    started_at: date(r.started_at),
    completed_at: date(r.completed_at),
    deadline: date(r.deadline),
    not_before: date(r.not_before),
  };
}

/** The JSON shape of an agent in API responses. */
export function agentJson(a: Agent) {
  return {
    id: a.id,
    agent_type: a.agent_type,
    name: a.name,
    capabilities: a.capabilities,
    current_load: a.current_load,
    reported_load: a.reported_load,
    max_capacity: a.max_capacity,
    status: a.status,
    last_heartbeat: a.last_heartbeat.toISOString(),
    performance_score: a.performance_score,
    success_rate: a.success_rate,
    average_response_time: a.average_response_time,
    tasks_completed: a.tasks_completed,
    tasks_failed: a.tasks_failed,
    specializations: a.specializations,
    resource_requirements: a.resource_requirements,
    registered_at: a.registered_at.toISOString(),
  };
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function taskJson(t: Task) {
  return {
    id: t.id,
    task_type: t.task_type,
    priority: t.priority,
    description: t.description,
    requirements: t.requirements,
    dependencies: t.dependencies,
    assigned_agent: t.assigned_agent,
    status: t.status,
    created_at: t.created_at.toISOString(),
    assigned_at: iso(t.assigned_at),
    started_at: iso(t.started_at),
    completed_at: iso(t.completed_at),
    deadline: iso(t.deadline),
    result: t.result ?? null,
    error_message: t.error_message,
    retry_count: t.retry_count,
    max_retries: t.max_retries,
    estimated_duration: t.estimated_duration,
    actual_duration: t.actual_duration,
    load: t.load,
    not_before: iso(t.not_before),
  };
}
