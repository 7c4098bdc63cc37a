import { EventEmitter } from 'node:events';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { SuiteConfig } from '../config/index.js';

/**
 * What is shared between replicas but not durable: counters, short-lived values and
 * events. Redis when configured, otherwise in-process. Nothing here is a source of truth.
 */
export interface Cache {
  readonly kind: 'redis' | 'memory';
  /** Counts one hit in a fixed window; returns the count so far and ms until the window resets. */
  hit(key: string, windowMs: number): Promise<{ count: number; resetMs: number }>;
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
  publish(channel: string, message: string): Promise<void>;
  /** Returns a function that removes the handler. */
  subscribe(channel: string, handler: (message: string) => void): Promise<() => void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export class MemoryCache implements Cache {
  readonly kind = 'memory' as const;
  private readonly values = new Map<string, { value: string; expires: number }>();
  private readonly counters = new Map<string, { count: number; expires: number }>();
  private readonly bus = new EventEmitter();

  constructor() {
    this.bus.setMaxListeners(0);
  }

  async hit(key: string, windowMs: number) {
    const now = Date.now();
    let c = this.counters.get(key);
    if (!c || c.expires <= now) {
      c = { count: 0, expires: now + windowMs };
      this.counters.set(key, c);
      if (this.counters.size > 100_000 && now - this.lastSweep > 1000) this.sweep(now);
    }
    c.count += 1;
    return { count: c.count, resetMs: c.expires - now };
  }

  private lastSweep = 0;

  private sweep(now: number): void {
    this.lastSweep = now;
    for (const [k, v] of this.counters) if (v.expires <= now) this.counters.delete(k);
    for (const [k, v] of this.values) if (v.expires <= now) this.values.delete(k);
  }

  async get(key: string) {
    const v = this.values.get(key);
    if (!v) return null;
    if (v.expires <= Date.now()) {
      this.values.delete(key);
      return null;
    }
    return v.value;
  }

  async set(key: string, value: string, ttlMs: number) {
    this.values.set(key, { value, expires: Date.now() + ttlMs });
  }

  async publish(channel: string, message: string) {
    // Deliver asynchronously, like a real broker, so publishers never run subscribers inline.
    queueMicrotask(() => this.bus.emit(channel, message));
  }

  async subscribe(channel: string, handler: (message: string) => void) {
    this.bus.on(channel, handler);
    return () => {
      this.bus.off(channel, handler);
    };
  }

  async ping() {}

  async close() {
    this.bus.removeAllListeners();
  }
}

export class RedisCache implements Cache {
  readonly kind = 'redis' as const;
  private readonly client: Redis;
  private subscriber: Redis | null = null;
  private readonly handlers = new Map<string, Set<(m: string) => void>>();

  constructor(
    private readonly url: string,
    private readonly logger: Logger,
    private readonly prefix = 'nexus:',
  ) {
    this.client = this.connect();
  }

  private connect(): Redis {
    const client = new Redis(this.url, {
      maxRetriesPerRequest: 1,
      commandTimeout: 1000,
      connectTimeout: 2000,
      enableOfflineQueue: true,
      retryStrategy: (times) => Math.min(times * 200, 2000),
    });
    let warned = false;
    client.on('error', (err) => {
      if (!warned) this.logger.warn({ err: err.message }, 'redis unavailable; continuing without it');
      warned = true;
    });
    client.on('ready', () => {
      warned = false;
    });
    return client;
  }

  async hit(key: string, windowMs: number) {
    const k = this.prefix + key;
    const res = await this.client.multi().incr(k).pexpire(k, windowMs, 'NX').pttl(k).exec();
    const count = Number(res?.[0]?.[1] ?? 1);
    const ttl = Number(res?.[2]?.[1] ?? windowMs);
    return { count, resetMs: ttl > 0 ? ttl : windowMs };
  }

  async get(key: string) {
    return this.client.get(this.prefix + key);
  }

  async set(key: string, value: string, ttlMs: number) {
    await this.client.set(this.prefix + key, value, 'PX', ttlMs);
  }

  async publish(channel: string, message: string) {
    await this.client.publish(this.prefix + channel, message);
  }

  async subscribe(channel: string, handler: (message: string) => void) {
    const full = this.prefix + channel;
    if (!this.subscriber) {
      this.subscriber = this.connect();
      this.subscriber.on('message', (ch: string, msg: string) => {
        for (const h of this.handlers.get(ch) ?? []) h(msg);
      });
    }
    let set = this.handlers.get(full);
    if (!set) {
      set = new Set();
      this.handlers.set(full, set);
      // ioredis re-subscribes by itself after a reconnect.
      await this.subscriber.subscribe(full).catch((err: Error) =>
        this.logger.warn({ err: err.message, channel }, 'redis subscribe failed; events fall back to polling'),
      );
    }
    set.add(handler);
    return () => {
      set.delete(handler);
    };
  }

  async ping() {
    await this.client.ping();
  }

  async close() {
    this.client.disconnect();
    this.subscriber?.disconnect();
  }
}

export function redisUrl(config: SuiteConfig): string | undefined {
  if (config.redis.url) return config.redis.url;
  if (config.redis.host) return `redis://${config.redis.host}:${config.redis.port}`;
  return undefined;
}

export function openCache(config: SuiteConfig, logger: Logger): Cache {
  const url = redisUrl(config);
  if (!url) {
    logger.info('cache/events: in-process');
    return new MemoryCache();
  }
  logger.info({ url: url.replace(/\/\/[^@]*@/, '//***@') }, 'cache/events: redis');
  return new RedisCache(url, logger);
}
