import type { Queryable } from '@nexus/core';
import type { Task, TaskStatus } from '../domain/types.js';
import { TASK_COLUMNS, toTask } from './rows.js';

export interface NewTask {
  id: string;
  task_type: string;
  priority: number;
  description: string;
  requirements: Record<string, unknown>;
  dependencies: string[];
  deadline: string | null;
  estimated_duration: number;
  max_retries: number;
  load: number;
}

/**
 * Inserts many tasks in one statement. Returns, per input, whether it was inserted
 * (false: the id already existed).
 */
export async function insertTasks(db: Queryable, tasks: NewTask[]): Promise<boolean[]> {
  const res = await db.query<{ id: string }>(
    `INSERT INTO tasks (id, task_type, priority, description, requirements, dependencies, deadline,
                        estimated_duration, max_retries, load)
     SELECT x.id, x.task_type, x.priority, x.description, coalesce(x.requirements, '{}'::jsonb),
            ARRAY(SELECT jsonb_array_elements_text(coalesce(x.dependencies, '[]'::jsonb))),
            x.deadline, x.estimated_duration, x.max_retries, x.load
     FROM jsonb_to_recordset($1::jsonb) AS x(id text, task_type text, priority smallint, description text,
          requirements jsonb, dependencies jsonb, deadline timestamptz, estimated_duration float8,
          max_retries int, load float8)
     ON CONFLICT (id) DO NOTHING
     RETURNING id`,
    [JSON.stringify(tasks)],
  );
  const inserted = new Set(res.rows.map((r) => r.id));
  return tasks.map((t) => inserted.has(t.id));
}

export async function getTask(db: Queryable, id: string, forUpdate = false): Promise<Task | null> {
  const res = await db.query(`SELECT ${TASK_COLUMNS} FROM tasks WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`, [id]);
  return res.rows[0] ? toTask(res.rows[0]) : null;
}

/** Locks a task row and returns it with the database's clock (one clock for every replica). */
export async function lockTask(db: Queryable, id: string): Promise<{ task: Task; now: Date } | null> {
  const res = await db.query<Record<string, unknown> & { db_now: Date }>(
    `SELECT ${TASK_COLUMNS}, now() AS db_now FROM tasks WHERE id = $1 FOR UPDATE`,
    [id],
  );
  const r = res.rows[0];
  return r ? { task: toTask(r), now: new Date(r.db_now) } : null;
}

/** The status of every task the given tasks depend on; absent ids are not in the map. */
export async function dependencyStates(db: Queryable, of: Array<Pick<Task, 'dependencies'>>): Promise<Map<string, string>> {
  const ids = [...new Set(of.flatMap((t) => t.dependencies))];
  if (ids.length === 0) return new Map();
  const res = await db.query<{ id: string; status: string }>(`SELECT id, status FROM tasks WHERE id = ANY($1::text[])`, [ids]);
  return new Map(res.rows.map((r) => [r.id, r.status]));
}

export interface TaskFilter {
  status?: string;
  task_type?: string;
  assigned_agent?: string;
}

/** A page of tasks in submission order; `after` is the sequence number of the last task seen. */
export async function listTasks(db: Queryable, filter: TaskFilter, limit: number, after: number | null) {
  const params = [filter.status ?? null, filter.task_type ?? null, filter.assigned_agent ?? null];
  const where = `($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR task_type = $2)
                 AND ($3::text IS NULL OR assigned_agent = $3)`;
  const [page, total] = await Promise.all([
    db.query<Record<string, unknown> & { seq: number }>(
      `SELECT seq, ${TASK_COLUMNS} FROM tasks WHERE ${where} AND ($4::bigint IS NULL OR seq > $4)
       ORDER BY seq LIMIT $5`,
      [...params, after, limit + 1],
    ),
    db.query<{ n: number }>(`SELECT count(*)::int AS n FROM tasks WHERE ${where}`, params),
  ]);
  const rows = page.rows.slice(0, limit);
  return {
    tasks: rows.map(toTask),
    total: Number(total.rows[0]?.n ?? 0),
    lastSeq: page.rows.length > limit ? Number(rows[rows.length - 1]!.seq) : null,
  };
}

export async function tasksOfAgent(db: Queryable, agentId: string, statuses: readonly TaskStatus[]): Promise<Task[]> {
  const res = await db.query(
    `SELECT ${TASK_COLUMNS} FROM tasks WHERE assigned_agent = $1 AND status = ANY($2::text[])
     ORDER BY priority DESC, assigned_at NULLS LAST, seq`,
    [agentId, statuses],
  );
  return res.rows.map(toTask);
}

/**
 * Pending tasks that may be assigned now, of the given types: not held back by a
 * reschedule, and whose dependencies have all completed. Ordered by priority level
 * (priority + aging × hours waited, rounded down), then deadline, then age — the queue
 * order of domain/scoring.ts compareTasks.
 */
export async function eligiblePendingTasks(db: Queryable, taskTypes: string[], agingFactor: number, limit: number, offset = 0): Promise<Task[]> {
  const res = await db.query(
    `SELECT ${TASK_COLUMNS} FROM tasks t
     WHERE t.status = 'pending' AND t.task_type = ANY($1::text[]) AND (t.not_before IS NULL OR t.not_before <= now())
       AND (cardinality(t.dependencies) = 0 OR NOT EXISTS (
             SELECT 1 FROM unnest(t.dependencies) AS d(id)
             WHERE NOT EXISTS (SELECT 1 FROM tasks x WHERE x.id = d.id AND x.status = 'completed')))
     ORDER BY floor(t.priority + $2 * greatest(0, extract(epoch FROM now() - t.created_at)) / 3600 + 1e-9) DESC,
              t.deadline ASC NULLS LAST, t.created_at, t.id
     LIMIT $3 OFFSET $4`,
    [taskTypes, agingFactor, limit, offset],
  );
  return res.rows.map(toTask);
}

/**
 * Claims pending tasks for agents atomically: only rows still pending are taken, so a
 * task is never assigned twice. Returns the claimed rows.
 */
export async function claimTasks(
  db: Queryable,
  claims: Array<{ task_id: string; agent_id: string; load: number }>,
): Promise<Array<{ id: string; assigned_agent: string; held_load: number; created_at: Date; assigned_at: Date }>> {
  if (claims.length === 0) return [];
  const res = await db.query<{ id: string; assigned_agent: string; held_load: number; created_at: Date; assigned_at: Date }>(
    `UPDATE tasks t SET status = 'assigned', assigned_agent = v.agent_id, held_load = v.load,
            assigned_at = now(), updated_at = now()
     FROM unnest($1::text[], $2::text[], $3::float8[]) AS v(task_id, agent_id, load)
     WHERE t.id = v.task_id AND t.status = 'pending'
     RETURNING t.id, t.assigned_agent, t.held_load, t.created_at, t.assigned_at`,
    [claims.map((c) => c.task_id), claims.map((c) => c.agent_id), claims.map((c) => c.load)],
  );
  return res.rows;
}

/** Fields a status change may write. */
export type TaskPatch = Partial<
  Pick<Task, 'status' | 'assigned_agent' | 'assigned_at' | 'started_at' | 'completed_at' | 'result' | 'error_message' | 'retry_count' | 'actual_duration' | 'held_load' | 'not_before' | 'priority'>
>;

const JSON_FIELDS = new Set(['result']);

export async function patchTask(db: Queryable, id: string, patch: TaskPatch): Promise<Task> {
  const keys = Object.keys(patch) as Array<keyof TaskPatch>;
  const sets = keys.map((k, i) => `${k} = $${i + 2}${JSON_FIELDS.has(k) ? '::jsonb' : ''}`);
  const values = keys.map((k) => (JSON_FIELDS.has(k) ? (patch[k] === undefined ? null : JSON.stringify(patch[k])) : patch[k]));
  const res = await db.query(
    `UPDATE tasks SET ${[...sets, 'updated_at = now()'].join(', ')} WHERE id = $1 RETURNING ${TASK_COLUMNS}`,
    [id, ...values],
  );
  return toTask(res.rows[0]!);
}

/** Returns every task an agent holds to the queue (agent gone or unresponsive). */
export async function releaseTasksOfAgent(db: Queryable, agentId: string): Promise<string[]> {
  const res = await db.query<{ id: string }>(
    `UPDATE tasks SET status = 'pending', assigned_agent = NULL, held_load = 0, assigned_at = NULL,
            started_at = NULL, updated_at = now()
     WHERE assigned_agent = $1 AND status IN ('assigned', 'in_progress', 'delegated')
     RETURNING id`,
    [agentId],
  );
  return res.rows.map((r) => r.id);
}

/** Ids of agents that hold tasks although they are inactive or no longer registered. */
export async function agentsHoldingTasksWhileGone(db: Queryable): Promise<string[]> {
  const res = await db.query<{ agent: string }>(
    `SELECT DISTINCT t.assigned_agent AS agent FROM tasks t
     WHERE t.status IN ('assigned', 'in_progress', 'delegated') AND t.assigned_agent IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM agents a WHERE a.id = t.assigned_agent AND a.status <> 'inactive')`,
  );
  return res.rows.map((r) => r.agent);
}

export async function timedOutTasks(db: Queryable, timeoutSeconds: number): Promise<string[]> {
  const res = await db.query<{ id: string }>(
    `SELECT id FROM tasks WHERE status = 'in_progress' AND started_at < now() - make_interval(secs => $1)`,
    [timeoutSeconds],
  );
  return res.rows.map((r) => r.id);
}

/** Open tasks (pending, assigned, in progress, delegated), for conflict detection. */
export async function openTasks(db: Queryable): Promise<Task[]> {
  const res = await db.query(
    `SELECT ${TASK_COLUMNS} FROM tasks WHERE status IN ('pending', 'assigned', 'in_progress', 'delegated')`,
  );
  return res.rows.map(toTask);
}

export async function taskCounts(db: Queryable): Promise<Record<string, number>> {
  const res = await db.query<{ status: string; n: number }>(`SELECT status, count(*)::int AS n FROM tasks GROUP BY status`);
  return Object.fromEntries(res.rows.map((r) => [r.status, Number(r.n)]));
}

export async function raisePriority(db: Queryable, ids: string[]): Promise<string[]> {
  const res = await db.query<{ id: string }>(
    `UPDATE tasks SET priority = least(5, priority + 1), updated_at = now()
     WHERE id = ANY($1::text[]) AND status IN ('pending', 'assigned', 'in_progress', 'delegated') AND priority < 5
     RETURNING id`,
    [ids],
  );
  return res.rows.map((r) => r.id);
}
