/**
 * The agent loop from the README, end to end against a running coordinator: register,
 * heartbeat, poll for assigned tasks, start, complete; then shut down cleanly.
 */
import { describe, expect, it } from 'vitest';
import { call, unique, waitUntil } from './support.js';

describe('an agent worker driving the coordinator', () => {
  it('when a worker registers and polls, then it receives, runs and completes its tasks', async () => {
    const agentId = unique('worker');
    const kind = unique('kind'); // a private capability so no other agent takes these tasks
    const reg = await call('POST', '/agents', {
      id: agentId,
      agent_type: 'operations',
      name: 'Loop worker',
      capabilities: ['deployment'],
      specializations: ['deployment'],
      resources: { [kind]: 1 },
      max_capacity: 100,
    });
    expect(reg.status).toBe(200);

    const submitted: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await call('POST', '/tasks', {
        task_type: 'deployment',
        priority: 2 + i,
        description: `deploy ${i}`,
        requirements: { resources: { [kind]: 1 }, load: 20 },
        estimated_duration: 1,
      });
      expect(r.status).toBe(200);
      submitted.push(r.body.task_id);
    }

    const done = new Set<string>();
    await waitUntil(
      async () => {
        const hb = await call('POST', `/agents/${agentId}/heartbeat`, { current_load: 0 });
        expect(hb.status).toBe(200);
        const mine = await call('GET', `/agents/${agentId}/tasks`);
        for (const task of mine.body.tasks as Array<{ id: string; status: string }>) {
          if (task.status !== 'assigned') continue;
          expect((await call('PUT', `/tasks/${task.id}/status`, { status: 'in_progress' })).status).toBe(200);
          const fin = await call('PUT', `/tasks/${task.id}/status`, { status: 'completed', result: { deployed: true } });
          expect(fin.status).toBe(200);
          done.add(task.id);
        }
        return submitted.every((id) => done.has(id));
      },
      15_000,
      'the worker to finish its tasks',
    );

    const agent = await call('GET', `/agents/${agentId}`);
    expect(agent.body.current_load).toBe(0);
    expect(agent.body.tasks_completed).toBe(3);
    expect((await call('DELETE', `/agents/${agentId}`)).status).toBe(200);
    expect((await call('GET', `/agents/${agentId}`)).status).toBe(404);
  });
});
