import { describe, expect, it } from 'vitest';
import { allowedTransitions, applyTransition, canTransition } from '../../src/domain/task-state.js';
import { TASK_STATUSES, type TaskStatus } from '../../src/domain/types.js';
import { NOW, makeTask, secondsBefore } from './fixtures.js';

/** SPEC §4 "Task states", written out independently of the implementation. */
const SPEC_TABLE: Record<TaskStatus, TaskStatus[]> = {
  pending: ['assigned', 'completed', 'failed', 'cancelled'],
  assigned: ['in_progress', 'completed', 'failed', 'cancelled', 'delegated', 'pending'],
  in_progress: ['completed', 'failed', 'cancelled', 'delegated'],
  delegated: ['completed', 'failed', 'pending'],
  failed: ['pending'],
  completed: [],
  cancelled: [],
};

// Setting the same state again is a no-op handled before the transition check, so the
// identity pairs are not part of the table.
const pairs = TASK_STATUSES.flatMap((from) => TASK_STATUSES.filter((to) => to !== from).map((to) => [from, to] as const));
const allowedPairs = pairs.filter(([from, to]) => SPEC_TABLE[from].includes(to));
const forbiddenPairs = pairs.filter(([from, to]) => !SPEC_TABLE[from].includes(to));

describe('canTransition', () => {
  it('when the table is enumerated, then it has the expected number of allowed and forbidden pairs', () => {
    expect(allowedPairs).toHaveLength(18);
    expect(forbiddenPairs).toHaveLength(42 - 18);
  });

  it.each(allowedPairs.filter(([, to]) => to !== 'assigned'))('when %s -> %s is requested through the API, then it is allowed', (from, to) => {
    expect(canTransition(from, to)).toBe(true);
    expect(canTransition(from, to, true)).toBe(true);
  });

  it.each(forbiddenPairs)('when %s -> %s is requested, then it is forbidden even for the coordinator', (from, to) => {
    expect(canTransition(from, to)).toBe(false);
    expect(canTransition(from, to, true)).toBe(false);
  });

  it('when pending -> assigned is requested by the coordinator, then it is allowed', () => {
    expect(canTransition('pending', 'assigned', true)).toBe(true);
  });

  it('when pending -> assigned is requested through the API, then it is forbidden', () => {
    expect(canTransition('pending', 'assigned')).toBe(false);
    expect(canTransition('pending', 'assigned', false)).toBe(false);
  });

  it('when a task is completed or cancelled, then nothing can follow', () => {
    for (const to of TASK_STATUSES) {
      expect(canTransition('completed', to, true)).toBe(false);
      expect(canTransition('cancelled', to, true)).toBe(false);
    }
    expect(allowedTransitions('completed')).toEqual([]);
    expect(allowedTransitions('cancelled')).toEqual([]);
  });

  it('when the allowed transitions are listed, then they match the SPEC table', () => {
    for (const from of TASK_STATUSES) {
      expect([...allowedTransitions(from)].sort()).toEqual([...SPEC_TABLE[from]].sort());
    }
  });
});

describe('applyTransition', () => {
  const agentTask = (over: Parameters<typeof makeTask>[0] = {}) =>
    makeTask({
      id: 't1',
      status: 'assigned',
      assigned_agent: 'agent-1',
      assigned_at: secondsBefore(60),
      held_load: 10,
      ...over,
    });

  describe('to in_progress', () => {
    it('when an assigned task starts, then started_at is now and nothing is released', () => {
      const out = applyTransition(agentTask(), { status: 'in_progress' }, NOW);
      expect(out.patch.status).toBe('in_progress');
      expect(out.patch.started_at).toEqual(NOW);
      expect(out.releaseLoad).toBe(0);
      expect(out.agentOutcome).toBeNull();
      expect(out.final).toBeNull();
      expect(out.retried).toBe(false);
      expect(out.agentId).toBe('agent-1');
      expect(out.patch).not.toHaveProperty('assigned_agent');
    });
  });

  describe('to completed', () => {
    it('when an in-progress task completes, then completed_at is now and actual_duration counts from started_at', () => {
      const task = agentTask({ status: 'in_progress', started_at: secondsBefore(30), assigned_at: secondsBefore(90) });
      const out = applyTransition(task, { status: 'completed', result: { ok: true } }, NOW);
      expect(out.patch.status).toBe('completed');
      expect(out.patch.completed_at).toEqual(NOW);
      expect(out.patch.actual_duration).toBeCloseTo(30, 9);
      expect(out.patch.result).toEqual({ ok: true });
      expect(out.patch.held_load).toBe(0);
      expect(out.final).toBe('completed');
      expect(out.retried).toBe(false);
    });

    it('when an assigned task completes without a start event, then actual_duration counts from assigned_at', () => {
      const task = agentTask({ status: 'assigned', started_at: null, assigned_at: secondsBefore(45) });
      const out = applyTransition(task, { status: 'completed' }, NOW);
      expect(out.patch.actual_duration).toBeCloseTo(45, 9);
      expect(out.final).toBe('completed');
    });

    it('when a pending task completes (never assigned nor started), then actual_duration is 0', () => {
      const task = makeTask({ status: 'pending', assigned_agent: null, assigned_at: null, started_at: null, created_at: secondsBefore(500) });
      const out = applyTransition(task, { status: 'completed' }, NOW);
      expect(out.patch.actual_duration).toBe(0);
      expect(out.patch.completed_at).toEqual(NOW);
    });

    it('when durations are fractional, then actual_duration keeps sub-second precision', () => {
      const task = agentTask({ status: 'in_progress', started_at: new Date(NOW.getTime() - 1500) });
      expect(applyTransition(task, { status: 'completed' }, NOW).patch.actual_duration).toBeCloseTo(1.5, 9);
    });

    it('when the task held load on its agent, then releaseLoad equals held_load', () => {
      for (const held of [10, 2.5, 37]) {
        const out = applyTransition(agentTask({ status: 'in_progress', held_load: held, started_at: secondsBefore(1) }), { status: 'completed' }, NOW);
        expect(out.releaseLoad).toBe(held);
      }
    });

    it('when the task had an agent, then the agent outcome is success', () => {
      const out = applyTransition(agentTask({ status: 'in_progress' }), { status: 'completed' }, NOW);
      expect(out.agentOutcome).toBe('success');
      expect(out.agentId).toBe('agent-1');
    });

    it('when the task had no agent, then there is no agent outcome and nothing is released', () => {
      const out = applyTransition(makeTask({ status: 'pending', held_load: 0 }), { status: 'completed' }, NOW);
      expect(out.agentOutcome).toBeNull();
      expect(out.agentId).toBeNull();
      expect(out.releaseLoad).toBe(0);
      expect(out.final).toBe('completed');
    });

    it('when no result is given, then an existing result is kept, else null', () => {
      expect(applyTransition(agentTask({ result: { partial: 1 } }), { status: 'completed' }, NOW).patch.result).toEqual({ partial: 1 });
      expect(applyTransition(agentTask({ result: null }), { status: 'completed' }, NOW).patch.result).toBeNull();
    });
  });

  describe('to failed', () => {
    it('when retries are left, then the task goes back to pending with retry_count + 1 and no agent', () => {
      const task = agentTask({ status: 'in_progress', started_at: secondsBefore(20), retry_count: 1, max_retries: 3 });
      const out = applyTransition(task, { status: 'failed', error_message: 'boom' }, NOW);
      expect(out.patch.status).toBe('pending');
      expect(out.patch.retry_count).toBe(2);
      expect(out.patch.assigned_agent).toBeNull();
      expect(out.patch.held_load).toBe(0);
      expect(out.patch.assigned_at).toBeNull();
      expect(out.patch.started_at).toBeNull();
      expect(out.patch.error_message).toBe('boom');
      expect(out.patch.actual_duration).toBeCloseTo(20, 9);
      expect(out.retried).toBe(true);
      expect(out.final).toBeNull();
      expect(out.releaseLoad).toBe(10);
      expect(out.agentOutcome).toBe('failure');
      expect(out.agentId).toBe('agent-1');
    });

    it('when the last retry is used up (retry_count = max_retries - 1), then it still retries once more', () => {
      const out = applyTransition(agentTask({ retry_count: 2, max_retries: 3 }), { status: 'failed' }, NOW);
      expect(out.patch.status).toBe('pending');
      expect(out.patch.retry_count).toBe(3);
      expect(out.retried).toBe(true);
    });

    it('when no retries are left, then the failure is final', () => {
      const task = agentTask({ status: 'in_progress', started_at: secondsBefore(5), retry_count: 3, max_retries: 3 });
      const out = applyTransition(task, { status: 'failed', error_message: 'fatal' }, NOW);
      expect(out.patch.status).toBe('failed');
      expect(out.final).toBe('failed');
      expect(out.retried).toBe(false);
      expect(out.patch.retry_count).toBeUndefined();
      expect(out.patch.completed_at).toEqual(NOW);
      expect(out.patch.error_message).toBe('fatal');
      expect(out.patch.held_load).toBe(0);
      expect(out.patch.actual_duration).toBeCloseTo(5, 9);
      expect(out.releaseLoad).toBe(10);
      expect(out.agentOutcome).toBe('failure');
    });

    it('when max_retries is 0, then the first failure is final', () => {
      const out = applyTransition(agentTask({ retry_count: 0, max_retries: 0 }), { status: 'failed' }, NOW);
      expect(out.final).toBe('failed');
      expect(out.patch.status).toBe('failed');
    });

    it('when no error message is given, then a default or the existing one is recorded', () => {
      expect(applyTransition(agentTask({ max_retries: 0 }), { status: 'failed' }, NOW).patch.error_message).toEqual(expect.any(String));
      expect(applyTransition(agentTask({ max_retries: 0, error_message: 'old' }), { status: 'failed' }, NOW).patch.error_message).toBe('old');
    });

    it('when a task without an agent fails, then there is no agent outcome', () => {
      const out = applyTransition(makeTask({ status: 'pending', retry_count: 0, max_retries: 3 }), { status: 'failed' }, NOW);
      expect(out.agentOutcome).toBeNull();
      expect(out.releaseLoad).toBe(0);
      expect(out.retried).toBe(true);
    });

    it('when a retried failure came from an assigned task without start, then duration counts from assigned_at', () => {
      const out = applyTransition(agentTask({ assigned_at: secondsBefore(12), started_at: null }), { status: 'failed' }, NOW);
      expect(out.patch.actual_duration).toBeCloseTo(12, 9);
    });
  });

  describe('to cancelled', () => {
    it('when an in-progress task is cancelled, then its load is released, with no agent outcome and no final outcome', () => {
      const out = applyTransition(agentTask({ status: 'in_progress', held_load: 15 }), { status: 'cancelled' }, NOW);
      expect(out.patch.status).toBe('cancelled');
      expect(out.patch.held_load).toBe(0);
      expect(out.releaseLoad).toBe(15);
      expect(out.agentOutcome).toBeNull();
      expect(out.final).toBeNull();
      expect(out.retried).toBe(false);
    });

    it('when a pending task is cancelled, then nothing is released', () => {
      const out = applyTransition(makeTask({ status: 'pending' }), { status: 'cancelled' }, NOW);
      expect(out.patch.status).toBe('cancelled');
      expect(out.releaseLoad).toBe(0);
    });
  });

  describe('to pending (released)', () => {
    it('when an assigned task is released, then the agent is cleared and its load given back', () => {
      const out = applyTransition(agentTask({ held_load: 20 }), { status: 'pending' }, NOW);
      expect(out.patch.status).toBe('pending');
      expect(out.patch.assigned_agent).toBeNull();
      expect(out.patch.assigned_at).toBeNull();
      expect(out.patch.started_at).toBeNull();
      expect(out.patch.held_load).toBe(0);
      expect(out.releaseLoad).toBe(20);
      expect(out.agentId).toBe('agent-1');
      expect(out.agentOutcome).toBeNull();
      expect(out.final).toBeNull();
      expect(out.retried).toBe(false);
    });

    it('when a delegated task is released, then the agent is cleared', () => {
      const out = applyTransition(agentTask({ status: 'delegated', held_load: 10 }), { status: 'pending' }, NOW);
      expect(out.patch.assigned_agent).toBeNull();
      expect(out.releaseLoad).toBe(10);
    });

    it('when a finally failed task is retried explicitly, then it becomes pending without releasing anything', () => {
      const task = makeTask({ status: 'failed', assigned_agent: null, held_load: 0, retry_count: 3, max_retries: 3, completed_at: secondsBefore(10) });
      const out = applyTransition(task, { status: 'pending' }, NOW);
      expect(out.patch.status).toBe('pending');
      expect(out.patch.completed_at).toBeNull();
      expect(out.releaseLoad).toBe(0);
    });
  });

  describe('to delegated', () => {
    it('when a task is delegated, then its status changes and it keeps its agent and load', () => {
      const out = applyTransition(agentTask({ status: 'in_progress' }), { status: 'delegated' }, NOW);
      expect(out.patch.status).toBe('delegated');
      expect(out.patch).not.toHaveProperty('assigned_agent');
      expect(out.releaseLoad).toBe(0);
      expect(out.agentOutcome).toBeNull();
    });
  });

  describe('to assigned', () => {
    it('when assigned is requested as a status change, then it throws', () => {
      expect(() => applyTransition(makeTask(), { status: 'assigned' }, NOW)).toThrow();
    });
  });

  it('when a transition is applied, then the input task is not mutated', () => {
    const task = agentTask({ status: 'in_progress', started_at: secondsBefore(30) });
    const before = structuredClone(task);
    for (const status of ['completed', 'failed', 'cancelled', 'delegated', 'in_progress', 'pending'] as const) {
      applyTransition(task, { status, result: 1, error_message: 'x' }, NOW);
    }
    expect(task).toEqual(before);
  });
});
