import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { ConfigError, ENV_MAP, deepMerge, loadConfig } from '../src/config/index.js';
import { postgresUrl } from '../src/db/index.js';

const REPO_CONFIG_DIR = fileURLToPath(new URL('../../../config/', import.meta.url));

let root: string;
let emptyDir: string;
let n = 0;

/** A fresh folder holding the given YAML files. */
function yamlDir(files: Record<string, string>): string {
  const dir = path.join(root, `cfg-${n++}`);
  mkdirSync(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

/** loadConfig with no YAML files and the given environment only. */
const fromEnv = (env: Record<string, string>) => loadConfig({ env, configDir: emptyDir });

/** The ConfigError message, failing the test when nothing (or something else) is thrown. */
function configError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), 'nexus-config-test-'));
  emptyDir = yamlDir({});
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('loadConfig defaults', () => {
  it('when there are no YAML files and no environment, then the built-in defaults apply', () => {
    const c = fromEnv({});
    expect(c.log_level).toBe('info');
    expect(c.data_dir).toBe('./data');
    expect(c.port).toBeUndefined();
    expect(c.api_keys).toEqual([]);
    expect(c.learning_engine_url).toBe('http://localhost:8071');
    expect(c.http).toMatchObject({ body_limit: '1mb', cors_origins: [], rate_limit_per_minute: 0 });
    expect(c.database).toMatchObject({ port: 5432, name: 'nexus_architect', user: 'nexus_user', password: 'nexus_password' });
    expect(c.database.host).toBeUndefined();
    expect(c.database.url).toBeUndefined();
    expect(c.redis.port).toBe(6379);
    expect(c.redis.host).toBeUndefined();

    expect(c.coordinator.coordination).toMatchObject({ interval_seconds: 30, consensus_threshold: 0.7, consensus_timeout_seconds: 300 });
    expect(c.coordinator.agents).toMatchObject({
      max_capacity_default: 100,
      heartbeat_timeout: 120,
      specialization_bonus: 1.5,
      performance_weight: { current_load: 0.3, performance_score: 0.25, success_rate: 0.25, response_time: 0.2 },
    });
    expect(c.coordinator.tasks).toMatchObject({ default_timeout: 3600, max_retries: 3, priority_aging_factor: 0.1, default_load: 10 });

    expect(c.learning.learning).toMatchObject({ learning_rate: 0.1, adaptation_threshold: 0.8, retraining_interval_hours: 24 });
    expect(c.optimizer.optimization.interval_seconds).toBe(300);
    expect(c.optimizer.reliability.check_interval_seconds).toBe(3600);
    expect(c.optimizer.monitoring.enabled).toBe(true);
  });

  it('when the config folder does not exist, then the defaults apply', () => {
    expect(loadConfig({ env: {}, configDir: path.join(root, 'does-not-exist') }).coordinator.coordination.interval_seconds).toBe(30);
  });

  it('when CONFIG_DIR is set in the environment and no configDir is given, then it is used', () => {
    const dir = yamlDir({ 'multi-agent.yaml': 'coordination:\n  interval_seconds: 7\n' });
    expect(loadConfig({ env: { CONFIG_DIR: dir } }).coordinator.coordination.interval_seconds).toBe(7);
  });
});

describe('loadConfig YAML', () => {
  it('when YAML files set values, then they override the defaults and the rest stays default (deep merge)', () => {
    const dir = yamlDir({
      'multi-agent.yaml': 'coordination:\n  interval_seconds: 5\nagents:\n  performance_weight:\n    current_load: 0.5\n',
      'adaptive-learning.yaml': 'learning:\n  learning_rate: 0.3\n',
      'production-optimizer.yaml': 'monitoring:\n  enabled: false\noptimization:\n  interval_seconds: 60\n',
    });
    const c = loadConfig({ env: {}, configDir: dir });
    expect(c.coordinator.coordination.interval_seconds).toBe(5);
    expect(c.coordinator.coordination.consensus_threshold).toBe(0.7);
    expect(c.coordinator.agents.performance_weight).toEqual({ current_load: 0.5, performance_score: 0.25, success_rate: 0.25, response_time: 0.2 });
    expect(c.coordinator.tasks.max_retries).toBe(3);
    expect(c.learning.learning.learning_rate).toBe(0.3);
    expect(c.learning.learning.adaptation_threshold).toBe(0.8);
    expect(c.optimizer.monitoring.enabled).toBe(false);
    expect(c.optimizer.optimization.interval_seconds).toBe(60);
    expect(c.optimizer.reliability.check_interval_seconds).toBe(3600);
  });

  it('when a YAML file is empty, then it is ignored', () => {
    const dir = yamlDir({ 'multi-agent.yaml': '# nothing here\n' });
    expect(loadConfig({ env: {}, configDir: dir }).coordinator.coordination.interval_seconds).toBe(30);
  });

  it('when a YAML file holds an invalid value, then a ConfigError names the key', () => {
    const dir = yamlDir({ 'multi-agent.yaml': 'tasks:\n  max_retries: lots\n' });
    const msg = configError(() => loadConfig({ env: {}, configDir: dir }));
    expect(msg).toContain('coordinator.tasks.max_retries');
  });

  it('when a YAML file is not valid YAML, then a ConfigError names the file', () => {
    const dir = yamlDir({ 'multi-agent.yaml': 'coordination: [unclosed\n  : :\n' });
    expect(configError(() => loadConfig({ env: {}, configDir: dir }))).toContain('multi-agent.yaml');
  });

  it('when a YAML file is not a mapping, then a ConfigError names the file', () => {
    const dir = yamlDir({ 'adaptive-learning.yaml': '- a\n- b\n' });
    expect(configError(() => loadConfig({ env: {}, configDir: dir }))).toContain('adaptive-learning.yaml');
  });
});

describe('loadConfig environment', () => {
  const dir = () =>
    yamlDir({
      'multi-agent.yaml': 'coordination:\n  interval_seconds: 5\ntasks:\n  max_retries: 7\n  default_timeout: 100\n',
      'adaptive-learning.yaml': 'learning:\n  learning_rate: 0.3\n  adaptation_threshold: 0.5\n  retraining_interval_hours: 2\n',
      'production-optimizer.yaml':
        'monitoring:\n  enabled: true\noptimization:\n  interval_seconds: 60\nreliability:\n  check_interval_seconds: 120\n',
    });

  it('when documented variables are set, then they override the YAML values', () => {
    const c = loadConfig({
      configDir: dir(),
      env: {
        COORDINATION_INTERVAL: '2.5',
        MAX_TASK_RETRIES: '5',
        TASK_TIMEOUT: '900',
        LEARNING_RATE: '0.05',
        ADAPTATION_THRESHOLD: '0.9',
        RETRAINING_INTERVAL: '12',
        OPTIMIZATION_INTERVAL: '600',
        RELIABILITY_CHECK_INTERVAL: '7200',
        MONITORING_ENABLED: 'false',
      },
    });
    expect(c.coordinator.coordination.interval_seconds).toBe(2.5);
    expect(c.coordinator.tasks.max_retries).toBe(5);
    expect(c.coordinator.tasks.default_timeout).toBe(900);
    expect(c.learning.learning.learning_rate).toBe(0.05);
    expect(c.learning.learning.adaptation_threshold).toBe(0.9);
    expect(c.learning.learning.retraining_interval_hours).toBe(12);
    expect(c.optimizer.optimization.interval_seconds).toBe(600);
    expect(c.optimizer.reliability.check_interval_seconds).toBe(7200);
    expect(c.optimizer.monitoring.enabled).toBe(false);
  });

  it('when no variable is set, then the YAML values are kept', () => {
    const c = loadConfig({ configDir: dir(), env: {} });
    expect(c.coordinator.coordination.interval_seconds).toBe(5);
    expect(c.coordinator.tasks.max_retries).toBe(7);
    expect(c.learning.learning.learning_rate).toBe(0.3);
    expect(c.optimizer.reliability.check_interval_seconds).toBe(120);
  });

  it('when POSTGRES_* variables are set, then the database settings follow', () => {
    const c = fromEnv({ POSTGRES_HOST: 'db.internal', POSTGRES_PORT: '5433', POSTGRES_DB: 'nexus', POSTGRES_USER: 'svc', POSTGRES_PASSWORD: 's3cret' });
    expect(c.database).toMatchObject({ host: 'db.internal', port: 5433, name: 'nexus', user: 'svc', password: 's3cret' });
  });

  it('when REDIS_HOST and REDIS_PORT are set, then the redis settings follow', () => {
    expect(fromEnv({ REDIS_HOST: 'cache', REDIS_PORT: '6380' }).redis).toMatchObject({ host: 'cache', port: 6380 });
  });

  it('when MONITORING_ENABLED has any usual boolean spelling, then it is understood', () => {
    for (const v of ['false', 'FALSE', '0', 'no', 'off']) expect(fromEnv({ MONITORING_ENABLED: v }).optimizer.monitoring.enabled).toBe(false);
    for (const v of ['true', 'True', '1', 'yes', 'on']) expect(fromEnv({ MONITORING_ENABLED: v }).optimizer.monitoring.enabled).toBe(true);
  });

  it('when API_KEYS lists keys with roles, then they are parsed', () => {
    expect(fromEnv({ API_KEYS: 'k1longkey:admin,k2longkey:viewer' }).api_keys).toEqual([
      { key: 'k1longkey', role: 'admin' },
      { key: 'k2longkey', role: 'viewer' },
    ]);
    expect(fromEnv({ API_KEYS: ' k1longkey:operator , ' }).api_keys).toEqual([{ key: 'k1longkey', role: 'operator' }]);
  });

  it('when RATE_LIMIT_PER_MINUTE is set, then rate limiting uses it', () => {
    expect(fromEnv({ RATE_LIMIT_PER_MINUTE: '60' }).http.rate_limit_per_minute).toBe(60);
  });

  it('when LEARNING_ENGINE_URL is set to an empty string, then it is accepted (delivery off)', () => {
    expect(fromEnv({ LEARNING_ENGINE_URL: '' }).learning_engine_url).toBe('');
  });

  it('when LEARNING_ENGINE_URL is an http(s) URL, then it is used', () => {
    expect(fromEnv({ LEARNING_ENGINE_URL: 'https://learning:8071' }).learning_engine_url).toBe('https://learning:8071');
  });

  it('when other variables are empty strings, then they are treated as unset', () => {
    const c = fromEnv({ COORDINATION_INTERVAL: '', POSTGRES_HOST: '', API_KEYS: '' });
    expect(c.coordinator.coordination.interval_seconds).toBe(30);
    expect(c.database.host).toBeUndefined();
    expect(c.api_keys).toEqual([]);
  });

  it('when the suite\'s own variables are set, then they apply too', () => {
    const c = fromEnv({ PORT: '9000', DATA_DIR: '/var/nexus', LOG_LEVEL: 'debug', HEARTBEAT_TIMEOUT: '30', DATABASE_URL: 'postgres://x@y/z', REDIS_URL: 'redis://r:6379' });
    expect(c.port).toBe(9000);
    expect(c.data_dir).toBe('/var/nexus');
    expect(c.log_level).toBe('debug');
    expect(c.coordinator.agents.heartbeat_timeout).toBe(30);
    expect(c.database.url).toBe('postgres://x@y/z');
    expect(c.redis.url).toBe('redis://r:6379');
  });

  it('when every documented variable is listed, then each is mapped', () => {
    for (const name of [
      'REDIS_HOST', 'REDIS_PORT', 'POSTGRES_HOST', 'POSTGRES_PORT', 'POSTGRES_DB', 'POSTGRES_USER', 'POSTGRES_PASSWORD',
      'COORDINATION_INTERVAL', 'MAX_TASK_RETRIES', 'TASK_TIMEOUT', 'LEARNING_RATE', 'ADAPTATION_THRESHOLD',
      'RETRAINING_INTERVAL', 'OPTIMIZATION_INTERVAL', 'RELIABILITY_CHECK_INTERVAL', 'MONITORING_ENABLED',
      'PORT', 'DATABASE_URL', 'REDIS_URL', 'DATA_DIR', 'LOG_LEVEL', 'API_KEYS', 'RATE_LIMIT_PER_MINUTE', 'LEARNING_ENGINE_URL',
    ]) {
      expect(ENV_MAP, name).toHaveProperty(name);
    }
  });

  it('when overrides are given, then they apply after the environment', () => {
    const c = loadConfig({ env: { COORDINATION_INTERVAL: '9' }, configDir: emptyDir, overrides: { coordinator: { coordination: { interval_seconds: 1 } } } });
    expect(c.coordinator.coordination.interval_seconds).toBe(1);
    expect(c.coordinator.coordination.consensus_threshold).toBe(0.7);
  });

  it('when the env object is given, then process.env is not consulted', () => {
    const saved = process.env.COORDINATION_INTERVAL;
    process.env.COORDINATION_INTERVAL = '11';
    try {
      expect(fromEnv({}).coordinator.coordination.interval_seconds).toBe(30);
    } finally {
      if (saved === undefined) delete process.env.COORDINATION_INTERVAL;
      else process.env.COORDINATION_INTERVAL = saved;
    }
  });
});

describe('loadConfig errors', () => {
  it('when COORDINATION_INTERVAL=abc, then a ConfigError names the key and the variable', () => {
    const msg = configError(() => fromEnv({ COORDINATION_INTERVAL: 'abc' }));
    expect(msg).toContain('coordinator.coordination.interval_seconds');
    expect(msg).toContain('COORDINATION_INTERVAL');
  });

  it('when API_KEYS has an unknown role, then a ConfigError names api_keys and API_KEYS', () => {
    const msg = configError(() => fromEnv({ API_KEYS: 'k1longkey:admin,k2longkey:superuser' }));
    expect(msg).toContain('api_keys');
    expect(msg).toContain('API_KEYS');
  });

  it('when API_KEYS has a key without a role or a too-short key, then it is rejected', () => {
    expect(configError(() => fromEnv({ API_KEYS: 'k1longkey' }))).toContain('API_KEYS');
    expect(configError(() => fromEnv({ API_KEYS: 'short:admin' }))).toContain('API_KEYS');
  });

  it.each([
    ['MAX_TASK_RETRIES', '1.5', 'coordinator.tasks.max_retries'],
    ['MAX_TASK_RETRIES', '-1', 'coordinator.tasks.max_retries'],
    ['TASK_TIMEOUT', 'forever', 'coordinator.tasks.default_timeout'],
    ['POSTGRES_PORT', '70000', 'database.port'],
    ['REDIS_PORT', 'six', 'redis.port'],
    ['LEARNING_RATE', '1.5', 'learning.learning.learning_rate'],
    ['ADAPTATION_THRESHOLD', 'high', 'learning.learning.adaptation_threshold'],
    ['RETRAINING_INTERVAL', '0', 'learning.learning.retraining_interval_hours'],
    ['OPTIMIZATION_INTERVAL', 'x', 'optimizer.optimization.interval_seconds'],
    ['RELIABILITY_CHECK_INTERVAL', '0', 'optimizer.reliability.check_interval_seconds'],
    ['MONITORING_ENABLED', 'maybe', 'optimizer.monitoring.enabled'],
    ['RATE_LIMIT_PER_MINUTE', 'lots', 'http.rate_limit_per_minute'],
    ['LEARNING_ENGINE_URL', 'ftp://learning', 'learning_engine_url'],
    ['LOG_LEVEL', 'loud', 'log_level'],
    ['PORT', '99999', 'port'],
  ])('when %s=%s, then a ConfigError names %s and the variable', (name, value, key) => {
    const msg = configError(() => fromEnv({ [name]: value }));
    expect(msg).toContain(key);
    expect(msg).toContain(name);
  });

  it('when several values are bad, then every one is named', () => {
    const msg = configError(() => fromEnv({ COORDINATION_INTERVAL: 'abc', REDIS_PORT: 'x' }));
    expect(msg).toContain('COORDINATION_INTERVAL');
    expect(msg).toContain('REDIS_PORT');
  });
});

describe("the repository's config/*.yaml", () => {
  it('when loaded with no environment, then they validate and their values are used', () => {
    const c = loadConfig({ env: {}, configDir: REPO_CONFIG_DIR });
    const ma = parseYaml(readFileSync(path.join(REPO_CONFIG_DIR, 'multi-agent.yaml'), 'utf8')) as { coordination: { interval_seconds: number }; tasks: { max_retries: number } };
    expect(c.coordinator.coordination.interval_seconds).toBe(ma.coordination.interval_seconds);
    expect(c.coordinator.tasks.max_retries).toBe(ma.tasks.max_retries);
    expect(c.coordinator.agents.performance_weight).toEqual({ current_load: 0.3, performance_score: 0.25, success_rate: 0.25, response_time: 0.2 });
    expect(c.learning.learning.decision_making.multi_objective_weights).toEqual(expect.any(Object));
    expect(c.optimizer.reliability.redundancy_levels).toEqual(expect.any(Object));
  });

  it('when loaded through the default folder, then the same files are found', () => {
    expect(loadConfig({ env: {} })).toEqual(loadConfig({ env: {}, configDir: REPO_CONFIG_DIR }));
  });
});

describe('deepMerge', () => {
  it('when objects nest, then they merge key by key and arrays are replaced', () => {
    expect(deepMerge({ a: { b: 1, c: [1, 2] }, d: 1 }, { a: { c: [3] }, e: 2 })).toEqual({ a: { b: 1, c: [3] }, d: 1, e: 2 });
  });
});

describe('postgresUrl', () => {
  it('when neither DATABASE_URL nor POSTGRES_HOST is set, then the embedded default is used (undefined)', () => {
    expect(postgresUrl(fromEnv({}))).toBeUndefined();
    expect(postgresUrl(fromEnv({ POSTGRES_USER: 'only-user' }))).toBeUndefined();
  });

  it('when POSTGRES_* are set, then the URL is built from them', () => {
    const c = fromEnv({ POSTGRES_HOST: 'db', POSTGRES_PORT: '5433', POSTGRES_DB: 'nexus', POSTGRES_USER: 'svc', POSTGRES_PASSWORD: 'pw' });
    expect(postgresUrl(c)).toBe('postgres://svc:pw@db:5433/nexus');
  });

  it('when only POSTGRES_HOST is set, then the default port, database and credentials are used', () => {
    expect(postgresUrl(fromEnv({ POSTGRES_HOST: 'db' }))).toBe('postgres://nexus_user:nexus_password@db:5432/nexus_architect');
  });

  it('when credentials contain URL-special characters, then they are encoded', () => {
    const url = postgresUrl(fromEnv({ POSTGRES_HOST: 'db', POSTGRES_USER: 'us@er', POSTGRES_PASSWORD: 'p@ss:w/rd#?' }))!;
    const parsed = new URL(url);
    expect(parsed.hostname).toBe('db');
    expect(decodeURIComponent(parsed.username)).toBe('us@er');
    expect(decodeURIComponent(parsed.password)).toBe('p@ss:w/rd#?');
  });

  it('when DATABASE_URL is set, then it wins over POSTGRES_*', () => {
    expect(postgresUrl(fromEnv({ DATABASE_URL: 'postgres://a:b@c:1/d', POSTGRES_HOST: 'other' }))).toBe('postgres://a:b@c:1/d');
  });
});

describe('loadConfig number coercion', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'nexus-cfg-num-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('when a YAML key has no value, then the default applies', () => {
    writeFileSync(path.join(dir, 'multi-agent.yaml'), 'tasks:\n  max_retries:\n');
    expect(loadConfig({ env: {}, configDir: dir }).coordinator.tasks.max_retries).toBe(3);
  });

  it('when a YAML number is a boolean, then loading fails naming the key', () => {
    writeFileSync(path.join(dir, 'multi-agent.yaml'), 'tasks:\n  default_load: true\n');
    expect(() => loadConfig({ env: {}, configDir: dir })).toThrow(/coordinator\.tasks\.default_load/);
  });
});
