import { beforeEach, describe, expect, it } from 'vitest';
import { backends, type Harness, useHarness } from '../support/harness.js';
import { ISO_UTC, expectError, getTask, registerAgent, submitTask } from './helpers.js';

type Json = Record<string, any>;

describe.each(backends)('conflicts and consensus API on %s', (backend) => {
  let h: Harness;
  useHarness(backend, (created) => (h = created));

  const cycle = () => h.service.scheduler.fullCycle();

  async function conflicts(query = ''): Promise<Json[]> {
    const res = await h.api.get(`/conflicts${query}`).expect(200);
    expect(res.body.timestamp).toMatch(ISO_UTC);
    const list = Object.values<Json>(res.body.conflicts);
    expect(res.body.count).toBe(list.length);
    for (const [id, c] of Object.entries<Json>(res.body.conflicts)) expect(c.id).toBe(id);
    return list;
  }

  async function sessions(query = ''): Promise<Json[]> {
    const res = await h.api.get(`/consensus${query}`).expect(200);
    const list = Object.values<Json>(res.body.sessions);
    expect(res.body.count).toBe(list.length);
    return list;
  }

  /** Two tasks depending on each other: neither can ever start. */
  async function submitCycle(): Promise<[string, string]> {
    await submitTask(h, { id: 'cyc-a', dependencies: ['cyc-b'] });
    await submitTask(h, { id: 'cyc-b', dependencies: ['cyc-a'] });
    return ['cyc-a', 'cyc-b'];
  }

  describe('without available agents (no voters)', () => {
    it('when two tasks depend on each other, then one dependency conflict is recorded and applied at once', async () => {
      await submitCycle();
      await cycle();
      const deps = await conflicts('?type=dependency_conflict');
      expect(deps).toHaveLength(1);
      const c = deps[0]!;
      expect(c).toMatchObject({
        conflict_type: 'dependency_conflict',
        involved_tasks: ['cyc-a', 'cyc-b'],
        resolved: false,
        resolution_status: 'applied',
        consensus_session: null,
      });
      expect(c.description).toMatch(/circular dependency/i);
      expect(c.detected_at).toMatch(ISO_UTC);
      expect(c.outcome).toMatchObject({ consensus: 'not_required', applied: true });
      for (const id of ['cyc-a', 'cyc-b']) {
        const t = await getTask(h, id);
        expect(t.status).toBe('failed');
        expect(t.error_message).toContain('Circular dependency');
      }
      expect(await sessions()).toHaveLength(0);
      // Only in the full list, not twice.
      expect((await conflicts()).filter((x) => x.conflict_type === 'dependency_conflict')).toHaveLength(1);
    });

    it('when more cycles run, then no duplicate is created and the cleared conflict is marked resolved', async () => {
      await submitCycle();
      await cycle();
      const [first] = await conflicts('?type=dependency_conflict');
      await cycle();
      await cycle();
      expect(await conflicts('?type=dependency_conflict')).toHaveLength(0);
      const all = await conflicts('?include_resolved=true&type=dependency_conflict');
      expect(all).toHaveLength(1);
      expect(all[0]).toMatchObject({ id: first!.id, resolved: true, resolution_status: 'applied' });
      expect(all[0]!.resolved_at).toMatch(ISO_UTC);
      const one = await h.api.get(`/conflicts/${first!.id}`).expect(200);
      expect(one.body.resolved).toBe(true);
    });

    it('when a standing conflict is seen by several cycles, then it stays one record with the same id', async () => {
      await submitTask(h, { id: 'scan', task_type: 'security_scan' });
      await cycle();
      const [first] = await conflicts('?type=capability_conflict');
      expect(first).toBeDefined();
      await cycle();
      await cycle();
      const after = await conflicts('?include_resolved=true&type=capability_conflict');
      expect(after).toHaveLength(1);
      expect(after[0]!.id).toBe(first!.id);
      expect(after[0]!.resolved).toBe(false);
      expect(Date.parse(after[0]!.last_seen_at)).toBeGreaterThanOrEqual(Date.parse(first!.last_seen_at));
    });

    it('when a task is past its deadline, then a timing conflict raises its priority by exactly one', async () => {
      const id = await submitTask(h, { priority: 2, deadline: '2024-01-15T10:00:00Z', estimated_duration: 1800 });
      await cycle();
      const timing = await conflicts('?type=timing_conflict');
      expect(timing).toHaveLength(1);
      expect(timing[0]).toMatchObject({ involved_tasks: [id], resolution_status: 'applied' });
      expect(timing[0]!.outcome.raised_priority).toEqual([id]);
      expect((await getTask(h, id)).priority).toBe(3);
      await cycle();
      await cycle();
      expect((await getTask(h, id)).priority).toBe(3);
      expect(await conflicts('?type=timing_conflict')).toHaveLength(1);
    });
  });

  describe('capability conflicts', () => {
    it('when a task needs a capability no agent has, then a capability conflict names it; registering such an agent clears it', async () => {
      await registerAgent(h, 'analyst', { capabilities: ['analysis'] });
      const id = await submitTask(h, { task_type: 'security_scan' });
      await cycle();
      const caps = await conflicts('?type=capability_conflict');
      expect(caps).toHaveLength(1);
      expect(caps[0]).toMatchObject({ conflict_type: 'capability_conflict', involved_tasks: [id], resolved: false });
      expect(caps[0]!.description).toContain('security_scan');
      expect(caps[0]!.resolution).toMatchObject({ missing_capability: 'security_scan' });

      await registerAgent(h, 'scanner', { agent_type: 'security', capabilities: ['security_scan'] });
      await cycle();
      expect(await conflicts('?type=capability_conflict')).toHaveLength(0);
      expect((await getTask(h, id)).assigned_agent).toBe('scanner');
    });
  });

  describe('with available agents (consensus)', () => {
    beforeEach(async () => {
      await registerAgent(h, 'v1', { capabilities: ['analysis'] });
      await registerAgent(h, 'v2', { capabilities: ['analysis'] });
    });

    async function openSession(): Promise<{ conflict: Json; session: Json }> {
      await submitCycle();
      await cycle();
      const deps = await conflicts('?type=dependency_conflict');
      expect(deps).toHaveLength(1);
      const conflict = deps[0]!;
      expect(conflict.resolution_status).toBe('pending_consensus');
      expect(typeof conflict.consensus_session).toBe('string');
      const res = await h.api.get(`/consensus/${conflict.consensus_session}`).expect(200);
      return { conflict, session: res.body };
    }

    it('when a resolution is proposed, then a consensus session lists the eligible agents and nothing is applied yet', async () => {
      const { conflict, session } = await openSession();
      const listed = await sessions();
      expect(listed).toHaveLength(1);
      expect(listed[0]).toMatchObject({
        id: conflict.consensus_session,
        proposal_type: 'conflict_resolution',
        subject_id: conflict.id,
        eligible_agents: ['v1', 'v2'],
        status: 'active',
        threshold: 0.7,
      });
      expect(session.created_at).toMatch(ISO_UTC);
      expect(session.proposal).toMatchObject({ action: 'break_circular_dependency' });
      expect((await getTask(h, 'cyc-a')).status).toBe('pending');
      expect((await sessions('?status=active')).map((s) => s.id)).toEqual([conflict.consensus_session]);
      expect(await sessions('?status=passed')).toHaveLength(0);
    });

    it('when further cycles run before the vote, then neither the conflict nor the session is duplicated', async () => {
      const { conflict } = await openSession();
      await cycle();
      await cycle();
      const deps = await conflicts('?include_resolved=true&type=dependency_conflict');
      expect(deps).toHaveLength(1);
      expect(deps[0]).toMatchObject({ id: conflict.id, consensus_session: conflict.consensus_session, resolved: false });
      expect(await sessions()).toHaveLength(1);
    });

    it('when every eligible agent votes yes, then the session passes and the resolution is applied', async () => {
      const { conflict } = await openSession();
      const sid = conflict.consensus_session as string;
      const first = await h.api.post(`/consensus/${sid}/votes`).send({ agent_id: 'v1', vote: true, reasoning: 'cycle cannot run' }).expect(200);
      expect(first.body).toMatchObject({ session_id: sid, status: 'active', votes_cast: 1 });
      expect((await getTask(h, 'cyc-a')).status).toBe('pending');
      const second = await h.api.post(`/consensus/${sid}/votes`).send({ agent_id: 'v2', vote: true }).expect(200);
      expect(second.body).toMatchObject({ session_id: sid, status: 'passed', votes_cast: 2 });

      const s = (await h.api.get(`/consensus/${sid}`).expect(200)).body;
      expect(s.status).toBe('passed');
      expect(Object.keys(s.votes).sort()).toEqual(['v1', 'v2']);
      expect(s.votes.v1).toMatchObject({ vote: true, reasoning: 'cycle cannot run' });
      expect(s.decided_at).toMatch(ISO_UTC);

      const c = (await h.api.get(`/conflicts/${conflict.id}`).expect(200)).body;
      expect(c.resolution_status).toBe('applied');
      expect(c.outcome).toMatchObject({ consensus: true });
      for (const id of ['cyc-a', 'cyc-b']) {
        const t = await getTask(h, id);
        expect(t.status).toBe('failed');
        expect(t.error_message).toContain('Circular dependency');
      }
      // The next cycle sees the condition gone.
      await cycle();
      expect(await conflicts('?type=dependency_conflict')).toHaveLength(0);
    });

    it('when enough agents vote no, then the session is rejected and nothing is applied', async () => {
      const { conflict } = await openSession();
      const sid = conflict.consensus_session as string;
      const res = await h.api.post(`/consensus/${sid}/votes`).send({ agent_id: 'v1', vote: false }).expect(200);
      expect(res.body.status).toBe('rejected');
      const c = (await h.api.get(`/conflicts/${conflict.id}`).expect(200)).body;
      expect(c.resolution_status).toBe('rejected');
      expect((await getTask(h, 'cyc-a')).status).toBe('pending');
    });

    it('when a vote is invalid, then 400, 404 or 409 as appropriate and no vote is recorded', async () => {
      const { conflict } = await openSession();
      const sid = conflict.consensus_session as string;
      await registerAgent(h, 'latecomer', { capabilities: ['analysis'] });

      expectError(await h.api.post(`/consensus/${sid}/votes`).send({ agent_id: 'latecomer', vote: true }), 409);
      expectError(await h.api.post(`/consensus/${sid}/votes`).send({ agent_id: 'stranger', vote: true }), 409);
      expectError(await h.api.post('/consensus/no-such-session/votes').send({ agent_id: 'v1', vote: true }), 404);
      for (const body of [{ agent_id: 'v1', vote: 'yes' }, { agent_id: 'v1', vote: 1 }, { agent_id: 'v1' }, { vote: true }, { agent_id: '', vote: true }]) {
        expectError(await h.api.post(`/consensus/${sid}/votes`).send(body), 400);
      }
      const s = (await h.api.get(`/consensus/${sid}`).expect(200)).body;
      expect(s.votes).toEqual({});
      expect(s.status).toBe('active');
    });

    it('when a vote comes after the decision, then 409', async () => {
      const { conflict } = await openSession();
      const sid = conflict.consensus_session as string;
      await h.api.post(`/consensus/${sid}/votes`).send({ agent_id: 'v1', vote: true }).expect(200);
      await h.api.post(`/consensus/${sid}/votes`).send({ agent_id: 'v2', vote: true }).expect(200);
      expectError(await h.api.post(`/consensus/${sid}/votes`).send({ agent_id: 'v1', vote: false }), 409);
      expect((await h.api.get(`/consensus/${sid}`).expect(200)).body.status).toBe('passed');
    });
  });

  describe('lookups', () => {
    it('when a conflict or session id is unknown, then 404', async () => {
      expectError(await h.api.get('/conflicts/no-such-conflict'), 404);
      expectError(await h.api.get('/consensus/no-such-session'), 404);
    });

    it.each([['/conflicts?include_resolved=maybe'], ['/conflicts?type=love_conflict'], ['/consensus?status=pending']])(
      'when the query of %s is invalid, then 400',
      async (url) => {
        expectError(await h.api.get(url), 400);
      },
    );
  });
});
