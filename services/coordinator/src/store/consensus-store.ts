import type { Queryable } from '@nexus/core';

export interface ConsensusSession {
  id: string;
  proposal_id: string;
  proposal_type: 'conflict_resolution' | 'collaboration_solution';
  subject_id: string;
  proposal: unknown;
  eligible_agents: string[];
  threshold: number;
  timeout_seconds: number;
  status: 'active' | 'passed' | 'rejected' | 'timeout';
  consensus_ratio: number | null;
  created_at: Date;
  decided_at: Date | null;
}

export interface Vote {
  session_id: string;
  agent_id: string;
  vote: boolean;
  reasoning: string;
  cast_at: Date;
}

const COLUMNS = `id, proposal_id, proposal_type, subject_id, proposal, eligible_agents, threshold, timeout_seconds, status,
  consensus_ratio, created_at, decided_at`;

export async function createSession(
  db: Queryable,
  s: Pick<ConsensusSession, 'id' | 'proposal_id' | 'proposal_type' | 'subject_id' | 'proposal' | 'eligible_agents' | 'threshold' | 'timeout_seconds'>,
): Promise<void> {
  await db.query(
    `INSERT INTO consensus_sessions (id, proposal_id, proposal_type, subject_id, proposal, eligible_agents, threshold, timeout_seconds)
     VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8)`,
    [s.id, s.proposal_id, s.proposal_type, s.subject_id, JSON.stringify(s.proposal), s.eligible_agents, s.threshold, s.timeout_seconds],
  );
}

export async function getSession(db: Queryable, id: string, forUpdate = false): Promise<ConsensusSession | null> {
  const res = await db.query<ConsensusSession>(`SELECT ${COLUMNS} FROM consensus_sessions WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`, [id]);
  return res.rows[0] ?? null;
}

export async function listSessions(db: Queryable, status?: string): Promise<ConsensusSession[]> {
  const res = await db.query<ConsensusSession>(
    `SELECT ${COLUMNS} FROM consensus_sessions WHERE ($1::text IS NULL OR status = $1) ORDER BY created_at DESC, id LIMIT 1000`,
    [status ?? null],
  );
  return res.rows;
}

export async function activeSessions(db: Queryable): Promise<ConsensusSession[]> {
  const res = await db.query<ConsensusSession>(`SELECT ${COLUMNS} FROM consensus_sessions WHERE status = 'active'`);
  return res.rows;
}

export async function votesOf(db: Queryable, sessionIds: string[]): Promise<Vote[]> {
  if (sessionIds.length === 0) return [];
  const res = await db.query<Vote>(
    `SELECT session_id, agent_id, vote, reasoning, cast_at FROM consensus_votes WHERE session_id = ANY($1::text[]) ORDER BY cast_at`,
    [sessionIds],
  );
  return res.rows;
}

export async function upsertVote(db: Queryable, v: Omit<Vote, 'cast_at'>): Promise<void> {
  await db.query(
    `INSERT INTO consensus_votes (session_id, agent_id, vote, reasoning) VALUES ($1, $2, $3, $4)
     ON CONFLICT (session_id, agent_id) DO UPDATE SET vote = EXCLUDED.vote, reasoning = EXCLUDED.reasoning, cast_at = now()`,
    [v.session_id, v.agent_id, v.vote, v.reasoning],
  );
}

export async function decideSession(db: Queryable, id: string, status: ConsensusSession['status'], ratio: number): Promise<void> {
  await db.query(
    `UPDATE consensus_sessions SET status = $2, consensus_ratio = $3, decided_at = now() WHERE id = $1 AND status = 'active'`,
    [id, status, ratio],
  );
}

/** Replaces the proposal of an open session; votes on the earlier proposal are discarded. */
export async function updateProposal(db: Queryable, id: string, proposal: unknown): Promise<void> {
  const res = await db.query(`UPDATE consensus_sessions SET proposal = $2::jsonb WHERE id = $1 AND status = 'active'`, [id, JSON.stringify(proposal)]);
  if (res.rowCount === 1) await db.query(`DELETE FROM consensus_votes WHERE session_id = $1`, [id]);
}
