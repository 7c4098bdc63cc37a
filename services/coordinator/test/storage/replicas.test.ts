import { PgDb, silentLogger } from '@nexus/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  REAL_DATABASE_URL,
  agentBody,
  closeHarness,
  createHarness,
  createTestStorage,
  taskBody,
  type Harness,
} from '../support/harness.js';
import type { TestStorage } from '../../../../packages/core/test/support/storage.js';

async function waitFor(cond: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Two coordinator replicas, each with its own pool, against one real Postgres database. */
describe.skipIf(!REAL_DATABASE_URL)('two replicas on one Postgres database', () => {
  let storage: TestStorage;
  let a: Harness;
  let b: Harness;

  beforeAll(async () => {
    storage = await createTestStorage('postgres');
    const second: TestStorage = {
      ...storage,
      db: new PgDb({ connectionString: storage.url!, poolSize: 10, connectTimeoutMs: 3000, logger: silentLogger() }),
    };
    a = await createHarness('postgres', { storage, startScheduler: true });
    b = await createHarness('postgres', { storage: second, startScheduler: true });
  });
  afterAll(async () => {
    await closeHarness(b, false).catch(() => undefined);
    await b.storage.db.close().catch(() => undefined);
    await closeHarness(a, false).catch(() => undefined);
    await storage.destroy();
  });

  it('when both run, then exactly one of them leads', async () => {
    await waitFor(async () => a.service.scheduler.isLeader() !== b.service.scheduler.isLeader(), 5000, 'a single leader');
    expect([a, b].filter((x) => x.service.scheduler.isLeader())).toHaveLength(1);
  });

  it('when tasks are submitted concurrently to both, then each is assigned exactly once and agent loads add up', async () => {
    for (let i = 0; i < 20; i++) await (i % 2 ? a : b).api.post('/agents').send(agentBody(`rep-agent-${i}`, { max_capacity: 100 })).expect(200);
    const submissions = Array.from({ length: 150 }, (_, i) => (i % 2 ? a : b).api.post('/tasks').send(taskBody({ id: `rep-task-${i}` })));
    const results = await Promise.all(submissions);
    expect(results.every((r) => r.status === 200)).toBe(true);

    await waitFor(
      async () => Number((await storage.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM tasks WHERE status = 'assigned'`)).rows[0]!.n) === 150,
      10_000,
      'all 150 tasks assigned',
    );
    const rows = (await storage.db.query<{ id: string; assigned_agent: string; held_load: number }>(
      `SELECT id, assigned_agent, held_load FROM tasks`,
    )).rows;
    expect(new Set(rows.map((r) => r.id)).size).toBe(150);
    const perAgent = new Map<string, number>();
    for (const r of rows) perAgent.set(r.assigned_agent, (perAgent.get(r.assigned_agent) ?? 0) + r.held_load);
    const agents = (await storage.db.query<{ id: string; current_load: number; max_capacity: number }>(`SELECT id, current_load, max_capacity FROM agents`)).rows;
    for (const ag of agents) {
      expect(ag.current_load).toBe(perAgent.get(ag.id) ?? 0);
      expect(ag.current_load).toBeLessThanOrEqual(ag.max_capacity);
    }
  });

  it('when both replicas take status updates for different tasks at once, then loads stay exact', async () => {
    const rows = (await storage.db.query<{ id: string }>(`SELECT id FROM tasks WHERE status = 'assigned' ORDER BY id LIMIT 60`)).rows;
    await Promise.all(rows.map((r, i) => (i % 2 ? a : b).api.put(`/tasks/${r.id}/status`).send({ status: 'completed' }).expect(200)));
    const check = (await storage.db.query<{ id: string; current_load: number; held: number }>(
      `SELECT a.id, a.current_load, coalesce(sum(t.held_load), 0)::float8 AS held
       FROM agents a LEFT JOIN tasks t ON t.assigned_agent = a.id AND t.status IN ('assigned','in_progress','delegated')
       GROUP BY a.id, a.current_load`,
    )).rows;
    for (const c of check) expect(c.current_load).toBe(c.held);
  });

  it('when the leader dies, then the survivor takes over the cycle within seconds and keeps assigning', async () => {
    const leader = a.service.scheduler.isLeader() ? a : b;
    const survivor = leader === a ? b : a;
    // Dying: its lease connection and pool go away with it.
    await leader.service.scheduler.stop();
    await leader.storage.db.close();
    const t0 = Date.now();
    await waitFor(async () => survivor.service.scheduler.isLeader(), 5000, 'the survivor to lead');
    expect(Date.now() - t0).toBeLessThan(5000);
    const { body } = await survivor.api.post('/tasks').send(taskBody({ id: 'after-failover' })).expect(200);
    await waitFor(
      async () => (await survivor.api.get(`/tasks/${body.task_id}`)).body.status === 'assigned',
      5000,
      'assignment after failover',
    );
  });
});
