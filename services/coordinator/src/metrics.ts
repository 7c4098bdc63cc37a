import { Counter, Gauge, Histogram, type ServiceMetrics } from '@nexus/core';

export interface CoordinatorMetrics {
  assignments: Counter;
  queueWait: Histogram;
  cycleSeconds: Histogram<'kind'>;
}

/**
 * Domain metrics. Gauges read the database when scraped, so every replica reports the
 * same cluster-wide numbers.
 */
export function registerCoordinatorMetrics(
  base: ServiceMetrics,
  read: { agents: () => Promise<Record<string, number>>; tasks: () => Promise<Record<string, number>>; conflicts: () => Promise<Record<string, number>> },
): CoordinatorMetrics {
  const registers = [base.registry];
  const fill = (g: Gauge<string>, label: string, values: Record<string, number>, known: readonly string[]) => {
    g.reset();
    for (const k of new Set([...known, ...Object.keys(values)])) g.set({ [label]: k }, values[k] ?? 0);
  };
  new Gauge({
    name: 'nexus_agents',
    help: 'Registered agents by status',
    labelNames: ['status'],
    registers,
    async collect() {
      fill(this, 'status', await read.agents().catch(() => ({})), ['active', 'inactive', 'draining']);
    },
  });
  new Gauge({
    name: 'nexus_tasks',
    help: 'Tasks by status',
    labelNames: ['status'],
    registers,
    async collect() {
      fill(this, 'status', await read.tasks().catch(() => ({})), ['pending', 'assigned', 'in_progress', 'completed', 'failed', 'cancelled', 'delegated']);
    },
  });
  new Gauge({
    name: 'nexus_conflicts_active',
    help: 'Unresolved conflicts by type',
    labelNames: ['type'],
    registers,
    async collect() {
      fill(this, 'type', await read.conflicts().catch(() => ({})), ['resource_conflict', 'priority_conflict', 'dependency_conflict', 'capability_conflict', 'timing_conflict']);
    },
  });
  return {
    assignments: new Counter({ name: 'nexus_task_assignments_total', help: 'Tasks assigned to agents', registers }),
    queueWait: new Histogram({
      name: 'nexus_task_queue_wait_seconds',
      help: 'Time from submission to assignment',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 1800, 3600],
      registers,
    }),
    cycleSeconds: new Histogram({
      name: 'nexus_coordination_cycle_seconds',
      help: 'Duration of coordination cycles and assignment passes',
      labelNames: ['kind'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
      registers,
    }),
  };
}
