import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentBody, backends, closeHarness, createHarness, createTestStorage, taskBody, type Harness } from '../support/harness.js';
import { expectError } from './helpers.js';

const ADMIN = 'admin-key-123';
const OPERATOR = 'operator-key-1';
const VIEWER = 'viewer-key-12';
const API_KEYS = [
  { key: ADMIN, role: 'admin' },
  { key: OPERATOR, role: 'operator' },
  { key: VIEWER, role: 'viewer' },
];

const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });

describe.each(backends)('security on %s', (backend) => {
  // One database for both configurations below: only the app in front of it differs.
  let storage: Harness['storage'];
  beforeAll(async () => {
    storage = await createTestStorage(backend);
  });
  afterAll(async () => storage.destroy());

  describe('with API keys', () => {
    let h: Harness;
    beforeAll(async () => {
      h = await createHarness(backend, { storage, overrides: { api_keys: API_KEYS } });
      await storage.reset();
    });
    afterAll(async () => closeHarness(h, false));

    it('when no key is sent, then the API answers 401 with WWW-Authenticate', async () => {
      for (const req of [h.api.get('/agents'), h.api.get('/tasks'), h.api.get('/coordination/status'), h.api.post('/tasks').send(taskBody())]) {
        const res = await req;
        expectError(res, 401);
        expect(res.headers['www-authenticate']).toMatch(/Bearer/);
      }
    });

    it('when no key is sent, then /health, /ready and /metrics stay open', async () => {
      await h.api.get('/health').expect(200);
      await h.api.get('/ready').expect(200);
      await h.api.get('/metrics').expect(200);
    });

    it('when the key is sent as Bearer or as X-API-Key, then it is accepted', async () => {
      await h.api.get('/agents').set(bearer(VIEWER)).expect(200);
      await h.api.get('/agents').set('Authorization', `bearer  ${VIEWER}`).expect(200);
      await h.api.get('/agents').set('X-API-Key', VIEWER).expect(200);
    });

    it('when the key is unknown or malformed, then 401', async () => {
      expectError(await h.api.get('/agents').set(bearer('not-a-real-key')), 401);
      expectError(await h.api.get('/agents').set('X-API-Key', 'not-a-real-key'), 401);
      expectError(await h.api.get('/agents').set('Authorization', `Basic ${Buffer.from(`x:${ADMIN}`).toString('base64')}`), 401);
      expectError(await h.api.get('/agents').set(bearer(`${ADMIN}x`)), 401);
    });

    it('when a viewer reads, then 200; when a viewer writes, then 403', async () => {
      await h.api.get('/agents').set(bearer(VIEWER)).expect(200);
      await h.api.get('/tasks').set(bearer(VIEWER)).expect(200);
      await h.api.get('/coordination/status').set(bearer(VIEWER)).expect(200);
      await h.api.get('/conflicts').set(bearer(VIEWER)).expect(200);
      expectError(await h.api.post('/tasks').set(bearer(VIEWER)).send(taskBody()), 403);
      expectError(await h.api.post('/agents').set(bearer(VIEWER)).send(agentBody('viewer-made')), 403);
      expectError(await h.api.post('/coordination/stop').set(bearer(VIEWER)), 403);
      await h.api.get('/agents/viewer-made').set(bearer(ADMIN)).expect(404);
    });

    it('when an operator writes, then 200; deletes and coordination control are 403', async () => {
      await h.api.post('/agents').set(bearer(OPERATOR)).send(agentBody('op-agent')).expect(200);
      const task = await h.api.post('/tasks').set(bearer(OPERATOR)).send(taskBody()).expect(200);
      await h.api.post('/agents/op-agent/heartbeat').set(bearer(OPERATOR)).send({}).expect(200);
      await h.api.put(`/tasks/${task.body.task_id}/status`).set(bearer(OPERATOR)).send({ status: 'cancelled' }).expect(200);
      expectError(await h.api.delete('/agents/op-agent').set(bearer(OPERATOR)), 403);
      expectError(await h.api.post('/coordination/stop').set(bearer(OPERATOR)), 403);
      expectError(await h.api.post('/coordination/start').set(bearer(OPERATOR)), 403);
      await h.api.get('/agents/op-agent').set(bearer(OPERATOR)).expect(200);
      const status = await h.api.get('/coordination/status').set(bearer(OPERATOR)).expect(200);
      expect(status.body.coordination_running).toBe(true);
    });

    it('when an admin calls anything, then it is allowed', async () => {
      await h.api.post('/agents').set(bearer(ADMIN)).send(agentBody('admin-agent')).expect(200);
      await h.api.post('/tasks').set('X-API-Key', ADMIN).send(taskBody()).expect(200);
      await h.api.get('/tasks').set(bearer(ADMIN)).expect(200);
      await h.api.post('/coordination/stop').set(bearer(ADMIN)).expect(200);
      expect((await h.api.get('/coordination/status').set(bearer(ADMIN)).expect(200)).body.coordination_running).toBe(false);
      await h.api.post('/coordination/start').set(bearer(ADMIN)).expect(200);
      await h.api.delete('/agents/admin-agent').set(bearer(ADMIN)).expect(200);
      expectError(await h.api.get('/agents/admin-agent').set(bearer(ADMIN)), 404);
    });

    it('when a request is rejected for auth, then it still carries CORS and security headers', async () => {
      const res = await h.api.get('/agents').set('Origin', 'https://console.example.com');
      expect(res.status).toBe(401);
      expect(res.headers['access-control-allow-origin']).toBeDefined();
      expect(res.headers['x-content-type-options']).toBe('nosniff');
    });
  });

  describe('with a rate limit of 5 per minute', () => {
    let h: Harness;
    beforeAll(async () => {
      h = await createHarness(backend, { storage, overrides: { http: { rate_limit_per_minute: 5 } } });
    });
    afterAll(async () => closeHarness(h, false));

    it('when the 6th request of the minute arrives, then 429 with Retry-After and a JSON error', async () => {
      for (let i = 1; i <= 5; i++) {
        const res = await h.api.get('/agents').expect(200);
        expect(res.headers['x-ratelimit-limit']).toBe('5');
        expect(res.headers['x-ratelimit-remaining']).toBe(String(5 - i));
      }
      const res = await h.api.get('/agents');
      expectError(res, 429);
      const retryAfter = Number(res.headers['retry-after']);
      expect(Number.isInteger(retryAfter)).toBe(true);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      // Writes are limited too; the probes are not.
      expectError(await h.api.post('/tasks').send(taskBody()), 429);
      await h.api.get('/health').expect(200);
      await h.api.get('/ready').expect(200);
    });
  });

  describe('with a rate limit and made-up keys', () => {
    it('when an open service receives rotating X-API-Key values, then they do not escape the per-address limit', async () => {
      const h = await createHarness(backend, { storage, overrides: { http: { rate_limit_per_minute: 3 } } });
      try {
        const codes: number[] = [];
        for (let i = 0; i < 5; i++) codes.push((await h.api.get('/agents').set('X-API-Key', `made-up-${i}-key`)).status);
        expect(codes).toEqual([200, 200, 200, 429, 429]);
      } finally {
        await closeHarness(h, false);
      }
    });

    it('when keys are required, then unauthenticated attempts count against the address and are limited too', async () => {
      const h = await createHarness(backend, { storage, overrides: { api_keys: API_KEYS, http: { rate_limit_per_minute: 3 } } });
      try {
        const codes: number[] = [];
        for (let i = 0; i < 5; i++) codes.push((await h.api.get('/agents').set('X-API-Key', `guess-${i}-xxxxxx`)).status);
        expect(codes).toEqual([401, 401, 401, 429, 429]);
      } finally {
        await closeHarness(h, false);
      }
    });
  });

  describe('CORS', () => {
    let h: Harness;
    beforeAll(async () => {
      h = await createHarness(backend, { storage });
    });
    afterAll(async () => closeHarness(h, false));

    it('when a browser sends an Origin, then access-control-allow-origin is present', async () => {
      const res = await h.api.get('/agents').set('Origin', 'https://console.example.com').expect(200);
      expect(res.headers['access-control-allow-origin']).toBeDefined();
      expect(res.headers['access-control-expose-headers']).toMatch(/X-Request-Id/i);
    });

    it('when a browser sends a preflight, then it is answered with the allowed headers', async () => {
      const res = await h.api
        .options('/tasks')
        .set('Origin', 'https://console.example.com')
        .set('Access-Control-Request-Method', 'POST')
        .set('Access-Control-Request-Headers', 'content-type,x-api-key');
      expect(res.status).toBeLessThan(300);
      expect(res.headers['access-control-allow-origin']).toBeDefined();
      expect(res.headers['access-control-allow-headers']).toMatch(/X-API-Key/i);
    });
  });
});
