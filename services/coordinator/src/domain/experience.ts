import type { Agent, Task } from './types.js';

/**
 * The experience the learning engine receives when a task completes or finally fails:
 * the situation (task and agent), the action (assigning it to that agent) and the outcome.
 * Its id is derived from the task and the moment it finished, so redelivery cannot
 * duplicate it.
 */
export function taskExperience(
  task: Task,
  agent: Pick<Agent, 'id' | 'agent_type' | 'current_load' | 'max_capacity'> | null,
  outcome: 'completed' | 'failed',
  now: Date,
) {
  const success = outcome === 'completed';
  const queueWait = task.assigned_at ? Math.max(0, (task.assigned_at.getTime() - task.created_at.getTime()) / 1000) : null;
  const metrics: Record<string, number> = {
    actual_duration: task.actual_duration,
    estimated_duration: task.estimated_duration,
    retry_count: task.retry_count,
  };
  if (task.estimated_duration > 0 && task.actual_duration > 0) metrics.duration_ratio = task.actual_duration / task.estimated_duration;
  if (queueWait !== null) metrics.queue_wait_seconds = queueWait;
  return {
    // Unique per final outcome (an explicitly retried task can finish again later).
    id: `task-${task.id}-${task.retry_count}-${outcome}-${(task.completed_at ?? now).getTime()}`,
    timestamp: now.toISOString(),
    context: {
      task_type: task.task_type,
      priority: task.priority,
      agent_type: agent?.agent_type ?? 'unassigned',
      load: agent && agent.max_capacity > 0 ? agent.current_load / agent.max_capacity : 0,
      has_deadline: task.deadline !== null,
      dependency_count: task.dependencies.length,
    },
    action_taken: { action: 'assignment', agent_id: agent?.id ?? task.assigned_agent, task_id: task.id },
    outcome: { status: outcome, result: task.result ?? null, error_message: task.error_message },
    success,
    performance_metrics: metrics,
    feedback_score: success ? 1 : 0,
    learning_type: 'supervised',
    tags: ['multi_agent', 'task_completion', task.task_type, outcome],
  };
}
