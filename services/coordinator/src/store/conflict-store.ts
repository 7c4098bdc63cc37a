import type { Queryable } from '@nexus/core';
import type { DetectedConflict, ResolutionPlan } from '../domain/conflicts.js';

export interface ConflictRecord {
  id: string;
  conflict_key: string;
  conflict_type: string;
  description: string;
  involved_agents: string[];
  involved_tasks: string[];
  severity: number;
  detected_at: Date;
  last_seen_at: Date;
  resolved: boolean;
  resolution: ResolutionPlan | null;
  resolution_status: string;
  consensus_session: string | null;
  outcome: unknown;
  resolved_at: Date | null;
}

const COLUMNS = `id, conflict_key, conflict_type, description, involved_agents, involved_tasks, severity, detected_at,
  last_seen_at, resolved, resolution, resolution_status, consensus_session, outcome, resolved_at`;

export async function openConflicts(db: Queryable): Promise<ConflictRecord[]> {
  const res = await db.query<ConflictRecord>(`SELECT ${COLUMNS} FROM conflicts WHERE NOT resolved ORDER BY detected_at, id`);
  return res.rows;
}

export async function listConflicts(db: Queryable, includeResolved: boolean, type?: string): Promise<ConflictRecord[]> {
  const res = await db.query<ConflictRecord>(
    `SELECT ${COLUMNS} FROM conflicts WHERE ($1 OR NOT resolved) AND ($2::text IS NULL OR conflict_type = $2)
     ORDER BY detected_at DESC, id LIMIT 1000`,
    [includeResolved, type ?? null],
  );
  return res.rows;
}

export async function getConflict(db: Queryable, id: string, forUpdate = false): Promise<ConflictRecord | null> {
  const res = await db.query<ConflictRecord>(`SELECT ${COLUMNS} FROM conflicts WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`, [id]);
  return res.rows[0] ?? null;
}

/** Records a newly seen condition; returns false if an open record with that key exists already. */
export async function insertConflict(db: Queryable, id: string, c: DetectedConflict, resolution: ResolutionPlan): Promise<boolean> {
  const res = await db.query(
    `INSERT INTO conflicts (id, conflict_key, conflict_type, description, involved_agents, involved_tasks, severity, resolution)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb) ON CONFLICT (conflict_key) WHERE NOT resolved DO NOTHING`,
    [id, c.key, c.conflict_type, c.description, c.involved_agents, c.involved_tasks, c.severity, JSON.stringify(resolution)],
  );
  return res.rowCount === 1;
}

export async function refreshConflict(db: Queryable, id: string, c: DetectedConflict): Promise<void> {
  await db.query(
    `UPDATE conflicts SET description = $2, involved_agents = $3, involved_tasks = $4, severity = $5, last_seen_at = now()
     WHERE id = $1`,
    [id, c.description, c.involved_agents, c.involved_tasks, c.severity],
  );
}

export async function setResolutionState(
  db: Queryable,
  id: string,
  state: { resolution_status: string; consensus_session?: string | null; outcome?: unknown },
): Promise<void> {
  await db.query(
    `UPDATE conflicts SET resolution_status = $2, consensus_session = coalesce($3, consensus_session),
       outcome = coalesce($4::jsonb, outcome) WHERE id = $1`,
    [id, state.resolution_status, state.consensus_session ?? null, state.outcome === undefined ? null : JSON.stringify(state.outcome)],
  );
}

/** The conditions are still there: note when they were last seen. */
export async function markSeen(db: Queryable, ids: string[]): Promise<void> {
  if (ids.length) await db.query(`UPDATE conflicts SET last_seen_at = now() WHERE id = ANY($1::text[])`, [ids]);
}

/** The condition is gone: close the record. */
export async function closeConflicts(db: Queryable, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await db.query(`UPDATE conflicts SET resolved = true, resolved_at = now() WHERE id = ANY($1::text[]) AND NOT resolved`, [ids]);
}

export async function activeConflictCounts(db: Queryable): Promise<Record<string, number>> {
  const res = await db.query<{ conflict_type: string; n: number }>(
    `SELECT conflict_type, count(*)::int AS n FROM conflicts WHERE NOT resolved GROUP BY conflict_type`,
  );
  return Object.fromEntries(res.rows.map((r) => [r.conflict_type, Number(r.n)]));
}
