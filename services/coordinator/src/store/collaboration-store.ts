import type { Queryable } from '@nexus/core';

export interface Collaboration {
  id: string;
  problem_id: string;
  description: string;
  required_capabilities: string[];
  participating_agents: string[];
  status: 'active' | 'agreed' | 'rejected';
  merged_solution: Record<string, unknown> | null;
  consensus_session: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface Solution {
  collaboration_id: string;
  agent_id: string;
  solution: Record<string, unknown>;
  confidence: number;
  submitted_at: Date;
}

const COLUMNS = `id, problem_id, description, required_capabilities, participating_agents, status, merged_solution,
  consensus_session, created_at, updated_at`;

export async function insertCollaboration(db: Queryable, c: Pick<Collaboration, 'id' | 'problem_id' | 'description' | 'required_capabilities' | 'participating_agents'>) {
  await db.query(
    `INSERT INTO collaborations (id, problem_id, description, required_capabilities, participating_agents) VALUES ($1, $2, $3, $4, $5)`,
    [c.id, c.problem_id, c.description, c.required_capabilities, c.participating_agents],
  );
}

export async function getCollaboration(db: Queryable, id: string, forUpdate = false): Promise<Collaboration | null> {
  const res = await db.query<Collaboration>(`SELECT ${COLUMNS} FROM collaborations WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`, [id]);
  return res.rows[0] ?? null;
}

export async function listCollaborations(db: Queryable, status?: string): Promise<Collaboration[]> {
  const res = await db.query<Collaboration>(
    `SELECT ${COLUMNS} FROM collaborations WHERE ($1::text IS NULL OR status = $1) ORDER BY created_at DESC, id LIMIT 1000`,
    [status ?? null],
  );
  return res.rows;
}

export async function solutionsOf(db: Queryable, ids: string[]): Promise<Solution[]> {
  if (ids.length === 0) return [];
  const res = await db.query<Solution>(
    `SELECT collaboration_id, agent_id, solution, confidence, submitted_at FROM collaboration_solutions
     WHERE collaboration_id = ANY($1::text[]) ORDER BY submitted_at, agent_id`,
    [ids],
  );
  return res.rows;
}

export async function upsertSolution(db: Queryable, s: Omit<Solution, 'submitted_at'>): Promise<void> {
  await db.query(
    `INSERT INTO collaboration_solutions (collaboration_id, agent_id, solution, confidence) VALUES ($1, $2, $3::jsonb, $4)
     ON CONFLICT (collaboration_id, agent_id) DO UPDATE SET solution = EXCLUDED.solution, confidence = EXCLUDED.confidence,
       submitted_at = now()`,
    [s.collaboration_id, s.agent_id, JSON.stringify(s.solution), s.confidence],
  );
}

export async function updateCollaboration(
  db: Queryable,
  id: string,
  p: { status?: Collaboration['status']; merged_solution?: unknown; consensus_session?: string },
): Promise<void> {
  await db.query(
    `UPDATE collaborations SET status = coalesce($2, status), merged_solution = coalesce($3::jsonb, merged_solution),
       consensus_session = coalesce($4, consensus_session), updated_at = now() WHERE id = $1`,
    [id, p.status ?? null, p.merged_solution === undefined ? null : JSON.stringify(p.merged_solution), p.consensus_session ?? null],
  );
}

export async function countActiveCollaborations(db: Queryable): Promise<number> {
  const res = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM collaborations WHERE status = 'active'`);
  return Number(res.rows[0]?.n ?? 0);
}
