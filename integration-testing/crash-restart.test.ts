/**
 * `kill -9` during concurrent submissions, then restart: every acknowledged task is there
 * and agent loads still equal what their tasks hold. Runs the built coordinator
 * (services/coordinator/dist/main.js) as a child process: on the real Postgres when
 * DATABASE_URL is set (in a database of its own), and on embedded PGlite in a temp folder.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { call, waitUntil } from './support.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MAIN = path.join(ROOT, 'services/coordinator/dist/main.js');

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function startCoordinator(env: Record<string, string>, port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [MAIN], {
    env: { ...process.env, ...env, PORT: String(port), LOG_LEVEL: 'warn', LEARNING_ENGINE_URL: '', COORDINATION_INTERVAL: '5' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  await waitUntil(async () => (await call('GET', '/ready', undefined, base)).status === 200, 40_000, 'coordinator ready');
  return child;
}

const targets: Array<{ name: string; setup: () => Promise<{ env: Record<string, string>; cleanup: () => Promise<void> }> }> = [
  {
    name: 'pglite',
    setup: async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'nexus-crash-'));
      return { env: { DATA_DIR: dir, DATABASE_URL: '', POSTGRES_HOST: '', REDIS_URL: '', REDIS_HOST: '' }, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
    },
  },
];
if (process.env.DATABASE_URL) {
  targets.push({
    name: 'postgres',
    setup: async () => {
      const name = `nexus_crash_${Date.now().toString(36)}`;
      const admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${name}`);
      await admin.end();
      const u = new URL(process.env.DATABASE_URL!);
      u.pathname = `/${name}`;
      return {
        env: { DATABASE_URL: u.toString() },
        cleanup: async () => {
          const c = new pg.Client({ connectionString: process.env.DATABASE_URL });
          await c.connect();
          await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
          await c.end();
        },
      };
    },
  });
}

describe.each(targets)('kill -9 and restart on $name', ({ setup }) => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of cleanups) await c();
  });

  it('when the process is killed during concurrent submissions, then nothing acknowledged is lost and loads stay exact', async () => {
    const { env, cleanup } = await setup();
    cleanups.push(cleanup);
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    let child = await startCoordinator(env, port);
    cleanups.push(async () => void child.kill('SIGKILL'));

    for (let i = 0; i < 10; i++) {
      const r = await call('POST', '/agents', { id: `crash-agent-${i}`, agent_type: 'operations', name: `a${i}`, capabilities: ['analysis'], max_capacity: 100 }, base);
      expect(r.status).toBe(200);
    }

    const acked = new Set<string>();
    let stop = false;
    let n = 0;
    const worker = async () => {
      while (!stop) {
        const id = `crash-task-${n++}`;
        try {
          const r = await call('POST', '/tasks', { id, task_type: 'analysis', priority: 1 + (n % 5), description: 'crash test' }, base);
          if (r.status === 200) acked.add(id);
        } catch {
          return; // connection refused / reset once the process is gone
        }
      }
    };
    const workers = Array.from({ length: 16 }, worker);
    await new Promise((r) => setTimeout(r, 1500));
    child.kill('SIGKILL');
    stop = true;
    await Promise.all(workers);
    expect(acked.size).toBeGreaterThan(50);

    child = await startCoordinator(env, port);
    const seen = new Set<string>();
    let cursor: string | null = null;
    do {
      const page: { body: { tasks: Record<string, unknown>; next_cursor: string | null } } = await call('GET', `/tasks?limit=1000${cursor ? `&cursor=${cursor}` : ''}`, undefined, base);
      for (const id of Object.keys(page.body.tasks)) seen.add(id);
      cursor = page.body.next_cursor;
    } while (cursor);
    const missing = [...acked].filter((id) => !seen.has(id));
    expect(missing).toEqual([]);

    // Loads: every agent's current_load equals the load its held tasks occupy.
    await new Promise((r) => setTimeout(r, 500));
    const agents = (await call('GET', '/agents', undefined, base)).body.agents as Record<string, { current_load: number }>;
    for (const [id, agent] of Object.entries(agents)) {
      const held = await call('GET', `/agents/${id}/tasks`, undefined, base);
      const sum = (held.body.tasks as Array<{ load: number }>).reduce((s, t) => s + t.load, 0);
      expect(agent.current_load).toBe(sum);
    }
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  });
});
