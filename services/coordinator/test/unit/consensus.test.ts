import { describe, expect, it } from 'vitest';
import { tally } from '../../src/domain/consensus.js';
import { NOW, secondsAfter } from './fixtures.js';

const THRESHOLD = 0.7;
const TIMEOUT = 300;
const voters = (n: number) => Array.from({ length: n }, (_, i) => `v${i}`);
/** `yes` yes-votes then `no` no-votes from the first eligible voters. */
const votes = (yes: number, no: number, offset = 0) => [
  ...Array.from({ length: yes }, (_, i) => ({ agent_id: `v${offset + i}`, vote: true })),
  ...Array.from({ length: no }, (_, i) => ({ agent_id: `v${offset + yes + i}`, vote: false })),
];
const at = (seconds: number) => secondsAfter(seconds, NOW);

describe('tally', () => {
  it('when there are no eligible voters, then the vote passes at once with ratio 1 (no division by zero)', () => {
    const t = tally([], [], THRESHOLD, NOW, TIMEOUT, NOW);
    expect(t).toEqual({ state: 'passed', ratio: 1, yes: 0, no: 0, eligible: 0 });
    expect(Number.isFinite(t.ratio)).toBe(true);
  });

  it('when there are no eligible voters but outsiders voted no, then it still passes', () => {
    const t = tally([], [{ agent_id: 'outsider', vote: false }], THRESHOLD, NOW, TIMEOUT, NOW);
    expect(t.state).toBe('passed');
    expect(t.ratio).toBe(1);
    expect(t.no).toBe(0);
  });

  it('when 7 of 10 vote yes at threshold 0.7, then it passes', () => {
    const t = tally(voters(10), votes(7, 0), THRESHOLD, NOW, TIMEOUT, NOW);
    expect(t.state).toBe('passed');
    expect(t.ratio).toBeCloseTo(0.7, 12);
    expect(t).toMatchObject({ yes: 7, no: 0, eligible: 10 });
  });

  it('when 7 of 10 vote yes and 3 no, then it passes', () => {
    expect(tally(voters(10), votes(7, 3), THRESHOLD, NOW, TIMEOUT, NOW).state).toBe('passed');
  });

  it('when 6 vote yes and 4 vote no out of 10, then it is rejected early', () => {
    const t = tally(voters(10), votes(6, 4), THRESHOLD, NOW, TIMEOUT, NOW);
    expect(t.state).toBe('rejected');
    expect(t.ratio).toBeCloseTo(0.6, 12);
  });

  it('when 4 of 10 vote no before any yes, then it is rejected without waiting for the rest', () => {
    expect(tally(voters(10), votes(0, 4), THRESHOLD, NOW, TIMEOUT, NOW).state).toBe('rejected');
  });

  it('when 3 of 10 vote no, then yes can still reach 0.7 and it stays active', () => {
    expect(tally(voters(10), votes(0, 3), THRESHOLD, NOW, TIMEOUT, NOW).state).toBe('active');
    expect(tally(voters(10), votes(6, 3), THRESHOLD, NOW, TIMEOUT, NOW).state).toBe('active');
  });

  it('when 6 of 10 vote yes and nobody votes no yet, then it is undecided and stays active', () => {
    const t = tally(voters(10), votes(6, 0), THRESHOLD, NOW, TIMEOUT, NOW);
    expect(t.state).toBe('active');
    expect(t.ratio).toBeCloseTo(0.6, 12);
  });

  it('when nobody has voted yet, then it is active with ratio 0', () => {
    expect(tally(voters(10), [], THRESHOLD, NOW, TIMEOUT, NOW)).toEqual({ state: 'active', ratio: 0, yes: 0, no: 0, eligible: 10 });
  });

  it('when 3 voters and threshold 0.7, then 2 yes (0.67) is not enough and 3 yes is', () => {
    expect(tally(voters(3), votes(2, 0), THRESHOLD, NOW, TIMEOUT, NOW).state).toBe('active');
    expect(tally(voters(3), votes(2, 1), THRESHOLD, NOW, TIMEOUT, NOW).state).toBe('rejected');
    expect(tally(voters(3), votes(3, 0), THRESHOLD, NOW, TIMEOUT, NOW).state).toBe('passed');
  });

  it('when a single voter votes, then its vote decides', () => {
    expect(tally(['solo'], [{ agent_id: 'solo', vote: true }], THRESHOLD, NOW, TIMEOUT, NOW).state).toBe('passed');
    expect(tally(['solo'], [{ agent_id: 'solo', vote: false }], THRESHOLD, NOW, TIMEOUT, NOW).state).toBe('rejected');
  });

  it('when the threshold is 1, then a single no rejects and all yes passes', () => {
    expect(tally(voters(4), votes(3, 1), 1, NOW, TIMEOUT, NOW).state).toBe('rejected');
    expect(tally(voters(4), votes(4, 0), 1, NOW, TIMEOUT, NOW).state).toBe('passed');
    expect(tally(voters(4), votes(3, 0), 1, NOW, TIMEOUT, NOW).state).toBe('active');
  });

  it('when thresholds hit floating-point boundaries exactly, then the boundary counts as reached', () => {
    // 0.1+0.2 style rounding must not block an exact threshold.
    expect(tally(voters(10), votes(3, 0), 0.3, NOW, TIMEOUT, NOW).state).toBe('passed');
    expect(tally(voters(100), votes(70, 0), 0.7, NOW, TIMEOUT, NOW).state).toBe('passed');
    expect(tally(voters(100), votes(69, 0), 0.7, NOW, TIMEOUT, NOW).state).toBe('active');
    expect(tally(voters(100), votes(69, 30), 0.7, NOW, TIMEOUT, NOW).state).toBe('active');
    expect(tally(voters(100), votes(69, 31), 0.7, NOW, TIMEOUT, NOW).state).toBe('rejected');
  });

  it('when agents that are not eligible vote, then their votes are ignored', () => {
    const outsiders = Array.from({ length: 20 }, (_, i) => ({ agent_id: `outsider-${i}`, vote: true }));
    const t = tally(voters(10), [...outsiders, ...votes(6, 0)], THRESHOLD, NOW, TIMEOUT, NOW);
    expect(t).toMatchObject({ state: 'active', yes: 6, no: 0, eligible: 10 });
    const noes = Array.from({ length: 20 }, (_, i) => ({ agent_id: `outsider-${i}`, vote: false }));
    expect(tally(voters(10), [...noes, ...votes(7, 0)], THRESHOLD, NOW, TIMEOUT, NOW).state).toBe('passed');
  });

  it('when an agent votes several times, then it is counted once', () => {
    const repeated = Array.from({ length: 9 }, () => ({ agent_id: 'v0', vote: true }));
    const t = tally(voters(10), repeated, THRESHOLD, NOW, TIMEOUT, NOW);
    expect(t).toMatchObject({ state: 'active', yes: 1, no: 0 });
  });

  it('when an agent votes yes and then no, then only one of its votes counts', () => {
    const t = tally(voters(10), [{ agent_id: 'v0', vote: true }, { agent_id: 'v0', vote: false }], THRESHOLD, NOW, TIMEOUT, NOW);
    expect(t.yes + t.no).toBe(1);
  });

  it('when the eligible list repeats an agent, then it counts as one eligible voter', () => {
    const t = tally(['a', 'a', 'b'], [{ agent_id: 'a', vote: true }, { agent_id: 'b', vote: true }], THRESHOLD, NOW, TIMEOUT, NOW);
    expect(t).toMatchObject({ state: 'passed', eligible: 2, ratio: 1 });
  });

  it('when the vote is still undecided after timeout_seconds, then it times out', () => {
    const t = tally(voters(10), votes(5, 1), THRESHOLD, NOW, TIMEOUT, at(TIMEOUT + 1));
    expect(t.state).toBe('timeout');
    expect(t).toMatchObject({ yes: 5, no: 1, eligible: 10 });
  });

  it('when the vote is undecided before the timeout, then it stays active', () => {
    expect(tally(voters(10), votes(5, 1), THRESHOLD, NOW, TIMEOUT, at(TIMEOUT - 1)).state).toBe('active');
    expect(tally(voters(10), votes(5, 1), THRESHOLD, NOW, 10, at(11)).state).toBe('timeout');
  });

  it('when the outcome is already decided after the timeout, then the decision wins over the timeout', () => {
    expect(tally(voters(10), votes(7, 0), THRESHOLD, NOW, TIMEOUT, at(10_000)).state).toBe('passed');
    expect(tally(voters(10), votes(0, 4), THRESHOLD, NOW, TIMEOUT, at(10_000)).state).toBe('rejected');
  });

  it('when there are no eligible voters long after creation, then it passes rather than timing out', () => {
    expect(tally([], [], THRESHOLD, NOW, TIMEOUT, at(10_000)).state).toBe('passed');
  });
});
