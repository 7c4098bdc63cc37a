import { MemoryCache, PgDb, silentLogger } from '@nexus/core';
import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import { createCoordinatorService } from '../../src/app.js';
import { agentBody, testConfig } from '../support/harness.js';

describe('when the database cannot be reached', () => {
  // Nothing listens on port 1: every connection attempt is refused at once.
  const db = new PgDb({ connectionString: 'postgres://nexus@127.0.0.1:1/nexus', poolSize: 2, connectTimeoutMs: 500, logger: silentLogger() });
  const service = createCoordinatorService({ config: testConfig(), logger: silentLogger(), db, cache: new MemoryCache(), logRequests: false });
  const api = request(service.app);
  afterAll(async () => db.close());

  it('then /health still answers 200', async () => {
    await api.get('/health').expect(200);
  });

  it('then /ready answers 503 naming the database', async () => {
    const res = await api.get('/ready').expect(503);
    expect(res.body.checks.database.status).toBe('down');
    expect(JSON.stringify(res.body)).not.toMatch(/127\.0\.0\.1|nexus@/);
    expect(res.body.status).toBe('not_ready');
  });

  it('then reads and writes answer 503 quickly with a JSON error', async () => {
    const t0 = Date.now();
    const list = await api.get('/agents').expect(503);
    expect(list.body.error).toMatch(/unavailable/i);
    const write = await api.post('/agents').send(agentBody('x')).expect(503);
    expect(write.body.error).toBeTypeOf('string');
    await api.put('/tasks/t1/status').send({ status: 'completed' }).expect(503);
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  it('then bad input is still a 400, not a 503', async () => {
    await api.post('/agents').send({ invalid: 'data' }).expect(400);
  });

  it('then /metrics still answers', async () => {
    const res = await api.get('/metrics').expect(200);
    expect(res.text).toContain('http_request_duration_seconds');
  });
});

describe.skipIf(!process.env.DATABASE_URL)('when Postgres drops every connection', () => {
  it('then the service answers 503 at worst and recovers by itself', async () => {
    const { createHarness, closeHarness } = await import('../support/harness.js');
    const h = await createHarness('postgres');
    try {
      await h.api.post('/agents').send(agentBody('survivor')).expect(200);
      const dbName = new URL(h.storage.url!).pathname.slice(1);
      const admin = new PgDb({ connectionString: process.env.DATABASE_URL!, poolSize: 1, connectTimeoutMs: 2000, logger: silentLogger() });
      await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [dbName]);
      await admin.close();
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push((await h.api.get('/agents/survivor')).status);
      expect(statuses.every((s) => s === 200 || s === 503)).toBe(true);
      expect(statuses[statuses.length - 1]).toBe(200);
      await h.api.get('/ready').expect(200);
    } finally {
      await closeHarness(h);
    }
  });
});

describe.skipIf(!process.env.DATABASE_URL)('when Postgres stops answering on an open connection', () => {
  it('then requests answer 503 after the query timeout instead of hanging', async () => {
    const net = await import('node:net');
    const { createTestStorage } = await import('../support/harness.js');
    const storage = await createTestStorage('postgres');
    let frozen = false;
    const sockets: import('node:net').Socket[] = [];
    // A proxy that can silently drop traffic, like a network partition.
    const proxy = net.createServer((client) => {
      const upstream = net.connect(5432, '127.0.0.1');
      sockets.push(client, upstream);
      client.on('data', (d) => void (frozen || upstream.write(d)));
      upstream.on('data', (d) => void (frozen || client.write(d)));
      client.on('error', () => undefined);
      upstream.on('error', () => undefined);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
    const port = (proxy.address() as import('node:net').AddressInfo).port;
    const url = new URL(storage.url!);
    url.port = String(port);
    url.hostname = '127.0.0.1';
    const db = new PgDb({ connectionString: url.toString(), poolSize: 2, connectTimeoutMs: 500, statementTimeoutMs: 300, logger: silentLogger() });
    const service = createCoordinatorService({ config: testConfig(), logger: silentLogger(), db, cache: new MemoryCache(), logRequests: false });
    const api = request(service.app);
    try {
      await api.get('/agents').expect(200);
      frozen = true;
      const t0 = Date.now();
      const res = await api.get('/agents');
      expect(res.status).toBe(503);
      expect(Date.now() - t0).toBeLessThan(3000);
    } finally {
      for (const s of sockets) s.destroy();
      proxy.close();
      await db.close();
      await storage.destroy();
    }
  });
});
