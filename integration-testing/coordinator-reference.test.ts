/**
 * The reference suite's coordinator checks (health, registration, submission, assignment
 * within 5 s, completion, persistence, errors, monitoring) and the documented examples,
 * against a running coordinator.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COORDINATOR_URL, call, unique, waitUntil } from './support.js';

describe(`coordinator at ${COORDINATOR_URL}`, () => {
  const agents: string[] = [];

  beforeAll(async () => {
    await waitUntil(async () => (await call('GET', '/health')).status === 200, 30_000, 'coordinator health');
  });
  afterAll(async () => {
    for (const id of agents) await call('DELETE', `/agents/${id}`);
  });

  it('when /health is asked, then it is healthy with service, version and timestamp', async () => {
    const r = await call('GET', '/health');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: 'healthy', service: 'multi_agent_coordinator' });
    expect(r.body.version).toBeTruthy();
    expect(r.body.timestamp).toBeTruthy();
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('when agents register and tasks are submitted, then a task is assigned within 5 seconds', async () => {
    const status = await call('GET', '/coordination/status');
    expect(status.status).toBe(200);
    for (const key of ['coordination_running', 'total_agents', 'total_tasks', 'active_agents', 'pending_tasks']) expect(status.body).toHaveProperty(key);
    if (!status.body.coordination_running) expect((await call('POST', '/coordination/start')).status).toBe(200);

    const a1 = unique('it-decision');
    const a2 = unique('it-qa');
    for (const agent of [
      { id: a1, agent_type: 'decision_engine', name: 'Test Decision Agent', capabilities: ['analysis', 'decision_making'], max_capacity: 100.0, specializations: ['risk_assessment'] },
      { id: a2, agent_type: 'qa_automation', name: 'Test QA Agent', capabilities: ['testing', 'validation'], max_capacity: 80.0, specializations: ['automated_testing'] },
    ]) {
      const r = await call('POST', '/agents', agent);
      expect(r.status).toBe(200);
      expect(r.body.agent_id).toBe(agent.id);
      agents.push(agent.id);
    }
    const listed = await call('GET', '/agents');
    expect(listed.body.count).toBeGreaterThanOrEqual(2);
    expect(listed.body.agents[a1].agent_type).toBe('decision_engine');

    const ids: string[] = [];
    for (const task of [
      { task_type: 'analysis', priority: 3, description: 'Test analysis task', requirements: { complexity: 'medium' }, estimated_duration: 300.0 },
      { task_type: 'testing', priority: 2, description: 'Test validation task', requirements: { test_type: 'integration' }, estimated_duration: 600.0 },
    ]) {
      const r = await call('POST', '/tasks', task);
      expect(r.status).toBe(200);
      ids.push(r.body.task_id);
    }
    await waitUntil(
      async () => {
        const states = await Promise.all(ids.map(async (id) => (await call('GET', `/tasks/${id}`)).body.status));
        return states.every((s) => s === 'assigned');
      },
      5000,
      'both tasks assigned',
    );
    // Each went to an agent having its task type as a capability (others may be registered too).
    for (const [i, capability] of [[0, 'analysis'], [1, 'testing']] as const) {
      const t = await call('GET', `/tasks/${ids[i]}`);
      const agent = await call('GET', `/agents/${t.body.assigned_agent}`);
      expect(agent.body.capabilities).toContain(capability);
    }

    // The worker side: start, then complete with a result.
    expect((await call('PUT', `/tasks/${ids[0]}/status`, { status: 'in_progress' })).status).toBe(200);
    const done = await call('PUT', `/tasks/${ids[0]}/status`, { status: 'completed', result: { summary: 'ok' } });
    expect(done.status).toBe(200);
    expect(done.body.task.status).toBe('completed');
    const illegal = await call('PUT', `/tasks/${ids[0]}/status`, { status: 'in_progress' });
    expect(illegal.status).toBe(409);
    expect(typeof illegal.body.error).toBe('string');
  });

  it('when the documented task example is submitted, then it is accepted with its dependencies and deadline', async () => {
    const r = await call('POST', '/tasks', {
      task_type: 'analysis',
      priority: 3,
      description: 'Analyze system performance trends',
      requirements: { complexity: 'high', resources: { cpu: 2.0, memory: 4.0 } },
      dependencies: ['task_001', 'task_002'],
      deadline: '2024-01-15T10:00:00Z',
      estimated_duration: 1800.0,
    });
    expect(r.status).toBe(200);
    const t = await call('GET', `/tasks/${r.body.task_id}`);
    expect(t.body).toMatchObject({ priority: 3, dependencies: ['task_001', 'task_002'], deadline: '2024-01-15T10:00:00.000Z', status: 'pending' });
  });

  it('when bad requests arrive, then they get 4xx JSON errors', async () => {
    expect((await call('GET', '/invalid-endpoint')).status).toBe(404);
    const bad = await call('POST', '/agents', { invalid: 'data' });
    expect(bad.status).toBe(400);
    expect(bad.body.details.length).toBeGreaterThan(0);
    expect((await call('POST', '/agents', { id: agents[0], agent_type: 'decision_engine', name: 'dup', capabilities: [] })).status).toBe(409);
  });

  it('when 20 health checks run concurrently, then all succeed quickly', async () => {
    const t0 = performance.now();
    const replies = await Promise.all(Array.from({ length: 20 }, () => call('GET', '/health')));
    expect(replies.every((r) => r.status === 200)).toBe(true);
    expect((performance.now() - t0) / 1000).toBeLessThan(20 * 2.0);
  });

  it('when monitoring endpoints are scraped, then metrics and readiness are served', async () => {
    const ready = await call('GET', '/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.checks.database.status).toBe('up');
    const metrics = await call('GET', '/metrics');
    expect(metrics.status).toBe(200);
    for (const name of ['nexus_agents', 'nexus_tasks', 'nexus_task_assignments_total', 'nexus_task_queue_wait_seconds', 'http_request_duration_seconds']) {
      expect(String(metrics.body)).toContain(name);
    }
  });
});
