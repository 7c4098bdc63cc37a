/**
 * The background work: task timeouts, heartbeat timeouts, conflict resolutions through
 * votes, consensus timeouts, and prompt assignment by the running scheduler.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, closeHarness, createHarness, type Harness, useHarness } from '../support/harness.js';
import { getTask, registerAgent, submitTask } from './helpers.js';

async function waitFor(cond: () => Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

describe.each(backends)('background work on %s', (backend) => {
  let h: Harness;
  useHarness(backend, (created) => (h = created));

  const agent = async (id: string) => (await h.api.get(`/agents/${id}`).expect(200)).body;

  it('when an in-progress task runs longer than TASK_TIMEOUT, then it fails with "Task timeout", is retried and frees its agent', async () => {
    await registerAgent(h, 'slow');
    const id = await submitTask(h);
    await h.service.coordinator.runAssignment();
    await h.api.put(`/tasks/${id}/status`).send({ status: 'in_progress' }).expect(200);
    expect((await agent('slow')).current_load).toBe(10);
    await h.storage.db.query(`UPDATE tasks SET started_at = now() - interval '2 hours' WHERE id = $1`, [id]);
    expect(await h.service.coordinator.runTaskTimeouts()).toEqual([id]);
    const t = await getTask(h, id);
    expect(t).toMatchObject({ status: 'pending', retry_count: 1, error_message: 'Task timeout', assigned_agent: null });
    expect((await agent('slow')).current_load).toBe(0);
    expect((await agent('slow')).success_rate).toBeLessThan(1);
  });

  it('when an agent misses its heartbeats, then it becomes inactive, its tasks return to the queue, and a heartbeat brings it back', async () => {
    await registerAgent(h, 'quiet');
    const id = await submitTask(h);
    await h.service.coordinator.runAssignment();
    await h.storage.db.query(`UPDATE agents SET last_heartbeat = now() - interval '10 minutes' WHERE id = 'quiet'`);
    const sweep = await h.service.coordinator.runAgentSweep();
    expect(sweep.inactive).toEqual(['quiet']);
    expect(sweep.released).toEqual([id]);
    expect(await agent('quiet')).toMatchObject({ status: 'inactive', current_load: 0 });
    expect(await getTask(h, id)).toMatchObject({ status: 'pending', assigned_agent: null, retry_count: 0 });
    // Kept, not deleted; and not given work while inactive.
    expect(await h.service.coordinator.runAssignment()).toBe(0);
    const hb = await h.api.post('/agents/quiet/heartbeat').send({}).expect(200);
    expect(hb.body.status).toBe('active');
    expect(await h.service.coordinator.runAssignment()).toBe(1);
    expect((await getTask(h, id)).assigned_agent).toBe('quiet');
  });

  it('when an inactive agent still holds tasks (an interrupted release), then the sweep returns them to the queue', async () => {
    await registerAgent(h, 'half-gone');
    const id = await submitTask(h);
    await h.service.coordinator.runAssignment();
    await h.storage.db.query(`UPDATE agents SET status = 'inactive' WHERE id = 'half-gone'`);
    const sweep = await h.service.coordinator.runAgentSweep();
    expect(sweep.released).toEqual([id]);
    expect(await agent('half-gone')).toMatchObject({ status: 'inactive', current_load: 0 });
    expect((await getTask(h, id)).status).toBe('pending');
  });

  it('when a heartbeat is merely late but within the timeout, then nothing changes', async () => {
    await registerAgent(h, 'fine');
    await h.storage.db.query(`UPDATE agents SET last_heartbeat = now() - interval '60 seconds' WHERE id = 'fine'`);
    expect((await h.service.coordinator.runAgentSweep()).inactive).toEqual([]);
  });

  it('when running tasks over-allocate a resource and the agents vote yes, then the lower-priority half is rescheduled', async () => {
    for (const id of ['big-1', 'big-2']) await registerAgent(h, id, { resources: { cpu: 100 } });
    const low = await submitTask(h, { id: 'cpu-low', priority: 1, requirements: { resources: { cpu: 60 } } });
    const high = await submitTask(h, { id: 'cpu-high', priority: 4, requirements: { resources: { cpu: 60 } } });
    expect(await h.service.coordinator.runAssignment()).toBe(2);
    await h.service.scheduler.fullCycle();
    const conflicts = (await h.api.get('/conflicts?type=resource_conflict').expect(200)).body.conflicts;
    const [conflict] = Object.values(conflicts) as Array<Record<string, any>>;
    expect(conflict).toMatchObject({ conflict_key: 'resource:cpu', resolution_status: 'pending_consensus' });
    expect(conflict.resolution.tasks_to_reschedule).toEqual([low]);
    const session = conflict.consensus_session as string;
    const first = await h.api.post(`/consensus/${session}/votes`).send({ agent_id: 'big-1', vote: true }).expect(200);
    expect(first.body.status).toBe('active');
    const second = await h.api.post(`/consensus/${session}/votes`).send({ agent_id: 'big-2', vote: true, reasoning: 'ok' }).expect(200);
    expect(second.body.status).toBe('passed');
    const lowTask = await getTask(h, low);
    expect(lowTask.status).toBe('pending');
    expect(new Date(lowTask.not_before).getTime()).toBeGreaterThan(Date.now());
    expect((await getTask(h, high)).status).toBe('assigned');
    // Held back until not_before, then eligible again.
    expect(await h.service.coordinator.runAssignment()).toBe(0);
    await h.storage.db.query(`UPDATE tasks SET not_before = now() - interval '1 second' WHERE id = $1`, [low]);
    expect(await h.service.coordinator.runAssignment()).toBe(1);
    const resolved = (await h.api.get(`/conflicts/${conflict.id}`).expect(200)).body;
    expect(resolved.resolution_status).toBe('applied');
    expect(resolved.outcome).toMatchObject({ consensus: true, rescheduled_tasks: [low] });
  });

  it('when the agents vote no, then the resolution is rejected and nothing is changed', async () => {
    for (const id of ['v-1', 'v-2']) await registerAgent(h, id, { resources: { cpu: 100 } });
    await submitTask(h, { id: 'r-1', priority: 1, requirements: { resources: { cpu: 70 } } });
    await submitTask(h, { id: 'r-2', priority: 2, requirements: { resources: { cpu: 70 } } });
    await h.service.coordinator.runAssignment();
    await h.service.scheduler.fullCycle();
    const [conflict] = Object.values((await h.api.get('/conflicts').expect(200)).body.conflicts) as Array<Record<string, any>>;
    const res = await h.api.post(`/consensus/${conflict.consensus_session}/votes`).send({ agent_id: 'v-1', vote: false }).expect(200);
    expect(res.body.status).toBe('rejected');
    expect((await h.api.get(`/conflicts/${conflict.id}`)).body.resolution_status).toBe('rejected');
    expect((await getTask(h, 'r-1')).status).toBe('assigned');
  });

  it('when nobody votes before the timeout, then the session times out and the resolution is not applied', async () => {
    await registerAgent(h, 'silent', { capabilities: ['analysis'] });
    await submitTask(h, { id: 'late-task', deadline: new Date(Date.now() - 3600_000).toISOString(), priority: 2 });
    await h.service.scheduler.fullCycle();
    const conflicts = Object.values((await h.api.get('/conflicts?type=timing_conflict').expect(200)).body.conflicts) as Array<Record<string, any>>;
    expect(conflicts).toHaveLength(1);
    const session = conflicts[0]!.consensus_session as string;
    await h.storage.db.query(`UPDATE consensus_sessions SET created_at = now() - interval '1 hour' WHERE id = $1`, [session]);
    expect(await h.service.coordinator.runConsensusSweep()).toBe(1);
    expect((await h.api.get(`/consensus/${session}`)).body.status).toBe('timeout');
    expect((await h.api.get(`/conflicts/${conflicts[0]!.id}`)).body.resolution_status).toBe('timeout');
    expect((await getTask(h, 'late-task')).priority).toBe(2);
  });

  it('when coordination was stopped, then an assignment pass already under way assigns nothing', async () => {
    await registerAgent(h, 'idle');
    const id = await submitTask(h);
    await h.api.post('/coordination/stop').expect(200);
    // The pass checks the shared flag inside its own transaction, whatever its caller believed.
    expect(await h.service.coordinator.runAssignment()).toBe(0);
    expect((await getTask(h, id)).status).toBe('pending');
    await h.api.post('/coordination/start').expect(200);
    expect(await h.service.coordinator.runAssignment()).toBe(1);
  });

  it('when many higher-priority tasks cannot be placed, then a runnable lower-priority task behind them is still assigned', async () => {
    await registerAgent(h, 'plain');
    for (let i = 0; i < 150; i++) await submitTask(h, { priority: 5, requirements: { resources: { gpu: 1 } } });
    const runnable = await submitTask(h, { priority: 1 });
    expect(await h.service.coordinator.runAssignment()).toBe(1);
    expect((await getTask(h, runnable)).assigned_agent).toBe('plain');
  });

  it('when two coordinators run assignment passes at the same time, then no agent is filled past its capacity', async () => {
    const other = await createHarness(backend, { storage: h.storage });
    try {
      await registerAgent(h, 'small', { max_capacity: 30 });
      for (let i = 0; i < 10; i++) await submitTask(h);
      const [a, b] = await Promise.all([h.service.coordinator.runAssignment(), other.service.coordinator.runAssignment()]);
      expect(a + b).toBe(3);
      expect((await agent('small')).current_load).toBe(30);
    } finally {
      await closeHarness(other, false);
    }
  });

  it('when a worker reports on a task that was taken from it, then the report is refused with 409', async () => {
    await registerAgent(h, 'w-old');
    const id = await submitTask(h);
    await h.service.coordinator.runAssignment();
    await h.api.put(`/tasks/${id}/status`).send({ status: 'in_progress', agent_id: 'w-old' }).expect(200);
    await h.api.put(`/tasks/${id}/status`).send({ status: 'completed', agent_id: 'someone-else' }).expect(409);
    await h.api.delete('/agents/w-old').expect(200);
    await h.api.put(`/tasks/${id}/status`).send({ status: 'failed', agent_id: 'w-old' }).expect(409);
    expect((await getTask(h, id)).status).toBe('pending');
  });

  it('when a dependency failed for good, then the waiting task is failed with a clear error', async () => {
    await registerAgent(h, 'dep-worker');
    const first = await submitTask(h, { id: 'will-fail', max_retries: 0 });
    const second = await submitTask(h, { id: 'waits', dependencies: [first] });
    await h.service.coordinator.runAssignment();
    await h.api.put(`/tasks/${first}/status`).send({ status: 'failed', error_message: 'broken' }).expect(200);
    await h.service.scheduler.fullCycle();
    const [c] = Object.values((await h.api.get('/conflicts?type=dependency_conflict').expect(200)).body.conflicts) as Array<Record<string, any>>;
    expect(c!.conflict_key).toBe(`dependency-blocked:${second}`);
    await h.api.post(`/consensus/${c!.consensus_session}/votes`).send({ agent_id: 'dep-worker', vote: true }).expect(200);
    const t = await getTask(h, second);
    expect(t.status).toBe('failed');
    expect(t.error_message).toContain('will-fail');
  });

  it('when a task depends on tasks that do not exist, then a dependency conflict reports them and the task keeps waiting', async () => {
    const id = await submitTask(h, { dependencies: ['task_001', 'task_002'] });
    await h.service.scheduler.fullCycle();
    const list = Object.values((await h.api.get('/conflicts?type=dependency_conflict').expect(200)).body.conflicts) as Array<Record<string, any>>;
    expect(list).toHaveLength(1);
    expect(list[0]!.conflict_key).toBe(`dependency-missing:${id}`);
    expect(list[0]!.outcome).toMatchObject({ missing_dependencies: ['task_001', 'task_002'] });
    expect((await getTask(h, id)).status).toBe('pending');
  });

  it('when a vote decides a session, then a later sweep does not apply the resolution again', async () => {
    await registerAgent(h, 'voter', { capabilities: ['analysis'] });
    const id = await submitTask(h, { id: 'overdue', priority: 2, deadline: new Date(Date.now() - 60_000).toISOString() });
    await h.service.scheduler.fullCycle();
    const [c] = Object.values((await h.api.get('/conflicts?type=timing_conflict').expect(200)).body.conflicts) as Array<Record<string, any>>;
    await h.api.post(`/consensus/${c!.consensus_session}/votes`).send({ agent_id: 'voter', vote: true }).expect(200);
    expect((await getTask(h, id)).priority).toBe(3);
    await h.service.coordinator.runConsensusSweep();
    await h.service.scheduler.fullCycle();
    expect((await getTask(h, id)).priority).toBe(3);
  });

  it('when more urgent tasks wait than agents are available, then one priority conflict is recorded', async () => {
    for (let i = 0; i < 3; i++) await submitTask(h, { task_type: 'deployment', priority: 5 });
    await h.service.scheduler.fullCycle();
    await h.service.scheduler.fullCycle();
    const conflicts = Object.values((await h.api.get('/conflicts?type=priority_conflict').expect(200)).body.conflicts) as Array<Record<string, any>>;
    expect(conflicts).toHaveLength(1);
    expect(conflicts[0]).toMatchObject({ resolution_status: 'applied' });
    expect(conflicts[0]!.involved_tasks).toHaveLength(3);
  });
});

describe('the running scheduler', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness('pglite', { startScheduler: true });
  });
  afterAll(async () => closeHarness(h));

  it('when a task is submitted, then it is assigned at once (well before the 5 s idle re-check and the 30 s cycle)', async () => {
    await registerAgent(h, 'prompt');
    const id = await submitTask(h);
    expect(await waitFor(async () => (await getTask(h, id)).status === 'assigned', 2500)).toBe(true);
  });

  it('when coordination is stopped, then tasks wait as pending; when started again, they are assigned', async () => {
    await h.api.post('/coordination/stop').expect(200);
    const id = await submitTask(h);
    expect(await waitFor(async () => (await getTask(h, id)).status === 'assigned', 500)).toBe(false);
    expect((await h.service.scheduler.fullCycle()).skipped).toBe('coordination stopped');
    await h.api.post('/coordination/start').expect(200);
    expect(await waitFor(async () => (await getTask(h, id)).status === 'assigned', 2500)).toBe(true);
  });

  it('when a task completes, then a task depending on it is assigned promptly', async () => {
    const first = await submitTask(h, { id: 'dep-first' });
    const second = await submitTask(h, { id: 'dep-second', dependencies: [first] });
    expect(await waitFor(async () => (await getTask(h, first)).status === 'assigned', 2500)).toBe(true);
    expect((await getTask(h, second)).status).toBe('pending');
    await h.api.put(`/tasks/${first}/status`).send({ status: 'completed' }).expect(200);
    expect(await waitFor(async () => (await getTask(h, second)).status === 'assigned', 2500)).toBe(true);
  });
});
