import type { Agent } from './types.js';

export interface AgentMetricsUpdate {
  success_rate: number;
  average_response_time: number;
  performance_score: number;
  tasks_completed: number;
  tasks_failed: number;
}

/**
 * Exponential moving averages over task outcomes. The first outcome sets the response
 * time outright (there is no history to smooth against). Performance rewards success,
 * and finishing within the estimate: estimated/actual, capped at 1.
 */
export function updateAgentMetrics(
  agent: Pick<Agent, 'success_rate' | 'average_response_time' | 'performance_score' | 'tasks_completed' | 'tasks_failed'>,
  outcome: { success: boolean; durationSeconds: number; estimatedSeconds: number },
  alpha: number,
): AgentMetricsUpdate {
  const first = agent.tasks_completed + agent.tasks_failed === 0;
  const ema = (prev: number, sample: number) => (1 - alpha) * prev + alpha * sample;
  let quality = 0;
  if (outcome.success) {
    quality =
      outcome.estimatedSeconds > 0 && outcome.durationSeconds > 0
        ? Math.min(1, outcome.estimatedSeconds / outcome.durationSeconds)
        : 1;
  }
  return {
    success_rate: ema(agent.success_rate, outcome.success ? 1 : 0),
    average_response_time: first ? outcome.durationSeconds : ema(agent.average_response_time, outcome.durationSeconds),
    performance_score: ema(agent.performance_score, quality),
    tasks_completed: agent.tasks_completed + (outcome.success ? 1 : 0),
    tasks_failed: agent.tasks_failed + (outcome.success ? 0 : 1),
  };
}
