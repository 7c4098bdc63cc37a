import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MemoryCache, PgliteDb, migrate, silentLogger } from '@nexus/core';
import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import { createCoordinatorService } from '../../src/app.js';
import { agentBody, taskBody, testConfig } from '../support/harness.js';

describe('restart on the embedded database', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'nexus-restart-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function boot() {
    const db = await PgliteDb.open(dir);
    await migrate(db);
    const cache = new MemoryCache();
    const service = createCoordinatorService({ config: testConfig(), logger: silentLogger(), db, cache, logRequests: false });
    return { db, cache, service, api: request(service.app) };
  }

  it('when the service restarts on the same data directory, then agents, tasks, assignments and the coordination flag survive', async () => {
    const first = await boot();
    await first.api.post('/agents').send(agentBody('persist-agent')).expect(200);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await first.api.post('/tasks').send(taskBody({ id: `persist-${i}` })).expect(200)).body.task_id);
    await first.service.coordinator.runAssignment();
    await first.api.put('/tasks/persist-0/status').send({ status: 'completed', result: { answer: 42 } }).expect(200);
    await first.api.post('/coordination/stop').expect(200);
    await first.service.coordinator.flush();
    await first.db.close();

    const second = await boot();
    try {
      const agents = await second.api.get('/agents').expect(200);
      expect(Object.keys(agents.body.agents)).toEqual(['persist-agent']);
      expect(agents.body.agents['persist-agent'].current_load).toBe(40);
      const tasks = await second.api.get('/tasks').expect(200);
      expect(Object.keys(tasks.body.tasks).sort()).toEqual(ids.sort());
      expect(tasks.body.tasks['persist-0']).toMatchObject({ status: 'completed', result: { answer: 42 } });
      expect(tasks.body.tasks['persist-1']).toMatchObject({ status: 'assigned', assigned_agent: 'persist-agent' });
      const status = await second.api.get('/coordination/status').expect(200);
      expect(status.body.coordination_running).toBe(false);
      // Migrations are recorded once, not re-applied.
      const m = await second.db.query<{ n: number }>('SELECT count(*)::int AS n FROM schema_migrations');
      expect(m.rows[0]!.n).toBeGreaterThan(0);
      expect(await migrate(second.db)).toEqual([]);
    } finally {
      await second.db.close();
    }
  });
});
