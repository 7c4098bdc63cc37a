import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeHarness, createHarness, type Harness } from '../support/harness.js';

describe('GET /openapi.json', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness('pglite');
  });
  afterAll(async () => closeHarness(h));

  it('when asked, then it documents every route with its request schema', async () => {
    const res = await h.api.get('/openapi.json').expect(200);
    expect(res.body.openapi).toBe('3.1.0');
    const paths = res.body.paths as Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { properties: Record<string, unknown>; required?: string[] } }> } }>>;
    for (const p of ['/agents', '/tasks', '/tasks/{id}/status', '/consensus/{id}/votes', '/collaborations/{id}/solutions', '/coordination/status']) {
      expect(paths).toHaveProperty(p);
    }
    const task = paths['/tasks']!.post!.requestBody!.content['application/json']!.schema;
    expect(task.required).toEqual(expect.arrayContaining(['task_type', 'priority', 'description']));
    expect(Object.keys(task.properties)).toEqual(expect.arrayContaining(['deadline', 'dependencies', 'estimated_duration']));
  });
});
