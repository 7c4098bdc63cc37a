import { randomUUID } from 'node:crypto';
import cors from 'cors';
import express, { type ErrorRequestHandler, type Express, type NextFunction, type Request, type Response, type Router } from 'express';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import type { Logger } from 'pino';
import type { Cache } from '../cache/index.js';
import type { SuiteConfig } from '../config/index.js';
import type { Db } from '../db/types.js';
import {
  AppError,
  NotFoundError,
  PayloadTooLargeError,
  UnavailableError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '../errors/index.js';
import type { ServiceMetrics } from '../metrics/index.js';
import { allow, authenticate, rateLimit, requireAuth, type Permission } from './security.js';

export interface HttpAppOptions {
  service: string;
  version: string;
  config: SuiteConfig;
  logger: Logger;
  metrics: ServiceMetrics;
  db: Db;
  cache: Cache;
  /** Log one line per request (default true). */
  logRequests?: boolean;
  /** Extra detail merged into GET /ready. */
  readyDetail?: () => Record<string, unknown>;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const MAX_JSON_DEPTH = 64;

/**
 * What Postgres cannot store and what would exhaust the stack later: strings or keys with
 * NUL characters or unpaired surrogates, and nesting deeper than `maxDepth`. Iterative.
 */
export function jsonShapeProblem(body: unknown, maxDepth: number): string | null {
  const bad = (s: string) => s.includes('\u0000') || !s.isWellFormed();
  const stack: Array<{ v: unknown; depth: number }> = [{ v: body, depth: 0 }];
  while (stack.length) {
    const { v, depth } = stack.pop()!;
    if (typeof v === 'string') {
      if (bad(v)) return 'Strings must not contain NUL characters or unpaired surrogates';
      continue;
    }
    if (typeof v !== 'object' || v === null) continue;
    if (depth >= maxDepth) return `JSON nested deeper than ${maxDepth} levels`;
    if (Array.isArray(v)) {
      for (const item of v) stack.push({ v: item, depth: depth + 1 });
    } else {
      for (const [k, item] of Object.entries(v)) {
        if (bad(k)) return 'Keys must not contain NUL characters or unpaired surrogates';
        stack.push({ v: item, depth: depth + 1 });
      }
    }
  }
  return null;
}
const READY_TIMEOUT_MS = 1500;

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}

/**
 * Builds an Express app with everything every service shares: request ids and logging,
 * metrics, security headers, CORS, the open probes (/health, /ready, /metrics), rate
 * limiting, API-key auth, JSON parsing with size limit. Mount service routers with
 * `mount`, then call `finish` to add the JSON 404 and the error handler.
 */
export function createHttpApp(opts: HttpAppOptions) {
  const { config, logger, metrics } = opts;
  const app: Express = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback, linklocal, uniquelocal');
  app.set('query parser', 'simple');

  const logRequests = opts.logRequests ?? true;
  app.use(
    pinoHttp({
      logger,
      autoLogging: logRequests,
      genReqId: (req, res) => {
        const given = req.headers['x-request-id'];
        const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
      serializers: {
        req: (req) => ({ id: req.id, method: req.method, url: req.url }),
        res: (res) => ({ statusCode: res.statusCode }),
        // pino-http invents an error for every 5xx; its stack says nothing. Real errors are
        // logged with their stack by the error handler.
        err: (err: Error) => (/^failed with status code/.test(err.message) ? { message: err.message } : { type: err.name, message: err.message, stack: err.stack }),
      },
    }),
  );

  app.use((req: Request, res: Response, next: NextFunction) => {
    const end = metrics.httpDuration.startTimer();
    res.on('finish', () => {
      const route = req.route?.path ? `${req.baseUrl}${String(req.route.path)}` : res.statusCode === 404 ? 'unmatched' : req.baseUrl || 'unmatched';
      const labels = { method: req.method, route, status: String(res.statusCode) };
      end(labels);
      metrics.httpRequests.inc(labels);
    });
    next();
  });

  app.use(helmet());
  const origins = config.http.cors_origins;
  app.use(
    cors({
      origin: origins.length === 0 || origins.includes('*') ? '*' : origins,
      allowedHeaders: ['Content-Type', 'Authorization', 'X-API-Key', 'X-Request-Id'],
      exposedHeaders: ['X-Request-Id', 'Retry-After'],
    }),
  );

  app.get('/health', (_req, res) => {
    res.json({ status: 'healthy', service: opts.service, version: opts.version, timestamp: new Date().toISOString() });
  });

  app.get('/ready', async (_req, res) => {
    const checks: Record<string, { status: 'up' | 'down'; kind: string; error?: string; required: boolean }> = {};
    const probe = async (name: string, kind: string, required: boolean, fn: () => Promise<void>) => {
      try {
        await withTimeout(fn(), READY_TIMEOUT_MS);
        checks[name] = { status: 'up', kind, required };
      } catch (err) {
        // Say what kind of failure, not where the dependency lives (hosts, ports, users).
        const e = err as { code?: string; message?: string };
        const error = /timed out/i.test(e.message ?? '') ? 'timed out' : (e.code ?? 'unreachable');
        checks[name] = { status: 'down', kind, required, error };
      }
    };
    await Promise.all([
      probe('database', opts.db.kind, true, () => opts.db.ping()),
      probe('cache', opts.cache.kind, false, () => opts.cache.ping()),
    ]);
    const ready = Object.values(checks).every((c) => c.status === 'up' || !c.required);
    res.status(ready ? 200 : 503).json({
      status: ready ? 'ready' : 'not_ready',
      service: opts.service,
      checks,
      ...(opts.readyDetail?.() ?? {}),
      timestamp: new Date().toISOString(),
    });
  });

  app.get('/metrics', async (_req, res) => {
    res.setHeader('Content-Type', metrics.registry.contentType);
    res.send(await metrics.registry.metrics());
  });

  app.use(authenticate(config.api_keys, logger, opts.service));
  app.use(rateLimit(config.http.rate_limit_per_minute, opts.cache, logger));
  app.use(requireAuth);

  // Reject non-JSON bodies on write routes before parsing them.
  app.use((req: Request, _res: Response, next: NextFunction) => {
    const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
    if (hasBody && ['POST', 'PUT', 'PATCH'].includes(req.method) && !req.is(['application/json', '+json'])) {
      return next(new UnsupportedMediaTypeError());
    }
    next();
  });
  app.use(express.json({ limit: config.http.body_limit, strict: true, type: ['application/json', '+json'] }));
  app.use((req: Request, _res: Response, next: NextFunction) => {
    const problem = req.body === undefined ? null : jsonShapeProblem(req.body, MAX_JSON_DEPTH);
    next(problem ? new ValidationError(problem) : undefined);
  });

  const mount = (path: string, router: Router) => {
    app.use(path, router);
  };

  const finish = () => {
    app.use((req: Request, _res: Response, next: NextFunction) => {
      next(new NotFoundError(`No route for ${req.method} ${req.path}`));
    });
    const handler: ErrorRequestHandler = (err, req, res, _next) => {
      const appErr = toAppError(err, config.http.body_limit);
      if (!appErr) {
        req.log?.error({ err }, 'unhandled error');
        res.status(500).json({ error: 'Internal server error', request_id: req.id });
        return;
      }
      if (appErr.headers) for (const [k, v] of Object.entries(appErr.headers)) res.setHeader(k, v);
      if (appErr.status >= 500) req.log?.warn({ err: appErr.message }, 'request failed: dependency unavailable');
      res.status(appErr.status).json(appErr.details ? { error: appErr.message, details: appErr.details } : { error: appErr.message });
    };
    app.use(handler);
  };

  return { app, mount, finish };
}

/** Maps library errors (body-parser, router URL decoding) onto our error classes. */
function toAppError(err: unknown, bodyLimit: string): AppError | null {
  if (err instanceof AppError) return err;
  const e = err as { type?: string; status?: number; statusCode?: number; expose?: boolean; message?: string };
  switch (e?.type) {
    case 'entity.too.large':
      return new PayloadTooLargeError(bodyLimit);
    case 'entity.parse.failed':
      return new ValidationError('Malformed JSON in request body');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new UnsupportedMediaTypeError();
    case 'request.aborted':
      return new ValidationError('Request aborted by the client');
    default:
      break;
  }
  const status = e?.status ?? e?.statusCode;
  if (err instanceof URIError) return new ValidationError('Malformed URL encoding');
  const code = (err as { code?: unknown })?.code;
  if (typeof code === 'string') {
    // Postgres class 22: a value the database cannot store (out of range, bad format).
    if (/^22/.test(code)) return new ValidationError('A value in the request cannot be stored (out of range or malformed)');
    // Contention that outlasted our retries, or a statement/lock timeout: try again shortly.
    if (['40001', '40P01', '55P03', '57014'].includes(code)) return new UnavailableError('The database is busy, try again shortly');
  }
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new AppError(status, 'bad_request', e.expose && e.message ? e.message : 'Bad request');
  }
  return null;
}

export { allow, type Permission };
