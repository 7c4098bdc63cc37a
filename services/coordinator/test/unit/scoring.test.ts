import { describe, expect, it } from 'vitest';
import {
  agentScore,
  canHandle,
  compareTasks,
  effectiveLoad,
  effectivePriority,
  isAvailable,
  planAssignments,
  requiredResources,
  taskLoad,
  type PlanOptions,
  type PlannedAssignment,
} from '../../src/domain/scoring.js';
import type { Agent, ScoringWeights, Task } from '../../src/domain/types.js';
import {
  HEARTBEAT_TIMEOUT,
  NOW,
  SPEC_WEIGHTS,
  hoursBefore,
  makeAgent,
  makeAgents,
  makeTask,
  makeTasks,
  rng,
  secondsAfter,
  secondsBefore,
  shuffled,
} from './fixtures.js';

const opts = (over: Partial<PlanOptions> = {}): PlanOptions => ({
  now: NOW,
  weights: SPEC_WEIGHTS,
  agingFactor: 0.1,
  specializationBonus: 1.5,
  heartbeatTimeoutSeconds: HEARTBEAT_TIMEOUT,
  ...over,
});

/** The SPEC §4 formula written out independently of the implementation. */
function specScore(
  a: { load: number; capacity: number; perf: number; success: number; response: number; specialised: boolean },
  w: ScoringWeights = SPEC_WEIGHTS,
  bonus = 1.5,
): number {
  const base =
    (1 - a.load / a.capacity) * w.current_load +
    a.perf * w.performance_score +
    a.success * w.success_rate +
    (1 / (1 + a.response)) * w.response_time;
  return base * (a.specialised ? bonus : 1);
}

describe('requiredResources', () => {
  it('when requirements.resources holds numbers, then they are returned and non-numbers are dropped', () => {
    const t = makeTask({ requirements: { resources: { cpu: 2, memory: 4, gpu: 'yes', disk: Number.NaN } } });
    expect(requiredResources(t)).toEqual({ cpu: 2, memory: 4 });
  });

  it('when requirements has no usable resources object, then nothing is required', () => {
    expect(requiredResources(makeTask({ requirements: {} }))).toEqual({});
    expect(requiredResources(makeTask({ requirements: { resources: null } }))).toEqual({});
    expect(requiredResources(makeTask({ requirements: { resources: [1, 2] } }))).toEqual({});
    expect(requiredResources(makeTask({ requirements: { resources: 'cpu' } }))).toEqual({});
  });
});

describe('canHandle', () => {
  it('when the agent has the task type as a capability and no resources are asked, then it can handle it', () => {
    expect(canHandle(makeAgent({ capabilities: ['testing', 'analysis'] }), makeTask({ task_type: 'analysis' }))).toBe(true);
  });

  it('when the agent lacks the capability, then it cannot handle the task', () => {
    expect(canHandle(makeAgent({ capabilities: ['testing'] }), makeTask({ task_type: 'analysis' }))).toBe(false);
    expect(canHandle(makeAgent({ capabilities: [] }), makeTask({ task_type: 'analysis' }))).toBe(false);
  });

  it('when a capability only resembles the task type, then it does not count (exact equality)', () => {
    expect(canHandle(makeAgent({ capabilities: ['analysis_v2', 'Analysis', 'analysi'] }), makeTask({ task_type: 'analysis' }))).toBe(false);
  });

  it('when the agent is specialised but lacks the capability, then it cannot handle the task', () => {
    expect(canHandle(makeAgent({ capabilities: ['testing'], specializations: ['analysis'] }), makeTask({ task_type: 'analysis' }))).toBe(false);
  });

  it('when every required resource amount is at most what the agent offers, then it can handle it', () => {
    const agent = makeAgent({ resource_requirements: { cpu: 4, memory: 8 } });
    expect(canHandle(agent, makeTask({ requirements: { resources: { cpu: 4, memory: 8 } } }))).toBe(true);
    expect(canHandle(agent, makeTask({ requirements: { resources: { cpu: 1 } } }))).toBe(true);
  });

  it('when any required amount exceeds what the agent offers, then it cannot handle it', () => {
    const agent = makeAgent({ resource_requirements: { cpu: 4, memory: 8 } });
    expect(canHandle(agent, makeTask({ requirements: { resources: { cpu: 4.5 } } }))).toBe(false);
    expect(canHandle(agent, makeTask({ requirements: { resources: { cpu: 2, memory: 9 } } }))).toBe(false);
  });

  it('when the task asks for a resource the agent does not offer at all, then it cannot handle it', () => {
    const agent = makeAgent({ resource_requirements: { cpu: 4 } });
    expect(canHandle(agent, makeTask({ requirements: { resources: { gpu: 1 } } }))).toBe(false);
  });

  it('when the task asks for zero of a resource the agent does not list, then that is satisfied', () => {
    expect(canHandle(makeAgent({ resource_requirements: {} }), makeTask({ requirements: { resources: { gpu: 0 } } }))).toBe(true);
  });
});

describe('taskLoad', () => {
  it('when requirements.load is a number, then it is the load', () => {
    expect(taskLoad({ load: 25 }, 10)).toBe(25);
    expect(taskLoad({ load: 2.5 }, 10)).toBe(2.5);
    expect(taskLoad({ load: 0 }, 10)).toBe(0);
  });

  it('when requirements.load is absent, then the configured default is used', () => {
    expect(taskLoad({}, 10)).toBe(10);
    expect(taskLoad({ estimated_duration: 3600 }, 7)).toBe(7);
  });

  it('when requirements.load is not a usable number, then the default is used', () => {
    expect(taskLoad({ load: '25' }, 10)).toBe(10);
    expect(taskLoad({ load: -5 }, 10)).toBe(10);
    expect(taskLoad({ load: Number.NaN }, 10)).toBe(10);
    expect(taskLoad({ load: Number.POSITIVE_INFINITY }, 10)).toBe(10);
    expect(taskLoad({ load: null }, 10)).toBe(10);
  });
});

describe('effectiveLoad', () => {
  it('when the agent reports more load than its tasks hold, then the reported load counts', () => {
    expect(effectiveLoad({ current_load: 20, reported_load: 70 })).toBe(70);
  });

  it('when the tasks hold more than the reported load, or nothing is reported, then the held load counts', () => {
    expect(effectiveLoad({ current_load: 40, reported_load: 10 })).toBe(40);
    expect(effectiveLoad({ current_load: 40, reported_load: null })).toBe(40);
  });
});

describe('isAvailable', () => {
  it('when active, below capacity and recently heard from, then the agent is available', () => {
    expect(isAvailable(makeAgent({ current_load: 99, max_capacity: 100 }), NOW, HEARTBEAT_TIMEOUT)).toBe(true);
  });

  it('when the status is not active, then the agent is unavailable', () => {
    expect(isAvailable(makeAgent({ status: 'inactive' }), NOW, HEARTBEAT_TIMEOUT)).toBe(false);
    expect(isAvailable(makeAgent({ status: 'draining' }), NOW, HEARTBEAT_TIMEOUT)).toBe(false);
  });

  it('when the load reaches or exceeds the capacity, then the agent is unavailable', () => {
    expect(isAvailable(makeAgent({ current_load: 100, max_capacity: 100 }), NOW, HEARTBEAT_TIMEOUT)).toBe(false);
    expect(isAvailable(makeAgent({ current_load: 150, max_capacity: 100 }), NOW, HEARTBEAT_TIMEOUT)).toBe(false);
  });

  it('when the agent reports a full load although its tasks hold little, then it is unavailable', () => {
    expect(isAvailable(makeAgent({ current_load: 10, reported_load: 100, max_capacity: 100 }), NOW, HEARTBEAT_TIMEOUT)).toBe(false);
  });

  it('when the reported load is below capacity, then it does not block availability', () => {
    expect(isAvailable(makeAgent({ current_load: 10, reported_load: 90, max_capacity: 100 }), NOW, HEARTBEAT_TIMEOUT)).toBe(true);
  });

  it('when the last heartbeat is exactly at the timeout, then the agent is still available', () => {
    expect(isAvailable(makeAgent({ last_heartbeat: secondsBefore(HEARTBEAT_TIMEOUT) }), NOW, HEARTBEAT_TIMEOUT)).toBe(true);
  });

  it('when the last heartbeat is older than the timeout, then the agent is unavailable', () => {
    expect(isAvailable(makeAgent({ last_heartbeat: secondsBefore(HEARTBEAT_TIMEOUT + 0.001) }), NOW, HEARTBEAT_TIMEOUT)).toBe(false);
    expect(isAvailable(makeAgent({ last_heartbeat: secondsBefore(3600) }), NOW, HEARTBEAT_TIMEOUT)).toBe(false);
  });

  it('when a different timeout is configured, then it is the one applied', () => {
    const agent = makeAgent({ last_heartbeat: secondsBefore(30) });
    expect(isAvailable(agent, NOW, 60)).toBe(true);
    expect(isAvailable(agent, NOW, 10)).toBe(false);
  });
});

describe('agentScore', () => {
  it('when the agent is idle and perfect, then the score is the sum of the weights (1.0)', () => {
    expect(agentScore(makeAgent(), makeTask(), SPEC_WEIGHTS)).toBeCloseTo(1.0, 12);
  });

  it('when load, performance, success rate and response time vary, then the SPEC formula holds exactly', () => {
    const agent = makeAgent({ current_load: 40, max_capacity: 100, performance_score: 0.8, success_rate: 0.9, average_response_time: 3 });
    // 0.6·0.3 + 0.8·0.25 + 0.9·0.25 + 0.25·0.2
    expect(agentScore(agent, makeTask(), SPEC_WEIGHTS)).toBeCloseTo(0.18 + 0.2 + 0.225 + 0.05, 12);
  });

  it('when the task type is among the specialisations, then the score is multiplied by 1.5', () => {
    const plain = makeAgent({ current_load: 40, performance_score: 0.8, success_rate: 0.9, average_response_time: 3 });
    const specialised = { ...plain, specializations: ['analysis'] };
    expect(agentScore(specialised, makeTask(), SPEC_WEIGHTS)).toBeCloseTo(0.655 * 1.5, 12);
    expect(agentScore(specialised, makeTask(), SPEC_WEIGHTS)).toBeCloseTo(agentScore(plain, makeTask(), SPEC_WEIGHTS) * 1.5, 12);
  });

  it('when the specialisation is for another task type, then there is no bonus', () => {
    const agent = makeAgent({ capabilities: ['analysis', 'testing'], specializations: ['testing'] });
    expect(agentScore(agent, makeTask({ task_type: 'analysis' }), SPEC_WEIGHTS)).toBeCloseTo(1.0, 12);
  });

  it('when a custom specialisation bonus is given, then it is used', () => {
    const agent = makeAgent({ specializations: ['analysis'] });
    expect(agentScore(agent, makeTask(), SPEC_WEIGHTS, 2)).toBeCloseTo(2.0, 12);
  });

  it('when the agent cannot handle the task, then the score is 0 (even if specialised)', () => {
    expect(agentScore(makeAgent({ capabilities: ['testing'], specializations: ['analysis'] }), makeTask(), SPEC_WEIGHTS)).toBe(0);
    const lacksCpu = makeAgent({ resource_requirements: { cpu: 1 } });
    expect(agentScore(lacksCpu, makeTask({ requirements: { resources: { cpu: 2 } } }), SPEC_WEIGHTS)).toBe(0);
  });

  it('when the average response time is r, then the response term is 1/(1+r)', () => {
    const fast = agentScore(makeAgent({ average_response_time: 0 }), makeTask(), SPEC_WEIGHTS);
    const slow = agentScore(makeAgent({ average_response_time: 9 }), makeTask(), SPEC_WEIGHTS);
    expect(fast - slow).toBeCloseTo(0.2 * (1 - 1 / 10), 12);
  });

  it('when the agent reports a higher load than its tasks hold, then the load factor uses it', () => {
    const agent = makeAgent({ current_load: 0, reported_load: 50, max_capacity: 100 });
    expect(agentScore(agent, makeTask(), SPEC_WEIGHTS)).toBeCloseTo(0.5 * 0.3 + 0.25 + 0.25 + 0.2, 12);
  });

  it('when the capacity is not 100, then the load factor is 1 - load/capacity', () => {
    const agent = makeAgent({ current_load: 5, max_capacity: 20 });
    expect(agentScore(agent, makeTask(), SPEC_WEIGHTS)).toBeCloseTo(0.75 * 0.3 + 0.7, 12);
  });

  it('when other weights are configured, then they are used', () => {
    const w: ScoringWeights = { current_load: 1, performance_score: 0, success_rate: 0, response_time: 0 };
    expect(agentScore(makeAgent({ current_load: 25 }), makeTask(), w)).toBeCloseTo(0.75, 12);
    const w2: ScoringWeights = { current_load: 0, performance_score: 0, success_rate: 2, response_time: 0 };
    expect(agentScore(makeAgent({ success_rate: 0.4 }), makeTask(), w2)).toBeCloseTo(0.8, 12);
  });

  it('when many random agents are scored, then every score matches the formula written out', () => {
    const next = rng(7);
    for (let i = 0; i < 500; i++) {
      const capacity = 10 + Math.floor(next() * 200);
      const a = {
        load: Math.floor(next() * capacity),
        capacity,
        perf: next(),
        success: next(),
        response: next() * 20,
        specialised: next() < 0.5,
      };
      const agent = makeAgent({
        current_load: a.load,
        max_capacity: capacity,
        performance_score: a.perf,
        success_rate: a.success,
        average_response_time: a.response,
        specializations: a.specialised ? ['analysis'] : [],
      });
      expect(agentScore(agent, makeTask(), SPEC_WEIGHTS)).toBeCloseTo(specScore(a), 10);
    }
  });
});

describe('effectivePriority', () => {
  it('when a task was just created, then its effective priority is its priority', () => {
    expect(effectivePriority(makeTask({ priority: 3, created_at: NOW }), NOW, 0.1)).toBe(3);
  });

  it('when a task has waited h hours, then it gains factor × h', () => {
    expect(effectivePriority(makeTask({ priority: 2, created_at: hoursBefore(5) }), NOW, 0.1)).toBeCloseTo(2.5, 12);
    expect(effectivePriority(makeTask({ priority: 1, created_at: hoursBefore(0.5) }), NOW, 2)).toBeCloseTo(2, 12);
    expect(effectivePriority(makeTask({ priority: 1, created_at: secondsBefore(90) }), NOW, 1)).toBeCloseTo(1 + 90 / 3600, 12);
  });

  it('when the aging factor is 0, then waiting does not change the priority', () => {
    expect(effectivePriority(makeTask({ priority: 4, created_at: hoursBefore(100) }), NOW, 0)).toBe(4);
  });

  it('when created_at is in the future (clock skew), then no negative aging applies', () => {
    expect(effectivePriority(makeTask({ priority: 3, created_at: secondsAfter(7200) }), NOW, 0.1)).toBe(3);
  });
});

describe('compareTasks', () => {
  const sortIds = (tasks: Task[], agingFactor = 0.1) => [...tasks].sort(compareTasks(NOW, agingFactor)).map((t) => t.id);

  it('when priorities differ, then the higher priority comes first', () => {
    const tasks = [
      makeTask({ id: 'p1', priority: 1 }),
      makeTask({ id: 'p5', priority: 5 }),
      makeTask({ id: 'p3', priority: 3 }),
    ];
    expect(sortIds(tasks)).toEqual(['p5', 'p3', 'p1']);
  });

  it('when a lower-priority task has waited long enough, then aging puts it first', () => {
    const tasks = [
      makeTask({ id: 'fresh-p3', priority: 3, created_at: NOW }),
      makeTask({ id: 'old-p2', priority: 2, created_at: hoursBefore(20) }), // 2 + 0.1·20 = 4
    ];
    expect(sortIds(tasks)).toEqual(['old-p2', 'fresh-p3']);
    expect(sortIds(tasks, 0)).toEqual(['fresh-p3', 'old-p2']);
  });

  it('when priorities tie, then the earliest deadline comes first', () => {
    const tasks = [
      makeTask({ id: 'late', deadline: secondsAfter(3600) }),
      makeTask({ id: 'early', deadline: secondsAfter(60) }),
      makeTask({ id: 'mid', deadline: secondsAfter(600) }),
    ];
    expect(sortIds(tasks)).toEqual(['early', 'mid', 'late']);
  });

  it('when priorities tie, then tasks with a deadline come before those without (reference defect fixed)', () => {
    const tasks = [
      makeTask({ id: 'none-a' }),
      makeTask({ id: 'far', deadline: secondsAfter(86_400 * 365) }),
      makeTask({ id: 'none-b' }),
      makeTask({ id: 'past', deadline: secondsBefore(60) }),
    ];
    const order = sortIds(tasks);
    expect(order.slice(0, 2)).toEqual(['past', 'far']);
    expect(order.slice(2).sort()).toEqual(['none-a', 'none-b']);
  });

  it('when priority and deadline tie, then the oldest task comes first', () => {
    const d = secondsAfter(600);
    const tasks = [
      makeTask({ id: 'newer', created_at: secondsBefore(10), deadline: d }),
      makeTask({ id: 'oldest', created_at: secondsBefore(300), deadline: d }),
      makeTask({ id: 'newest', created_at: NOW, deadline: d }),
    ];
    expect(sortIds(tasks, 0)).toEqual(['oldest', 'newer', 'newest']);
    const noDeadline = tasks.map((t) => ({ ...t, deadline: null }));
    expect(sortIds(noDeadline, 0)).toEqual(['oldest', 'newer', 'newest']);
  });

  it('when a higher priority task has no deadline, then it still precedes a lower one with a deadline', () => {
    const tasks = [makeTask({ id: 'p2-deadline', priority: 2, deadline: secondsAfter(10) }), makeTask({ id: 'p4', priority: 4 })];
    expect(sortIds(tasks)).toEqual(['p4', 'p2-deadline']);
  });

  it('when everything ties, then the order is still total and deterministic', () => {
    const tasks = makeTasks(20);
    const a = sortIds(shuffled(tasks, 1));
    const b = sortIds(shuffled(tasks, 2));
    expect(a).toEqual(b);
  });

  it('when the same list is sorted from different input orders, then the result is the same', () => {
    const next = rng(3);
    const tasks = Array.from({ length: 300 }, (_, i) =>
      makeTask({
        id: `t${i}`,
        priority: 1 + Math.floor(next() * 5),
        created_at: secondsBefore(Math.floor(next() * 3) * 3600),
        deadline: next() < 0.5 ? null : secondsAfter(Math.floor(next() * 4) * 60),
      }),
    );
    const expected = sortIds(tasks);
    expect(sortIds(shuffled(tasks, 11))).toEqual(expected);
    expect(sortIds([...tasks].reverse())).toEqual(expected);
    // The comparator is antisymmetric.
    const cmp = compareTasks(NOW, 0.1);
    for (let i = 0; i + 1 < tasks.length; i++) {
      expect(Math.sign(cmp(tasks[i]!, tasks[i + 1]!))).toBe(-Math.sign(cmp(tasks[i + 1]!, tasks[i]!)));
    }
  });
});

describe('planAssignments', () => {
  const byTask = (plan: PlannedAssignment[]) => Object.fromEntries(plan.map((p) => [p.task_id, p.agent_id]));

  it('when there are no available agents, then nothing is planned', () => {
    const agents = [
      makeAgent({ id: 'inactive', status: 'inactive' }),
      makeAgent({ id: 'draining', status: 'draining' }),
      makeAgent({ id: 'stale', last_heartbeat: secondsBefore(HEARTBEAT_TIMEOUT + 1) }),
      makeAgent({ id: 'full', current_load: 100 }),
      makeAgent({ id: 'reported-full', reported_load: 100 }),
    ];
    expect(planAssignments(makeTasks(5), agents, opts())).toEqual([]);
    expect(planAssignments(makeTasks(5), [], opts())).toEqual([]);
  });

  it('when there are no tasks, then nothing is planned', () => {
    expect(planAssignments([], makeAgents(3), opts())).toEqual([]);
  });

  it('when an unavailable agent would score best, then an available one is chosen instead', () => {
    const tasks = [makeTask({ id: 't' })];
    const cases: Array<Partial<Agent>> = [
      { status: 'inactive' },
      { status: 'draining' },
      { last_heartbeat: secondsBefore(HEARTBEAT_TIMEOUT + 1) },
      { current_load: 100 },
      { reported_load: 100 },
    ];
    for (const bad of cases) {
      const agents = [
        makeAgent({ id: 'bad', specializations: ['analysis'], ...bad }),
        makeAgent({ id: 'ok', performance_score: 0.1, success_rate: 0.1, average_response_time: 100 }),
      ];
      expect(byTask(planAssignments(tasks, agents, opts()))).toEqual({ t: 'ok' });
    }
  });

  it('when one task competes for the last slot, then the highest effective priority wins', () => {
    const agents = [makeAgent({ id: 'a', max_capacity: 10 })];
    const tasks = [
      makeTask({ id: 'low', priority: 1 }),
      makeTask({ id: 'urgent', priority: 5 }),
      makeTask({ id: 'mid', priority: 3 }),
    ];
    const plan = planAssignments(tasks, agents, opts());
    expect(plan.map((p) => p.task_id)).toEqual(['urgent']);
  });

  it('when several tasks are assigned, then the plan lists them in queue order', () => {
    const agents = makeAgents(5);
    const tasks = shuffled([
      makeTask({ id: 'p1', priority: 1 }),
      makeTask({ id: 'p2-deadline', priority: 2, deadline: secondsAfter(60) }),
      makeTask({ id: 'p2', priority: 2 }),
      makeTask({ id: 'p5', priority: 5 }),
      makeTask({ id: 'p1-aged', priority: 1, created_at: hoursBefore(30) }), // effective 4
    ]);
    const plan = planAssignments(tasks, agents, opts());
    expect(plan.map((p) => p.task_id)).toEqual(['p5', 'p1-aged', 'p2-deadline', 'p2', 'p1']);
  });

  it('when agents differ in quality, then the task goes to the highest scoring one', () => {
    const agents = [
      makeAgent({ id: 'mediocre', performance_score: 0.5, success_rate: 0.5 }),
      makeAgent({ id: 'best', performance_score: 1, success_rate: 1 }),
      makeAgent({ id: 'slow', average_response_time: 50 }),
    ];
    const plan = planAssignments([makeTask({ id: 't' })], agents, opts());
    expect(plan).toHaveLength(1);
    expect(plan[0]!.agent_id).toBe('best');
    expect(plan[0]!.score).toBeCloseTo(1, 12);
  });

  it('when an agent is specialised in the task type, then the bonus makes it win', () => {
    const agents = [
      makeAgent({ id: 'generalist' }),
      makeAgent({ id: 'specialist', specializations: ['analysis'], performance_score: 0.6, success_rate: 0.6 }),
    ];
    const plan = planAssignments([makeTask({ id: 't' })], agents, opts());
    expect(byTask(plan)).toEqual({ t: 'specialist' });
    expect(plan[0]!.score).toBeCloseTo((0.3 + 0.15 + 0.15 + 0.2) * 1.5, 12);
  });

  it('when two identical agents get two tasks, then the load spreads one each', () => {
    const plan = planAssignments(makeTasks(2), makeAgents(2), opts());
    expect(new Set(plan.map((p) => p.agent_id)).size).toBe(2);
  });

  it('when identical agents get many tasks, then the loads end up balanced', () => {
    const agents = makeAgents(4);
    const plan = planAssignments(makeTasks(20, { load: 10 }), agents, opts());
    expect(plan).toHaveLength(20);
    const counts = new Map<string, number>();
    for (const p of plan) counts.set(p.agent_id, (counts.get(p.agent_id) ?? 0) + 1);
    expect([...counts.values()]).toEqual([5, 5, 5, 5]);
  });

  it('when an agent has room for only some tasks, then it fills up to its capacity and no further', () => {
    const agents = [makeAgent({ id: 'a', max_capacity: 30 })];
    const plan = planAssignments(makeTasks(5, { load: 10 }), agents, opts());
    expect(plan).toHaveLength(3);
    expect(plan.every((p) => p.agent_id === 'a' && p.load === 10)).toBe(true);
  });

  it('when the agent already carries load, then only the remaining capacity is used', () => {
    const agents = [makeAgent({ id: 'a', current_load: 75, max_capacity: 100 })];
    const plan = planAssignments(makeTasks(5, { load: 10 }), agents, opts());
    expect(plan).toHaveLength(2);
  });

  it('when the agent reports more load than its tasks hold, then the reported load limits the plan', () => {
    const agents = [makeAgent({ id: 'a', current_load: 0, reported_load: 75, max_capacity: 100 })];
    expect(planAssignments(makeTasks(5, { load: 10 }), agents, opts())).toHaveLength(2);
  });

  it('when a task would overflow a busy agent, then it is not given to it', () => {
    const agents = [makeAgent({ id: 'busy', current_load: 95, max_capacity: 100 })];
    expect(planAssignments([makeTask({ id: 'big', load: 10 })], agents, opts())).toEqual([]);
  });

  it('when a task would overflow a busy agent but fits another, then the other gets it', () => {
    const agents = [
      makeAgent({ id: 'busy-but-great', current_load: 95, specializations: ['analysis'] }),
      makeAgent({ id: 'roomy', current_load: 50, performance_score: 0.2 }),
    ];
    expect(byTask(planAssignments([makeTask({ id: 'big', load: 10 })], agents, opts()))).toEqual({ big: 'roomy' });
  });

  it('when a task fits exactly into the remaining capacity, then it is assigned', () => {
    const agents = [makeAgent({ id: 'a', current_load: 90, max_capacity: 100 })];
    expect(planAssignments([makeTask({ id: 't', load: 10 })], agents, opts())).toHaveLength(1);
  });

  it('when a task is larger than any capacity, then an idle agent still takes it (not stuck forever) and nothing else', () => {
    const agents = [makeAgent({ id: 'idle', max_capacity: 100 })];
    const tasks = [makeTask({ id: 'huge', priority: 5, load: 250 }), makeTask({ id: 'small', priority: 1, load: 1 })];
    const plan = planAssignments(tasks, agents, opts());
    expect(plan).toEqual([expect.objectContaining({ task_id: 'huge', agent_id: 'idle', load: 250 })]);
  });

  it('when an oversized task meets only non-idle agents, then it is not assigned', () => {
    const agents = [makeAgent({ id: 'a', current_load: 1, max_capacity: 100 })];
    expect(planAssignments([makeTask({ id: 'huge', load: 250 })], agents, opts())).toEqual([]);
  });

  it('when a task requires resources, then only agents offering them are considered', () => {
    const agents = [
      makeAgent({ id: 'small', resource_requirements: { cpu: 2, memory: 4 }, specializations: ['analysis'] }),
      makeAgent({ id: 'large', resource_requirements: { cpu: 16, memory: 64 }, performance_score: 0.1 }),
    ];
    const tasks = [
      makeTask({ id: 'heavy', priority: 5, requirements: { resources: { cpu: 8 } } }),
      makeTask({ id: 'light', priority: 4, requirements: { resources: { cpu: 1 } } }),
      makeTask({ id: 'impossible', priority: 3, requirements: { resources: { gpu: 1 } } }),
    ];
    const plan = byTask(planAssignments(tasks, agents, opts()));
    expect(plan).toEqual({ heavy: 'large', light: 'small' });
  });

  it('when no agent has the capability, then the task is skipped and later tasks still get assigned', () => {
    const agents = [makeAgent({ id: 'a', capabilities: ['testing'] })];
    const tasks = [makeTask({ id: 'deploy', task_type: 'deployment', priority: 5 }), makeTask({ id: 'test', task_type: 'testing', priority: 1 })];
    expect(byTask(planAssignments(tasks, agents, opts()))).toEqual({ test: 'a' });
  });

  it('when a task has zero load, then it is assigned without consuming capacity', () => {
    const agents = [makeAgent({ id: 'a', max_capacity: 10 })];
    const tasks = [
      makeTask({ id: 'free', priority: 5, load: 0 }),
      makeTask({ id: 'half-1', priority: 3, load: 5 }),
      makeTask({ id: 'half-2', priority: 1, load: 5 }),
    ];
    expect(byTask(planAssignments(tasks, agents, opts()))).toEqual({ free: 'a', 'half-1': 'a', 'half-2': 'a' });
  });

  it('when planning, then the inputs are not mutated', () => {
    const agents = [
      makeAgent({ id: 'a', current_load: 10, reported_load: 20, specializations: ['analysis'] }),
      makeAgent({ id: 'b', capabilities: ['analysis', 'testing'], resource_requirements: { cpu: 8 } }),
    ];
    const tasks = [
      ...makeTasks(15, { load: 10 }),
      makeTask({ id: 'res', requirements: { resources: { cpu: 4 } }, load: 5 }),
      makeTask({ id: 'tst', task_type: 'testing' }),
    ];
    const agentsBefore = structuredClone(agents);
    const tasksBefore = structuredClone(tasks);
    const taskOrder = tasks.map((t) => t.id);
    const plan = planAssignments(tasks, agents, opts());
    expect(plan.length).toBeGreaterThan(0);
    expect(agents).toEqual(agentsBefore);
    expect(tasks).toEqual(tasksBefore);
    expect(tasks.map((t) => t.id)).toEqual(taskOrder);
  });

  it('when the same input is planned twice, then the plan is identical (deterministic)', () => {
    const agents = makeAgents(5, { capabilities: ['analysis', 'testing'] });
    const tasks = makeTasks(30, { load: 15 });
    expect(planAssignments(tasks, agents, opts())).toEqual(planAssignments(tasks, agents, opts()));
  });

  it('when aging is configured, then the plan uses it for ordering', () => {
    const agents = [makeAgent({ id: 'a', max_capacity: 10 })];
    const tasks = [makeTask({ id: 'fresh-p3', priority: 3 }), makeTask({ id: 'old-p2', priority: 2, created_at: hoursBefore(20) })];
    expect(planAssignments(tasks, agents, opts({ agingFactor: 0.1 })).map((p) => p.task_id)).toEqual(['old-p2']);
    expect(planAssignments(tasks, agents, opts({ agingFactor: 0 })).map((p) => p.task_id)).toEqual(['fresh-p3']);
  });

  it('when custom weights and bonus are configured, then the chosen score reflects them', () => {
    const w: ScoringWeights = { current_load: 1, performance_score: 0, success_rate: 0, response_time: 0 };
    const agents = [makeAgent({ id: 'a', current_load: 20, specializations: ['analysis'] })];
    const plan = planAssignments([makeTask({ id: 't' })], agents, opts({ weights: w, specializationBonus: 3 }));
    expect(plan[0]!.score).toBeCloseTo(0.8 * 3, 12);
  });

  /**
   * Replays a plan against an independent greedy model: tasks in queue order; for each, the
   * eligible agents are those available at the start that can handle it and have room
   * (or are idle). Checks every planned assignment went to a best-scoring eligible agent
   * with score = agentScore() of that agent's load at that moment, and that every task left
   * out had no eligible agent at its turn.
   */
  function verifyPlan(tasks: Task[], agents: Agent[], o: PlanOptions, plan: PlannedAssignment[]): void {
    const available = agents.filter((a) => isAvailable(a, o.now, o.heartbeatTimeoutSeconds));
    const load = new Map(available.map((a) => [a.id, effectiveLoad(a)]));
    const queue = [...tasks].sort(compareTasks(o.now, o.agingFactor));
    const planned = new Map(plan.map((p, i) => [p.task_id, { ...p, index: i }]));
    expect(planned.size).toBe(plan.length); // no task twice
    let cursor = 0;
    for (const task of queue) {
      const scores = available
        .filter((a) => {
          const l = load.get(a.id)!;
          return canHandle(a, task) && l < a.max_capacity && (l === 0 || l + task.load <= a.max_capacity);
        })
        .map((a) => ({
          id: a.id,
          score: agentScore({ ...a, current_load: load.get(a.id)!, reported_load: null }, task, o.weights, o.specializationBonus),
        }));
      const p = planned.get(task.id);
      if (!p) {
        expect(scores, `task ${task.id} was left out although agents could take it`).toEqual([]);
        continue;
      }
      expect(p.index, 'plan is in queue order').toBe(cursor++);
      const chosen = scores.find((s) => s.id === p.agent_id);
      expect(chosen, `task ${task.id} went to ineligible agent ${p.agent_id}`).toBeDefined();
      expect(p.score).toBeCloseTo(chosen!.score, 9);
      const best = Math.max(...scores.map((s) => s.score));
      expect(p.score).toBeGreaterThanOrEqual(best - 1e-9);
      expect(p.load).toBe(task.load);
      load.set(p.agent_id, load.get(p.agent_id)! + task.load);
    }
    expect(cursor).toBe(plan.length);
  }

  it('when a varied queue is planned, then each choice is the best agentScore() at that moment', () => {
    const next = rng(99);
    const types = ['analysis', 'testing', 'deployment', 'monitoring'] as const;
    const agents = Array.from({ length: 25 }, (_, i) =>
      makeAgent({
        id: `a${i}`,
        capabilities: types.filter(() => next() < 0.6),
        specializations: types.filter(() => next() < 0.2),
        max_capacity: 20 + Math.floor(next() * 100),
        current_load: Math.floor(next() * 40),
        reported_load: next() < 0.2 ? Math.floor(next() * 60) : null,
        performance_score: next(),
        success_rate: next(),
        average_response_time: next() * 10,
        resource_requirements: { cpu: Math.floor(next() * 16), memory: Math.floor(next() * 64) },
        status: next() < 0.1 ? 'inactive' : 'active',
        last_heartbeat: next() < 0.1 ? secondsBefore(HEARTBEAT_TIMEOUT * 2) : secondsBefore(5),
      }),
    );
    const tasks = Array.from({ length: 400 }, (_, i) =>
      makeTask({
        id: `t${i}`,
        task_type: types[Math.floor(next() * types.length)]!,
        priority: 1 + Math.floor(next() * 5),
        created_at: secondsBefore(Math.floor(next() * 36_000)),
        deadline: next() < 0.3 ? secondsAfter(Math.floor(next() * 3600)) : null,
        load: next() < 0.05 ? 150 : 1 + Math.floor(next() * 25),
        requirements: next() < 0.3 ? { resources: { cpu: Math.floor(next() * 12) } } : {},
      }),
    );
    const o = opts();
    const plan = planAssignments(tasks, agents, o);
    expect(plan.length).toBeGreaterThan(0);
    verifyPlan(tasks, agents, o, plan);
  });

  it('when 10,000 tasks meet 500 agents, then no agent is given more than its capacity and all usable capacity is used', () => {
    const next = rng(2024);
    const types = ['analysis', 'testing', 'deployment', 'monitoring', 'optimization'] as const;
    const agents = Array.from({ length: 500 }, (_, i) =>
      makeAgent({
        id: `agent-${i}`,
        capabilities: types.filter(() => next() < 0.5),
        specializations: types.filter(() => next() < 0.1),
        max_capacity: 50 + Math.floor(next() * 150),
        current_load: next() < 0.5 ? 0 : Math.floor(next() * 60),
        performance_score: next(),
        success_rate: next(),
        average_response_time: next() * 5,
        resource_requirements: { cpu: 1 + Math.floor(next() * 16) },
      }),
    );
    const tasks = Array.from({ length: 10_000 }, (_, i) =>
      makeTask({
        id: `task-${i}`,
        task_type: types[Math.floor(next() * types.length)]!,
        priority: 1 + Math.floor(next() * 5),
        created_at: secondsBefore(Math.floor(next() * 7200)),
        load: 1 + Math.floor(next() * 30),
        requirements: next() < 0.2 ? { resources: { cpu: 1 + Math.floor(next() * 16) } } : {},
      }),
    );
    const plan = planAssignments(tasks, agents, opts());

    const agentById = new Map(agents.map((a) => [a.id, a]));
    const taskById = new Map(tasks.map((t) => [t.id, t]));
    const added = new Map<string, { load: number; count: number }>();
    const seen = new Set<string>();
    for (const p of plan) {
      expect(seen.has(p.task_id)).toBe(false);
      seen.add(p.task_id);
      const agent = agentById.get(p.agent_id)!;
      const task = taskById.get(p.task_id)!;
      if (!canHandle(agent, task)) throw new Error(`${p.task_id} planned on ${p.agent_id} which cannot handle it`);
      const a = added.get(p.agent_id) ?? { load: 0, count: 0 };
      a.load += p.load;
      a.count++;
      added.set(p.agent_id, a);
    }
    expect(plan.length).toBeGreaterThan(1000);
    for (const [id, a] of added) {
      const agent = agentById.get(id)!;
      const total = agent.current_load + a.load;
      if (total > agent.max_capacity) {
        throw new Error(`agent ${id} over capacity: ${agent.current_load} + ${a.load} > ${agent.max_capacity}`);
      }
    }
    // Greedy completeness: every task left out has no agent with room for it at the end.
    const finalLoad = new Map(agents.map((a) => [a.id, a.current_load + (added.get(a.id)?.load ?? 0)]));
    for (const t of tasks) {
      if (seen.has(t.id)) continue;
      for (const a of agents) {
        const l = finalLoad.get(a.id)!;
        if (canHandle(a, t) && l < a.max_capacity && (l === 0 || l + t.load <= a.max_capacity)) {
          throw new Error(`task ${t.id} (load ${t.load}) left out although ${a.id} has room (${l}/${a.max_capacity})`);
        }
      }
    }
  });
});

describe('fitsOn', () => {
  it('when the agent is full, then nothing fits; when idle, then even an oversized task fits', async () => {
    const { fitsOn } = await import('../../src/domain/scoring.js');
    expect(fitsOn(100, 1, 100)).toBe(false);
    expect(fitsOn(0, 500, 100)).toBe(true);
    expect(fitsOn(90, 10, 100)).toBe(true);
    expect(fitsOn(91, 10, 100)).toBe(false);
  });
});
