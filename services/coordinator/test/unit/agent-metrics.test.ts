import { describe, expect, it } from 'vitest';
import { updateAgentMetrics } from '../../src/domain/agent-metrics.js';
import { makeAgent } from './fixtures.js';

const ALPHA = 0.2;
const seasoned = (over: Parameters<typeof makeAgent>[0] = {}) =>
  makeAgent({ success_rate: 1, average_response_time: 5, performance_score: 1, tasks_completed: 3, tasks_failed: 0, ...over });

describe('updateAgentMetrics', () => {
  it('when a task fails, then success rate and performance move towards 0 by alpha', () => {
    const m = updateAgentMetrics(seasoned(), { success: false, durationSeconds: 10, estimatedSeconds: 5 }, ALPHA);
    expect(m.success_rate).toBeCloseTo(0.8, 12);
    expect(m.performance_score).toBeCloseTo(0.8, 12);
    expect(m.average_response_time).toBeCloseTo(0.8 * 5 + 0.2 * 10, 12);
    expect(m.tasks_completed).toBe(3);
    expect(m.tasks_failed).toBe(1);
  });

  it('when a task succeeds, then success rate moves towards 1 and the completed count grows', () => {
    const m = updateAgentMetrics(seasoned({ success_rate: 0.5 }), { success: true, durationSeconds: 5, estimatedSeconds: 5 }, ALPHA);
    expect(m.success_rate).toBeCloseTo(0.8 * 0.5 + 0.2, 12);
    expect(m.tasks_completed).toBe(4);
    expect(m.tasks_failed).toBe(0);
  });

  it('when a success took twice the estimate, then its quality is estimated/actual = 0.5', () => {
    const m = updateAgentMetrics(seasoned(), { success: true, durationSeconds: 20, estimatedSeconds: 10 }, ALPHA);
    expect(m.performance_score).toBeCloseTo(0.8 * 1 + 0.2 * 0.5, 12);
  });

  it('when a success was faster than the estimate, then its quality is capped at 1', () => {
    const m = updateAgentMetrics(seasoned({ performance_score: 0.5 }), { success: true, durationSeconds: 2, estimatedSeconds: 10 }, ALPHA);
    expect(m.performance_score).toBeCloseTo(0.8 * 0.5 + 0.2 * 1, 12);
  });

  it('when a failure was fast, then its quality is still 0', () => {
    const m = updateAgentMetrics(seasoned({ performance_score: 0.5 }), { success: false, durationSeconds: 1, estimatedSeconds: 100 }, ALPHA);
    expect(m.performance_score).toBeCloseTo(0.4, 12);
  });

  it('when there is no estimate or no measured duration, then a success has quality 1', () => {
    expect(updateAgentMetrics(seasoned({ performance_score: 0.5 }), { success: true, durationSeconds: 30, estimatedSeconds: 0 }, ALPHA).performance_score).toBeCloseTo(0.6, 12);
    expect(updateAgentMetrics(seasoned({ performance_score: 0.5 }), { success: true, durationSeconds: 0, estimatedSeconds: 30 }, ALPHA).performance_score).toBeCloseTo(0.6, 12);
  });

  it('when it is the first outcome, then the response time is set outright', () => {
    const fresh = makeAgent({ average_response_time: 0, tasks_completed: 0, tasks_failed: 0 });
    expect(updateAgentMetrics(fresh, { success: true, durationSeconds: 42, estimatedSeconds: 0 }, ALPHA).average_response_time).toBe(42);
    expect(updateAgentMetrics(fresh, { success: false, durationSeconds: 7, estimatedSeconds: 0 }, ALPHA).average_response_time).toBe(7);
  });

  it('when only failures came before, then the response time is smoothed (not the first outcome)', () => {
    const agent = makeAgent({ average_response_time: 10, tasks_completed: 0, tasks_failed: 1 });
    expect(updateAgentMetrics(agent, { success: true, durationSeconds: 20, estimatedSeconds: 0 }, ALPHA).average_response_time).toBeCloseTo(12, 12);
  });

  it('when alpha is 0 or 1, then the averages keep the old value or take the new sample', () => {
    const agent = seasoned({ success_rate: 0.5, average_response_time: 10, performance_score: 0.5 });
    const keep = updateAgentMetrics(agent, { success: true, durationSeconds: 30, estimatedSeconds: 30 }, 0);
    expect(keep).toMatchObject({ success_rate: 0.5, average_response_time: 10, performance_score: 0.5 });
    const take = updateAgentMetrics(agent, { success: true, durationSeconds: 30, estimatedSeconds: 30 }, 1);
    expect(take).toMatchObject({ success_rate: 1, average_response_time: 30, performance_score: 1 });
  });

  it('when many outcomes are folded in, then the rates stay within [0,1] and converge to the sample', () => {
    let agent = makeAgent({ tasks_completed: 0, tasks_failed: 0 });
    for (let i = 0; i < 200; i++) {
      const m = updateAgentMetrics(agent, { success: false, durationSeconds: 3, estimatedSeconds: 3 }, ALPHA);
      expect(m.success_rate).toBeGreaterThanOrEqual(0);
      expect(m.success_rate).toBeLessThanOrEqual(1);
      agent = { ...agent, ...m };
    }
    expect(agent.success_rate).toBeLessThan(1e-6);
    expect(agent.performance_score).toBeLessThan(1e-6);
    expect(agent.average_response_time).toBeCloseTo(3, 9);
    expect(agent.tasks_failed).toBe(200);
  });

  it('when metrics are updated, then the agent object is not mutated', () => {
    const agent = seasoned();
    const before = structuredClone(agent);
    updateAgentMetrics(agent, { success: true, durationSeconds: 1, estimatedSeconds: 1 }, ALPHA);
    expect(agent).toEqual(before);
  });
});
