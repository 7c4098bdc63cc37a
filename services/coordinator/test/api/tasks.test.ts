import { describe, expect, it } from 'vitest';
import { backends, taskBody, type Harness, useHarness } from '../support/harness.js';
import { ISO_UTC, detailFields, expectError, getAgent, getTask, registerAgent, setStatus, sleep, submitTask } from './helpers.js';

/** The task submission example of the reference documentation, verbatim. */
const DOCUMENTED_TASK = {
  task_type: 'analysis',
  priority: 3,
  description: 'Analyze system performance trends',
  requirements: {
    complexity: 'high',
    resources: { cpu: 2.0, memory: 4.0 },
  },
  dependencies: ['task_001', 'task_002'],
  deadline: '2024-01-15T10:00:00Z',
  estimated_duration: 1800.0,
};

describe.each(backends)('tasks API on %s', (backend) => {
  let h: Harness;
  useHarness(backend, (created) => (h = created));

  /** Assigns what can be assigned and returns the ids of the tasks the agent now holds in `assigned`. */
  async function assignedTo(agentId: string): Promise<string[]> {
    await h.service.coordinator.runAssignment();
    const res = await h.api.get(`/agents/${agentId}/tasks?status=assigned`).expect(200);
    return res.body.tasks.map((t: { id: string }) => t.id);
  }

  describe('POST /tasks', () => {
    it('when the documented submission body is posted, then 200 {message, task_id, timestamp} and the task is stored as sent', async () => {
      const res = await h.api.post('/tasks').send(DOCUMENTED_TASK).expect(200);
      expect(res.body).toEqual({ message: expect.any(String), task_id: expect.any(String), timestamp: expect.stringMatching(ISO_UTC) });
      expect(res.body.task_id.length).toBeGreaterThan(0);
      const t = await getTask(h, res.body.task_id);
      expect(t).toMatchObject({
        id: res.body.task_id,
        task_type: 'analysis',
        priority: 3,
        description: 'Analyze system performance trends',
        requirements: { complexity: 'high', resources: { cpu: 2, memory: 4 } },
        dependencies: ['task_001', 'task_002'],
        deadline: '2024-01-15T10:00:00.000Z',
        estimated_duration: 1800,
        status: 'pending',
        assigned_agent: null,
        retry_count: 0,
        max_retries: 3,
        result: null,
        error_message: null,
        assigned_at: null,
        started_at: null,
        completed_at: null,
      });
      expect(t.created_at).toMatch(ISO_UTC);
    });

    it('when an id is given, then it is used', async () => {
      const res = await h.api.post('/tasks').send(taskBody({ id: 'task_001' })).expect(200);
      expect(res.body.task_id).toBe('task_001');
      expect((await getTask(h, 'task_001')).id).toBe('task_001');
    });

    it('when the id already exists, then 409 and the first task is kept', async () => {
      await h.api.post('/tasks').send(taskBody({ id: 'dup', description: 'first' })).expect(200);
      expectError(await h.api.post('/tasks').send(taskBody({ id: 'dup', description: 'second' })), 409);
      expect((await getTask(h, 'dup')).description).toBe('first');
    });

    it('when the same id is posted concurrently, then exactly one gets 200 and the others 409', async () => {
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => h.api.post('/tasks').send(taskBody({ id: 'race', description: `attempt ${i}` }))),
      );
      const statuses = results.map((r) => r.status).sort();
      expect(statuses).toEqual([200, 409, 409, 409, 409, 409, 409, 409]);
      const list = await h.api.get('/tasks').expect(200);
      expect(list.body.total).toBe(1);
    });

    it('when different ids are posted concurrently, then all are stored', async () => {
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => h.api.post('/tasks').send(taskBody({ id: `par-${i}` }))));
      expect(results.map((r) => r.status)).toEqual(Array(10).fill(200));
      expect((await h.api.get('/tasks').expect(200)).body.total).toBe(10);
    });

    it.each([
      ['low', 1],
      ['high', 3],
      ['critical', 4],
      [' Emergency ', 5],
    ])('when priority is the name %j, then it is accepted and serialised as the integer %i', async (name, value) => {
      const id = await submitTask(h, { priority: name });
      const t = await getTask(h, id);
      expect(t.priority).toBe(value);
      const list = await h.api.get('/tasks').expect(200);
      expect(list.body.tasks[id].priority).toBe(value);
    });

    const { description: _d, ...withoutDescription } = DOCUMENTED_TASK;
    const invalid: Array<[string, object, string]> = [
      ['priority is 0', { ...DOCUMENTED_TASK, priority: 0 }, 'priority'],
      ['priority is 6', { ...DOCUMENTED_TASK, priority: 6 }, 'priority'],
      ['priority is 2.5', { ...DOCUMENTED_TASK, priority: 2.5 }, 'priority'],
      ["priority is 'urgent'", { ...DOCUMENTED_TASK, priority: 'urgent' }, 'priority'],
      ['task_type is unknown', { ...DOCUMENTED_TASK, task_type: 'knitting' }, 'task_type'],
      ["deadline is 'tomorrow'", { ...DOCUMENTED_TASK, deadline: 'tomorrow' }, 'deadline'],
      ["deadline is '2024-13-45'", { ...DOCUMENTED_TASK, deadline: '2024-13-45' }, 'deadline'],
      ["deadline is in year 0", { ...DOCUMENTED_TASK, deadline: '0000-01-01T00:00:00Z' }, 'deadline'],
      ["deadline is February 30", { ...DOCUMENTED_TASK, deadline: '2024-02-30T10:00:00Z' }, 'deadline'],
      ["deadline has hour 25", { ...DOCUMENTED_TASK, deadline: '2024-02-01T25:00:00Z' }, 'deadline'],
      ['estimated_duration is negative', { ...DOCUMENTED_TASK, estimated_duration: -1 }, 'estimated_duration'],
      ['requirements.load is negative', { ...DOCUMENTED_TASK, requirements: { load: -5 } }, 'requirements.load'],
      ['dependencies is not an array', { ...DOCUMENTED_TASK, dependencies: 'task_001' }, 'dependencies'],
      ['description is missing', withoutDescription, 'description'],
    ];
    it.each(invalid)('when %s, then 400 naming the field and nothing is stored', async (_case, body, field) => {
      const res = await h.api.post('/tasks').send(body);
      expectError(res, 400);
      expect(detailFields(res)).toContain(field);
      expect((await h.api.get('/tasks').expect(200)).body.total).toBe(0);
    });
  });

  describe('GET /tasks', () => {
    it('when listing, then {tasks: {id: task}, count, total, next_cursor, timestamp}', async () => {
      const a = await submitTask(h);
      const b = await submitTask(h, { task_type: 'testing' });
      const res = await h.api.get('/tasks').expect(200);
      expect(res.body).toMatchObject({ count: 2, total: 2, next_cursor: null, timestamp: expect.stringMatching(ISO_UTC) });
      expect(Object.keys(res.body.tasks).sort()).toEqual([a, b].sort());
      for (const [id, t] of Object.entries<Record<string, any>>(res.body.tasks)) {
        expect(t.id).toBe(id);
        expect(typeof t.status).toBe('string');
        expect(typeof t.priority).toBe('number');
        expect(t.created_at).toMatch(ISO_UTC);
      }
    });

    it('when filtering by status, task_type and assigned_agent, then only matching tasks are listed', async () => {
      await registerAgent(h, 'analyst', { capabilities: ['analysis'] });
      const a1 = await submitTask(h);
      const a2 = await submitTask(h);
      const t1 = await submitTask(h, { task_type: 'testing' });
      expect(await h.service.coordinator.runAssignment()).toBe(2);
      await setStatus(h, a2, { status: 'completed' }).expect(200);

      const byStatus = await h.api.get('/tasks?status=pending').expect(200);
      expect(Object.keys(byStatus.body.tasks)).toEqual([t1]);
      expect(byStatus.body.total).toBe(1);
      const byType = await h.api.get('/tasks?task_type=analysis').expect(200);
      expect(Object.keys(byType.body.tasks).sort()).toEqual([a1, a2].sort());
      const byAgent = await h.api.get('/tasks?assigned_agent=analyst').expect(200);
      expect(Object.keys(byAgent.body.tasks).sort()).toEqual([a1, a2].sort());
      const combined = await h.api.get('/tasks?assigned_agent=analyst&status=assigned').expect(200);
      expect(Object.keys(combined.body.tasks)).toEqual([a1]);
      const none = await h.api.get('/tasks?assigned_agent=nobody').expect(200);
      expect(none.body).toMatchObject({ count: 0, total: 0, tasks: {} });
    });

    it('when walking pages of ?limit=2 by next_cursor, then every task is seen exactly once', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push(await submitTask(h, { id: `page-${i}` }));
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const url: string = cursor ? `/tasks?limit=2&cursor=${encodeURIComponent(cursor)}` : '/tasks?limit=2';
        const res = await h.api.get(url).expect(200);
        expect(res.body.total).toBe(5);
        expect(res.body.count).toBeLessThanOrEqual(2);
        expect(res.body.count).toBe(Object.keys(res.body.tasks).length);
        seen.push(...Object.keys(res.body.tasks));
        cursor = res.body.next_cursor;
        pages++;
        expect(pages).toBeLessThanOrEqual(5);
      } while (cursor);
      expect(pages).toBe(3);
      expect(seen.length).toBe(5);
      expect([...seen].sort()).toEqual([...ids].sort());
    });

    it.each([['cursor=not-a-cursor!'], ['cursor=' + Buffer.from('abc').toString('base64url')], ['limit=0'], ['limit=-1'], ['limit=abc'], ['status=done'], ['task_type=knitting']])(
      'when the query is %s, then 400',
      async (q) => {
        expectError(await h.api.get(`/tasks?${q}`), 400);
      },
    );

    it('when limit is above the maximum page size, then 400', async () => {
      const max = h.config.coordinator.tasks.max_page_size;
      expectError(await h.api.get(`/tasks?limit=${max + 1}`), 400);
      await h.api.get(`/tasks?limit=${max}`).expect(200);
    });

    it('when the task is unknown, then GET /tasks/:id answers 404', async () => {
      expectError(await h.api.get('/tasks/no-such-task'), 404);
    });
  });

  describe('PUT /tasks/:id/status', () => {
    it('when a worker runs a task assigned -> in_progress -> completed, then times, duration, load and agent metrics are recorded', async () => {
      const alpha = h.config.coordinator.agents.metrics_smoothing;
      await registerAgent(h, 'worker', { capabilities: ['analysis'] });
      await h.api.post('/agents/worker/heartbeat').send({ success_rate: 0.5, performance_score: 0.5, average_response_time: 10 }).expect(200);
      const id = await submitTask(h, { requirements: { load: 7.5 }, estimated_duration: 1800 });
      expect(await assignedTo('worker')).toEqual([id]);
      const assigned = await getTask(h, id);
      expect(assigned.assigned_at).toMatch(ISO_UTC);
      expect((await getAgent(h, 'worker')).current_load).toBe(7.5);

      const started = await setStatus(h, id, { status: 'in_progress' }).expect(200);
      expect(started.body).toMatchObject({ task_id: id, status: 'in_progress', changed: true });
      expect(started.body.task.started_at).toMatch(ISO_UTC);
      await sleep(50);
      const done = await setStatus(h, id, { status: 'completed', result: { findings: ['cpu spike'], score: 0.93 } }).expect(200);
      expect(done.body).toMatchObject({ task_id: id, status: 'completed', changed: true, timestamp: expect.stringMatching(ISO_UTC) });

      const t = await getTask(h, id);
      expect(t.status).toBe('completed');
      expect(t.result).toEqual({ findings: ['cpu spike'], score: 0.93 });
      expect(t.completed_at).toMatch(ISO_UTC);
      expect(Date.parse(t.completed_at)).toBeGreaterThanOrEqual(Date.parse(t.started_at));
      expect(t.actual_duration).toBeGreaterThanOrEqual(0.04);
      expect(t.actual_duration).toBeLessThan(30);
      expect(t.actual_duration).toBeCloseTo((Date.parse(t.completed_at) - Date.parse(t.started_at)) / 1000, 2);

      const a = await getAgent(h, 'worker');
      expect(a.current_load).toBe(0);
      expect(a.tasks).toEqual([]);
      expect(a.tasks_completed).toBe(1);
      expect(a.success_rate).toBeCloseTo((1 - alpha) * 0.5 + alpha * 1, 6);
      // Finished well inside the estimate: quality 1.
      expect(a.performance_score).toBeCloseTo((1 - alpha) * 0.5 + alpha * 1, 6);
      // First outcome of this agent: the response time is taken as measured.
      expect(a.average_response_time).toBeCloseTo(t.actual_duration, 6);
    });

    it('when many tasks complete, then the agent load returns exactly to zero', async () => {
      await registerAgent(h, 'worker', { capabilities: ['analysis'] });
      const loads = [0.1, 0.2, 3.3, 10, 7.7];
      const ids: string[] = [];
      for (const load of loads) ids.push(await submitTask(h, { requirements: { load } }));
      expect(await h.service.coordinator.runAssignment()).toBe(5);
      expect((await getAgent(h, 'worker')).current_load).toBeCloseTo(21.3, 9);
      for (const id of ids) {
        await setStatus(h, id, { status: 'in_progress' }).expect(200);
        await setStatus(h, id, { status: 'completed' }).expect(200);
      }
      expect((await getAgent(h, 'worker')).current_load).toBe(0);
    });

    it('when a task fails with retries left, then it goes back to pending with retry_count + 1 and the error message', async () => {
      await registerAgent(h, 'worker', { capabilities: ['analysis'] });
      const id = await submitTask(h);
      expect(await assignedTo('worker')).toEqual([id]);
      await setStatus(h, id, { status: 'in_progress' }).expect(200);
      const res = await setStatus(h, id, { status: 'failed', error_message: 'disk full' }).expect(200);
      expect(res.body).toMatchObject({ status: 'pending', changed: true });
      const t = await getTask(h, id);
      expect(t).toMatchObject({ status: 'pending', retry_count: 1, error_message: 'disk full', assigned_agent: null });
      const a = await getAgent(h, 'worker');
      expect(a.current_load).toBe(0);
      expect(a.tasks_failed).toBe(1);
      expect(a.success_rate).toBeLessThan(1);
      // The retry is assignable again.
      expect(await assignedTo('worker')).toEqual([id]);
    });

    it('when a task fails max_retries + 1 times, then it stays failed', async () => {
      await registerAgent(h, 'worker', { capabilities: ['analysis'] });
      const id = await submitTask(h, { max_retries: 2 });
      for (let attempt = 1; attempt <= 3; attempt++) {
        expect(await assignedTo('worker')).toEqual([id]);
        await setStatus(h, id, { status: 'in_progress' }).expect(200);
        const res = await setStatus(h, id, { status: 'failed', error_message: `attempt ${attempt} failed` }).expect(200);
        expect(res.body.status).toBe(attempt <= 2 ? 'pending' : 'failed');
      }
      const t = await getTask(h, id);
      expect(t).toMatchObject({ status: 'failed', retry_count: 2, max_retries: 2, error_message: 'attempt 3 failed' });
      expect(t.completed_at).toMatch(ISO_UTC);
      expect(await h.service.coordinator.runAssignment()).toBe(0);
      expect((await getAgent(h, 'worker')).current_load).toBe(0);
    });

    it('when a task fails with the default max_retries, then it is retried three times', async () => {
      const id = await submitTask(h);
      for (let i = 1; i <= 3; i++) expect((await setStatus(h, id, { status: 'failed' }).expect(200)).body.status).toBe('pending');
      expect((await setStatus(h, id, { status: 'failed' }).expect(200)).body.status).toBe('failed');
      expect((await getTask(h, id)).retry_count).toBe(3);
    });

    it('when the same status is set again, then 200 with changed: false and nothing changes', async () => {
      await registerAgent(h, 'worker', { capabilities: ['analysis'] });
      const id = await submitTask(h);
      await h.service.coordinator.runAssignment();
      await setStatus(h, id, { status: 'in_progress' }).expect(200);
      const before = await getTask(h, id);
      const res = await setStatus(h, id, { status: 'in_progress' }).expect(200);
      expect(res.body).toMatchObject({ status: 'in_progress', changed: false });
      expect(await getTask(h, id)).toEqual(before);
      await setStatus(h, id, { status: 'completed' }).expect(200);
      const again = await setStatus(h, id, { status: 'completed' }).expect(200);
      expect(again.body.changed).toBe(false);
      const p = await submitTask(h, { task_type: 'testing' });
      expect((await setStatus(h, p, { status: 'pending' }).expect(200)).body.changed).toBe(false);
    });

    it('when a transition is illegal, then 409 and the task is unchanged', async () => {
      await registerAgent(h, 'worker', { capabilities: ['analysis'] });
      const completed = await submitTask(h);
      const running = await submitTask(h);
      await h.service.coordinator.runAssignment();
      await setStatus(h, completed, { status: 'completed' }).expect(200);
      await setStatus(h, running, { status: 'in_progress' }).expect(200);
      const cancelled = await submitTask(h, { task_type: 'testing' });
      await setStatus(h, cancelled, { status: 'cancelled' }).expect(200);
      const pending = await submitTask(h, { task_type: 'testing' });

      const cases: Array<[string, string, string]> = [
        [completed, 'in_progress', 'completed'],
        [completed, 'pending', 'completed'],
        [cancelled, 'pending', 'cancelled'],
        [cancelled, 'completed', 'cancelled'],
        [pending, 'in_progress', 'pending'],
        [pending, 'delegated', 'pending'],
        [pending, 'assigned', 'pending'],
        [running, 'assigned', 'in_progress'],
        [running, 'pending', 'in_progress'],
      ];
      for (const [id, to, from] of cases) {
        const res = await setStatus(h, id, { status: to });
        expectError(res, 409);
        expect((await getTask(h, id)).status).toBe(from);
      }
    });

    it('when the status value is invalid, then 400', async () => {
      const id = await submitTask(h);
      for (const body of [{ status: 'done' }, { status: 3 }, {}, { status: 'completed', error_message: 42 }]) {
        const res = await setStatus(h, id, body);
        expectError(res, 400);
      }
      expect((await getTask(h, id)).status).toBe('pending');
    });

    it('when the task is unknown, then 404', async () => {
      expectError(await setStatus(h, 'ghost-task', { status: 'completed' }), 404);
    });

    it('when completed straight from pending, then it is completed with duration 0', async () => {
      const id = await submitTask(h, { task_type: 'testing' });
      await setStatus(h, id, { status: 'completed', result: 42 }).expect(200);
      expect(await getTask(h, id)).toMatchObject({ status: 'completed', actual_duration: 0, result: 42 });
    });
  });

  describe('assignment', () => {
    it('when a dependency is not completed, then the dependent task is not assigned until it is', async () => {
      await registerAgent(h, 'worker', { capabilities: ['analysis'] });
      const first = await submitTask(h, { id: 'first' });
      const second = await submitTask(h, { id: 'second', dependencies: [first], priority: 5 });
      expect(await h.service.coordinator.runAssignment()).toBe(1);
      expect((await getTask(h, first)).status).toBe('assigned');
      expect((await getTask(h, second)).status).toBe('pending');
      await setStatus(h, first, { status: 'in_progress' }).expect(200);
      expect(await h.service.coordinator.runAssignment()).toBe(0);
      expect((await getTask(h, second)).status).toBe('pending');
      await setStatus(h, first, { status: 'completed' }).expect(200);
      expect(await h.service.coordinator.runAssignment()).toBe(1);
      expect(await getTask(h, second)).toMatchObject({ status: 'assigned', assigned_agent: 'worker' });
    });

    it('when a dependency does not exist or failed, then the dependent task stays pending', async () => {
      await registerAgent(h, 'worker', { capabilities: ['analysis'] });
      const failed = await submitTask(h, { task_type: 'testing', max_retries: 0 });
      await setStatus(h, failed, { status: 'failed' }).expect(200);
      const orphan = await submitTask(h, { dependencies: ['task_001'] });
      const blocked = await submitTask(h, { dependencies: [failed] });
      expect(await h.service.coordinator.runAssignment()).toBe(0);
      expect((await getTask(h, orphan)).status).toBe('pending');
      expect((await getTask(h, blocked)).status).toBe('pending');
    });

    /** Completes whatever the single-slot agent holds, then assigns the next task; returns its id. */
    async function nextAssigned(agentId: string): Promise<string> {
      const held = await h.api.get(`/agents/${agentId}/tasks`).expect(200);
      for (const t of held.body.tasks) await setStatus(h, t.id, { status: 'completed' }).expect(200);
      expect(await h.service.coordinator.runAssignment()).toBe(1);
      const now = await h.api.get(`/agents/${agentId}/tasks?status=assigned`).expect(200);
      expect(now.body.tasks).toHaveLength(1);
      return now.body.tasks[0].id;
    }

    it('when one slot is free, then the higher-priority task is assigned first even if submitted later', async () => {
      await registerAgent(h, 'single', { capabilities: ['analysis'], max_capacity: 10 });
      await submitTask(h, { id: 'low', priority: 1 });
      await submitTask(h, { id: 'medium', priority: 2 });
      await submitTask(h, { id: 'urgent', priority: 5 });
      await submitTask(h, { id: 'high', priority: 'high' });
      expect(await nextAssigned('single')).toBe('urgent');
      expect(await nextAssigned('single')).toBe('high');
      expect(await nextAssigned('single')).toBe('medium');
      expect(await nextAssigned('single')).toBe('low');
    });

    it('when priorities are equal, then the earlier deadline goes first and tasks with a deadline go before those without', async () => {
      await registerAgent(h, 'single', { capabilities: ['analysis'], max_capacity: 10 });
      const inDays = (d: number) => new Date(Date.now() + d * 86_400_000).toISOString();
      // Submitted in the reverse of the expected order, one after the other.
      await submitTask(h, { id: 'no-deadline', priority: 3 });
      await submitTask(h, { id: 'late', priority: 3, deadline: inDays(3) });
      await submitTask(h, { id: 'early', priority: 3, deadline: inDays(1) });
      expect(await nextAssigned('single')).toBe('early');
      expect(await nextAssigned('single')).toBe('late');
      expect(await nextAssigned('single')).toBe('no-deadline');
    });

    it('when a task needs more resources than the agent offers, then it is not assigned to it', async () => {
      await registerAgent(h, 'small', { capabilities: ['analysis'], resources: { cpu: 1, memory: 2 } });
      await registerAgent(h, 'big', { capabilities: ['analysis'], resources: { cpu: 8, memory: 16 } });
      const id = await submitTask(h, { requirements: { resources: { cpu: 2, memory: 4 } } });
      expect(await h.service.coordinator.runAssignment()).toBe(1);
      expect((await getTask(h, id)).assigned_agent).toBe('big');
    });
  });
});
