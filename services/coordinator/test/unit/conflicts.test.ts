import { describe, expect, it } from 'vitest';
import {
  canonicalCycle,
  detectCapabilityConflicts,
  detectConflicts,
  detectDependencyConflicts,
  detectPriorityConflict,
  detectResourceConflicts,
  detectTimingConflicts,
  findDependencyCycles,
  planResolution,
  type DetectOptions,
  type DetectedConflict,
} from '../../src/domain/conflicts.js';
import type { Task } from '../../src/domain/types.js';
import { HEARTBEAT_TIMEOUT, NOW, makeAgent, makeAgents, makeTask, rng, secondsAfter, secondsBefore, shuffled } from './fixtures.js';

const detectOpts: DetectOptions = { now: NOW, heartbeatTimeoutSeconds: HEARTBEAT_TIMEOUT };
const keys = (cs: DetectedConflict[]) => cs.map((c) => c.key);
const withCpu = (id: string, cpu: number, over: Partial<Task> = {}) =>
  makeTask({ id, status: 'assigned', assigned_agent: 'agent-1', requirements: { resources: { cpu } }, ...over });
const dep = (id: string, dependencies: string[], over: Partial<Task> = {}) => makeTask({ id, dependencies, ...over });

describe('detectResourceConflicts', () => {
  it('when assigned and in-progress tasks together ask more than 100 of a resource, then one conflict keyed resource:<name>', () => {
    const tasks = [
      withCpu('a', 60, { assigned_agent: 'x' }),
      withCpu('b', 50, { status: 'in_progress', assigned_agent: 'y' }),
    ];
    const cs = detectResourceConflicts(tasks);
    expect(cs).toHaveLength(1);
    expect(cs[0]).toMatchObject({
      key: 'resource:cpu',
      conflict_type: 'resource_conflict',
      involved_tasks: ['a', 'b'],
      involved_agents: ['x', 'y'],
    });
    expect(cs[0]!.severity).toBeCloseTo(1.1, 3);
    expect(cs[0]!.description).toContain('cpu');
  });

  it('when the total is exactly 100, then there is no conflict', () => {
    expect(detectResourceConflicts([withCpu('a', 60), withCpu('b', 40, { status: 'in_progress' })])).toEqual([]);
  });

  it('when a pending task asks for the resource, then it is not counted', () => {
    expect(detectResourceConflicts([withCpu('a', 60), withCpu('p', 90, { status: 'pending', assigned_agent: null })])).toEqual([]);
  });

  it('when finished tasks asked for the resource, then they are not counted', () => {
    const tasks = [
      withCpu('a', 60),
      withCpu('done', 90, { status: 'completed' }),
      withCpu('failed', 90, { status: 'failed' }),
      withCpu('cancelled', 90, { status: 'cancelled' }),
    ];
    expect(detectResourceConflicts(tasks)).toEqual([]);
  });

  it('when one resource is over and another is not, then only the over-allocated one is reported', () => {
    const tasks = [
      makeTask({ id: 'a', status: 'assigned', requirements: { resources: { cpu: 70, memory: 30 } } }),
      makeTask({ id: 'b', status: 'in_progress', requirements: { resources: { cpu: 40, memory: 30 } } }),
    ];
    expect(keys(detectResourceConflicts(tasks))).toEqual(['resource:cpu']);
  });

  it('when several resources are over-allocated, then each gets its own conflict, in a stable order', () => {
    const tasks = [
      makeTask({ id: 'a', status: 'assigned', requirements: { resources: { memory: 80, cpu: 70 } } }),
      makeTask({ id: 'b', status: 'in_progress', requirements: { resources: { cpu: 40, memory: 30, gpu: 1 } } }),
    ];
    expect(keys(detectResourceConflicts(tasks))).toEqual(['resource:cpu', 'resource:memory']);
    expect(keys(detectResourceConflicts([...tasks].reverse()))).toEqual(['resource:cpu', 'resource:memory']);
  });

  it('when only tasks not using a resource are running, then that resource is not involved', () => {
    const tasks = [withCpu('a', 70), withCpu('b', 40), makeTask({ id: 'c', status: 'assigned', requirements: { resources: { memory: 5 } } })];
    expect(detectResourceConflicts(tasks)[0]!.involved_tasks).toEqual(['a', 'b']);
  });

  it('when a custom limit is given, then it replaces 100', () => {
    const tasks = [withCpu('a', 6), withCpu('b', 5)];
    expect(keys(detectResourceConflicts(tasks, 10))).toEqual(['resource:cpu']);
    expect(keys(detectConflicts(tasks, [], { ...detectOpts, resourceLimit: 10 }))).toContain('resource:cpu');
    expect(detectResourceConflicts(tasks)).toEqual([]);
  });
});

describe('detectPriorityConflict', () => {
  const urgent = (id: string, priority = 4) => makeTask({ id, priority, status: 'pending' });

  it('when more pending priority ≥ 4 tasks wait than agents are available, then one priority conflict', () => {
    const tasks = [urgent('u1', 4), urgent('u2', 5), urgent('u3', 4)];
    const cs = detectPriorityConflict(tasks, makeAgents(2), detectOpts);
    expect(cs).toHaveLength(1);
    expect(cs[0]).toMatchObject({
      key: 'priority',
      conflict_type: 'priority_conflict',
      involved_tasks: ['u1', 'u2', 'u3'],
      involved_agents: ['agent-0', 'agent-1'],
    });
  });

  it('when the urgent tasks are no more than the available agents, then there is no conflict', () => {
    const tasks = [urgent('u1'), urgent('u2')];
    expect(detectPriorityConflict(tasks, makeAgents(2), detectOpts)).toEqual([]);
  });

  it('when tasks have priority below 4, then they are not counted', () => {
    const tasks = [urgent('u1', 3), urgent('u2', 3), urgent('u3', 1), urgent('u4', 4)];
    expect(detectPriorityConflict(tasks, makeAgents(1), detectOpts)).toEqual([]);
  });

  it('when urgent tasks are already assigned or running, then they are not counted', () => {
    const tasks = [
      urgent('u1'),
      makeTask({ id: 'u2', priority: 5, status: 'assigned' }),
      makeTask({ id: 'u3', priority: 5, status: 'in_progress' }),
    ];
    expect(detectPriorityConflict(tasks, makeAgents(1), detectOpts)).toEqual([]);
  });

  it('when agents are unavailable, then they do not count as available', () => {
    const agents = [
      makeAgent({ id: 'ok' }),
      makeAgent({ id: 'inactive', status: 'inactive' }),
      makeAgent({ id: 'stale', last_heartbeat: secondsBefore(HEARTBEAT_TIMEOUT + 1) }),
      makeAgent({ id: 'full', current_load: 100 }),
    ];
    const cs = detectPriorityConflict([urgent('u1'), urgent('u2')], agents, detectOpts);
    expect(cs).toHaveLength(1);
    expect(cs[0]!.involved_agents).toEqual(['ok']);
  });

  it('when no agent is available at all, then one urgent task is enough for a conflict', () => {
    expect(keys(detectPriorityConflict([urgent('u1')], [], detectOpts))).toEqual(['priority']);
  });
});

describe('canonicalCycle', () => {
  it('when a cycle is given from any starting point, then it is rotated to start at its smallest id', () => {
    expect(canonicalCycle(['c', 'a', 'b'])).toEqual(['a', 'b', 'c']);
    expect(canonicalCycle(['b', 'c', 'a'])).toEqual(['a', 'b', 'c']);
    expect(canonicalCycle(['a', 'b', 'c'])).toEqual(['a', 'b', 'c']);
    expect(canonicalCycle(['x'])).toEqual(['x']);
  });

  it('when rotated, then the direction of the cycle is preserved', () => {
    expect(canonicalCycle(['c', 'b', 'a'])).toEqual(['a', 'c', 'b']);
  });
});

describe('detectDependencyConflicts', () => {
  it('when a task depends on itself, then it is a one-task cycle', () => {
    const cs = detectDependencyConflicts([dep('a', ['a'])]);
    expect(cs).toHaveLength(1);
    expect(cs[0]).toMatchObject({ key: 'dependency:a', conflict_type: 'dependency_conflict', involved_tasks: ['a'] });
  });

  it('when two tasks depend on each other, then one conflict covers both', () => {
    const cs = detectDependencyConflicts([dep('b', ['a']), dep('a', ['b'])]);
    expect(cs).toHaveLength(1);
    expect(cs[0]!.key).toBe('dependency:a>b');
    expect(cs[0]!.involved_tasks).toEqual(['a', 'b']);
    expect(cs[0]!.description).toMatch(/a -> b -> a/);
  });

  it('when three tasks form a cycle, then it is reported once in canonical rotation', () => {
    // c needs a, a needs b, b needs c: the edges a->b->c->a.
    const tasks = [dep('c', ['a']), dep('a', ['b']), dep('b', ['c'])];
    const cs = detectDependencyConflicts(tasks);
    expect(keys(cs)).toEqual(['dependency:a>b>c']);
    expect(cs[0]!.involved_tasks).toEqual(['a', 'b', 'c']);
  });

  it('when there are two separate cycles, then both are reported', () => {
    const tasks = [dep('a', ['b']), dep('b', ['a']), dep('x', ['y']), dep('y', ['z']), dep('z', ['x']), dep('free', [])];
    expect(keys(detectDependencyConflicts(tasks)).sort()).toEqual(['dependency:a>b', 'dependency:x>y>z']);
  });

  it('when a cycle is reachable from several entry points, then it is reported once with the same key whatever the input order', () => {
    const tasks = [
      dep('m', ['n']),
      dep('n', ['o']),
      dep('o', ['m']),
      dep('entry1', ['m']),
      dep('entry2', ['n']),
      dep('entry3', ['o']),
      dep('a-first', ['entry1', 'o']),
      dep('z-last', ['n', 'entry2']),
    ];
    const expected = ['dependency:m>n>o'];
    expect(keys(detectDependencyConflicts(tasks))).toEqual(expected);
    for (let seed = 1; seed <= 20; seed++) {
      expect(keys(detectDependencyConflicts(shuffled(tasks, seed)))).toEqual(expected);
    }
  });

  it('when the same input is detected twice, then the keys are identical', () => {
    const tasks = [dep('q', ['p']), dep('p', ['q']), dep('r', ['r'])];
    expect(keys(detectDependencyConflicts(tasks))).toEqual(keys(detectDependencyConflicts(tasks)));
  });

  it('when a chain of 50,000 tasks has no cycle, then nothing is reported and the stack does not overflow', () => {
    const n = 50_000;
    const tasks = Array.from({ length: n }, (_, i) => dep(`t${String(i).padStart(6, '0')}`, i + 1 < n ? [`t${String(i + 1).padStart(6, '0')}`] : []));
    expect(detectDependencyConflicts(tasks)).toEqual([]);
    // The reversed chain (the DFS starts at the far end of every edge) too.
    const reversed = Array.from({ length: n }, (_, i) => dep(`t${String(i).padStart(6, '0')}`, i > 0 ? [`t${String(i - 1).padStart(6, '0')}`] : []));
    expect(detectDependencyConflicts(reversed)).toEqual([]);
  });

  it('when a chain of 50,000 tasks closes into one big cycle, then it is reported once without overflowing the stack', () => {
    const n = 50_000;
    const id = (i: number) => `t${String(i).padStart(6, '0')}`;
    const tasks = Array.from({ length: n }, (_, i) => dep(id(i), [id((i + 1) % n)]));
    const cs = detectDependencyConflicts(tasks);
    expect(cs).toHaveLength(1);
    expect(cs[0]!.involved_tasks).toHaveLength(n);
    expect(cs[0]!.involved_tasks[0]).toBe(id(0));
  });

  it('when a task on the cycle is completed (or cancelled or failed), then there is no cycle', () => {
    for (const status of ['completed', 'cancelled', 'failed'] as const) {
      expect(detectDependencyConflicts([dep('a', ['b']), dep('b', ['a'], { status })])).toEqual([]);
    }
  });

  it('when tasks on the cycle are assigned, running or delegated, then the cycle still counts', () => {
    const tasks = [dep('a', ['b'], { status: 'assigned' }), dep('b', ['c'], { status: 'in_progress' }), dep('c', ['a'], { status: 'delegated' })];
    expect(keys(detectDependencyConflicts(tasks))).toEqual(['dependency:a>b>c']);
  });

  it('when a dependency names an unknown task, then it is ignored', () => {
    expect(detectDependencyConflicts([dep('a', ['ghost']), dep('b', ['a'])])).toEqual([]);
  });

  it('when dependencies form a diamond without a cycle, then nothing is reported', () => {
    expect(detectDependencyConflicts([dep('a', ['b', 'c']), dep('b', ['d']), dep('c', ['d']), dep('d', [])])).toEqual([]);
  });

  /** Reachability closure for small graphs: reach[u] = every node reachable from u by ≥ 1 edge. */
  function closure(graph: Map<string, string[]>): Map<string, Set<string>> {
    const reach = new Map<string, Set<string>>();
    for (const u of graph.keys()) {
      const seen = new Set<string>();
      const stack = [...(graph.get(u) ?? [])].filter((v) => graph.has(v));
      while (stack.length) {
        const v = stack.pop()!;
        if (seen.has(v)) continue;
        seen.add(v);
        for (const w of graph.get(v) ?? []) if (graph.has(w) && !seen.has(w)) stack.push(w);
      }
      reach.set(u, seen);
    }
    return reach;
  }

  it('when random graphs are checked, then every report is a real cycle, once, and every cyclic component is reported', () => {
    const next = rng(5);
    for (let round = 0; round < 300; round++) {
      const n = 2 + Math.floor(next() * 10);
      const ids = Array.from({ length: n }, (_, i) => `n${i}`);
      const graph = new Map<string, string[]>();
      for (const id of ids) graph.set(id, ids.filter(() => next() < 0.18));
      const cycles = findDependencyCycles(graph);
      const reach = closure(graph);
      const seen = new Set<string>();
      for (const c of cycles) {
        expect(c).toEqual(canonicalCycle(c));
        expect(new Set(c).size).toBe(c.length); // elementary
        for (let i = 0; i < c.length; i++) expect(graph.get(c[i]!)).toContain(c[(i + 1) % c.length]);
        const k = c.join('>');
        expect(seen.has(k)).toBe(false);
        seen.add(k);
      }
      // A node is on a cycle iff it reaches itself; each strongly connected component that
      // contains a cycle must show up in at least one reported cycle.
      const covered = new Set(cycles.flat());
      for (const u of ids) {
        if (!reach.get(u)!.has(u)) continue;
        const component = ids.filter((v) => v === u || (reach.get(u)!.has(v) && reach.get(v)!.has(u)));
        expect(component.some((v) => covered.has(v)), `component of ${u} not reported`).toBe(true);
      }
      // Input order does not matter.
      const reordered = new Map(shuffled([...graph.entries()], round));
      expect(findDependencyCycles(reordered).map((c) => c.join('>')).sort()).toEqual([...seen].sort());
    }
  });
});

describe('detectCapabilityConflicts', () => {
  it('when no agent has the capability a pending task needs, then one capability conflict names it', () => {
    const cs = detectCapabilityConflicts([makeTask({ id: 'd1', task_type: 'deployment' })], [makeAgent({ capabilities: ['analysis'] })]);
    expect(cs).toHaveLength(1);
    expect(cs[0]).toMatchObject({ key: 'capability:deployment', conflict_type: 'capability_conflict', involved_tasks: ['d1'] });
    expect(cs[0]!.description).toMatch(/capability 'deployment'/);
    expect(cs[0]!.description).not.toMatch(/resources/);
  });

  it('when agents have the capability but not the resources, then the conflict says resources are missing', () => {
    const agents = [makeAgent({ capabilities: ['deployment'], resource_requirements: { cpu: 2 } })];
    const cs = detectCapabilityConflicts([makeTask({ id: 'd1', task_type: 'deployment', requirements: { resources: { cpu: 8 } } })], agents);
    expect(keys(cs)).toEqual(['capability:deployment']);
    expect(cs[0]!.description).toMatch(/resources/);
  });

  it('when several tasks of the same type cannot be handled, then they are grouped into one conflict per type', () => {
    const tasks = [
      makeTask({ id: 'd1', task_type: 'deployment' }),
      makeTask({ id: 's1', task_type: 'security_scan' }),
      makeTask({ id: 'd2', task_type: 'deployment' }),
      makeTask({ id: 'ok', task_type: 'analysis' }),
    ];
    const cs = detectCapabilityConflicts(tasks, [makeAgent({ capabilities: ['analysis'] })]);
    expect(keys(cs)).toEqual(['capability:deployment', 'capability:security_scan']);
    expect(cs[0]!.involved_tasks).toEqual(['d1', 'd2']);
    expect(cs[1]!.involved_tasks).toEqual(['s1']);
  });

  it('when some agent can handle the task, then there is no conflict', () => {
    const agents = [makeAgent({ id: 'weak', capabilities: ['deployment'], resource_requirements: { cpu: 1 } }), makeAgent({ id: 'strong', capabilities: ['deployment'], resource_requirements: { cpu: 16 } })];
    expect(detectCapabilityConflicts([makeTask({ task_type: 'deployment', requirements: { resources: { cpu: 8 } } })], agents)).toEqual([]);
  });

  it('when the only capable agent is registered but inactive, then it still counts (a registered agent can handle it)', () => {
    expect(detectCapabilityConflicts([makeTask({ task_type: 'deployment' })], [makeAgent({ capabilities: ['deployment'], status: 'inactive' })])).toEqual([]);
  });

  it('when the task is not pending, then it is not checked', () => {
    const tasks = (['assigned', 'in_progress', 'completed', 'failed', 'cancelled'] as const).map((status, i) => makeTask({ id: `t${i}`, task_type: 'deployment', status }));
    expect(detectCapabilityConflicts(tasks, [])).toEqual([]);
  });

  it('when no agents are registered at all, then every pending task type is a conflict', () => {
    const tasks = [makeTask({ id: 'a', task_type: 'testing' }), makeTask({ id: 'b', task_type: 'analysis' })];
    expect(keys(detectCapabilityConflicts(tasks, []))).toEqual(['capability:analysis', 'capability:testing']);
  });
});

describe('detectTimingConflicts', () => {
  it('when the deadline has passed, then the task has a timing conflict that says so', () => {
    const cs = detectTimingConflicts([makeTask({ id: 't', deadline: secondsBefore(60) })], NOW);
    expect(cs).toHaveLength(1);
    expect(cs[0]).toMatchObject({ key: 'timing:t', conflict_type: 'timing_conflict', involved_tasks: ['t'] });
    expect(cs[0]!.description).toMatch(/missed/);
  });

  it('when the estimated duration makes the task finish after its deadline, then it is a conflict', () => {
    const cs = detectTimingConflicts([makeTask({ id: 't', estimated_duration: 600, deadline: secondsAfter(300) })], NOW);
    expect(keys(cs)).toEqual(['timing:t']);
    expect(cs[0]!.description).toMatch(/cannot finish/);
  });

  it('when the estimated duration fits before the deadline, then there is no conflict', () => {
    expect(detectTimingConflicts([makeTask({ estimated_duration: 600, deadline: secondsAfter(900) })], NOW)).toEqual([]);
    expect(detectTimingConflicts([makeTask({ estimated_duration: 600, deadline: secondsAfter(600) })], NOW)).toEqual([]);
  });

  it('when an in-progress task has already run for a while, then only the remaining time counts', () => {
    const running = (deadlineIn: number) =>
      makeTask({ id: 'r', status: 'in_progress', assigned_agent: 'ag', started_at: secondsBefore(500), estimated_duration: 600, deadline: secondsAfter(deadlineIn) });
    expect(detectTimingConflicts([running(200)], NOW)).toEqual([]); // 100 s left
    const cs = detectTimingConflicts([running(50)], NOW);
    expect(keys(cs)).toEqual(['timing:r']);
    expect(cs[0]!.involved_agents).toEqual(['ag']);
  });

  it('when the same timing is pending rather than running, then the full estimate counts', () => {
    expect(keys(detectTimingConflicts([makeTask({ id: 'p', started_at: secondsBefore(500), estimated_duration: 600, deadline: secondsAfter(200) })], NOW))).toEqual(['timing:p']);
  });

  it('when a task has no deadline, then there is never a timing conflict', () => {
    expect(detectTimingConflicts([makeTask({ estimated_duration: 1e9, deadline: null })], NOW)).toEqual([]);
  });

  it('when a task is finished, then its deadline no longer matters', () => {
    const tasks = (['completed', 'cancelled', 'failed'] as const).map((status, i) => makeTask({ id: `t${i}`, status, deadline: secondsBefore(60) }));
    expect(detectTimingConflicts(tasks, NOW)).toEqual([]);
  });
});

describe('detectConflicts', () => {
  const scenario = () => {
    const agents = [makeAgent({ id: 'a1', capabilities: ['analysis'] })];
    const tasks = [
      withCpu('r1', 70, { assigned_agent: 'a1' }),
      withCpu('r2', 70, { status: 'in_progress', assigned_agent: 'a1' }),
      makeTask({ id: 'u1', priority: 5 }),
      makeTask({ id: 'u2', priority: 4 }),
      dep('c1', ['c2']),
      dep('c2', ['c1']),
      makeTask({ id: 'dep1', task_type: 'deployment' }),
      makeTask({ id: 'late', deadline: secondsBefore(1) }),
    ];
    return { agents, tasks };
  };

  it('when several conditions hold, then each detector contributes its conflicts', () => {
    const { agents, tasks } = scenario();
    expect(keys(detectConflicts(tasks, agents, detectOpts)).sort()).toEqual(
      ['capability:deployment', 'dependency:c1>c2', 'priority', 'resource:cpu', 'timing:late'].sort(),
    );
  });

  it('when the same input is detected again or in another order, then the keys are the same', () => {
    const { agents, tasks } = scenario();
    const first = keys(detectConflicts(tasks, agents, detectOpts));
    expect(keys(detectConflicts(tasks, agents, detectOpts))).toEqual(first);
    expect(keys(detectConflicts(structuredClone(tasks), structuredClone(agents), detectOpts))).toEqual(first);
    expect(keys(detectConflicts(shuffled(tasks, 9), agents, detectOpts)).sort()).toEqual([...first].sort());
  });

  it('when nothing is wrong, then there are no conflicts', () => {
    expect(detectConflicts([makeTask({ id: 'fine' })], [makeAgent()], detectOpts)).toEqual([]);
  });

  it('when conflicts are detected, then every key is unique', () => {
    const { agents, tasks } = scenario();
    const ks = keys(detectConflicts(tasks, agents, detectOpts));
    expect(new Set(ks).size).toBe(ks.length);
  });
});

describe('planResolution', () => {
  const conflict = (over: Partial<DetectedConflict>): DetectedConflict => ({
    key: 'k',
    conflict_type: 'resource_conflict',
    description: '',
    involved_agents: [],
    involved_tasks: [],
    severity: 1,
    ...over,
  });

  it('when resources are over-allocated, then the lower-priority half of the involved tasks is rescheduled', () => {
    const tasks = [
      makeTask({ id: 'p5', priority: 5 }),
      makeTask({ id: 'p1', priority: 1 }),
      makeTask({ id: 'p3', priority: 3 }),
      makeTask({ id: 'p2', priority: 2 }),
      makeTask({ id: 'uninvolved', priority: 1 }),
    ];
    const plan = planResolution(conflict({ key: 'resource:cpu', involved_tasks: ['p5', 'p1', 'p3', 'p2'] }), tasks);
    expect(plan).toMatchObject({ type: 'resource_reallocation', action: 'reschedule_tasks' });
    if (plan.type !== 'resource_reallocation') throw new Error('unexpected plan');
    expect([...plan.tasks_to_reschedule].sort()).toEqual(['p1', 'p2']);
  });

  it('when an odd number of tasks is involved, then the smaller half (rounded down) is rescheduled', () => {
    const tasks = [makeTask({ id: 'a', priority: 1 }), makeTask({ id: 'b', priority: 2 }), makeTask({ id: 'c', priority: 3 })];
    const plan = planResolution(conflict({ involved_tasks: ['a', 'b', 'c'] }), tasks);
    if (plan.type !== 'resource_reallocation') throw new Error('unexpected plan');
    expect(plan.tasks_to_reschedule).toEqual(['a']);
  });

  it('when a single task is involved, then at least that one is rescheduled', () => {
    const plan = planResolution(conflict({ involved_tasks: ['only'] }), [makeTask({ id: 'only', priority: 5 })]);
    if (plan.type !== 'resource_reallocation') throw new Error('unexpected plan');
    expect(plan.tasks_to_reschedule).toEqual(['only']);
  });

  it('when priorities tie, then the choice is deterministic', () => {
    const tasks = [makeTask({ id: 'b' }), makeTask({ id: 'a' }), makeTask({ id: 'd' }), makeTask({ id: 'c' })];
    const c = conflict({ involved_tasks: ['a', 'b', 'c', 'd'] });
    const p1 = planResolution(c, tasks);
    const p2 = planResolution(c, shuffled(tasks, 3));
    expect(p1).toEqual(p2);
  });

  it('when it is a priority conflict, then the strategy is strict priority with aging', () => {
    expect(planResolution(conflict({ conflict_type: 'priority_conflict', key: 'priority' }), [])).toMatchObject({
      type: 'priority_management',
      action: 'implement_priority_queue',
      queue_strategy: 'strict_priority_with_aging',
    });
  });

  it('when it is a dependency cycle, then the tasks on the cycle are to be failed', () => {
    const plan = planResolution(conflict({ conflict_type: 'dependency_conflict', key: 'dependency:a>b', involved_tasks: ['a', 'b'] }), []);
    expect(plan).toMatchObject({ type: 'dependency_resolution', action: 'break_circular_dependency', tasks_to_fail: ['a', 'b'] });
  });

  it('when a capability is missing, then the capability is reported with its tasks', () => {
    const plan = planResolution(conflict({ conflict_type: 'capability_conflict', key: 'capability:security_scan', involved_tasks: ['s1', 's2'] }), []);
    expect(plan).toMatchObject({ type: 'capability_gap', action: 'report_missing_capability', missing_capability: 'security_scan', tasks: ['s1', 's2'] });
  });

  it('when a deadline is at risk, then the task priority is to be raised', () => {
    const plan = planResolution(conflict({ conflict_type: 'timing_conflict', key: 'timing:t', involved_tasks: ['t'] }), []);
    expect(plan).toMatchObject({ type: 'deadline_risk', action: 'raise_priority', tasks: ['t'] });
  });

  it('when any plan is made, then it carries a human-readable reason', () => {
    for (const type of ['resource_conflict', 'priority_conflict', 'dependency_conflict', 'capability_conflict', 'timing_conflict'] as const) {
      const plan = planResolution(conflict({ conflict_type: type, key: `${type}:x`, involved_tasks: ['x'] }), [makeTask({ id: 'x' })]);
      expect(plan.reason.length).toBeGreaterThan(10);
    }
  });
});

describe('dependency loops with several cycles', () => {
  it('when cycles share tasks, then one conflict covers every task of the loop whatever the dependency order', () => {
    // a -> b -> c -> a and a -> d -> b: d is on a cycle too and can never start.
    for (const aDeps of [['b', 'd'], ['d', 'b']]) {
      const cs = detectDependencyConflicts([dep('a', aDeps), dep('b', ['c']), dep('c', ['a']), dep('d', ['b'])]);
      expect(cs).toHaveLength(1);
      expect([...cs[0]!.involved_tasks].sort()).toEqual(['a', 'b', 'c', 'd']);
      expect(cs[0]!.description).toMatch(/^Circular dependency detected: a -> /);
    }
  });

  it('when a task only waits on a loop without being in it, then it is not part of the conflict', () => {
    const cs = detectDependencyConflicts([dep('a', ['b']), dep('b', ['a']), dep('waiter', ['a'])]);
    expect(cs).toHaveLength(1);
    expect(cs[0]!.involved_tasks).toEqual(['a', 'b']);
  });
});
