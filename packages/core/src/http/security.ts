import { createHash } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import type { Cache } from '../cache/index.js';
import type { ApiKey, Role } from '../config/index.js';
import { ForbiddenError, RateLimitedError, UnauthorizedError } from '../errors/index.js';

/** What a route needs: `read` (viewer and up), `write` (operator and up), `admin`. */
export type Permission = 'read' | 'write' | 'admin';

const RANK: Record<Role, number> = { viewer: 1, operator: 2, admin: 3 };
const NEEDED: Record<Permission, number> = { read: 1, write: 2, admin: 3 };

export interface AuthContext {
  role: Role;
  /** Stable, non-secret identity of the caller for rate limiting and logs. */
  principal: string;
}

declare module 'express-serve-static-core' {
  interface Request {
    auth?: AuthContext;
    authError?: UnauthorizedError;
  }
}

const hash = (key: string) => createHash('sha256').update(key).digest('hex');

export function extractApiKey(req: Request): string | undefined {
  const header = req.headers.authorization;
  if (header) {
    const m = /^Bearer\s+(.+)$/i.exec(header.trim());
    if (m) return m[1]!.trim();
  }
  const x = req.headers['x-api-key'];
  return typeof x === 'string' && x.length > 0 ? x.trim() : undefined;
}

/**
 * Resolves the caller's role from `Authorization: Bearer <key>` or `X-API-Key`.
 * With no keys configured every caller is admin (open mode, warned about once). A missing
 * or unknown key is remembered on the request and refused by `requireAuth`, after the
 * rate limiter has counted it against the caller's address.
 */
export function authenticate(keys: ApiKey[], logger: Logger, service: string) {
  const byHash = new Map(keys.map((k) => [hash(k.key), k.role] as const));
  if (byHash.size === 0) {
    logger.warn({ service }, 'API_KEYS is not set: the API is open to anyone who can reach it');
  }
  return (req: Request, _res: Response, next: NextFunction) => {
    if (byHash.size === 0) {
      req.auth = { role: 'admin', principal: `ip:${req.ip}` };
      return next();
    }
    const key = extractApiKey(req);
    const h = key ? hash(key) : undefined;
    const role = h ? byHash.get(h) : undefined;
    if (role) req.auth = { role, principal: `key:${h!.slice(0, 16)}` };
    else req.authError = key ? new UnauthorizedError('Unknown API key') : new UnauthorizedError();
    next();
  };
}

export function requireAuth(req: Request, _res: Response, next: NextFunction): void {
  next(req.auth ? undefined : (req.authError ?? new UnauthorizedError()));
}

export function allow(permission: Permission) {
  return (req: Request, _res: Response, next: NextFunction) => {
    const role = req.auth?.role;
    if (!role) return next(new UnauthorizedError());
    if (RANK[role] < NEEDED[permission]) {
      return next(new ForbiddenError(`Role '${role}' may not do this; it needs ${permission === 'read' ? 'viewer' : permission === 'write' ? 'operator' : 'admin'}`));
    }
    next();
  };
}

/**
 * Fixed one-minute window per authenticated API key, or per client address for anyone
 * else (open mode, missing or unknown keys — so inventing keys buys nothing). Counters
 * live in the cache, so replicas sharing Redis share the budget. If the cache fails,
 * requests pass.
 */
export function rateLimit(perMinute: number, cache: Cache, logger: Logger) {
  let warned = false;
  return async (req: Request, res: Response, next: NextFunction) => {
    if (perMinute <= 0) return next();
    const who = req.auth?.principal.startsWith('key:') ? req.auth.principal : `ip:${req.ip}`;
    try {
      const { count, resetMs } = await cache.hit(`ratelimit:${who}`, 60_000);
      res.setHeader('X-RateLimit-Limit', String(perMinute));
      res.setHeader('X-RateLimit-Remaining', String(Math.max(0, perMinute - count)));
      if (count > perMinute) return next(new RateLimitedError(resetMs / 1000));
    } catch (err) {
      if (!warned) logger.warn({ err: (err as Error).message }, 'rate limiter cache unavailable; not limiting');
      warned = true;
    }
    next();
  };
}
