import type { Queryable } from '@nexus/core';

/** `lock`: hold a share lock until the transaction ends, so writers of the key wait. */
export async function getState<T>(db: Queryable, key: string, lock = false): Promise<T | undefined> {
  const res = await db.query<{ value: T }>(`SELECT value FROM coordinator_state WHERE key = $1${lock ? ' FOR SHARE' : ''}`, [key]);
  return res.rows[0]?.value;
}

export async function setState(db: Queryable, key: string, value: unknown): Promise<void> {
  await db.query(
    `INSERT INTO coordinator_state (key, value) VALUES ($1, $2::jsonb)
     ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`,
    [key, JSON.stringify(value)],
  );
}
