import { describe, expect, it } from 'vitest';
import { backends, type Harness, useHarness } from '../support/harness.js';
import { ISO_UTC, detailFields, expectError, registerAgent } from './helpers.js';

type Json = Record<string, any>;

const PROBLEM = {
  problem_id: 'latency-spike-42',
  description: 'p99 latency doubled after the last deployment',
  required_capabilities: ['performance_analysis', 'root_cause'],
};

describe.each(backends)('collaborations API on %s', (backend) => {
  let h: Harness;
  useHarness(backend, (created) => (h = created));

  async function threeExperts(): Promise<void> {
    await registerAgent(h, 'perf-1', { agent_type: 'performance', capabilities: ['performance_analysis'] });
    await registerAgent(h, 'perf-2', { agent_type: 'performance', capabilities: ['performance_analysis', 'tuning'] });
    await registerAgent(h, 'rca-1', { agent_type: 'bug_fixing', capabilities: ['root_cause'] });
    await registerAgent(h, 'outsider', { agent_type: 'monitoring', capabilities: ['monitoring'] });
  }

  async function createCollaboration(): Promise<string> {
    const res = await h.api.post('/collaborations').send(PROBLEM).expect(200);
    return res.body.collaboration_id as string;
  }

  const getCollab = async (id: string): Promise<Json> => (await h.api.get(`/collaborations/${id}`).expect(200)).body;

  describe('POST /collaborations', () => {
    it('when fewer than two suitable active agents exist, then 400', async () => {
      expectError(await h.api.post('/collaborations').send(PROBLEM), 400);
      await registerAgent(h, 'perf-1', { agent_type: 'performance', capabilities: ['performance_analysis'] });
      await registerAgent(h, 'outsider', { agent_type: 'monitoring', capabilities: ['monitoring'] });
      await registerAgent(h, 'drained', { agent_type: 'performance', capabilities: ['root_cause'] });
      await h.api.post('/agents/drained/heartbeat').send({ status: 'draining' }).expect(200);
      expectError(await h.api.post('/collaborations').send(PROBLEM), 400);
      expect((await h.api.get('/collaborations').expect(200)).body.count).toBe(0);
    });

    it('when three suitable agents exist, then 200 {message, collaboration_id, timestamp} and they take part', async () => {
      await threeExperts();
      const res = await h.api.post('/collaborations').send(PROBLEM).expect(200);
      expect(res.body).toEqual({ message: expect.any(String), collaboration_id: expect.any(String), timestamp: expect.stringMatching(ISO_UTC) });
      const c = await getCollab(res.body.collaboration_id);
      expect(c).toMatchObject({
        id: res.body.collaboration_id,
        problem_id: PROBLEM.problem_id,
        description: PROBLEM.description,
        required_capabilities: PROBLEM.required_capabilities,
        participating_agents: ['perf-1', 'perf-2', 'rca-1'],
        status: 'active',
        solutions: {},
        merged_solution: null,
        consensus_session: null,
      });
      expect(c.created_at).toMatch(ISO_UTC);
    });

    it.each([
      [{ ...PROBLEM, problem_id: '' }, 'problem_id'],
      [{ ...PROBLEM, required_capabilities: [] }, 'required_capabilities'],
      [{ ...PROBLEM, required_capabilities: 'root_cause' }, 'required_capabilities'],
      [{ description: 'no problem id' }, 'problem_id'],
    ])('when the body is %j, then 400 naming %s', async (body, field) => {
      await threeExperts();
      const res = await h.api.post('/collaborations').send(body);
      expectError(res, 400);
      expect(detailFields(res)).toContain(field);
    });
  });

  describe('GET /collaborations', () => {
    it('when collaborations exist, then the list is {collaborations: {id: c}, count, timestamp} and each can be read', async () => {
      await threeExperts();
      const id1 = await createCollaboration();
      const id2 = await createCollaboration();
      const res = await h.api.get('/collaborations').expect(200);
      expect(res.body.count).toBe(2);
      expect(res.body.timestamp).toMatch(ISO_UTC);
      expect(Object.keys(res.body.collaborations).sort()).toEqual([id1, id2].sort());
      expect(res.body.collaborations[id1].participating_agents).toEqual(['perf-1', 'perf-2', 'rca-1']);
      expect((await h.api.get('/collaborations?status=active').expect(200)).body.count).toBe(2);
      expect((await h.api.get('/collaborations?status=agreed').expect(200)).body.count).toBe(0);
      expectError(await h.api.get('/collaborations?status=bogus'), 400);
    });

    it('when the collaboration is unknown, then 404', async () => {
      expectError(await h.api.get('/collaborations/no-such-collab'), 404);
    });
  });

  describe('POST /collaborations/:id/solutions', () => {
    it('when a participant submits, then 200; a non-participant gets 400; an unknown collaboration 404; a bad body 400', async () => {
      await threeExperts();
      const id = await createCollaboration();
      const ok = await h.api
        .post(`/collaborations/${id}/solutions`)
        .send({ agent_id: 'perf-1', solution: { action: 'rollback', confidence: 0.8 } })
        .expect(200);
      expect(ok.body).toMatchObject({ message: expect.any(String), collaboration_id: id, solutions_received: 1, participants: 3, merged_solution: null });
      expect(ok.body.timestamp).toMatch(ISO_UTC);

      expectError(await h.api.post(`/collaborations/${id}/solutions`).send({ agent_id: 'outsider', solution: { action: 'ignore' } }), 400);
      expectError(await h.api.post(`/collaborations/${id}/solutions`).send({ agent_id: 'nobody', solution: { action: 'ignore' } }), 400);
      expectError(await h.api.post('/collaborations/no-such-collab/solutions').send({ agent_id: 'perf-1', solution: { a: 1 } }), 404);
      for (const body of [{ agent_id: 'perf-2' }, { agent_id: 'perf-2', solution: 'rollback' }, { agent_id: 'perf-2', solution: [1, 2] }, { solution: { a: 1 } }]) {
        expectError(await h.api.post(`/collaborations/${id}/solutions`).send(body), 400);
      }
      const c = await getCollab(id);
      expect(Object.keys(c.solutions)).toEqual(['perf-1']);
      expect(c.solutions['perf-1']).toMatchObject({ solution: { action: 'rollback', confidence: 0.8 }, confidence: 0.8 });
      expect(c.solutions['perf-1'].submitted_at).toMatch(ISO_UTC);
    });

    it('when 2 of 3 participants have answered, then a merged solution exists and a consensus session is open', async () => {
      await threeExperts();
      const id = await createCollaboration();
      await h.api
        .post(`/collaborations/${id}/solutions`)
        .send({ agent_id: 'perf-1', solution: { replicas: 4, cache_ttl: 60, steps: ['scale_out', 'warm_cache'], strategy: 'scale', confidence: 0.9 } })
        .expect(200);
      const second = await h.api
        .post(`/collaborations/${id}/solutions`)
        .send({ agent_id: 'rca-1', solution: { replicas: 2, steps: ['warm_cache', 'rollback'], strategy: 'rollback', confidence: 0.3 } })
        .expect(200);
      expect(second.body.solutions_received).toBe(2);
      expect(typeof second.body.consensus_session).toBe('string');

      const c = await getCollab(id);
      const m = c.merged_solution as Json;
      expect(m).not.toBeNull();
      expect(m.replicas).toBeCloseTo((4 * 0.9 + 2 * 0.3) / (0.9 + 0.3), 9); // 3.5
      expect(m.cache_ttl).toBe(60); // only one solution has it
      expect([...m.steps].sort()).toEqual(['rollback', 'scale_out', 'warm_cache']);
      expect(m.steps).toHaveLength(3);
      expect(m.strategy).toBe('scale'); // strings come from the most confident solution
      expect(c.consensus_session).toBe(second.body.consensus_session);
      expect(second.body.merged_solution).toEqual(m);

      const s = (await h.api.get(`/consensus/${c.consensus_session}`).expect(200)).body;
      expect(s).toMatchObject({
        status: 'active',
        proposal_type: 'collaboration_solution',
        subject_id: id,
        eligible_agents: ['perf-1', 'perf-2', 'rca-1'],
      });
      expect(s.proposal).toEqual(m);
    });

    it('when every participant votes yes on the merged solution, then the collaboration is agreed', async () => {
      await threeExperts();
      const id = await createCollaboration();
      await h.api.post(`/collaborations/${id}/solutions`).send({ agent_id: 'perf-1', solution: { replicas: 4 } }).expect(200);
      await h.api.post(`/collaborations/${id}/solutions`).send({ agent_id: 'perf-2', solution: { replicas: 6 } }).expect(200);
      const c = await getCollab(id);
      expect(c.merged_solution).toEqual({ replicas: 5 }); // equal default confidence: plain average
      const sid = c.consensus_session as string;
      for (const agent of ['perf-1', 'perf-2']) {
        const r = await h.api.post(`/consensus/${sid}/votes`).send({ agent_id: agent, vote: true }).expect(200);
        expect(r.body.status).toBe('active'); // 2 of 3 is below the 0.7 threshold
      }
      expect((await getCollab(id)).status).toBe('active');
      const last = await h.api.post(`/consensus/${sid}/votes`).send({ agent_id: 'rca-1', vote: true }).expect(200);
      expect(last.body.status).toBe('passed');
      expect((await getCollab(id)).status).toBe('agreed');
      expect((await h.api.get('/collaborations?status=agreed').expect(200)).body.count).toBe(1);
      // An agreed collaboration takes no more solutions.
      expectError(await h.api.post(`/collaborations/${id}/solutions`).send({ agent_id: 'rca-1', solution: { replicas: 1 } }), 409);
    });

    it('when the participants reject the merged solution, then the collaboration is rejected', async () => {
      await threeExperts();
      const id = await createCollaboration();
      await h.api.post(`/collaborations/${id}/solutions`).send({ agent_id: 'perf-1', solution: { replicas: 4 } }).expect(200);
      await h.api.post(`/collaborations/${id}/solutions`).send({ agent_id: 'perf-2', solution: { replicas: 6 } }).expect(200);
      const sid = (await getCollab(id)).consensus_session as string;
      const r = await h.api.post(`/consensus/${sid}/votes`).send({ agent_id: 'rca-1', vote: false }).expect(200);
      expect(r.body.status).toBe('rejected');
      expect((await getCollab(id)).status).toBe('rejected');
    });
  });
});
