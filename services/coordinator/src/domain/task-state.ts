import type { Task, TaskStatus } from './types.js';

/** Allowed transitions. `assigned` is entered only by the coordinator, never through the API. */
const TRANSITIONS: Record<TaskStatus, readonly TaskStatus[]> = {
  pending: ['assigned', 'completed', 'failed', 'cancelled'],
  assigned: ['in_progress', 'completed', 'failed', 'cancelled', 'delegated', 'pending'],
  in_progress: ['completed', 'failed', 'cancelled', 'delegated'],
  delegated: ['completed', 'failed', 'pending'],
  failed: ['pending'],
  completed: [],
  cancelled: [],
};

export function allowedTransitions(from: TaskStatus): readonly TaskStatus[] {
  return TRANSITIONS[from];
}

export function canTransition(from: TaskStatus, to: TaskStatus, byCoordinator = false): boolean {
  if (to === 'assigned' && !byCoordinator) return false;
  return TRANSITIONS[from].includes(to);
}

export interface StatusChange {
  status: TaskStatus;
  result?: unknown;
  error_message?: string | null;
}

/** The new field values of a task after a status change, and what follows from it. */
export interface TransitionOutcome {
  /** Fields to write (status is the final one, after an automatic retry). */
  patch: Partial<Task>;
  /** Capacity units to give back to the previously assigned agent (0 if none). */
  releaseLoad: number;
  /** The agent whose task this was (metrics and load go to it). */
  agentId: string | null;
  /** Completed or failed with an agent: its metrics should learn from this. */
  agentOutcome: 'success' | 'failure' | null;
  /** Completed, or failed with no retries left: the outcome is final. */
  final: 'completed' | 'failed' | null;
  retried: boolean;
}

function seconds(from: Date | null, to: Date): number {
  return from ? Math.max(0, (to.getTime() - from.getTime()) / 1000) : 0;
}

/**
 * Computes a legal transition (the caller checked `canTransition`). A failure with retries
 * left goes straight back to `pending` with `retry_count + 1`.
 */
export function applyTransition(task: Task, change: StatusChange, now: Date): TransitionOutcome {
  const to = change.status;
  const holding = task.held_load > 0 || ['assigned', 'in_progress', 'delegated'].includes(task.status);
  const agentId = task.assigned_agent;
  const release = () => (holding ? task.held_load : 0);
  const freed: Partial<Task> = { assigned_agent: null, held_load: 0 };
  const base: TransitionOutcome = { patch: {}, releaseLoad: 0, agentId, agentOutcome: null, final: null, retried: false };

  switch (to) {
    case 'in_progress':
      return { ...base, patch: { status: 'in_progress', started_at: now } };
    case 'delegated':
      return { ...base, patch: { status: 'delegated' } };
    case 'cancelled':
      return { ...base, patch: { status: 'cancelled', completed_at: now, held_load: 0 }, releaseLoad: release() };
    case 'pending':
      // Released by its agent, or an explicit retry of a failed task.
      return {
        ...base,
        patch: { status: 'pending', ...freed, assigned_at: null, started_at: null, completed_at: null },
        releaseLoad: release(),
      };
    case 'completed':
      return {
        ...base,
        patch: {
          status: 'completed',
          completed_at: now,
          held_load: 0,
          actual_duration: seconds(task.started_at ?? task.assigned_at, now),
          result: change.result ?? task.result ?? null,
        },
        releaseLoad: release(),
        agentOutcome: agentId ? 'success' : null,
        final: 'completed',
      };
    case 'failed': {
      const duration = seconds(task.started_at ?? task.assigned_at, now);
      const error = change.error_message ?? task.error_message ?? 'Task failed';
      const common = { releaseLoad: release(), agentOutcome: agentId ? ('failure' as const) : null };
      if (task.retry_count < task.max_retries) {
        return {
          ...base,
          ...common,
          retried: true,
          patch: {
            status: 'pending',
            ...freed,
            retry_count: task.retry_count + 1,
            error_message: error,
            actual_duration: duration,
            assigned_at: null,
            started_at: null,
            completed_at: null,
          },
        };
      }
      return {
        ...base,
        ...common,
        final: 'failed',
        patch: { status: 'failed', held_load: 0, error_message: error, actual_duration: duration, completed_at: now },
      };
    }
    case 'assigned':
      throw new Error('assignment is done by the coordinator, not by a status change');
  }
}
