import {
  LeaderLease,
  createHttpApp,
  createMetrics,
  type Cache,
  type Db,
  type Logger,
  type ServiceMetrics,
  type SuiteConfig,
} from '@nexus/core';
import type { Express } from 'express';
import { openApiDocument } from './api/openapi.js';
import { agentsRouter, collaborationsRouter, conflictsRouter, coordinationRouter, tasksRouter } from './api/routes.js';
import { Coordinator } from './coordinator.js';
import { Scheduler } from './cycle.js';
import { registerCoordinatorMetrics } from './metrics.js';
import * as agentStore from './store/agent-store.js';
import * as conflictStore from './store/conflict-store.js';
import * as taskStore from './store/task-store.js';

export const SERVICE_NAME = 'multi_agent_coordinator';
export const VERSION = '1.0.0';

export interface CoordinatorDeps {
  config: SuiteConfig;
  logger: Logger;
  db: Db;
  cache: Cache;
  replicaId?: string;
  logRequests?: boolean;
  fetch?: typeof fetch;
  /** Lease check interval (ms); tests shorten it. */
  leaseIntervalMs?: number;
}

export interface CoordinatorService {
  app: Express;
  coordinator: Coordinator;
  scheduler: Scheduler;
  metrics: ServiceMetrics;
}

/** Wires the coordinator: no side effects until `scheduler.start()` is called. */
export function createCoordinatorService(deps: CoordinatorDeps): CoordinatorService {
  const metrics = createMetrics(SERVICE_NAME);
  const domainMetrics = registerCoordinatorMetrics(metrics, {
    agents: () => agentStore.agentCounts(deps.db),
    tasks: () => taskStore.taskCounts(deps.db),
    conflicts: () => conflictStore.activeConflictCounts(deps.db),
  });
  const coordinator = new Coordinator({ ...deps, metrics: domainMetrics });
  const lease = new LeaderLease(deps.db, 'coordinator', deps.logger, { intervalMs: deps.leaseIntervalMs });
  const scheduler = new Scheduler(coordinator, lease, deps.cache, deps.logger, deps.config.coordinator, domainMetrics);
  const app = createApp({ ...deps, metrics, coordinator, scheduler });
  return { app, coordinator, scheduler, metrics };
}

export function createApp(deps: CoordinatorDeps & { metrics: ServiceMetrics; coordinator: Coordinator; scheduler: Scheduler | null }): Express {
  const kit = createHttpApp({
    service: SERVICE_NAME,
    version: VERSION,
    config: deps.config,
    logger: deps.logger,
    metrics: deps.metrics,
    db: deps.db,
    cache: deps.cache,
    logRequests: deps.logRequests,
    readyDetail: () => ({ replica_id: deps.coordinator.replicaId, leader: deps.scheduler?.isLeader() ?? null }),
  });
  kit.mount('/', coordinationRouter(deps.coordinator, deps.scheduler, openApiDocument(VERSION, deps.config.coordinator.tasks.max_page_size)));
  kit.mount('/', agentsRouter(deps.coordinator));
  kit.mount('/', tasksRouter(deps.coordinator, deps.config.coordinator.tasks.max_page_size));
  kit.mount('/', conflictsRouter(deps.coordinator));
  kit.mount('/', collaborationsRouter(deps.coordinator));
  kit.finish();
  return kit.app;
}
