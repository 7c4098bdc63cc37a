import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { suiteConfigSchema, type SuiteConfig } from './schema.js';

export * from './schema.js';

/** Environment variable → config path. Documented variables first, then the suite's own. */
export const ENV_MAP: Record<string, string> = {
  REDIS_HOST: 'redis.host',
  REDIS_PORT: 'redis.port',
  REDIS_URL: 'redis.url',
  POSTGRES_HOST: 'database.host',
  POSTGRES_PORT: 'database.port',
  POSTGRES_DB: 'database.name',
  POSTGRES_USER: 'database.user',
  POSTGRES_PASSWORD: 'database.password',
  DATABASE_URL: 'database.url',
  DATABASE_POOL_SIZE: 'database.pool_size',
  COORDINATION_INTERVAL: 'coordinator.coordination.interval_seconds',
  MAX_TASK_RETRIES: 'coordinator.tasks.max_retries',
  TASK_TIMEOUT: 'coordinator.tasks.default_timeout',
  HEARTBEAT_TIMEOUT: 'coordinator.agents.heartbeat_timeout',
  LEARNING_RATE: 'learning.learning.learning_rate',
  ADAPTATION_THRESHOLD: 'learning.learning.adaptation_threshold',
  RETRAINING_INTERVAL: 'learning.learning.retraining_interval_hours',
  OPTIMIZATION_INTERVAL: 'optimizer.optimization.interval_seconds',
  RELIABILITY_CHECK_INTERVAL: 'optimizer.reliability.check_interval_seconds',
  MONITORING_ENABLED: 'optimizer.monitoring.enabled',
  PORT: 'port',
  DATA_DIR: 'data_dir',
  LOG_LEVEL: 'log_level',
  API_KEYS: 'api_keys',
  RATE_LIMIT_PER_MINUTE: 'http.rate_limit_per_minute',
  CORS_ORIGINS: 'http.cors_origins',
  BODY_LIMIT: 'http.body_limit',
  LEARNING_ENGINE_URL: 'learning_engine_url',
};

/** YAML file → the config section it fills. */
const YAML_FILES: Record<string, string> = {
  'multi-agent.yaml': 'coordinator',
  'adaptive-learning.yaml': 'learning',
  'production-optimizer.yaml': 'optimizer',
};

export class ConfigError extends Error {}

export interface LoadConfigOptions {
  env?: Record<string, string | undefined>;
  /** Folder holding the YAML files; default: $CONFIG_DIR or the repository's config/. */
  configDir?: string;
  /** Applied last, for tests. */
  overrides?: Record<string, unknown>;
}

function defaultConfigDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  // src/config or dist/config → repository root is three levels up from the package folder.
  return path.resolve(here, '../../../../config');
}

function setPath(target: Record<string, unknown>, dotted: string, value: unknown): void {
  const parts = dotted.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    if (typeof node[part] !== 'object' || node[part] === null) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts[parts.length - 1]!] = value;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    out[k] = isPlainObject(v) && isPlainObject(out[k]) ? deepMerge(out[k] as Record<string, unknown>, v) : v;
  }
  return out;
}

/**
 * Builds the configuration: built-in defaults ← config/*.yaml ← environment ← overrides.
 * Throws ConfigError naming the offending key (and its environment variable) when invalid.
 */
export function loadConfig(opts: LoadConfigOptions = {}): SuiteConfig {
  const env = opts.env ?? process.env;
  const dir = opts.configDir ?? env.CONFIG_DIR ?? defaultConfigDir();
  let raw: Record<string, unknown> = {};

  for (const [file, section] of Object.entries(YAML_FILES)) {
    const full = path.join(dir, file);
    if (!existsSync(full)) continue;
    let doc: unknown;
    try {
      doc = parseYaml(readFileSync(full, 'utf8'));
    } catch (err) {
      throw new ConfigError(`Configuration file ${full} is not valid YAML: ${(err as Error).message}`);
    }
    if (doc == null) continue;
    if (!isPlainObject(doc)) throw new ConfigError(`Configuration file ${full} must contain a mapping`);
    raw = deepMerge(raw, { [section]: doc });
  }

  const fromEnv: Record<string, string> = {};
  for (const [name, dotted] of Object.entries(ENV_MAP)) {
    const value = env[name];
    if (value === undefined || (value === '' && name !== 'LEARNING_ENGINE_URL')) continue;
    setPath(raw, dotted, value);
    fromEnv[dotted] = name;
  }
  if (opts.overrides) raw = deepMerge(raw, opts.overrides);

  const parsed = suiteConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const dotted = issue.path.join('.');
      const envName = Object.entries(fromEnv).find(([p]) => dotted === p || dotted.startsWith(`${p}.`))?.[1];
      return `  - ${dotted || '(root)'}${envName ? ` (from ${envName})` : ''}: ${issue.message}`;
    });
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}
