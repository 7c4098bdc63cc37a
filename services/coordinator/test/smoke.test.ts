import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentBody, backends, closeHarness, createHarness, taskBody, type Harness } from './support/harness.js';

describe.each(backends)('coordinator smoke on %s', (backend) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(backend);
  });
  afterAll(async () => closeHarness(h));

  it('when an agent and a task are submitted, then an assignment pass assigns the task', async () => {
    await h.api.post('/agents').send(agentBody('a1')).expect(200);
    const res = await h.api.post('/tasks').send(taskBody()).expect(200);
    expect(await h.service.coordinator.runAssignment()).toBe(1);
    const task = await h.api.get(`/tasks/${res.body.task_id}`).expect(200);
    expect(task.body.status).toBe('assigned');
    expect(task.body.assigned_agent).toBe('a1');
  });
});
