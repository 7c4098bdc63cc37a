import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { agentBody, backends, closeHarness, createHarness, taskBody, type Harness } from '../support/harness.js';

/** A stand-in for the learning engine: records what it receives, answers with a chosen status. */
function receiver() {
  const received: Array<Record<string, unknown>> = [];
  let status = 200;
  const server: Server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      if (req.url === '/learning/experiences' && req.method === 'POST') {
        if (status < 300) received.push(JSON.parse(body));
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: status < 300 }));
      } else res.writeHead(404).end();
    });
  });
  return {
    received,
    setStatus: (s: number) => (status = s),
    start: () => new Promise<string>((r) => server.listen(0, '127.0.0.1', () => r(`http://127.0.0.1:${(server.address() as AddressInfo).port}`))),
    stop: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe.each(backends)('experience outbox on %s', (backend) => {
  let h: Harness;
  const engine = receiver();

  beforeAll(async () => {
    const url = await engine.start();
    h = await createHarness(backend, { overrides: { learning_engine_url: url } });
  });
  afterAll(async () => {
    await closeHarness(h);
    await engine.stop();
  });
  beforeEach(async () => {
    await h.storage.reset();
    engine.received.length = 0;
    engine.setStatus(200);
  });

  async function completeOne(outcome: 'completed' | 'failed', extra: Record<string, unknown> = {}) {
    await h.api.post('/agents').send(agentBody('worker-1')).expect(200);
    const { body } = await h.api.post('/tasks').send(taskBody({ estimated_duration: 60, max_retries: 0, ...extra })).expect(200);
    await h.service.coordinator.runAssignment();
    await h.api.put(`/tasks/${body.task_id}/status`).send({ status: 'in_progress' }).expect(200);
    await h.api
      .put(`/tasks/${body.task_id}/status`)
      .send(outcome === 'completed' ? { status: 'completed', result: { ok: true } } : { status: 'failed', error_message: 'boom' })
      .expect(200);
    return body.task_id as string;
  }

  it('when a task completes, then its experience is delivered to the learning engine', async () => {
    const taskId = await completeOne('completed');
    const out = await h.service.coordinator.runOutboxDelivery();
    expect(out).toEqual({ delivered: 1, failed: 0 });
    expect(engine.received).toHaveLength(1);
    const exp = engine.received[0]!;
    expect(exp.success).toBe(true);
    expect(exp.id).toMatch(new RegExp(`^task-${taskId}-0-completed-\\d+$`));
    expect(exp.context).toMatchObject({ task_type: 'analysis', priority: 3, agent_type: 'decision_engine' });
    expect(exp.action_taken).toMatchObject({ action: 'assignment', agent_id: 'worker-1', task_id: taskId });
    expect(exp.performance_metrics).toHaveProperty('actual_duration');
    // Delivered once: a second run sends nothing.
    expect(await h.service.coordinator.runOutboxDelivery()).toEqual({ delivered: 0, failed: 0 });
  });

  it('when a task finally fails, then a failed experience is delivered', async () => {
    await completeOne('failed');
    await h.service.coordinator.runOutboxDelivery();
    expect(engine.received).toHaveLength(1);
    expect(engine.received[0]!.success).toBe(false);
    expect(engine.received[0]!.outcome).toMatchObject({ status: 'failed', error_message: 'boom' });
  });

  it('when a failed task is retried by hand and fails again, then both outcomes are delivered', async () => {
    const id = await completeOne('failed');
    await h.api.put(`/tasks/${id}/status`).send({ status: 'pending' }).expect(200);
    await h.service.coordinator.runAssignment();
    await h.api.put(`/tasks/${id}/status`).send({ status: 'failed', error_message: 'again' }).expect(200);
    await h.service.coordinator.runOutboxDelivery();
    expect(engine.received.map((e) => (e.outcome as { error_message: string }).error_message)).toEqual(['boom', 'again']);
  });

  it('when the engine is down, then the experience is kept and retried with backoff until it is delivered', async () => {
    await completeOne('completed');
    engine.setStatus(503);
    expect(await h.service.coordinator.runOutboxDelivery()).toEqual({ delivered: 0, failed: 1 });
    const row = (await h.storage.db.query<{ attempts: number; due_in: number; dead: boolean }>(
      `SELECT attempts, extract(epoch from next_attempt_at - now())::float8 AS due_in, dead FROM outbox`,
    )).rows[0]!;
    expect(row.attempts).toBe(1);
    expect(row.dead).toBe(false);
    expect(row.due_in).toBeGreaterThan(0);
    // Not due yet: nothing is sent.
    expect(await h.service.coordinator.runOutboxDelivery()).toEqual({ delivered: 0, failed: 0 });
    engine.setStatus(200);
    await h.storage.db.query(`UPDATE outbox SET next_attempt_at = now()`);
    expect(await h.service.coordinator.runOutboxDelivery()).toEqual({ delivered: 1, failed: 0 });
    expect(engine.received).toHaveLength(1);
  });

  it('when delivered experiences are older than the retention, then the cycle deletes them and keeps undelivered ones', async () => {
    await completeOne('completed');
    await h.service.coordinator.runOutboxDelivery();
    await h.storage.db.query(`INSERT INTO outbox (topic, message_key, payload) VALUES ('learning.experience', 'pending-one', '{}'::jsonb)`);
    expect((await h.service.coordinator.runRetention()).outbox).toBe(0);
    await h.storage.db.query(`UPDATE outbox SET delivered_at = now() - interval '8 days' WHERE delivered_at IS NOT NULL`);
    expect((await h.service.coordinator.runRetention()).outbox).toBe(1);
    expect(await h.service.coordinator.outboxStats()).toEqual({ pending: 1, delivered: 0, dead: 0 });
  });

  it('when the engine already has the experience (409), then it counts as delivered', async () => {
    await completeOne('completed');
    engine.setStatus(409);
    expect(await h.service.coordinator.runOutboxDelivery()).toEqual({ delivered: 1, failed: 0 });
    expect((await h.service.coordinator.outboxStats()).delivered).toBe(1);
  });

  it('when the engine rejects the experience as invalid (400), then it is parked, not retried forever', async () => {
    await completeOne('completed');
    engine.setStatus(400);
    await h.service.coordinator.runOutboxDelivery();
    expect(await h.service.coordinator.outboxStats()).toEqual({ pending: 0, delivered: 0, dead: 1 });
  });

  it('when the engine cannot be reached at all, then the message stays pending', async () => {
    const other = await createHarness(backend, { storage: h.storage, overrides: { learning_engine_url: 'http://127.0.0.1:1' } });
    await h.api.post('/agents').send(agentBody('w2')).expect(200);
    const { body } = await h.api.post('/tasks').send(taskBody()).expect(200);
    await other.service.coordinator.runAssignment();
    await other.api.put(`/tasks/${body.task_id}/status`).send({ status: 'completed' }).expect(200);
    expect(await other.service.coordinator.runOutboxDelivery()).toEqual({ delivered: 0, failed: 1 });
    expect((await other.service.coordinator.outboxStats()).pending).toBe(1);
    await closeHarness(other, false);
  });
});

describe('experience outbox when LEARNING_ENGINE_URL is empty', () => {
  it('when a task completes, then no experience is queued', async () => {
    const h = await createHarness('pglite', { overrides: { learning_engine_url: '' } });
    try {
      await h.api.post('/agents').send(agentBody('w')).expect(200);
      const { body } = await h.api.post('/tasks').send(taskBody()).expect(200);
      await h.service.coordinator.runAssignment();
      await h.api.put(`/tasks/${body.task_id}/status`).send({ status: 'completed' }).expect(200);
      expect(await h.service.coordinator.outboxStats()).toEqual({ pending: 0, delivered: 0, dead: 0 });
    } finally {
      await closeHarness(h);
    }
  });
});
