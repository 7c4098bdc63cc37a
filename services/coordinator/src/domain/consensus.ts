export type SessionState = 'active' | 'passed' | 'rejected' | 'timeout';

export interface Tally {
  state: SessionState;
  /** Yes votes over eligible voters (1 when nobody is eligible: nothing can object). */
  ratio: number;
  yes: number;
  no: number;
  eligible: number;
}

/**
 * Decides a vote as soon as the outcome is certain: passed once the yes votes reach the
 * threshold of all eligible voters, rejected once they no longer can; otherwise the
 * session times out. With no eligible voters it passes at once (no division by zero).
 */
export function tally(
  eligible: readonly string[],
  votes: ReadonlyArray<{ agent_id: string; vote: boolean }>,
  threshold: number,
  createdAt: Date,
  timeoutSeconds: number,
  now: Date,
): Tally {
  const voters = new Set(eligible);
  const n = voters.size;
  let yes = 0;
  let no = 0;
  const counted = new Set<string>();
  for (const v of votes) {
    if (!voters.has(v.agent_id) || counted.has(v.agent_id)) continue;
    counted.add(v.agent_id);
    if (v.vote) yes++;
    else no++;
  }
  if (n === 0) return { state: 'passed', ratio: 1, yes, no, eligible: 0 };
  const ratio = yes / n;
  const epsilon = 1e-12;
  if (ratio + epsilon >= threshold) return { state: 'passed', ratio, yes, no, eligible: n };
  const best = (n - no) / n;
  if (best + epsilon < threshold) return { state: 'rejected', ratio, yes, no, eligible: n };
  if (now.getTime() - createdAt.getTime() > timeoutSeconds * 1000) return { state: 'timeout', ratio, yes, no, eligible: n };
  return { state: 'active', ratio, yes, no, eligible: n };
}
