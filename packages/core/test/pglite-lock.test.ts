import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PgliteDb } from '../src/index.js';

describe('embedded database directory lock', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'nexus-lock-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('when a live process holds the directory, then opening it fails with a clear message', async () => {
    // pid 1 is always alive.
    writeFileSync(path.join(dir, 'nexus.lock'), '1');
    await expect(PgliteDb.open(dir)).rejects.toThrow(/in use by process 1/);
  });

  it('when the lock was left by a dead process, then it is taken over, and released on close', async () => {
    writeFileSync(path.join(dir, 'nexus.lock'), '999999999');
    const db = await PgliteDb.open(dir);
    expect((await db.query<{ one: number }>('SELECT 1 AS one')).rows[0]!.one).toBe(1);
    await db.close();
    const again = await PgliteDb.open(dir);
    await again.close();
  });
});
