import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Test } from 'supertest';
import { agentBody, backends, closeHarness, createHarness, taskBody, type Harness } from '../support/harness.js';
import { expectClientError, expectError, getAgent, getTask } from './helpers.js';

const LONG_ID = 'x'.repeat(10_000);
const SQLISH = "x'; DROP TABLE tasks; --";

/** `{"a":{"a":…1…}}` nested `depth` levels. */
const nested = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

describe.each(backends)('hostile input on %s', (backend) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(backend);
    await h.api.post('/agents').send(agentBody('target', { capabilities: ['analysis'] })).expect(200);
    await h.api.post('/tasks').send(taskBody({ id: 'victim' })).expect(200);
  });
  afterAll(async () => closeHarness(h));

  /** Posts a raw string as application/json. */
  const rawJson = (method: 'post' | 'put', url: string, text: string): Test =>
    h.api[method](url).set('Content-Type', 'application/json').send(text);

  describe('malformed JSON', () => {
    it.each([
      ['{bad'],
      ['{"task_type": "analysis", '],
      ['{"task_type":"analysis","priority":3,"description":"x"} trailing garbage'],
      ['{"a":1}{"b":2}'],
      ["{'single': 'quotes'}"],
      ['{"a": undefined}'],
      ['{"a": NaN}'],
      ['{"a": Infinity}'],
      ['{"a": 0x10}'],
      ['\u0000'],
    ])('when POST /tasks gets %j, then 400', async (text) => {
      expectError(await rawJson('post', '/tasks', text), 400);
    });

    it.each([['"a JSON string"'], ['42'], ['null'], ['true']])('when the JSON body is the scalar %s, then 400', async (text) => {
      expectError(await rawJson('post', '/tasks', text), 400);
      expectError(await rawJson('post', '/agents', text), 400);
      expectError(await rawJson('put', '/tasks/victim/status', text), 400);
    });

    it('when the JSON body is an array, then 400', async () => {
      expectError(await rawJson('post', '/tasks', JSON.stringify([taskBody()])), 400);
      expectError(await rawJson('post', '/agents/target/heartbeat', '[]'), 400);
    });

    it('when the JSON body is empty with a JSON content type, then 400 naming the required fields', async () => {
      const res = await h.api.post('/tasks').set('Content-Type', 'application/json');
      expectError(res, 400);
    });
  });

  describe('wrong types and values', () => {
    it('when every agent field has the wrong type, then 400 naming each of them', async () => {
      const res = await h.api.post('/agents').send({ id: 1, agent_type: ['decision_engine'], name: {}, capabilities: [1, 2], max_capacity: true, specializations: 'x', resources: [] });
      expectError(res, 400);
      const fields = res.body.details.map((d: { field: string }) => d.field.split('.')[0]);
      for (const f of ['id', 'agent_type', 'name', 'capabilities', 'max_capacity', 'specializations', 'resources']) expect(fields).toContain(f);
    });

    it('when every task field has the wrong type, then 400 naming each of them', async () => {
      const res = await h.api
        .post('/tasks')
        .send({ id: 7, task_type: 1, priority: {}, description: 5, requirements: [], dependencies: [1], deadline: 12345, estimated_duration: '1800', max_retries: 'three' });
      expectError(res, 400);
      const fields = res.body.details.map((d: { field: string }) => d.field.split('.')[0]);
      for (const f of ['id', 'task_type', 'priority', 'description', 'requirements', 'dependencies', 'deadline', 'estimated_duration', 'max_retries']) {
        expect(fields).toContain(f);
      }
    });

    it.each([
      ['max_capacity', '1e400'],
      ['max_capacity', '-1'],
      ['max_capacity', '"NaN"'],
      ['max_capacity', '1e308'],
    ])('when agent %s is %s, then 400', async (field, value) => {
      const body = JSON.stringify(agentBody('numbers')).replace(/"max_capacity":100/, `"${field}":${value}`);
      expectError(await rawJson('post', '/agents', body), 400);
    });

    it.each([
      ['priority', '1e400'],
      ['priority', '-1'],
      ['priority', '"NaN"'],
      ['priority', '3.0000001'],
      ['estimated_duration', '1e400'],
      ['estimated_duration', '-1'],
      ['estimated_duration', '"NaN"'],
      ['max_retries', '1e400'],
      ['max_retries', '-1'],
    ])('when task %s is %s, then 400', async (field, value) => {
      const base: Record<string, unknown> = { ...taskBody(), priority: 3, estimated_duration: 1 };
      const body = JSON.stringify(base).replace(new RegExp(`"${field}":[^,}]+|}$`), (m) => (m === '}' ? `,"${field}":${value}}` : `"${field}":${value}`));
      expectError(await rawJson('post', '/tasks', body), 400);
    });

    it.each([['{"load": 1e400}'], ['{"load": -1}'], ['{"load": "NaN"}'], ['{"resources": {"cpu": 1e400}}'], ['{"resources": {"cpu": -2}}'], ['{"resources": [1, 2]}']])(
      'when requirements is %s, then 400',
      async (req) => {
        const body = `{"task_type":"analysis","priority":3,"description":"x","requirements":${req}}`;
        expectError(await rawJson('post', '/tasks', body), 400);
      },
    );

    it.each([['{"current_load": 1e400}'], ['{"performance_score": "NaN"}'], ['{"success_rate": 1e-400, "average_response_time": 1e400}']])(
      'when a heartbeat carries %s, then 400',
      async (text) => {
        expectError(await rawJson('post', '/agents/target/heartbeat', text), 400);
      },
    );

    it('when enum values are unknown, then 400 everywhere', async () => {
      expectError(await h.api.post('/agents').send(agentBody('enum-agent', { agent_type: 'DECISION_ENGINE' })), 400);
      expectError(await h.api.post('/tasks').send(taskBody({ task_type: 'Analysis' })), 400);
      expectError(await h.api.put('/tasks/victim/status').send({ status: 'exploded' }), 400);
      expectError(await h.api.post('/agents/target/heartbeat').send({ status: 'zombie' }), 400);
      expectError(await h.api.get('/tasks?status=PENDING'), 400);
      expectError(await h.api.get('/agents?agent_type=__proto__'), 400);
    });
  });

  describe('ids', () => {
    it.each([['empty', ''], ['10,000 characters', LONG_ID], ['SQL-ish', SQLISH], ['with a slash', 'a/b'], ['with a NUL', 'a\u0000b'], ['with an emoji', 'agent-🤖']])(
      'when a body id is %s, then 400 and nothing is stored',
      async (_case, id) => {
        expectError(await h.api.post('/agents').send(agentBody(id)), 400);
        expectError(await h.api.post('/tasks').send(taskBody({ id })), 400);
        expectError(await h.api.post('/tasks').send(taskBody({ dependencies: [id] })), 400);
        expectError(await h.api.get(`/tasks?assigned_agent=${encodeURIComponent(id)}`), 400);
      },
    );

    it('when a path id is 10,000 characters, then 400 on every route', async () => {
      expectError(await h.api.get(`/agents/${LONG_ID}`), 400);
      expectError(await h.api.delete(`/agents/${LONG_ID}`), 400);
      expectError(await h.api.post(`/agents/${LONG_ID}/heartbeat`).send({}), 400);
      expectError(await h.api.get(`/agents/${LONG_ID}/tasks`), 400);
      expectError(await h.api.get(`/tasks/${LONG_ID}`), 400);
      expectError(await h.api.put(`/tasks/${LONG_ID}/status`).send({ status: 'completed' }), 400);
      expectError(await h.api.get(`/conflicts/${LONG_ID}`), 400);
      expectError(await h.api.post(`/consensus/${LONG_ID}/votes`).send({ agent_id: 'target', vote: true }), 400);
      expectError(await h.api.get(`/collaborations/${LONG_ID}`), 400);
      expectError(await h.api.post(`/collaborations/${LONG_ID}/solutions`).send({ agent_id: 'target', solution: {} }), 400);
    });

    it('when a path id is empty, then a JSON 4xx', async () => {
      expectClientError(await h.api.put('/tasks//status').send({ status: 'completed' }));
      expectClientError(await h.api.post('/agents//heartbeat').send({}));
      expectClientError(await h.api.delete('/agents/'));
      expectClientError(await h.api.get('/agents//tasks'));
    });

    it('when a path id is SQL-ish, then 404 and the tables are intact', async () => {
      expectError(await h.api.get(`/tasks/${encodeURIComponent(SQLISH)}`), 404);
      expectError(await h.api.get(`/agents/${encodeURIComponent("' OR '1'='1")}`), 404);
      expectError(await h.api.put(`/tasks/${encodeURIComponent("victim' OR '1'='1")}/status`).send({ status: 'cancelled' }), 404);
      expect((await getTask(h, 'victim')).status).toBe('pending');
    });

    it('when the path has bad URL encoding, then 400', async () => {
      expectError(await h.api.get('/agents/%E0%A4%A'), 400);
      expectError(await h.api.get('/tasks/%'), 400);
      expectError(await h.api.put('/tasks/%FF/status').send({ status: 'completed' }), 400);
    });
  });

  describe('bodies', () => {
    it('when the body is over 1 MB, then 413', async () => {
      const big = JSON.stringify(taskBody({ description: 'x'.repeat(1_100_000) }));
      expectError(await rawJson('post', '/tasks', big), 413);
    });

    it('when the body is text/plain, then 415', async () => {
      expectError(await h.api.post('/tasks').set('Content-Type', 'text/plain').send(JSON.stringify(taskBody())), 415);
    });

    it('when the body is form-encoded, then 415', async () => {
      expectError(await h.api.post('/tasks').type('form').send({ task_type: 'analysis', priority: '3', description: 'x' }), 415);
      expectError(await h.api.post('/agents').type('form').send({ agent_type: 'decision_engine', name: 'x' }), 415);
    });

    it('when the JSON body declares a non-UTF charset, then 415', async () => {
      expectError(await h.api.post('/tasks').set('Content-Type', 'application/json; charset=iso-8859-1').send(JSON.stringify(taskBody())), 415);
    });

    it('when requirements are nested 5000 levels deep, then a JSON 4xx and the service keeps working', async () => {
      const body = `{"task_type":"analysis","priority":3,"description":"deep","requirements":${nested(5000)}}`;
      expectClientError(await rawJson('post', '/tasks', body));
      await h.api.get('/health').expect(200);
      await h.api.get('/tasks?limit=1').expect(200);
    });

    it('when a task result is nested 5000 levels deep, then a JSON 4xx and the task is unchanged', async () => {
      const id = (await h.api.post('/tasks').send(taskBody({ task_type: 'testing' })).expect(200)).body.task_id as string;
      expectClientError(await rawJson('put', `/tasks/${id}/status`, `{"status":"completed","result":${nested(5000)}}`));
      expect((await getTask(h, id)).status).toBe('pending');
    });

    it('when bodies carry __proto__ and constructor keys, then no prototype is polluted and nothing fails', async () => {
      const agent = `{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},"id":"proto-agent","agent_type":"decision_engine","name":"p","capabilities":["analysis"],"resources":{"__proto__":{"cpu":1000}}}`;
      const res = await rawJson('post', '/agents', agent);
      expect(res.status).toBeLessThan(500);
      const task = `{"task_type":"analysis","priority":3,"description":"p","requirements":{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}}}}`;
      const t = await rawJson('post', '/tasks', task);
      expect(t.status).toBeLessThan(500);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined();
      if (res.status === 200) {
        const a = await getAgent(h, 'proto-agent');
        expect(a.resource_requirements.cpu).toBeUndefined();
      }
      await h.api.get('/agents').expect(200);
    });
  });

  describe('text content', () => {
    it('when names and descriptions contain unicode and emoji, then they are stored verbatim', async () => {
      const name = 'Агент 🤖 エージェント — naïve “quotes”';
      await h.api.post('/agents').send(agentBody('unicode-agent', { name, capabilities: ['анализ', '分析'] })).expect(200);
      const a = await getAgent(h, 'unicode-agent');
      expect(a.name).toBe(name);
      expect(a.capabilities).toEqual(['анализ', '分析']);
      const description = '数据分析 📊 ZWJ 👩‍💻 RTL مرحبا combining é';
      const res = await h.api.post('/tasks').send(taskBody({ description, requirements: { 'ключ 🔑': 'значение' } })).expect(200);
      const t = await getTask(h, res.body.task_id);
      expect(t.description).toBe(description);
      expect(t.requirements).toEqual({ 'ключ 🔑': 'значение' });
    });

    it('when descriptions contain SQL-ish text, then it is stored verbatim', async () => {
      const description = "'; DROP TABLE tasks; -- \" OR 1=1; SELECT pg_sleep(10); $$ \\x00 %s %n";
      const res = await h.api.post('/tasks').send(taskBody({ description, requirements: { "'; DELETE FROM agents; --": 1 } })).expect(200);
      const t = await getTask(h, res.body.task_id);
      expect(t.description).toBe(description);
      expect(t.requirements).toEqual({ "'; DELETE FROM agents; --": 1 });
      expect((await getTask(h, 'victim')).id).toBe('victim');
      await getAgent(h, 'target');
    });

    it.each([
      ['a NUL character in a task description', () => h.api.post('/tasks').send(taskBody({ description: 'before\u0000after' }))],
      ['a NUL character in an agent name', () => h.api.post('/agents').send(agentBody('nul-name', { name: 'bad\u0000name' }))],
      ['a NUL character in a capability', () => h.api.post('/agents').send(agentBody('nul-cap', { capabilities: ['ana\u0000lysis'] }))],
      ['a NUL character in a requirements key', () => h.api.post('/tasks').send(taskBody({ requirements: { 'k\u0000': 1 } }))],
      [
        'a NUL character in a task result',
        async () => {
          const id = (await h.api.post('/tasks').send(taskBody({ task_type: 'testing' })).expect(200)).body.task_id as string;
          return h.api.put(`/tasks/${id}/status`).send({ status: 'completed', result: { log: 'a\u0000b' } });
        },
      ],
      ['a lone surrogate in a task description', () => rawJson('post', '/tasks', '{"task_type":"analysis","priority":3,"description":"half \\ud800 pair"}')],
      ['a lone surrogate in an agent name', () => rawJson('post', '/agents', '{"id":"surrogate","agent_type":"decision_engine","name":"\\udc00","capabilities":[]}')],
      ['a lone surrogate in a requirements value', () => rawJson('post', '/tasks', '{"task_type":"analysis","priority":3,"description":"x","requirements":{"k":"\\ud800"}}')],
    ])('when a body has %s, then it is rejected with 400 or stored, never a 500', async (_case, send) => {
      const res = await send();
      expect(res.status, JSON.stringify(res.body)).not.toBeGreaterThanOrEqual(500);
      expect(res.headers['content-type']).toMatch(/application\/json/);
      if (res.status !== 200) expectClientError(res);
    });

    it('when a hostile task lands in the same insert batch as good ones, then only the hostile one is refused', async () => {
      // Submissions in one tick share one INSERT; call the use case directly to make that certain.
      const input = (id: string, description: string) => ({
        id,
        task_type: 'analysis',
        priority: 3,
        description,
        requirements: {},
        dependencies: [],
        deadline: null,
        estimated_duration: 0,
      });
      const results = await Promise.allSettled([
        h.service.coordinator.submitTask(input('same-batch-good-1', 'fine')),
        h.service.coordinator.submitTask(input('same-batch-bad', 'nul \u0000 here')),
        h.service.coordinator.submitTask(input('same-batch-good-2', 'fine too')),
      ]);
      expect(results[0]!.status, String((results[0] as PromiseRejectedResult).reason)).toBe('fulfilled');
      expect(results[2]!.status, String((results[2] as PromiseRejectedResult).reason)).toBe('fulfilled');
      await getTask(h, 'same-batch-good-1');
      await getTask(h, 'same-batch-good-2');
    });
  });

  describe('queries and headers', () => {
    it.each([
      ['/tasks?status=pending&status=failed'],
      ['/tasks?limit=1&limit=2'],
      ['/tasks?limit=1e400'],
      ['/tasks?limit=2.5'],
      [`/tasks?cursor=${'A'.repeat(5000)}`],
      [`/tasks?cursor=${Buffer.from('-1').toString('base64url')}`],
      [`/tasks?cursor=${Buffer.from('99999999999999999999').toString('base64url')}`],
      ['/agents?status=%00'],
      ['/conflicts?include_resolved=TRUE&include_resolved=false'],
    ])('when the query is %s, then 400', async (url) => {
      expectError(await h.api.get(url), 400);
    });

    it('when X-Request-Id is huge or hostile, then a generated id is used', async () => {
      const res = await h.api.get('/health').set('X-Request-Id', 'r'.repeat(5000)).expect(200);
      expect((res.headers['x-request-id'] as string).length).toBeLessThanOrEqual(128);
      const inj = await h.api.get('/health').set('X-Request-Id', '<script>alert(1)</script>').expect(200);
      expect(inj.headers['x-request-id']).not.toContain('<');
    });
  });

  it('when all of the above has happened, then the service still answers /health and works', async () => {
    await h.api.get('/health').expect(200);
    await h.api.get('/ready').expect(200);
    expect((await getTask(h, 'victim')).id).toBe('victim');
    expect((await getAgent(h, 'target')).status).toBe('active');
    const t = await h.api.post('/tasks').send(taskBody()).expect(200);
    expect(await h.service.coordinator.runAssignment()).toBeGreaterThanOrEqual(1);
    expect((await getTask(h, t.body.task_id)).status).toMatch(/pending|assigned/);
  });
});
