import type { Agent } from './types.js';

export interface SubmittedSolution {
  agent_id: string;
  solution: Record<string, unknown>;
  confidence: number;
}

/** Active agents having at least one of the required capabilities. */
export function selectParticipants(agents: Array<Pick<Agent, 'id' | 'status' | 'capabilities'>>, required: string[]): string[] {
  const need = new Set(required);
  return agents
    .filter((a) => a.status === 'active' && a.capabilities.some((c) => need.has(c)))
    .map((a) => a.id)
    .sort();
}

/** Merging starts once at least half of the participants (rounded up) have answered. */
export function readyToMerge(participants: number, submitted: number): boolean {
  return participants > 0 && submitted >= Math.ceil(participants / 2);
}

/** Confidence from the solution (`confidence` in [0,1]), 0.5 when absent or invalid. */
export function solutionConfidence(solution: Record<string, unknown>): number {
  const c = solution.confidence;
  return typeof c === 'number' && Number.isFinite(c) ? Math.min(1, Math.max(0, c)) : 0.5;
}

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * One solution from many: numbers by confidence-weighted average (over the solutions that
 * have the key), lists by union (first appearance order), anything else (strings,
 * booleans, objects) from the most confident solution having the key.
 */
export function mergeSolutions(solutions: SubmittedSolution[]): Record<string, unknown> {
  if (solutions.length === 0) return {};
  const byConfidence = [...solutions].sort((a, b) => b.confidence - a.confidence || (a.agent_id < b.agent_id ? -1 : 1));
  const keys = new Set<string>();
  for (const s of solutions) for (const k of Object.keys(s.solution)) keys.add(k);
  const merged: Record<string, unknown> = {};
  for (const key of keys) {
    const having = solutions.filter((s) => Object.prototype.hasOwnProperty.call(s.solution, key));
    const values = having.map((s) => s.solution[key]);
    if (values.every(isNumber)) {
      const total = having.reduce((acc, s) => acc + s.confidence, 0);
      merged[key] =
        total > 0
          ? having.reduce((acc, s) => acc + (s.solution[key] as number) * s.confidence, 0) / total
          : (values as number[]).reduce((a, b) => a + b, 0) / values.length;
    } else if (values.every(Array.isArray)) {
      const seen = new Set<string>();
      const union: unknown[] = [];
      for (const s of byConfidence) {
        if (!Object.prototype.hasOwnProperty.call(s.solution, key)) continue;
        for (const item of s.solution[key] as unknown[]) {
          const id = JSON.stringify(item);
          if (seen.has(id)) continue;
          seen.add(id);
          union.push(item);
        }
      }
      merged[key] = union;
    } else {
      merged[key] = byConfidence.find((s) => Object.prototype.hasOwnProperty.call(s.solution, key))!.solution[key];
    }
  }
  return merged;
}
