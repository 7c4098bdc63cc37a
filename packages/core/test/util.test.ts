import { afterEach, describe, expect, it, vi } from 'vitest';
import { leaseKey } from '../src/lease/index.js';
import { Batcher } from '../src/util/batcher.js';
import { isRetryableTxError, retryTx } from '../src/util/retry.js';
import { Wakeable } from '../src/util/wakeable.js';

/** A promise with its resolve/reject exposed. */
function deferred<T = void>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const tick = (ms = 0) => new Promise<void>((r) => setTimeout(r, ms));
const waitFor = <T>(fn: () => T) => vi.waitFor(fn, { timeout: 2000, interval: 1 });

describe('Batcher', () => {
  it('when items are added in the same tick, then they are flushed together in one batch', async () => {
    const batches: number[][] = [];
    const b = new Batcher<number, number>(async (items) => {
      batches.push([...items]);
      return items.map((i) => i * 10);
    });
    const results = await Promise.all([b.add(1), b.add(2), b.add(3)]);
    expect(batches).toEqual([[1, 2, 3]]);
    expect(results).toEqual([10, 20, 30]);
  });

  it('when a batch is flushed, then each caller gets the result at its own index', async () => {
    const b = new Batcher<string, string>(async (items) => items.map((s) => s.toUpperCase()));
    const pa = b.add('a');
    const pb = b.add('b');
    const pc = b.add('c');
    expect(await pc).toBe('C');
    expect(await pa).toBe('A');
    expect(await pb).toBe('B');
  });

  it('when the flush fails, then every caller of that batch gets the error', async () => {
    const boom = new Error('insert failed');
    const b = new Batcher<number, number>(async () => {
      throw boom;
    });
    const outcomes = await Promise.allSettled([b.add(1), b.add(2), b.add(3)]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'rejected']);
    for (const o of outcomes) expect((o as PromiseRejectedResult).reason).toBe(boom);
  });

  it('when a batch failed, then later batches still work', async () => {
    let fail = true;
    const b = new Batcher<number, number>(async (items) => {
      if (fail) throw new Error('once');
      return items;
    });
    await expect(b.add(1)).rejects.toThrow('once');
    fail = false;
    await expect(b.add(2)).resolves.toBe(2);
  });

  it('when more items than maxBatch are added, then no batch exceeds maxBatch and every item is flushed once', async () => {
    const batches: number[][] = [];
    const b = new Batcher<number, number>(async (items) => {
      batches.push([...items]);
      return items.map((i) => -i);
    }, 3);
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => b.add(i)));
    expect(results).toEqual(Array.from({ length: 10 }, (_, i) => -i));
    expect(batches.every((x) => x.length <= 3)).toBe(true);
    expect(batches.flat().sort((x, y) => x - y)).toEqual(Array.from({ length: 10 }, (_, i) => i));
    expect(batches[0]).toEqual([0, 1, 2]);
  });

  it('when flushes are slow, then at most maxInFlight run at once', async () => {
    let running = 0;
    let peak = 0;
    const gates: Array<ReturnType<typeof deferred<void>>> = [];
    const b = new Batcher<number, number>(
      async (items) => {
        running++;
        peak = Math.max(peak, running);
        const gate = deferred();
        gates.push(gate);
        await gate.promise;
        running--;
        return items;
      },
      1,
      2,
    );
    const all = Promise.all(Array.from({ length: 5 }, (_, i) => b.add(i)));
    // Keep adding while flushes are in flight, so there is always work waiting for a slot.
    const more = Promise.all(Array.from({ length: 5 }, (_, i) => tick(i).then(() => b.add(5 + i))));
    for (let released = 0; released < 10; released++) {
      await waitFor(() => expect(gates.length).toBeGreaterThan(released));
      await tick(1);
      expect(running).toBeLessThanOrEqual(2);
      gates[released]!.resolve();
    }
    expect(await more).toEqual([5, 6, 7, 8, 9]);
    expect(await all).toEqual([0, 1, 2, 3, 4]);
    expect(peak).toBeLessThanOrEqual(2);
  });

  it('when idle() is awaited, then it resolves only after everything queued has been flushed', async () => {
    const gate = deferred();
    const flushed: number[] = [];
    const b = new Batcher<number, number>(async (items) => {
      await gate.promise;
      flushed.push(...items);
      return items;
    });
    void b.add(1);
    void b.add(2);
    let idle = false;
    const idlePromise = b.idle().then(() => {
      idle = true;
    });
    await tick(10);
    expect(idle).toBe(false);
    gate.resolve();
    await idlePromise;
    expect(idle).toBe(true);
    expect(flushed).toEqual([1, 2]);
  });

  it('when nothing was ever added, then idle() resolves at once', async () => {
    const b = new Batcher<number, number>(async (items) => items);
    await expect(b.idle()).resolves.toBeUndefined();
  });
});

describe('Wakeable', () => {
  const running: Wakeable[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((w) => w.stop()));
  });
  const make = (work: () => Promise<void>, intervalMs = 60_000, onError: (e: unknown) => void = () => {}, debounceMs = 0) => {
    const w = new Wakeable(work, intervalMs, onError, debounceMs);
    running.push(w);
    return w;
  };

  it('when woken, then the work runs soon instead of at the next interval', async () => {
    let runs = 0;
    const w = make(async () => {
      runs++;
    });
    w.start();
    await tick(5);
    expect(runs).toBe(0); // the interval is a minute away
    w.wake();
    await waitFor(() => expect(runs).toBe(1));
  });

  it('when started, then the work runs every interval', async () => {
    let runs = 0;
    const w = make(async () => {
      runs++;
    }, 2);
    w.start();
    await waitFor(() => expect(runs).toBeGreaterThanOrEqual(3));
  });

  it('when not started (or stopped), then wake does nothing', async () => {
    let runs = 0;
    const w = make(async () => {
      runs++;
    });
    w.wake();
    await tick(5);
    expect(runs).toBe(0);
    w.start();
    await w.stop();
    w.wake();
    await tick(5);
    expect(runs).toBe(0);
  });

  it('when woken many times during a run, then runs never overlap and exactly one follow-up runs', async () => {
    let active = 0;
    let overlap = false;
    let runs = 0;
    const gates: Array<ReturnType<typeof deferred<void>>> = [];
    const w = make(async () => {
      runs++;
      active++;
      if (active > 1) overlap = true;
      const gate = deferred();
      gates.push(gate);
      await gate.promise;
      active--;
    });
    w.start();
    w.wake();
    await waitFor(() => expect(runs).toBe(1));
    for (let i = 0; i < 5; i++) w.wake();
    await tick(5);
    expect(runs).toBe(1); // still the first run
    gates[0]!.resolve();
    await waitFor(() => expect(runs).toBe(2));
    gates[1]!.resolve();
    await tick(10);
    expect(runs).toBe(2); // exactly one follow-up, then back to the (long) interval
    expect(overlap).toBe(false);
  });

  it('when woken repeatedly between runs, then the wake-ups coalesce within the debounce window', async () => {
    let runs = 0;
    const w = make(
      async () => {
        runs++;
      },
      60_000,
      () => {},
      5,
    );
    w.start();
    for (let i = 0; i < 10; i++) w.wake();
    await waitFor(() => expect(runs).toBe(1));
    await tick(15);
    expect(runs).toBe(1);
  });

  it('when the work throws, then onError receives the error and the loop goes on', async () => {
    const errors: unknown[] = [];
    let runs = 0;
    const w = make(
      async () => {
        runs++;
        if (runs === 1) throw new Error('first run fails');
      },
      60_000,
      (e) => errors.push(e),
    );
    w.start();
    w.wake();
    await waitFor(() => expect(errors).toHaveLength(1));
    expect((errors[0] as Error).message).toBe('first run fails');
    w.wake();
    await waitFor(() => expect(runs).toBe(2));
    expect(errors).toHaveLength(1);
  });

  it('when stopped during a run, then stop waits for that run and nothing runs afterwards', async () => {
    const gate = deferred();
    let runs = 0;
    let finished = false;
    const w = make(async () => {
      runs++;
      await gate.promise;
      finished = true;
    });
    w.start();
    w.wake();
    await waitFor(() => expect(runs).toBe(1));
    w.wake(); // would ask for a follow-up
    let stopped = false;
    const stopping = w.stop().then(() => {
      stopped = true;
    });
    await tick(5);
    expect(stopped).toBe(false);
    gate.resolve();
    await stopping;
    expect(finished).toBe(true);
    await tick(10);
    expect(runs).toBe(1);
  });

  it('when stopped while idle, then stop resolves at once', async () => {
    const w = make(async () => {});
    w.start();
    await expect(w.stop()).resolves.toBeUndefined();
  });

  it('when restarted after stop, then it runs again', async () => {
    let runs = 0;
    const w = make(async () => {
      runs++;
    });
    w.start();
    await w.stop();
    w.start();
    w.wake();
    await waitFor(() => expect(runs).toBe(1));
  });
});

describe('retryTx', () => {
  const pgError = (code: string) => Object.assign(new Error(`pg ${code}`), { code });

  it.each(['40P01', '40001'])('when the transaction fails with %s, then it is run again until it succeeds', async (code) => {
    let calls = 0;
    const result = await retryTx(async () => {
      calls++;
      if (calls < 3) throw pgError(code);
      return 'ok';
    });
    expect(result).toBe('ok');
    expect(calls).toBe(3);
  });

  it.each(['23505', '42P01', '57014', '08006'])('when the transaction fails with %s, then it is not retried', async (code) => {
    let calls = 0;
    const err = pgError(code);
    await expect(
      retryTx(async () => {
        calls++;
        throw err;
      }),
    ).rejects.toBe(err);
    expect(calls).toBe(1);
  });

  it('when the error has no code, then it is not retried', async () => {
    let calls = 0;
    await expect(
      retryTx(async () => {
        calls++;
        throw new Error('plain');
      }),
    ).rejects.toThrow('plain');
    expect(calls).toBe(1);
  });

  it('when retryable errors persist, then it gives up after the given attempts with the last error', async () => {
    let calls = 0;
    await expect(
      retryTx(async () => {
        calls++;
        throw pgError('40001');
      }, 3),
    ).rejects.toMatchObject({ code: '40001' });
    expect(calls).toBe(3);
  });

  it('when the first attempt succeeds, then it runs once', async () => {
    let calls = 0;
    await expect(retryTx(async () => ++calls)).resolves.toBe(1);
    expect(calls).toBe(1);
  });

  it('when errors are classified, then only deadlock and serialization failures are retryable', () => {
    expect(isRetryableTxError(pgError('40P01'))).toBe(true);
    expect(isRetryableTxError(pgError('40001'))).toBe(true);
    expect(isRetryableTxError(pgError('40002'))).toBe(false);
    expect(isRetryableTxError(new Error('x'))).toBe(false);
    expect(isRetryableTxError(null)).toBe(false);
    expect(isRetryableTxError(undefined)).toBe(false);
    expect(isRetryableTxError('40001')).toBe(false);
  });
});

describe('leaseKey', () => {
  it('when the same name is hashed twice, then the key is the same', () => {
    expect(leaseKey('coordinator-cycle')).toBe(leaseKey('coordinator-cycle'));
  });

  it('when names differ, then the keys differ', () => {
    const names = ['coordinator', 'learning', 'optimizer', 'outbox', 'coordinator-cycle', 'a', 'b', ''];
    expect(new Set(names.map(leaseKey)).size).toBe(names.length);
  });

  it('when hashed, then the key is a signed 32-bit integer (what pg advisory locks take)', () => {
    for (const name of ['', 'x', 'coordinator', 'a much longer lease name with spaces and ünïcödé']) {
      const k = leaseKey(name);
      expect(Number.isInteger(k)).toBe(true);
      expect(k).toBeGreaterThanOrEqual(-(2 ** 31));
      expect(k).toBeLessThan(2 ** 31);
    }
  });

  it('when hashed, then the values are FNV-1a 32 (stable across releases, so replicas of different versions agree)', () => {
    expect(leaseKey('')).toBe(0x811c9dc5 | 0);
    expect(leaseKey('a')).toBe(0xe40c292c | 0);
    expect(leaseKey('foobar')).toBe(0xbf9cf968 | 0);
  });
});

describe('Batcher with a burst larger than one batch', () => {
  it('when more than maxBatch items arrive at once, then several batches are flushed concurrently', async () => {
    let inFlight = 0;
    let peak = 0;
    const batcher = new Batcher<number, number>(async (items) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 10));
      inFlight--;
      return items.map((i) => i * 2);
    }, 10, 3);
    const out = await Promise.all(Array.from({ length: 50 }, (_, i) => batcher.add(i)));
    expect(out).toEqual(Array.from({ length: 50 }, (_, i) => i * 2));
    expect(peak).toBe(3);
  });
});

describe('Wakeable under a stream of wake-ups', () => {
  it('when woken every few ms for a while, then it still runs (the pending run is not pushed back)', async () => {
    let runs = 0;
    const w = new Wakeable(async () => void runs++, 10_000, () => undefined, 20);
    w.start();
    const until = Date.now() + 300;
    while (Date.now() < until) {
      w.wake();
      await new Promise((r) => setTimeout(r, 5));
    }
    await w.stop();
    expect(runs).toBeGreaterThanOrEqual(5);
  });
});
