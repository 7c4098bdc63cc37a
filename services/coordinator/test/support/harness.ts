import { silentLogger, type Cache, type SuiteConfig } from '@nexus/core';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import request from 'supertest';
import { createCoordinatorService, type CoordinatorService } from '../../src/app.js';
import { createTestCache, createTestStorage, testConfig, type Backend, type TestStorage } from '../../../../packages/core/test/support/storage.js';

export { backends, REAL_DATABASE_URL, REAL_REDIS_URL, testConfig, createTestStorage, createTestCache } from '../../../../packages/core/test/support/storage.js';

export interface Harness {
  storage: TestStorage;
  cache: Cache;
  config: SuiteConfig;
  service: CoordinatorService;
  api: ReturnType<typeof request>;
}

/**
 * A coordinator app on test storage. The scheduler is not started unless asked: tests
 * drive assignment and cycles explicitly (coordinator.runAssignment(), scheduler.fullCycle()).
 */
export async function createHarness(
  backend: Backend,
  opts: { overrides?: Record<string, unknown>; startScheduler?: boolean; storage?: TestStorage; fetch?: typeof fetch } = {},
): Promise<Harness> {
  const storage = opts.storage ?? (await createTestStorage(backend));
  const cache = createTestCache();
  const config = testConfig(opts.overrides);
  const service = createCoordinatorService({ config, logger: silentLogger(), db: storage.db, cache, logRequests: false, fetch: opts.fetch, leaseIntervalMs: 200 });
  if (opts.startScheduler) await service.scheduler.start();
  return { storage, cache, config, service, api: request(service.app) };
}

export async function closeHarness(h: Harness, destroyStorage = true): Promise<void> {
  await h.service.scheduler.stop();
  await h.service.coordinator.flush();
  await h.cache.close();
  if (destroyStorage) await h.storage.destroy();
}

export const agentBody = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  agent_type: 'decision_engine',
  name: `Agent ${id}`,
  capabilities: ['analysis', 'decision_making'],
  max_capacity: 100,
  specializations: [],
  ...extra,
});

export const taskBody = (extra: Record<string, unknown> = {}) => ({
  task_type: 'analysis',
  priority: 3,
  description: 'Analyze system performance trends',
  ...extra,
});

/**
 * Registers the usual hooks of an API suite: one harness for the suite (created before,
 * closed after) and an empty database before each test. `use` receives the harness.
 */
export function useHarness(backend: Backend, use: (h: Harness) => void, opts: Parameters<typeof createHarness>[1] = {}): void {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(backend, opts);
    use(h);
  });
  afterAll(async () => closeHarness(h));
  beforeEach(async () => h.storage.reset());
}
