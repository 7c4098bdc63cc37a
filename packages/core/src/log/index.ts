import { pino, type Logger } from 'pino';

export type { Logger };

export interface LoggerOptions {
  level?: string;
  name?: string;
  /** Write asynchronously (buffered) — much cheaper per request line; flushed on shutdown. */
  async?: boolean;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const destination = pino.destination({ dest: 1, sync: !opts.async, minLength: opts.async ? 4096 : 0 });
  if (opts.async) {
    // Batching must not hide the logs of a quiet service: flush at least twice a second.
    setInterval(() => destination.flush(), 500).unref();
  }
  return pino(
    {
      level: opts.level ?? 'info',
      name: opts.name,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: ['req.headers.authorization', 'req.headers["x-api-key"]'], censor: '[redacted]' },
    },
    destination,
  );
}

/** A logger that drops everything — for tests. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
