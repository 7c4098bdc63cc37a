/** Coordinator domain types. Field names are snake_case: they are the JSON API and the SQL columns. */

export const AGENT_TYPES = [
  'decision_engine',
  'qa_automation',
  'transformation',
  'bug_fixing',
  'monitoring',
  'operations',
  'security',
  'performance',
] as const;
export type AgentType = (typeof AGENT_TYPES)[number];

export const AGENT_STATUSES = ['active', 'inactive', 'draining'] as const;
export type AgentStatus = (typeof AGENT_STATUSES)[number];

export const TASK_TYPES = [
  'analysis',
  'optimization',
  'remediation',
  'monitoring',
  'testing',
  'deployment',
  'security_scan',
  'performance_tune',
] as const;
export type TaskType = (typeof TASK_TYPES)[number];

export const TASK_STATUSES = ['pending', 'assigned', 'in_progress', 'completed', 'failed', 'cancelled', 'delegated'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** Priority names accepted as an alternative to the integers 1–5. */
export const PRIORITY_NAMES = { low: 1, medium: 2, high: 3, critical: 4, emergency: 5 } as const;

export const CONFLICT_TYPES = [
  'resource_conflict',
  'priority_conflict',
  'dependency_conflict',
  'capability_conflict',
  'timing_conflict',
] as const;
export type ConflictType = (typeof CONFLICT_TYPES)[number];

export interface Agent {
  id: string;
  agent_type: AgentType;
  name: string;
  capabilities: string[];
  current_load: number;
  reported_load: number | null;
  max_capacity: number;
  status: AgentStatus;
  last_heartbeat: Date;
  performance_score: number;
  success_rate: number;
  average_response_time: number;
  tasks_completed: number;
  tasks_failed: number;
  specializations: string[];
  resource_requirements: Record<string, number>;
  registered_at: Date;
}

export interface Task {
  id: string;
  task_type: TaskType;
  priority: number;
  description: string;
  requirements: Record<string, unknown>;
  dependencies: string[];
  assigned_agent: string | null;
  status: TaskStatus;
  created_at: Date;
  assigned_at: Date | null;
  started_at: Date | null;
  completed_at: Date | null;
  deadline: Date | null;
  result: unknown;
  error_message: string | null;
  retry_count: number;
  max_retries: number;
  estimated_duration: number;
  actual_duration: number;
  load: number;
  held_load: number;
  not_before: Date | null;
}

export interface ScoringWeights {
  current_load: number;
  performance_score: number;
  success_rate: number;
  response_time: number;
}

/** Tasks in these states hold capacity on their agent. */
export const HOLDING_STATUSES: readonly TaskStatus[] = ['assigned', 'in_progress', 'delegated'];
export const OPEN_STATUSES: readonly TaskStatus[] = ['pending', 'assigned', 'in_progress', 'delegated'];
