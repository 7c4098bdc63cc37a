import type { Queryable } from '@nexus/core';

export interface OutboxMessage {
  id: number;
  topic: string;
  message_key: string;
  payload: Record<string, unknown>;
  attempts: number;
}

/** Queues a message in the caller's transaction; the same key is queued once. */
export async function enqueue(db: Queryable, topic: string, key: string, payload: unknown): Promise<void> {
  await db.query(
    `INSERT INTO outbox (topic, message_key, payload) VALUES ($1, $2, $3::jsonb) ON CONFLICT (message_key) DO NOTHING`,
    [topic, key, JSON.stringify(payload)],
  );
}

export async function dueMessages(db: Queryable, limit: number): Promise<OutboxMessage[]> {
  const res = await db.query<OutboxMessage>(
    `SELECT id, topic, message_key, payload, attempts FROM outbox
     WHERE delivered_at IS NULL AND NOT dead AND next_attempt_at <= now() ORDER BY id LIMIT $1`,
    [limit],
  );
  return res.rows.map((r) => ({ ...r, id: Number(r.id) }));
}

export async function markDelivered(db: Queryable, ids: number[]): Promise<void> {
  if (ids.length) await db.query(`UPDATE outbox SET delivered_at = now(), attempts = attempts + 1 WHERE id = ANY($1::bigint[])`, [ids]);
}

export async function markFailed(db: Queryable, id: number, error: string, retryInSeconds: number | null): Promise<void> {
  await db.query(
    `UPDATE outbox SET attempts = attempts + 1, last_error = $2,
       dead = $3, next_attempt_at = now() + make_interval(secs => coalesce($4::float8, 0)) WHERE id = $1`,
    [id, error.slice(0, 1000), retryInSeconds === null, retryInSeconds],
  );
}

export async function outboxStats(db: Queryable): Promise<{ pending: number; delivered: number; dead: number }> {
  const res = await db.query<{ pending: number; delivered: number; dead: number }>(
    `SELECT count(*) FILTER (WHERE delivered_at IS NULL AND NOT dead)::int AS pending,
            count(*) FILTER (WHERE delivered_at IS NOT NULL)::int AS delivered,
            count(*) FILTER (WHERE dead)::int AS dead FROM outbox`,
  );
  const r = res.rows[0]!;
  return { pending: Number(r.pending), delivered: Number(r.delivered), dead: Number(r.dead) };
}
