import { describe, expect, it } from 'vitest';
import { mergeSolutions, readyToMerge, selectParticipants, solutionConfidence, type SubmittedSolution } from '../../src/domain/collaboration.js';
import { makeAgent, shuffled } from './fixtures.js';

const sol = (agent_id: string, confidence: number, solution: Record<string, unknown>): SubmittedSolution => ({ agent_id, confidence, solution });

describe('selectParticipants', () => {
  const agents = [
    makeAgent({ id: 'c', capabilities: ['analysis'] }),
    makeAgent({ id: 'a', capabilities: ['testing', 'optimization'] }),
    makeAgent({ id: 'b', capabilities: ['deployment'] }),
    makeAgent({ id: 'inactive', capabilities: ['analysis'], status: 'inactive' }),
    makeAgent({ id: 'draining', capabilities: ['analysis'], status: 'draining' }),
    makeAgent({ id: 'none', capabilities: [] }),
  ];

  it('when agents have any of the required capabilities, then the active ones take part (sorted by id)', () => {
    expect(selectParticipants(agents, ['analysis', 'optimization'])).toEqual(['a', 'c']);
  });

  it('when an agent has all required capabilities, then it is listed once', () => {
    expect(selectParticipants(agents, ['testing', 'optimization'])).toEqual(['a']);
  });

  it('when agents are inactive or draining, then they do not take part', () => {
    expect(selectParticipants(agents, ['analysis'])).toEqual(['c']);
  });

  it('when nobody has a required capability, or none is required, then nobody takes part', () => {
    expect(selectParticipants(agents, ['security_scan'])).toEqual([]);
    expect(selectParticipants(agents, [])).toEqual([]);
  });

  it('when the input order changes, then the result does not', () => {
    expect(selectParticipants(shuffled(agents, 4), ['analysis', 'testing', 'deployment'])).toEqual(['a', 'b', 'c']);
  });
});

describe('readyToMerge', () => {
  it('when at least half of the participants (rounded up) have submitted, then it is ready', () => {
    expect(readyToMerge(2, 1)).toBe(true);
    expect(readyToMerge(3, 2)).toBe(true);
    expect(readyToMerge(4, 2)).toBe(true);
    expect(readyToMerge(5, 3)).toBe(true);
    expect(readyToMerge(5, 5)).toBe(true);
  });

  it('when fewer than half (rounded up) have submitted, then it is not ready', () => {
    expect(readyToMerge(2, 0)).toBe(false);
    expect(readyToMerge(3, 1)).toBe(false);
    expect(readyToMerge(4, 1)).toBe(false);
    expect(readyToMerge(5, 2)).toBe(false);
  });

  it('when there are no participants, then it is never ready', () => {
    expect(readyToMerge(0, 0)).toBe(false);
  });
});

describe('solutionConfidence', () => {
  it('when the solution states a confidence in [0,1], then that is the confidence', () => {
    expect(solutionConfidence({ confidence: 0.8 })).toBe(0.8);
    expect(solutionConfidence({ confidence: 0 })).toBe(0);
    expect(solutionConfidence({ confidence: 1 })).toBe(1);
  });

  it('when the confidence is absent or not a finite number, then it defaults to 0.5', () => {
    expect(solutionConfidence({})).toBe(0.5);
    expect(solutionConfidence({ confidence: '0.9' })).toBe(0.5);
    expect(solutionConfidence({ confidence: null })).toBe(0.5);
    expect(solutionConfidence({ confidence: Number.NaN })).toBe(0.5);
    expect(solutionConfidence({ confidence: Number.POSITIVE_INFINITY })).toBe(0.5);
  });

  it('when the confidence is out of range, then it is clamped to [0,1]', () => {
    expect(solutionConfidence({ confidence: 1.7 })).toBe(1);
    expect(solutionConfidence({ confidence: -0.3 })).toBe(0);
  });
});

describe('mergeSolutions', () => {
  it('when there are no solutions, then the merge is empty', () => {
    expect(mergeSolutions([])).toEqual({});
  });

  it('when numbers are merged, then the result is the confidence-weighted average', () => {
    const merged = mergeSolutions([sol('a', 0.75, { x: 10 }), sol('b', 0.25, { x: 20 })]);
    expect(merged.x).toBeCloseTo(12.5, 12);
  });

  it('when only some solutions have a numeric key, then only those are averaged', () => {
    const merged = mergeSolutions([sol('a', 0.9, { x: 10 }), sol('b', 0.3, { x: 20, y: 7 }), sol('c', 0.6, { y: 1 })]);
    expect(merged.x).toBeCloseTo((10 * 0.9 + 20 * 0.3) / 1.2, 12);
    expect(merged.y).toBeCloseTo((7 * 0.3 + 1 * 0.6) / 0.9, 12);
  });

  it('when a number appears in one solution only, then it is kept as is (not diluted)', () => {
    expect(mergeSolutions([sol('a', 0.9, { other: 'x' }), sol('b', 0.1, { n: 42 })]).n).toBeCloseTo(42, 12);
  });

  it('when total confidence is 0, then numbers fall back to the plain average', () => {
    const merged = mergeSolutions([sol('a', 0, { x: 10 }), sol('b', 0, { x: 20 }), sol('c', 0, { x: 60 })]);
    expect(merged.x).toBeCloseTo(30, 12);
    expect(Number.isNaN(merged.x)).toBe(false);
  });

  it('when the solutions having a key have 0 confidence although others do not, then that key is the plain average', () => {
    const merged = mergeSolutions([sol('a', 0, { x: 10 }), sol('b', 0, { x: 30 }), sol('c', 1, { y: 5 })]);
    expect(merged.x).toBeCloseTo(20, 12);
    expect(merged.y).toBe(5);
  });

  it('when strings are merged, then the value comes from the most confident solution', () => {
    const merged = mergeSolutions([sol('a', 0.4, { approach: 'scale out' }), sol('b', 0.9, { approach: 'add cache' }), sol('c', 0.6, { approach: 'tune gc' })]);
    expect(merged.approach).toBe('add cache');
  });

  it('when the most confident solution lacks a string key, then the most confident one having it wins', () => {
    const merged = mergeSolutions([sol('a', 0.9, {}), sol('b', 0.3, { note: 'low' }), sol('c', 0.6, { note: 'mid' })]);
    expect(merged.note).toBe('mid');
  });

  it('when confidences tie, then the pick is deterministic whatever the submission order', () => {
    const subs = [sol('b', 0.5, { s: 'from-b' }), sol('a', 0.5, { s: 'from-a' })];
    expect(mergeSolutions(subs).s).toBe(mergeSolutions([...subs].reverse()).s);
  });

  it('when lists are merged, then the result is their union without duplicates', () => {
    const merged = mergeSolutions([sol('a', 0.8, { steps: ['restart', 'scale'] }), sol('b', 0.5, { steps: ['scale', 'cache', 'restart'] })]);
    expect(merged.steps).toHaveLength(3);
    expect(merged.steps).toEqual(expect.arrayContaining(['restart', 'scale', 'cache']));
  });

  it('when lists contain objects, then equal objects appear once', () => {
    const merged = mergeSolutions([
      sol('a', 0.8, { actions: [{ op: 'scale', n: 2 }, { op: 'cache' }] }),
      sol('b', 0.5, { actions: [{ op: 'scale', n: 2 }, { op: 'restart' }] }),
      sol('c', 0.2, { actions: [{ op: 'cache' }] }),
    ]);
    expect(merged.actions).toHaveLength(3);
    expect(merged.actions).toEqual(expect.arrayContaining([{ op: 'scale', n: 2 }, { op: 'cache' }, { op: 'restart' }]));
  });

  it('when lists contain numbers and strings that look alike, then they stay distinct', () => {
    const merged = mergeSolutions([sol('a', 0.5, { v: [1, '1'] }), sol('b', 0.5, { v: [1] })]);
    expect(merged.v).toHaveLength(2);
  });

  it('when values of one key have mixed types, then the most confident value is taken', () => {
    const merged = mergeSolutions([sol('a', 0.3, { k: 5 }), sol('b', 0.9, { k: 'five' })]);
    expect(merged.k).toBe('five');
  });

  it('when keys of different kinds are merged together, then each follows its own rule', () => {
    const merged = mergeSolutions([
      sol('a', 0.6, { replicas: 4, strategy: 'rolling', regions: ['eu'], enabled: true }),
      sol('b', 0.2, { replicas: 8, strategy: 'blue-green', regions: ['us', 'eu'], enabled: false }),
    ]);
    expect(merged.replicas).toBeCloseTo((4 * 0.6 + 8 * 0.2) / 0.8, 12);
    expect(merged.strategy).toBe('rolling');
    expect([...(merged.regions as string[])].sort()).toEqual(['eu', 'us']);
    expect(merged.enabled).toBe(true);
  });

  it('when solutions are merged, then the inputs are not mutated', () => {
    const subs = [sol('a', 0.6, { list: [1, 2], n: 1 }), sol('b', 0.4, { list: [2, 3], n: 3 })];
    const before = structuredClone(subs);
    mergeSolutions(subs);
    expect(subs).toEqual(before);
  });
});
