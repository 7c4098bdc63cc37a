import type { Agent, Task } from '../domain/types.js';
import type { Collaboration, Solution } from './collaboration-store.js';
import type { ConflictRecord } from './conflict-store.js';
import type { ConsensusSession, Vote } from './consensus-store.js';

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

const iso = (d: Date | string | null) => (d == null ? null : new Date(d).toISOString());

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

export function conflictJson(c: ConflictRecord) {
  return {
    id: c.id,
    conflict_key: c.conflict_key,
    conflict_type: c.conflict_type,
    description: c.description,
    involved_agents: c.involved_agents,
    involved_tasks: c.involved_tasks,
    severity: c.severity,
    detected_at: iso(c.detected_at),
    last_seen_at: iso(c.last_seen_at),
    resolved: c.resolved,
    resolution: c.resolution,
    resolution_status: c.resolution_status,
    consensus_session: c.consensus_session,
    outcome: c.outcome ?? null,
    resolved_at: iso(c.resolved_at),
  };
}

export function sessionJson(s: ConsensusSession, votes: Vote[]) {
  return {
    id: s.id,
    proposal_id: s.proposal_id,
    proposal_type: s.proposal_type,
    subject_id: s.subject_id,
    proposal: s.proposal,
    eligible_agents: s.eligible_agents,
    threshold: s.threshold,
    timeout_seconds: s.timeout_seconds,
    status: s.status,
    consensus_ratio: s.consensus_ratio,
    votes: Object.fromEntries(votes.map((v) => [v.agent_id, { vote: v.vote, reasoning: v.reasoning, timestamp: iso(v.cast_at) }])),
    created_at: iso(s.created_at),
    decided_at: iso(s.decided_at),
  };
}

export function collaborationJson(c: Collaboration, sols: Solution[]) {
  return {
    id: c.id,
    problem_id: c.problem_id,
    description: c.description,
    required_capabilities: c.required_capabilities,
    participating_agents: c.participating_agents,
    status: c.status,
    solutions: Object.fromEntries(
      sols.map((s) => [s.agent_id, { solution: s.solution, confidence: s.confidence, submitted_at: iso(s.submitted_at) }]),
    ),
    merged_solution: c.merged_solution,
    consensus_session: c.consensus_session,
    created_at: iso(c.created_at),
    updated_at: iso(c.updated_at),
  };
}
