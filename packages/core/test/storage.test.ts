import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LeaderLease, MemoryCache, leaseKey, PgDb, RedisCache, migrate, readMigrations, silentLogger, type Cache } from '../src/index.js';
import { REAL_DATABASE_URL, REAL_REDIS_URL, backends, createTestStorage, type TestStorage } from './support/storage.js';

const caches: Array<[string, () => Cache]> = [['memory', () => new MemoryCache()]];
const redisUrl = REAL_REDIS_URL;
if (redisUrl) caches.push(['redis', () => new RedisCache(redisUrl, silentLogger(), `nexus-core-test-${randomUUID().slice(0, 8)}:`)]);

describe.each(caches)('%s cache', (_name, make) => {
  let cache: Cache;
  beforeAll(() => {
    cache = make();
  });
  afterAll(async () => cache.close());

  it('when a key is hit repeatedly, then the count grows within the window and resets after it', async () => {
    expect((await cache.hit('k', 300)).count).toBe(1);
    const second = await cache.hit('k', 300);
    expect(second.count).toBe(2);
    expect(second.resetMs).toBeGreaterThan(0);
    expect(second.resetMs).toBeLessThanOrEqual(300);
    await new Promise((r) => setTimeout(r, 350));
    expect((await cache.hit('k', 300)).count).toBe(1);
  });

  it('when a value is set with a TTL, then it is readable until it expires', async () => {
    await cache.set('v', 'hello', 200);
    expect(await cache.get('v')).toBe('hello');
    await new Promise((r) => setTimeout(r, 260));
    expect(await cache.get('v')).toBeNull();
  });

  it('when a message is published, then subscribers get it and unsubscribed ones do not', async () => {
    const got: string[] = [];
    const off = await cache.subscribe('chan', (m) => got.push(m));
    await new Promise((r) => setTimeout(r, 50));
    await cache.publish('chan', 'one');
    for (let i = 0; i < 50 && got.length < 1; i++) await new Promise((r) => setTimeout(r, 10));
    expect(got).toEqual(['one']);
    off();
    await cache.publish('chan', 'two');
    await new Promise((r) => setTimeout(r, 50));
    expect(got).toEqual(['one']);
  });

  it('when pinged, then it answers', async () => {
    await cache.ping();
  });
});

describe.each(backends)('migrations on %s', (backend) => {
  let storage: TestStorage;
  beforeAll(async () => {
    storage = await createTestStorage(backend);
  });
  afterAll(async () => storage.destroy());

  it('when migrated again, then nothing is applied twice and every migration is recorded', async () => {
    expect(await migrate(storage.db)).toEqual([]);
    const rows = (await storage.db.query<{ version: string }>('SELECT version FROM schema_migrations ORDER BY version')).rows;
    expect(rows.map((r) => r.version)).toEqual(readMigrations().map((m) => m.version));
  });

  it('when a transaction throws, then its writes are rolled back', async () => {
    await expect(
      storage.db.transaction(async (tx) => {
        await tx.query(`INSERT INTO coordinator_state (key, value) VALUES ('rollback-probe', '1'::jsonb)`);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    const res = await storage.db.query(`SELECT 1 FROM coordinator_state WHERE key = 'rollback-probe'`);
    expect(res.rows).toHaveLength(0);
  });
});

describe.skipIf(!REAL_DATABASE_URL)('on real Postgres', () => {
  let storage: TestStorage;
  beforeAll(async () => {
    storage = await createTestStorage('postgres');
  });
  afterAll(async () => storage.destroy());

  it('when several processes migrate a fresh database at once, then each migration is applied exactly once', async () => {
    const fresh = await createTestStorage('postgres');
    // createTestStorage migrated it; drop everything to get a fresh schema again.
    await fresh.db.exec('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
    const pools = Array.from({ length: 4 }, () => new PgDb({ connectionString: fresh.url!, poolSize: 2, connectTimeoutMs: 3000, logger: silentLogger() }));
    const results = await Promise.all(pools.map((p) => migrate(p)));
    expect(results.filter((r) => r.length > 0)).toHaveLength(1);
    expect(results.flat()).toHaveLength(readMigrations().length);
    await Promise.all(pools.map((p) => p.close()));
    await fresh.destroy();
  });

  it('when two replicas want the same lease, then one leads, and the other takes over within seconds when it goes away', async () => {
    const second = new PgDb({ connectionString: storage.url!, poolSize: 2, connectTimeoutMs: 3000, logger: silentLogger() });
    const a = new LeaderLease(storage.db, 'test-lease', silentLogger(), { intervalMs: 100 });
    const b = new LeaderLease(second, 'test-lease', silentLogger(), { intervalMs: 100 });
    await a.start();
    await b.start();
    await new Promise((r) => setTimeout(r, 300));
    expect([a.isLeader(), b.isLeader()].filter(Boolean)).toHaveLength(1);
    const [leader, follower] = a.isLeader() ? [a, b] : [b, a];
    await leader.stop();
    const t0 = Date.now();
    while (!follower.isLeader() && Date.now() - t0 < 3000) await new Promise((r) => setTimeout(r, 20));
    expect(follower.isLeader()).toBe(true);
    await follower.stop();
    await second.close();
  });

  it('when the leader session is killed by the server, then leadership is dropped and regained', async () => {
    const lease = new LeaderLease(storage.db, 'kill-lease', silentLogger(), { intervalMs: 100 });
    const changes: boolean[] = [];
    lease.onChange((l) => changes.push(l));
    await lease.start();
    expect(lease.isLeader()).toBe(true);
    // Only this lease's holder, in this test's own database.
    await storage.db.query(
      `SELECT pg_terminate_backend(pid) FROM pg_locks
       WHERE locktype = 'advisory' AND granted AND objsubid = 2 AND classid = 7070 AND objid = $1::bigint
         AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      [leaseKey('kill-lease') >>> 0],
    );
    const t0 = Date.now();
    while (changes.length < 2 && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 20));
    expect(changes.slice(0, 2)).toEqual([true, false]);
    while (!lease.isLeader() && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 20));
    expect(lease.isLeader()).toBe(true);
    await lease.stop();
  });
});
