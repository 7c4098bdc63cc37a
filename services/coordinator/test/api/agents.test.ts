import { beforeEach, describe, expect, it } from 'vitest';
import { agentBody, backends, type Harness, useHarness } from '../support/harness.js';
import { ISO_UTC, detailFields, expectError, getAgent, getTask, registerAgent, setStatus, sleep, submitTask } from './helpers.js';

/** The agent registration example of the reference documentation, verbatim. */
const DOCUMENTED_AGENT = {
  id: 'agent_001',
  agent_type: 'decision_engine',
  name: 'Primary Decision Agent',
  capabilities: ['analysis', 'decision_making', 'risk_assessment'],
  max_capacity: 100.0,
  specializations: ['financial_analysis', 'risk_management'],
};

function expectAgentJson(a: Record<string, any>): void {
  expect(typeof a.id).toBe('string');
  expect(typeof a.agent_type).toBe('string');
  expect(typeof a.status).toBe('string');
  expect(['active', 'inactive', 'draining']).toContain(a.status);
  expect(a.last_heartbeat).toMatch(ISO_UTC);
  expect(a.registered_at).toMatch(ISO_UTC);
  expect(Array.isArray(a.capabilities)).toBe(true);
  expect(Array.isArray(a.specializations)).toBe(true);
  expect(typeof a.current_load).toBe('number');
  expect(typeof a.max_capacity).toBe('number');
  expect(typeof a.performance_score).toBe('number');
  expect(typeof a.success_rate).toBe('number');
  expect(typeof a.average_response_time).toBe('number');
  expect(typeof a.resource_requirements).toBe('object');
}

describe.each(backends)('agents API on %s', (backend) => {
  let h: Harness;
  useHarness(backend, (created) => (h = created));

  describe('POST /agents', () => {
    it('when the documented registration body is posted, then 200 {message, agent_id, timestamp} and the agent is stored as sent', async () => {
      const res = await h.api.post('/agents').send(DOCUMENTED_AGENT).expect(200);
      expect(res.body).toEqual({ message: expect.any(String), agent_id: 'agent_001', timestamp: expect.stringMatching(ISO_UTC) });
      const a = await getAgent(h, 'agent_001');
      expectAgentJson(a);
      expect(a).toMatchObject({
        id: 'agent_001',
        agent_type: 'decision_engine',
        name: 'Primary Decision Agent',
        capabilities: ['analysis', 'decision_making', 'risk_assessment'],
        max_capacity: 100,
        specializations: ['financial_analysis', 'risk_management'],
        status: 'active',
        current_load: 0,
        performance_score: 1,
        success_rate: 1,
        average_response_time: 0,
        resource_requirements: {},
      });
    });

    it('when `resources` is given, then it is stored as resource_requirements', async () => {
      await h.api.post('/agents').send(agentBody('res-agent', { resources: { cpu: 4, memory: 8 } })).expect(200);
      const a = await getAgent(h, 'res-agent');
      expect(a.resource_requirements).toEqual({ cpu: 4, memory: 8 });
    });

    it('when resource_requirements is given, then it is stored', async () => {
      await h.api.post('/agents').send(agentBody('rr-agent', { resource_requirements: { gpu: 1 } })).expect(200);
      expect((await getAgent(h, 'rr-agent')).resource_requirements).toEqual({ gpu: 1 });
    });

    it('when no id is given, then one is generated and the agent can be read under it', async () => {
      const { id: _omit, ...body } = DOCUMENTED_AGENT;
      const res = await h.api.post('/agents').send(body).expect(200);
      expect(typeof res.body.agent_id).toBe('string');
      expect(res.body.agent_id.length).toBeGreaterThan(0);
      const a = await getAgent(h, res.body.agent_id);
      expect(a.name).toBe('Primary Decision Agent');
    });

    it('when max_capacity is omitted, then it defaults to 100', async () => {
      const { max_capacity: _omit, ...body } = DOCUMENTED_AGENT;
      await h.api.post('/agents').send(body).expect(200);
      expect((await getAgent(h, 'agent_001')).max_capacity).toBe(100);
    });

    it('when the id is already registered, then 409 and the first registration is kept', async () => {
      await h.api.post('/agents').send(DOCUMENTED_AGENT).expect(200);
      const res = await h.api.post('/agents').send({ ...DOCUMENTED_AGENT, name: 'Impostor' });
      expectError(res, 409);
      expect((await getAgent(h, 'agent_001')).name).toBe('Primary Decision Agent');
    });

    const { agent_type: _t, ...withoutType } = DOCUMENTED_AGENT;
    const invalid: Array<[string, unknown, string | null]> = [
      ['agent_type is missing', withoutType, 'agent_type'],
      ['agent_type is unknown', { ...DOCUMENTED_AGENT, agent_type: 'wizard' }, 'agent_type'],
      ['name is empty', { ...DOCUMENTED_AGENT, name: '' }, 'name'],
      ['name is only blanks', { ...DOCUMENTED_AGENT, name: '   ' }, 'name'],
      ['capabilities is not an array', { ...DOCUMENTED_AGENT, capabilities: 'analysis' }, 'capabilities'],
      ['max_capacity is negative', { ...DOCUMENTED_AGENT, max_capacity: -5 }, 'max_capacity'],
      ['max_capacity is zero', { ...DOCUMENTED_AGENT, max_capacity: 0 }, 'max_capacity'],
      ['max_capacity is a string', { ...DOCUMENTED_AGENT, max_capacity: '100' }, 'max_capacity'],
      ['id is empty', { ...DOCUMENTED_AGENT, id: '' }, 'id'],
      ['id is 300 characters', { ...DOCUMENTED_AGENT, id: 'a'.repeat(300) }, 'id'],
      ['id contains spaces', { ...DOCUMENTED_AGENT, id: 'agent 001' }, 'id'],
      ['id contains a slash', { ...DOCUMENTED_AGENT, id: 'agents/001' }, 'id'],
      ['the body is an array', [DOCUMENTED_AGENT], null],
      ["the body is {'invalid': 'data'}", { invalid: 'data' }, 'agent_type'],
    ];
    it.each(invalid)('when %s, then 400 naming the field', async (_case, body, field) => {
      const res = await h.api.post('/agents').send(body as object);
      expectError(res, 400);
      expect(Array.isArray(res.body.details)).toBe(true);
      if (field) expect(detailFields(res)).toContain(field);
      const list = await h.api.get('/agents').expect(200);
      expect(list.body.count).toBe(0);
    });
  });

  describe('GET /agents', () => {
    beforeEach(async () => {
      await registerAgent(h, 'de-1', { agent_type: 'decision_engine' });
      await registerAgent(h, 'mon-1', { agent_type: 'monitoring', capabilities: ['monitoring'] });
      await registerAgent(h, 'mon-2', { agent_type: 'monitoring', capabilities: ['monitoring'] });
      await h.api.post('/agents/mon-2/heartbeat').send({ status: 'draining' }).expect(200);
    });

    it('when listing, then {agents: {id: agent}, count, timestamp} with JSON-safe agents', async () => {
      const res = await h.api.get('/agents').expect(200);
      expect(res.body.count).toBe(3);
      expect(res.body.timestamp).toMatch(ISO_UTC);
      expect(Object.keys(res.body.agents).sort()).toEqual(['de-1', 'mon-1', 'mon-2']);
      for (const [id, a] of Object.entries<Record<string, any>>(res.body.agents)) {
        expect(a.id).toBe(id);
        expectAgentJson(a);
      }
    });

    it('when filtering by agent_type, then only agents of that type are listed', async () => {
      const res = await h.api.get('/agents?agent_type=monitoring').expect(200);
      expect(Object.keys(res.body.agents).sort()).toEqual(['mon-1', 'mon-2']);
      expect(res.body.count).toBe(2);
    });

    it('when filtering by status, then only agents in that status are listed', async () => {
      const res = await h.api.get('/agents?status=draining').expect(200);
      expect(Object.keys(res.body.agents)).toEqual(['mon-2']);
      const both = await h.api.get('/agents?status=active&agent_type=monitoring').expect(200);
      expect(Object.keys(both.body.agents)).toEqual(['mon-1']);
    });

    it.each([['status=sleeping'], ['agent_type=wizard'], ['status=active&status=draining']])(
      'when the filter is %s, then 400',
      async (q) => {
        expectError(await h.api.get(`/agents?${q}`), 400);
      },
    );
  });

  describe('GET /agents/:id and DELETE /agents/:id', () => {
    it('when an agent holds tasks, then GET /agents/:id includes them', async () => {
      await registerAgent(h, 'worker');
      const t1 = await submitTask(h);
      const t2 = await submitTask(h);
      expect(await h.service.coordinator.runAssignment()).toBe(2);
      const a = await getAgent(h, 'worker');
      expectAgentJson(a);
      expect(Array.isArray(a.tasks)).toBe(true);
      expect(a.tasks.map((t: { id: string }) => t.id).sort()).toEqual([t1, t2].sort());
      expect(a.current_load).toBe(20);
    });

    it('when the agent is unknown, then GET, DELETE, heartbeat and tasks answer 404', async () => {
      expectError(await h.api.get('/agents/nobody'), 404);
      expectError(await h.api.delete('/agents/nobody'), 404);
      expectError(await h.api.post('/agents/nobody/heartbeat').send({}), 404);
      expectError(await h.api.get('/agents/nobody/tasks'), 404);
    });

    it('when an agent is deleted, then its assigned and in-progress tasks return to pending and nothing else changes', async () => {
      await registerAgent(h, 'leaving', { capabilities: ['analysis'] });
      const a1 = await submitTask(h);
      const a2 = await submitTask(h);
      expect(await h.service.coordinator.runAssignment()).toBe(2);
      await setStatus(h, a2, { status: 'in_progress' }).expect(200);
      const done = await submitTask(h);
      expect(await h.service.coordinator.runAssignment()).toBe(1);
      await setStatus(h, done, { status: 'completed', result: { ok: true } }).expect(200);
      // A second agent registered afterwards, holding a task of its own.
      await registerAgent(h, 'staying', { capabilities: ['testing'] });
      const other = await submitTask(h, { task_type: 'testing' });
      expect(await h.service.coordinator.runAssignment()).toBe(1);

      const res = await h.api.delete('/agents/leaving').expect(200);
      expect(res.body.message).toEqual(expect.any(String));
      expect(res.body.timestamp).toMatch(ISO_UTC);
      expectError(await h.api.get('/agents/leaving'), 404);

      for (const id of [a1, a2]) {
        const t = await getTask(h, id);
        expect(t.status).toBe('pending');
        expect(t.assigned_agent).toBeNull();
      }
      expect((await getTask(h, done)).status).toBe('completed');
      const o = await getTask(h, other);
      expect(o).toMatchObject({ status: 'assigned', assigned_agent: 'staying' });
      const staying = await getAgent(h, 'staying');
      expect(staying.current_load).toBe(10);
      expect(staying.status).toBe('active');
    });
  });

  describe('POST /agents/:id/heartbeat', () => {
    it('when an agent sends a heartbeat, then last_heartbeat moves forward', async () => {
      await registerAgent(h, 'hb');
      const before = (await getAgent(h, 'hb')).last_heartbeat as string;
      await sleep(30);
      const res = await h.api.post('/agents/hb/heartbeat').send({}).expect(200);
      expect(res.body.agent_id).toBe('hb');
      expect(res.body.status).toBe('active');
      expect(res.body.timestamp).toMatch(ISO_UTC);
      const after = (await getAgent(h, 'hb')).last_heartbeat as string;
      expect(Date.parse(after)).toBeGreaterThan(Date.parse(before));
    });

    it('when a heartbeat has no body at all, then it is accepted', async () => {
      await registerAgent(h, 'hb');
      await h.api.post('/agents/hb/heartbeat').expect(200);
    });

    it('when current_load is reported, then it is kept as reported_load and counts for assignment', async () => {
      await registerAgent(h, 'busy', { max_capacity: 100 });
      await h.api.post('/agents/busy/heartbeat').send({ current_load: 100 }).expect(200);
      const a = await getAgent(h, 'busy');
      expect(a.reported_load).toBe(100);
      await submitTask(h);
      expect(await h.service.coordinator.runAssignment()).toBe(0);
      await h.api.post('/agents/busy/heartbeat').send({ current_load: 0 }).expect(200);
      expect((await getAgent(h, 'busy')).reported_load).toBe(0);
      expect(await h.service.coordinator.runAssignment()).toBe(1);
    });

    it('when metrics are reported, then they are stored', async () => {
      await registerAgent(h, 'm');
      await h.api
        .post('/agents/m/heartbeat')
        .send({ performance_score: 0.8, success_rate: 0.9, average_response_time: 2.5 })
        .expect(200);
      expect(await getAgent(h, 'm')).toMatchObject({ performance_score: 0.8, success_rate: 0.9, average_response_time: 2.5 });
    });

    it.each([
      [{ performance_score: 1.5 }, 'performance_score'],
      [{ performance_score: -0.1 }, 'performance_score'],
      [{ success_rate: 2 }, 'success_rate'],
      [{ success_rate: '0.5' }, 'success_rate'],
      [{ average_response_time: -1 }, 'average_response_time'],
      [{ current_load: -1 }, 'current_load'],
      [{ status: 'sleeping' }, 'status'],
    ])('when the heartbeat body is %j, then 400 naming %s', async (body, field) => {
      await registerAgent(h, 'm');
      const res = await h.api.post('/agents/m/heartbeat').send(body);
      expectError(res, 400);
      expect(detailFields(res)).toContain(field);
      expect(await getAgent(h, 'm')).toMatchObject({ performance_score: 1, success_rate: 1, status: 'active' });
    });

    it('when an agent reports draining, then it receives no new tasks but keeps the ones it holds', async () => {
      await registerAgent(h, 'drainer');
      const held = await submitTask(h);
      expect(await h.service.coordinator.runAssignment()).toBe(1);
      const res = await h.api.post('/agents/drainer/heartbeat').send({ status: 'draining' }).expect(200);
      expect(res.body.status).toBe('draining');
      const fresh = await submitTask(h);
      expect(await h.service.coordinator.runAssignment()).toBe(0);
      expect((await getTask(h, fresh)).status).toBe('pending');
      expect(await getTask(h, held)).toMatchObject({ status: 'assigned', assigned_agent: 'drainer' });
    });

    it('when an agent reports inactive, then its tasks are released and its load is zero', async () => {
      await registerAgent(h, 'quitter');
      const t = await submitTask(h);
      expect(await h.service.coordinator.runAssignment()).toBe(1);
      const res = await h.api.post('/agents/quitter/heartbeat').send({ status: 'inactive' }).expect(200);
      expect(res.body.status).toBe('inactive');
      expect(res.body.released_tasks).toEqual([t]);
      expect(res.body.assigned_tasks).toEqual([]);
      expect(await getTask(h, t)).toMatchObject({ status: 'pending', assigned_agent: null });
      const a = await getAgent(h, 'quitter');
      expect(a).toMatchObject({ status: 'inactive', current_load: 0, tasks: [] });
      expect(await h.service.coordinator.runAssignment()).toBe(0);
    });

    it('when an inactive agent sends a heartbeat without status, then it is active again and gets work', async () => {
      await registerAgent(h, 'phoenix');
      await h.api.post('/agents/phoenix/heartbeat').send({ status: 'inactive' }).expect(200);
      const t = await submitTask(h);
      expect(await h.service.coordinator.runAssignment()).toBe(0);
      const res = await h.api.post('/agents/phoenix/heartbeat').send({}).expect(200);
      expect(res.body.status).toBe('active');
      expect((await getAgent(h, 'phoenix')).status).toBe('active');
      expect(await h.service.coordinator.runAssignment()).toBe(1);
      expect((await getTask(h, t)).assigned_agent).toBe('phoenix');
    });

    it('when the agent has assigned tasks, then the heartbeat returns their ids', async () => {
      await registerAgent(h, 'poller');
      const t1 = await submitTask(h);
      const t2 = await submitTask(h);
      expect(await h.service.coordinator.runAssignment()).toBe(2);
      await setStatus(h, t2, { status: 'in_progress' }).expect(200);
      const res = await h.api.post('/agents/poller/heartbeat').send({}).expect(200);
      expect(res.body.assigned_tasks).toEqual([t1]);
    });
  });

  describe('GET /agents/:id/tasks', () => {
    let assigned: string;
    let inProgress: string;
    let delegated: string;
    let completed: string;
    beforeEach(async () => {
      await registerAgent(h, 'w');
      assigned = await submitTask(h);
      inProgress = await submitTask(h);
      delegated = await submitTask(h);
      completed = await submitTask(h);
      expect(await h.service.coordinator.runAssignment()).toBe(4);
      await setStatus(h, inProgress, { status: 'in_progress' }).expect(200);
      await setStatus(h, delegated, { status: 'delegated' }).expect(200);
      await setStatus(h, completed, { status: 'completed', result: 'done' }).expect(200);
    });

    it('when no status is given, then the assigned, in-progress and delegated tasks are listed', async () => {
      const res = await h.api.get('/agents/w/tasks').expect(200);
      expect(res.body.agent_id).toBe('w');
      expect(res.body.count).toBe(3);
      expect(res.body.tasks.map((t: { id: string }) => t.id).sort()).toEqual([assigned, inProgress, delegated].sort());
      for (const t of res.body.tasks) {
        expect(t.assigned_agent).toBe('w');
        expect(t.created_at).toMatch(ISO_UTC);
        expect(typeof t.priority).toBe('number');
      }
    });

    it('when ?status=completed, then the completed tasks of that agent are listed', async () => {
      const res = await h.api.get('/agents/w/tasks?status=completed').expect(200);
      expect(res.body.tasks.map((t: { id: string }) => t.id)).toEqual([completed]);
      expect(res.body.tasks[0].status).toBe('completed');
    });

    it('when ?status=assigned, then only assigned tasks are listed', async () => {
      const res = await h.api.get('/agents/w/tasks?status=assigned').expect(200);
      expect(res.body.tasks.map((t: { id: string }) => t.id)).toEqual([assigned]);
    });

    it('when the status filter is not a task status, then 400', async () => {
      expectError(await h.api.get('/agents/w/tasks?status=finished'), 400);
    });
  });
});
