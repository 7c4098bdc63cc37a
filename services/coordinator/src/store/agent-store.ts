import type { Queryable } from '@nexus/core';
import type { Agent, AgentStatus } from '../domain/types.js';
import { AGENT_COLUMNS, toAgent } from './rows.js';

export interface NewAgent {
  id: string;
  agent_type: string;
  name: string;
  capabilities: string[];
  max_capacity: number;
  specializations: string[];
  resource_requirements: Record<string, number>;
  status: AgentStatus;
}

/** Inserts unless the id exists; returns false for a duplicate. */
export async function insertAgent(db: Queryable, a: NewAgent): Promise<boolean> {
  const res = await db.query(
    `INSERT INTO agents (id, agent_type, name, capabilities, max_capacity, specializations, resource_requirements, status)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING`,
    [a.id, a.agent_type, a.name, a.capabilities, a.max_capacity, a.specializations, JSON.stringify(a.resource_requirements), a.status],
  );
  return res.rowCount === 1;
}

export async function getAgent(db: Queryable, id: string, forUpdate = false): Promise<Agent | null> {
  const res = await db.query(`SELECT ${AGENT_COLUMNS} FROM agents WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`, [id]);
  return res.rows[0] ? toAgent(res.rows[0]) : null;
}

export async function listAgents(db: Queryable, filter: { status?: string; agent_type?: string } = {}): Promise<Agent[]> {
  const res = await db.query(
    `SELECT ${AGENT_COLUMNS} FROM agents
     WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR agent_type = $2)
     ORDER BY registered_at, id`,
    [filter.status ?? null, filter.agent_type ?? null],
  );
  return res.rows.map(toAgent);
}

export interface AgentCapacity {
  id: string;
  current_load: number;
  reported_load: number | null;
  max_capacity: number;
}

/**
 * Agents that may still receive work, locked for the assignment transaction (in id order:
 * no deadlocks), with their load as committed now — the plan may have been made earlier.
 */
export async function lockAssignableAgents(db: Queryable, ids: string[]): Promise<Map<string, AgentCapacity>> {
  const res = await db.query<AgentCapacity>(
    `SELECT id, current_load, reported_load, max_capacity FROM agents
     WHERE id = ANY($1::text[]) AND status = 'active' ORDER BY id FOR UPDATE`,
    [ids],
  );
  return new Map(res.rows.map((r) => [r.id, r]));
}

export async function availableAgents(db: Queryable, heartbeatTimeoutSeconds: number): Promise<Agent[]> {
  const res = await db.query(
    `SELECT ${AGENT_COLUMNS} FROM agents
     WHERE status = 'active' AND greatest(current_load, coalesce(reported_load, 0)) < max_capacity
       AND last_heartbeat >= now() - make_interval(secs => $1)`,
    [heartbeatTimeoutSeconds],
  );
  return res.rows.map(toAgent);
}

export async function addLoads(db: Queryable, deltas: Map<string, number>): Promise<void> {
  if (deltas.size === 0) return;
  await db.query(
    `UPDATE agents a SET current_load = greatest(0, a.current_load + v.delta), updated_at = now()
     FROM unnest($1::text[], $2::float8[]) AS v(id, delta) WHERE a.id = v.id`,
    [[...deltas.keys()], [...deltas.values()]],
  );
}

export async function releaseLoad(db: Queryable, agentId: string, amount: number): Promise<void> {
  if (amount <= 0) return;
  await db.query(`UPDATE agents SET current_load = greatest(0, current_load - $2), updated_at = now() WHERE id = $1`, [
    agentId,
    amount,
  ]);
}

export interface HeartbeatPatch {
  status?: AgentStatus;
  reported_load?: number;
  performance_score?: number;
  success_rate?: number;
  average_response_time?: number;
}

export interface HeartbeatResult {
  agent: Agent;
  previous: { status: AgentStatus; reported_load: number | null; last_heartbeat: Date };
  assigned_tasks: string[];
}

/**
 * Refreshes liveness in one statement; an inactive agent without an explicit status comes
 * back as active. Returns the agent before and after, and the tasks waiting for it.
 */
export async function touchAgent(db: Queryable, id: string, p: HeartbeatPatch): Promise<HeartbeatResult | null> {
  const cols = AGENT_COLUMNS.split(',').map((c) => `a.${c.trim()}`).join(', ');
  const res = await db.query<Record<string, unknown>>(
    `WITH old AS (SELECT id, status, reported_load, last_heartbeat FROM agents WHERE id = $1 FOR UPDATE),
     upd AS (
       UPDATE agents a SET
         last_heartbeat = now(),
         status = coalesce($2, CASE WHEN a.status = 'inactive' THEN 'active' ELSE a.status END),
         reported_load = coalesce($3, a.reported_load),
         performance_score = coalesce($4, a.performance_score),
         success_rate = coalesce($5, a.success_rate),
         average_response_time = coalesce($6, a.average_response_time),
         updated_at = now()
       FROM old WHERE a.id = old.id
       RETURNING ${cols}, old.status AS prev_status, old.reported_load AS prev_reported_load, old.last_heartbeat AS prev_last_heartbeat)
     SELECT upd.*, ARRAY(SELECT t.id FROM tasks t WHERE t.assigned_agent = $1 AND t.status = 'assigned'
                         ORDER BY t.priority DESC, t.seq) AS assigned_tasks
     FROM upd`,
    [id, p.status ?? null, p.reported_load ?? null, p.performance_score ?? null, p.success_rate ?? null, p.average_response_time ?? null],
  );
  const r = res.rows[0];
  if (!r) return null;
  return {
    agent: toAgent(r),
    previous: {
      status: r.prev_status as AgentStatus,
      reported_load: (r.prev_reported_load as number | null) ?? null,
      last_heartbeat: new Date(r.prev_last_heartbeat as string | Date),
    },
    assigned_tasks: r.assigned_tasks as string[],
  };
}

export async function setAgentMetrics(
  db: Queryable,
  id: string,
  m: { success_rate: number; average_response_time: number; performance_score: number; tasks_completed: number; tasks_failed: number },
): Promise<void> {
  await db.query(
    `UPDATE agents SET success_rate = $2, average_response_time = $3, performance_score = $4,
       tasks_completed = $5, tasks_failed = $6, updated_at = now() WHERE id = $1`,
    [id, m.success_rate, m.average_response_time, m.performance_score, m.tasks_completed, m.tasks_failed],
  );
}

/** Marks agents whose heartbeat is older than the timeout inactive; returns their ids (rows stay locked). */
export async function markStaleAgentsInactive(db: Queryable, heartbeatTimeoutSeconds: number): Promise<string[]> {
  const res = await db.query<{ id: string }>(
    `UPDATE agents SET status = 'inactive', updated_at = now()
     WHERE id IN (SELECT id FROM agents WHERE status <> 'inactive'
                    AND last_heartbeat < now() - make_interval(secs => $1) ORDER BY id FOR UPDATE)
     RETURNING id`,
    [heartbeatTimeoutSeconds],
  );
  return res.rows.map((r) => r.id);
}

/** Locks agent rows in id order (the order every multi-agent writer uses). */
export async function lockAgents(db: Queryable, ids: string[]): Promise<void> {
  if (ids.length) await db.query(`SELECT id FROM agents WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE`, [ids]);
}

export async function zeroLoad(db: Queryable, ids: string[]): Promise<void> {
  await db.query(`UPDATE agents SET current_load = 0, updated_at = now() WHERE id = ANY($1::text[])`, [ids]);
}

export async function deleteAgent(db: Queryable, id: string): Promise<boolean> {
  const res = await db.query(`DELETE FROM agents WHERE id = $1`, [id]);
  return res.rowCount === 1;
}

export async function agentCounts(db: Queryable): Promise<Record<string, number>> {
  const res = await db.query<{ status: string; n: number }>(`SELECT status, count(*)::int AS n FROM agents GROUP BY status`);
  return Object.fromEntries(res.rows.map((r) => [r.status, Number(r.n)]));
}
