import { describe, expect, it } from 'vitest';
import { taskExperience } from '../../src/domain/experience.js';
import { NOW, makeAgent, makeTask, secondsAfter, secondsBefore } from './fixtures.js';

const agent = makeAgent({ id: 'agent-7', agent_type: 'qa_automation', current_load: 30, max_capacity: 120 });
const doneTask = (over: Parameters<typeof makeTask>[0] = {}) =>
  makeTask({
    id: 'task-42',
    task_type: 'testing',
    priority: 4,
    status: 'completed',
    assigned_agent: 'agent-7',
    created_at: secondsBefore(100),
    assigned_at: secondsBefore(70),
    started_at: secondsBefore(60),
    completed_at: NOW,
    estimated_duration: 30,
    actual_duration: 60,
    retry_count: 1,
    result: { passed: 12 },
    ...over,
  });

describe('taskExperience', () => {
  it('when built twice for the same task and attempt, then the id is the same (redelivery cannot duplicate)', () => {
    const a = taskExperience(doneTask(), agent, 'completed', NOW);
    const b = taskExperience(doneTask(), agent, 'completed', secondsAfter(3600));
    expect(a.id).toBe(b.id);
    expect(a.id).toMatch(/^task-task-42-1-completed-\d+$/);
  });

  it('when an explicitly retried task finishes again later, then the new outcome gets a new id', () => {
    const first = taskExperience(doneTask({ completed_at: NOW }), agent, 'failed', NOW);
    const again = taskExperience(doneTask({ completed_at: secondsAfter(600) }), agent, 'failed', secondsAfter(600));
    expect(first.id).not.toBe(again.id);
  });

  it('when the attempt or the outcome differs, then the id differs', () => {
    const base = taskExperience(doneTask(), agent, 'completed', NOW).id;
    expect(taskExperience(doneTask({ retry_count: 2 }), agent, 'completed', NOW).id).not.toBe(base);
    expect(taskExperience(doneTask(), agent, 'failed', NOW).id).not.toBe(base);
    expect(taskExperience(doneTask({ id: 'other' }), agent, 'completed', NOW).id).not.toBe(base);
  });

  it('when built, then the context has task_type, priority, agent_type and load', () => {
    const exp = taskExperience(doneTask(), agent, 'completed', NOW);
    expect(exp.context).toMatchObject({ task_type: 'testing', priority: 4, agent_type: 'qa_automation' });
    expect(exp.context.load).toBeCloseTo(30 / 120, 12);
    expect(exp.context.has_deadline).toBe(false);
    expect(exp.context.dependency_count).toBe(0);
  });

  it('when the task completed, then success is true with feedback 1', () => {
    const exp = taskExperience(doneTask(), agent, 'completed', NOW);
    expect(exp.success).toBe(true);
    expect(exp.feedback_score).toBe(1);
    expect(exp.outcome).toMatchObject({ status: 'completed', result: { passed: 12 } });
    expect(exp.tags).toEqual(expect.arrayContaining(['testing', 'completed']));
  });

  it('when the task finally failed, then success is false and the error is in the outcome', () => {
    const exp = taskExperience(doneTask({ status: 'failed', result: null, error_message: 'boom' }), agent, 'failed', NOW);
    expect(exp.success).toBe(false);
    expect(exp.feedback_score).toBe(0);
    expect(exp.outcome).toMatchObject({ status: 'failed', error_message: 'boom', result: null });
  });

  it('when built, then the action is the assignment to the agent', () => {
    expect(taskExperience(doneTask(), agent, 'completed', NOW).action_taken).toEqual({ action: 'assignment', agent_id: 'agent-7', task_id: 'task-42' });
  });

  it('when built, then performance_metrics carry the durations, retry count and queue wait', () => {
    const m = taskExperience(doneTask(), agent, 'completed', NOW).performance_metrics;
    expect(m.actual_duration).toBe(60);
    expect(m.estimated_duration).toBe(30);
    expect(m.retry_count).toBe(1);
    expect(m.duration_ratio).toBeCloseTo(2, 12);
    expect(m.queue_wait_seconds).toBeCloseTo(30, 9);
  });

  it('when there is no estimate or the task was never assigned, then the derived metrics are left out', () => {
    const m = taskExperience(doneTask({ estimated_duration: 0, assigned_at: null }), null, 'completed', NOW).performance_metrics;
    expect(m).not.toHaveProperty('duration_ratio');
    expect(m).not.toHaveProperty('queue_wait_seconds');
    expect(m.actual_duration).toBe(60);
  });

  it('when no agent is known, then agent_type is "unassigned", load 0 and the action names the task\'s agent', () => {
    const exp = taskExperience(doneTask(), null, 'completed', NOW);
    expect(exp.context.agent_type).toBe('unassigned');
    expect(exp.context.load).toBe(0);
    expect(exp.action_taken.agent_id).toBe('agent-7');
  });

  it('when the task has a deadline and dependencies, then the context says so', () => {
    const exp = taskExperience(doneTask({ deadline: secondsAfter(60), dependencies: ['a', 'b'] }), agent, 'completed', NOW);
    expect(exp.context.has_deadline).toBe(true);
    expect(exp.context.dependency_count).toBe(2);
  });

  it('when built, then the timestamp is the given time in ISO 8601 UTC and the experience is JSON-serialisable', () => {
    const exp = taskExperience(doneTask(), agent, 'completed', NOW);
    expect(exp.timestamp).toBe('2024-06-01T12:00:00.000Z');
    expect(JSON.parse(JSON.stringify(exp))).toEqual(exp);
  });
});
