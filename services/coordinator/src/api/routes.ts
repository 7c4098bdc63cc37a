import { Router } from 'express';
import { allow, parseBody, parseQuery, NotFoundError, ValidationError } from '@nexus/core';
import type { Coordinator } from '../coordinator.js';
import type { Scheduler } from '../cycle.js';
import { HOLDING_STATUSES } from '../domain/types.js';
import * as s from './schemas.js';

const now = () => new Date().toISOString();

/** The documented list shape: an object keyed by id. */
const byId = <T extends { id: string }>(list: T[]): Record<string, T> => Object.fromEntries(list.map((x) => [x.id, x]));

const ID_PATTERN = /^[A-Za-z0-9._:@-]+$/;

/**
 * Path ids: longer than any id can be → 400; characters no id may contain → 404 at once
 * (nothing can exist under that name), without asking the database.
 */
function pathId(value: string | string[] | undefined, what: string): string {
  const v = Array.isArray(value) ? value.join('/') : (value ?? '');
  if (v.length === 0 || v.length > 255) throw new ValidationError(`Invalid ${what} id`, [{ field: what, message: 'must be 1-255 characters' }]);
  if (!ID_PATTERN.test(v)) throw new NotFoundError(`${what[0]!.toUpperCase()}${what.slice(1)} ${JSON.stringify(v)} not found`);
  return v;
}

export function coordinationRouter(coordinator: Coordinator, scheduler: Scheduler | null, openapi: Record<string, unknown>): Router {
  const r = Router();
  r.get('/openapi.json', allow('read'), (_req, res) => {
    res.json(openapi);
  });
  r.get('/coordination/status', allow('read'), async (_req, res) => {
    res.json(await coordinator.status(scheduler ? scheduler.isLeader() : null));
  });
  r.post('/coordination/start', allow('admin'), async (_req, res) => {
    await coordinator.setRunning(true);
    res.json({ message: 'Multi-agent coordination started', coordination_running: true, timestamp: now() });
  });
  r.post('/coordination/stop', allow('admin'), async (_req, res) => {
    await coordinator.setRunning(false);
    res.json({ message: 'Multi-agent coordination stopped', coordination_running: false, timestamp: now() });
  });
  return r;
}

export function agentsRouter(coordinator: Coordinator): Router {
  const r = Router();
  r.get('/agents', allow('read'), async (req, res) => {
    const q = parseQuery(s.agentsQuery, req.query);
    const list = await coordinator.listAgents(q);
    res.json({ agents: byId(list), count: list.length, timestamp: now() });
  });
  r.post('/agents', allow('write'), async (req, res) => {
    const body = parseBody(s.registerAgentBody, req.body);
    const agent = await coordinator.registerAgent({ ...body, id: body.id ?? crypto.randomUUID() });
    res.json({ message: `Agent ${agent.id} registered successfully`, agent_id: agent.id, timestamp: now() });
  });
  r.get('/agents/:id', allow('read'), async (req, res) => {
    res.json(await coordinator.getAgent(pathId(req.params.id, 'agent')));
  });
  r.delete('/agents/:id', allow('admin'), async (req, res) => {
    const id = pathId(req.params.id, 'agent');
    const released = await coordinator.deleteAgent(id);
    res.json({ message: `Agent ${id} unregistered successfully`, released_tasks: released, timestamp: now() });
  });
  r.post('/agents/:id/heartbeat', allow('write'), async (req, res) => {
    const id = pathId(req.params.id, 'agent');
    const body = parseBody(s.heartbeatBody, req.body);
    const out = await coordinator.heartbeat(id, body);
    res.json({ message: 'Heartbeat recorded', agent_id: id, status: out.agent.status, ...out, timestamp: now() });
  });
  r.get('/agents/:id/tasks', allow('read'), async (req, res) => {
    const id = pathId(req.params.id, 'agent');
    const q = parseQuery(s.agentTasksQuery, req.query);
    const list = await coordinator.agentTasks(id, q.status ?? HOLDING_STATUSES);
    res.json({ agent_id: id, tasks: list, count: list.length, timestamp: now() });
  });
  return r;
}

export function tasksRouter(coordinator: Coordinator, maxPage: number): Router {
  const r = Router();
  const query = s.tasksQuery(maxPage);
  r.get('/tasks', allow('read'), async (req, res) => {
    const { limit, cursor, ...filter } = parseQuery(query, req.query);
    const page = await coordinator.listTasks(filter, limit, cursor);
    res.json({
      tasks: byId(page.tasks),
      count: page.tasks.length,
      total: page.total,
      next_cursor: page.next_cursor,
      timestamp: now(),
    });
  });
  r.post('/tasks', allow('write'), async (req, res) => {
    const body = parseBody(s.submitTaskBody, req.body);
    const id = await coordinator.submitTask({ ...body, deadline: body.deadline ?? null });
    res.json({ message: `Task ${id} submitted successfully`, task_id: id, timestamp: now() });
  });
  r.get('/tasks/:id', allow('read'), async (req, res) => {
    res.json(await coordinator.getTask(pathId(req.params.id, 'task')));
  });
  r.put('/tasks/:id/status', allow('write'), async (req, res) => {
    const id = pathId(req.params.id, 'task');
    const body = parseBody(s.statusBody, req.body);
    const out = await coordinator.changeTaskStatus(id, body);
    const message = !out.changed
      ? `Task ${id} is already ${body.status}`
      : out.retried
        ? `Task ${id} failed and was queued for retry ${out.task.retry_count} of ${out.task.max_retries}`
        : `Task ${id} status updated to ${out.task.status}`;
    res.json({ message, task_id: id, status: out.task.status, changed: out.changed, task: out.task, timestamp: now() });
  });
  return r;
}

export function conflictsRouter(coordinator: Coordinator): Router {
  const r = Router();
  r.get('/conflicts', allow('read'), async (req, res) => {
    const q = parseQuery(s.conflictsQuery, req.query);
    const list = await coordinator.listConflicts(q.include_resolved ?? false, q.type);
    res.json({ conflicts: byId(list), count: list.length, timestamp: now() });
  });
  r.get('/conflicts/:id', allow('read'), async (req, res) => {
    res.json(await coordinator.getConflict(pathId(req.params.id, 'conflict')));
  });
  r.get('/consensus', allow('read'), async (req, res) => {
    const q = parseQuery(s.sessionsQuery, req.query);
    const list = await coordinator.listSessions(q.status);
    res.json({ sessions: byId(list), count: list.length, timestamp: now() });
  });
  r.get('/consensus/:id', allow('read'), async (req, res) => {
    res.json(await coordinator.getSession(pathId(req.params.id, 'session')));
  });
  r.post('/consensus/:id/votes', allow('write'), async (req, res) => {
    const id = pathId(req.params.id, 'session');
    const body = parseBody(s.voteBody, req.body);
    const out = await coordinator.castVote(id, body);
    res.json({ message: `Vote recorded for agent ${body.agent_id}`, ...out, timestamp: now() });
  });
  return r;
}

export function collaborationsRouter(coordinator: Coordinator): Router {
  const r = Router();
  r.get('/collaborations', allow('read'), async (req, res) => {
    const q = parseQuery(s.collaborationsQuery, req.query);
    const list = await coordinator.listCollaborations(q.status);
    res.json({ collaborations: byId(list), count: list.length, timestamp: now() });
  });
  r.post('/collaborations', allow('write'), async (req, res) => {
    const body = parseBody(s.collaborationBody, req.body);
    const id = await coordinator.createCollaboration(body);
    res.json({ message: 'Collaboration initiated successfully', collaboration_id: id, timestamp: now() });
  });
  r.get('/collaborations/:id', allow('read'), async (req, res) => {
    res.json(await coordinator.getCollaboration(pathId(req.params.id, 'collaboration')));
  });
  r.post('/collaborations/:id/solutions', allow('write'), async (req, res) => {
    const id = pathId(req.params.id, 'collaboration');
    const body = parseBody(s.solutionBody, req.body);
    const out = await coordinator.submitSolution(id, body.agent_id, body.solution);
    res.json({ message: 'Solution submitted successfully', ...out, timestamp: now() });
  });
  return r;
}
