import { expect } from 'vitest';
import type { Response, Test } from 'supertest';
import { agentBody, taskBody, type Harness } from '../support/harness.js';

/** An ISO 8601 UTC timestamp as the API writes it (Date.prototype.toISOString). */
export const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Asserts the documented error shape: JSON, the given status, an `error` string. */
export function expectError(res: Response, status: number): void {
  expect(res.status, `expected ${status}, got ${res.status}: ${JSON.stringify(res.body)}`).toBe(status);
  expect(res.headers['content-type']).toMatch(/application\/json/);
  expect(typeof res.body.error).toBe('string');
  expect(res.body.error.length).toBeGreaterThan(0);
  expect(JSON.stringify(res.body)).not.toMatch(/\n\s+at /); // no stack trace
}

/** Asserts a JSON 4xx with an `error` string (any client error). */
export function expectClientError(res: Response): void {
  expect(res.status, `expected a 4xx, got ${res.status}: ${JSON.stringify(res.body)?.slice(0, 300)}`).toBeGreaterThanOrEqual(400);
  expect(res.status).toBeLessThan(500);
  expect(res.headers['content-type']).toMatch(/application\/json/);
  expect(typeof res.body.error).toBe('string');
}

/** Names of the fields a 400's details point at. */
export const detailFields = (res: Response): string[] =>
  Array.isArray(res.body.details) ? res.body.details.map((d: { field: string }) => d.field) : [];

export async function registerAgent(h: Harness, id: string, extra: Record<string, unknown> = {}): Promise<void> {
  const res = await h.api.post('/agents').send(agentBody(id, extra));
  expect(res.status, JSON.stringify(res.body)).toBe(200);
}

export async function submitTask(h: Harness, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await h.api.post('/tasks').send(taskBody(extra));
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.task_id as string;
}

export async function getTask(h: Harness, id: string): Promise<Record<string, any>> {
  const res = await h.api.get(`/tasks/${encodeURIComponent(id)}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

export async function getAgent(h: Harness, id: string): Promise<Record<string, any>> {
  const res = await h.api.get(`/agents/${encodeURIComponent(id)}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

export function setStatus(h: Harness, id: string, body: Record<string, unknown>): Test {
  return h.api.put(`/tasks/${encodeURIComponent(id)}/status`).send(body);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
