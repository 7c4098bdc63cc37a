import { z } from 'zod';
import type { Permission } from '@nexus/core';
import * as s from './schemas.js';

interface Operation {
  method: 'get' | 'post' | 'put' | 'delete';
  path: string;
  summary: string;
  permission: Permission | 'open';
  body?: z.ZodType;
  query?: z.ZodObject;
}

/** Every route of the coordinator, with the zod schemas that validate it. */
function operations(maxPage: number): Operation[] {
  return [
    { method: 'get', path: '/health', summary: 'Liveness', permission: 'open' },
    { method: 'get', path: '/ready', summary: 'Readiness: 200 when the database answers', permission: 'open' },
    { method: 'get', path: '/metrics', summary: 'Prometheus metrics', permission: 'open' },
    { method: 'get', path: '/coordination/status', summary: 'Counts of agents, tasks, conflicts; coordination flag', permission: 'read' },
    { method: 'post', path: '/coordination/start', summary: 'Resume the cycle and automatic assignment', permission: 'admin' },
    { method: 'post', path: '/coordination/stop', summary: 'Pause the cycle and automatic assignment', permission: 'admin' },
    { method: 'get', path: '/agents', summary: 'List agents', permission: 'read', query: s.agentsQuery },
    { method: 'post', path: '/agents', summary: 'Register an agent', permission: 'write', body: s.registerAgentBody },
    { method: 'get', path: '/agents/{id}', summary: 'One agent with the tasks it holds', permission: 'read' },
    { method: 'delete', path: '/agents/{id}', summary: 'Unregister; its tasks go back to pending', permission: 'admin' },
    { method: 'post', path: '/agents/{id}/heartbeat', summary: 'Liveness and self-reported state', permission: 'write', body: s.heartbeatBody },
    { method: 'get', path: '/agents/{id}/tasks', summary: 'Tasks of an agent (default: the ones it holds)', permission: 'read', query: s.agentTasksQuery },
    { method: 'get', path: '/tasks', summary: 'List tasks (paged)', permission: 'read', query: s.tasksQuery(maxPage) },
    { method: 'post', path: '/tasks', summary: 'Submit a task', permission: 'write', body: s.submitTaskBody },
    { method: 'get', path: '/tasks/{id}', summary: 'One task', permission: 'read' },
    { method: 'put', path: '/tasks/{id}/status', summary: 'Change a task status', permission: 'write', body: s.statusBody },
    { method: 'get', path: '/conflicts', summary: 'Conflicts (unresolved unless include_resolved)', permission: 'read', query: s.conflictsQuery },
    { method: 'get', path: '/conflicts/{id}', summary: 'One conflict', permission: 'read' },
    { method: 'get', path: '/consensus', summary: 'Voting sessions', permission: 'read', query: s.sessionsQuery },
    { method: 'get', path: '/consensus/{id}', summary: 'One voting session', permission: 'read' },
    { method: 'post', path: '/consensus/{id}/votes', summary: 'Cast a vote', permission: 'write', body: s.voteBody },
    { method: 'get', path: '/collaborations', summary: 'Collaborations', permission: 'read', query: s.collaborationsQuery },
    { method: 'post', path: '/collaborations', summary: 'Start a collaboration', permission: 'write', body: s.collaborationBody },
    { method: 'get', path: '/collaborations/{id}', summary: 'One collaboration with its solutions', permission: 'read' },
    { method: 'post', path: '/collaborations/{id}/solutions', summary: 'Submit a solution', permission: 'write', body: s.solutionBody },
  ];
}

const ROLE: Record<Operation['permission'], string> = {
  open: 'no API key needed',
  read: 'role viewer or above',
  write: 'role operator or above',
  admin: 'role admin',
};

/** The OpenAPI 3.1 document, generated from the same schemas that validate requests. */
export function openApiDocument(version: string, maxPage: number): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of operations(maxPage)) {
    const parameters: unknown[] = [];
    if (op.path.includes('{id}')) parameters.push({ name: 'id', in: 'path', required: true, schema: { type: 'string', maxLength: 255 } });
    if (op.query) {
      const q = z.toJSONSchema(op.query, { io: 'input', unrepresentable: 'any' }) as { properties?: Record<string, unknown> };
      for (const [name, schema] of Object.entries(q.properties ?? {})) parameters.push({ name, in: 'query', required: false, schema });
    }
    paths[op.path] ??= {};
    paths[op.path]![op.method] = {
      summary: op.summary,
      description: `Access: ${ROLE[op.permission]}.`,
      ...(op.permission === 'open' ? { security: [] } : {}),
      ...(parameters.length ? { parameters } : {}),
      ...(op.body
        ? { requestBody: { required: true, content: { 'application/json': { schema: z.toJSONSchema(op.body, { io: 'input', unrepresentable: 'any' }) } } } }
        : {}),
      responses: {
        '200': { description: 'OK' },
        ...(op.body || op.query ? { '400': { description: 'Invalid input; details name each bad field' } } : {}),
        ...(op.path.includes('{id}') ? { '404': { description: 'Unknown id' } } : {}),
        ...(op.method === 'post' || op.method === 'put' ? { '409': { description: 'Duplicate id or illegal state transition' } } : {}),
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Nexus Multi-Agent Coordinator', version },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer' },
        apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
      },
    },
    security: [{ bearer: [] }, { apiKey: [] }],
    paths,
  };
}
