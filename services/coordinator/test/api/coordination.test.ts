import { describe, expect, it } from 'vitest';
import { backends, closeHarness, createHarness, type Harness, useHarness } from '../support/harness.js';
import { ISO_UTC, expectError, getTask, registerAgent, setStatus, submitTask } from './helpers.js';

const STATUS_FIELDS = [
  'coordination_running',
  'total_agents',
  'active_agents',
  'total_tasks',
  'pending_tasks',
  'in_progress_tasks',
  'completed_tasks',
  'active_conflicts',
  'active_collaborations',
  'last_update',
] as const;

describe.each(backends)('coordination and service endpoints on %s', (backend) => {
  let h: Harness;
  useHarness(backend, (created) => (h = created));

  describe('GET /coordination/status', () => {
    it('when nothing is registered, then every documented field is present with zero counts', async () => {
      // A local write first: the status is cached for up to a second, and reset() bypasses the service.
      await h.api.post('/coordination/start').expect(200);
      const res = await h.api.get('/coordination/status').expect(200);
      for (const f of STATUS_FIELDS) expect(res.body).toHaveProperty(f);
      expect(res.body).toMatchObject({
        coordination_running: true,
        total_agents: 0,
        active_agents: 0,
        total_tasks: 0,
        pending_tasks: 0,
        in_progress_tasks: 0,
        completed_tasks: 0,
        active_conflicts: 0,
        active_collaborations: 0,
      });
      expect(res.body.last_update).toMatch(ISO_UTC);
    });

    it('when agents, tasks, conflicts and collaborations exist, then the counts reflect them at once', async () => {
      await registerAgent(h, 'a1', { capabilities: ['analysis'] });
      await registerAgent(h, 'a2', { capabilities: ['analysis'] });
      await registerAgent(h, 'drainer', { capabilities: ['monitoring'] });
      await h.api.post('/agents/drainer/heartbeat').send({ status: 'draining' }).expect(200);
      const before = await h.api.get('/coordination/status').expect(200);
      expect(before.body).toMatchObject({ total_agents: 3, active_agents: 2, total_tasks: 0 });

      const running = await submitTask(h);
      const done = await submitTask(h);
      await submitTask(h);
      await submitTask(h, { task_type: 'security_scan' }); // nobody can run it
      expect(await h.service.coordinator.runAssignment()).toBe(3);
      await setStatus(h, running, { status: 'in_progress' }).expect(200);
      await setStatus(h, done, { status: 'completed' }).expect(200);

      const res = await h.api.get('/coordination/status').expect(200);
      expect(res.body).toMatchObject({
        coordination_running: true,
        total_agents: 3,
        active_agents: 2,
        total_tasks: 4,
        pending_tasks: 1,
        in_progress_tasks: 1,
        completed_tasks: 1,
        active_conflicts: 0,
        active_collaborations: 0,
      });

      await h.service.scheduler.fullCycle(); // a capability conflict for security_scan
      await h.api
        .post('/collaborations')
        .send({ problem_id: 'p1', description: 'tune', required_capabilities: ['analysis'] })
        .expect(200);
      const after = await h.api.get('/coordination/status').expect(200);
      expect(after.body.active_conflicts).toBe(1);
      expect(after.body.active_collaborations).toBe(1);
    });
  });

  describe('POST /coordination/stop and /start', () => {
    it('when coordination is stopped and started, then {message, timestamp} and the status follows', async () => {
      const stop = await h.api.post('/coordination/stop').expect(200);
      expect(stop.body.message).toEqual(expect.any(String));
      expect(stop.body.timestamp).toMatch(ISO_UTC);
      expect((await h.api.get('/coordination/status').expect(200)).body.coordination_running).toBe(false);

      const start = await h.api.post('/coordination/start').expect(200);
      expect(start.body.message).toEqual(expect.any(String));
      expect(start.body.timestamp).toMatch(ISO_UTC);
      expect((await h.api.get('/coordination/status').expect(200)).body.coordination_running).toBe(true);
    });

    it('when coordination is stopped, then a cycle assigns nothing; once started, it does', async () => {
      await registerAgent(h, 'a1', { capabilities: ['analysis'] });
      await h.api.post('/coordination/stop').expect(200);
      const id = await submitTask(h);
      await h.service.scheduler.fullCycle();
      expect((await getTask(h, id)).status).toBe('pending');
      await h.api.post('/coordination/start').expect(200);
      await h.service.scheduler.fullCycle();
      expect((await getTask(h, id)).status).toBe('assigned');
    });

    it('when coordination is stopped, then a fresh instance on the same database sees it stopped', async () => {
      await h.api.post('/coordination/stop').expect(200);
      const other = await createHarness(backend, { storage: h.storage });
      try {
        expect((await other.api.get('/coordination/status').expect(200)).body.coordination_running).toBe(false);
      } finally {
        await closeHarness(other, false);
      }
      await h.api.post('/coordination/start').expect(200);
    });
  });

  describe('probes', () => {
    it('when GET /health, then 200 {status: healthy, service, version, timestamp}', async () => {
      const res = await h.api.get('/health').expect(200);
      expect(res.body).toMatchObject({ status: 'healthy', service: expect.any(String), version: expect.any(String) });
      expect(res.body.timestamp).toMatch(ISO_UTC);
    });

    it('when GET /ready with the database up, then 200 with checks.database.status up', async () => {
      const res = await h.api.get('/ready').expect(200);
      expect(res.body.checks.database.status).toBe('up');
      expect(res.body.status).toBe('ready');
    });

    it('when GET /metrics after some traffic, then Prometheus text with the domain metrics', async () => {
      await registerAgent(h, 'a1', { capabilities: ['analysis'] });
      await submitTask(h);
      await h.service.coordinator.runAssignment();
      await h.service.scheduler.fullCycle();
      const res = await h.api.get('/metrics').expect(200);
      expect(res.headers['content-type']).toMatch(/text\/plain/);
      for (const name of ['nexus_agents', 'nexus_tasks', 'nexus_task_assignments_total', 'http_request_duration_seconds', 'nexus_conflicts_active']) {
        expect(res.text).toContain(name);
      }
      expect(res.text).toMatch(/^nexus_agents\{status="active"[^}]*\} 1$/m);
      expect(res.text).toMatch(/^nexus_tasks\{status="assigned"[^}]*\} 1$/m);
      expect(res.text).toMatch(/^nexus_task_assignments_total(\{[^}]*\})? [1-9]\d*$/m);
      expect(res.text).toMatch(/http_request_duration_seconds_count\{[^}]*route="\/agents"[^}]*\}/);
    });
  });

  describe('HTTP conventions', () => {
    it('when X-Request-Id is given, then it is echoed', async () => {
      const res = await h.api.get('/health').set('X-Request-Id', 'req-abc.123').expect(200);
      expect(res.headers['x-request-id']).toBe('req-abc.123');
    });

    it('when no X-Request-Id is given, then one is generated, different per request', async () => {
      const a = await h.api.get('/agents').expect(200);
      const b = await h.api.get('/agents').expect(200);
      expect(a.headers['x-request-id']).toMatch(/^[A-Za-z0-9._:-]{8,}$/);
      expect(b.headers['x-request-id']).toMatch(/^[A-Za-z0-9._:-]{8,}$/);
      expect(a.headers['x-request-id']).not.toBe(b.headers['x-request-id']);
    });

    it('when X-Request-Id is unsafe, then a generated one is used instead', async () => {
      const res = await h.api.get('/health').set('X-Request-Id', 'bad id\twith spaces').expect(200);
      expect(res.headers['x-request-id']).toBeDefined();
      expect(res.headers['x-request-id']).not.toContain(' ');
    });

    it('when any response is sent, then helmet security headers are present and x-powered-by is not', async () => {
      for (const path of ['/health', '/agents', '/nope']) {
        const res = await h.api.get(path);
        expect(res.headers['x-content-type-options']).toBe('nosniff');
        expect(res.headers['x-frame-options']).toBeDefined();
        expect(res.headers['x-powered-by']).toBeUndefined();
      }
    });

    it('when the route is unknown, then 404 JSON with an error field', async () => {
      expectError(await h.api.get('/no/such/route'), 404);
      expectError(await h.api.post('/agents/a/unknown').send({}), 404);
      expectError(await h.api.patch('/tasks').send({}), 404);
    });
  });
});
