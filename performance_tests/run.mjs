#!/usr/bin/env node
/**
 * Coordinator load and stress tests (autocannon), printed as a table.
 *
 *   npm run bench                          # real Postgres at 127.0.0.1:5432 (a fresh database), Redis if REDIS_URL
 *   BENCH_DURATION=20 npm run bench        # seconds per HTTP scenario (default 10)
 *   BENCH_EMBEDDED=1 npm run bench         # embedded PGlite instead of Postgres
 *
 * Starts the built coordinator (services/coordinator/dist/main.js) as a child process with
 * request logging on (LOG_LEVEL=info, stdout discarded), on its own database, and measures:
 *   GET /health, POST /tasks, GET /coordination/status with >= 10,000 tasks,
 *   POST /agents/{id}/heartbeat, and the time to assign 10,000 pending tasks to 500 agents.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import pg from 'pg';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const PORT = Number(process.env.BENCH_PORT ?? 18170);
const BASE = `http://127.0.0.1:${PORT}`;
const ADMIN_URL = process.env.ADMIN_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const embedded = process.env.BENCH_EMBEDDED === '1';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function adminQuery(sql) {
  const c = new pg.Client({ connectionString: ADMIN_URL });
  await c.connect();
  try {
    return await c.query(sql);
  } finally {
    await c.end();
  }
}

async function startService(env) {
  const child = spawn(process.execPath, [path.join(ROOT, 'services/coordinator/dist/main.js')], {
    env: { ...process.env, PORT: String(PORT), LOG_LEVEL: process.env.LOG_LEVEL ?? 'info', LEARNING_ENGINE_URL: '', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`${BASE}/ready`)).ok) return child;
    } catch {}
    await sleep(200);
  }
  child.kill('SIGKILL');
  throw new Error('coordinator did not become ready');
}

async function stopService(child) {
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
}

const json = (method, p, body) =>
  fetch(`${BASE}${p}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) }).then(async (r) => {
    if (!r.ok) throw new Error(`${method} ${p} -> ${r.status} ${await r.text()}`);
    return r.json();
  });

function cannon(opts) {
  return new Promise((resolve, reject) => {
    const { path: p = '/', ...rest } = opts;
    autocannon({ url: `${BASE}${p}`, connections: CONNECTIONS, duration: DURATION, ...rest }, (err, res) => (err ? reject(err) : resolve(res)));
  });
}

const rows = [];
function record(name, res, target) {
  const row = {
    scenario: name,
    'req/s': Math.round(res.requests.average),
    'p50 ms': res.latency.p50,
    'p99 ms': res.latency.p99,
    'max ms': res.latency.max,
    requests: res.requests.total,
    'non-2xx': res.non2xx,
    errors: res.errors + res.timeouts,
    target: target ?? '',
  };
  rows.push(row);
  console.error(`[bench] ${name}: ${row['req/s']} req/s, p99 ${row['p99 ms']} ms`);
}

async function dbSetup() {
  if (embedded) {
    const dir = mkdtempSync(path.join(tmpdir(), 'nexus-bench-'));
    return { env: { DATA_DIR: dir, DATABASE_URL: '', POSTGRES_HOST: '' }, count: null, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const name = `nexus_bench_${Date.now().toString(36)}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  const u = new URL(ADMIN_URL);
  u.pathname = `/${name}`;
  const url = u.toString();
  return {
    env: { DATABASE_URL: url },
    url,
    cleanup: async () => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

async function httpScenarios() {
  const setup = await dbSetup();
  const child = await startService(setup.env);
  try {
    record('GET /health', await cannon({ path: '/health' }));

    const taskBody = JSON.stringify({
      task_type: 'analysis',
      priority: 3,
      description: 'Analyze system performance trends',
      requirements: { complexity: 'high', resources: { cpu: 2.0, memory: 4.0 } },
      estimated_duration: 1800.0,
    });
    record('POST /tasks', await cannon({ path: '/tasks', method: 'POST', headers: { 'content-type': 'application/json' }, body: taskBody }), '>= 1,650 req/s, p99 < 50 ms');

    const status = await json('GET', '/coordination/status');
    let total = status.total_tasks;
    while (total < 10_000) {
      await Promise.all(Array.from({ length: 100 }, () => json('POST', '/tasks', JSON.parse(taskBody))));
      total += 100;
    }
    record(`GET /coordination/status (${total.toLocaleString('en')} tasks)`, await cannon({ path: '/coordination/status' }), '>= 1,000 req/s');

    for (let i = 0; i < 100; i++) {
      await json('POST', '/agents', { id: `bench-hb-${i}`, agent_type: 'monitoring', name: `hb ${i}`, capabilities: ['monitoring'] });
    }
    let n = 0;
    record(
      'POST /agents/{id}/heartbeat',
      await cannon({
        requests: [
          {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ current_load: 5 }),
            setupRequest: (req) => ({ ...req, path: `/agents/bench-hb-${n++ % 100}/heartbeat` }),
          },
        ],
      }),
    );
  } finally {
    await stopService(child);
    await setup.cleanup();
  }
}

async function assignmentScenario() {
  const AGENTS = 500;
  const TASKS = 10_000;
  const setup = await dbSetup();
  const child = await startService(setup.env);
  try {
    await json('POST', '/coordination/stop');
    const caps = ['analysis', 'optimization', 'remediation', 'monitoring', 'testing', 'deployment', 'security_scan', 'performance_tune'];
    for (let i = 0; i < AGENTS; i += 50) {
      await Promise.all(
        Array.from({ length: 50 }, (_, j) =>
          json('POST', '/agents', {
            id: `bench-agent-${i + j}`,
            agent_type: 'operations',
            name: `agent ${i + j}`,
            capabilities: caps,
            specializations: [caps[(i + j) % caps.length]],
            max_capacity: 200, // 20 tasks of 10 units: 500 agents take 10,000 tasks
          }),
        ),
      );
    }
    for (let i = 0; i < TASKS; i += 200) {
      await Promise.all(
        Array.from({ length: 200 }, (_, j) =>
          json('POST', '/tasks', { task_type: caps[(i + j) % caps.length], priority: 1 + ((i + j) % 5), description: 'assignment bench' }),
        ),
      );
    }
    const before = await json('GET', '/coordination/status');
    if (before.pending_tasks !== TASKS) throw new Error(`expected ${TASKS} pending, found ${before.pending_tasks}`);
    const counter = new pg.Client({ connectionString: setup.url });
    let count;
    if (!embedded) {
      await counter.connect();
      count = async () => Number((await counter.query(`SELECT count(*)::int AS n FROM tasks WHERE status = 'assigned'`)).rows[0].n);
    } else {
      count = async () => {
        const s = await json('GET', '/coordination/status');
        return s.assigned_tasks;
      };
    }
    const t0 = performance.now();
    await json('POST', '/coordination/start');
    let assigned = 0;
    while (performance.now() - t0 < 30_000) {
      assigned = await count();
      if (assigned >= TASKS) break;
      await sleep(5);
    }
    const seconds = (performance.now() - t0) / 1000;
    if (!embedded) await counter.end();
    rows.push({
      scenario: `assign ${TASKS.toLocaleString('en')} pending tasks to ${AGENTS} agents`,
      'req/s': '',
      'p50 ms': '',
      'p99 ms': '',
      'max ms': Math.round(seconds * 1000),
      requests: assigned,
      'non-2xx': '',
      errors: assigned === TASKS ? 0 : TASKS - assigned,
      target: '< 2 s (max ms = wall time)',
    });
    console.error(`[bench] assignment: ${assigned} tasks in ${seconds.toFixed(2)} s`);
  } finally {
    await stopService(child);
    await setup.cleanup();
  }
}

const only = process.argv[2];
if (!only || only === 'http') await httpScenarios();
if (!only || only === 'assign') await assignmentScenario();

console.log(`\nCoordinator performance — ${embedded ? 'embedded PGlite' : 'PostgreSQL'}, ${CONNECTIONS} connections, ${DURATION} s per scenario, Node ${process.version}\n`);
console.table(rows);
mkdirSync(path.join(ROOT, 'performance_tests/results'), { recursive: true });
writeFileSync(path.join(ROOT, 'performance_tests/results/latest.json'), JSON.stringify({ at: new Date().toISOString(), embedded, rows }, null, 2));
