import { z } from 'zod';

// Every setting the suite reads, with its built-in default. YAML files in `config/`
// override these, environment variables override the YAML (ENV_MAP in index.ts).

/**
 * Numbers from YAML or the environment: numeric strings are converted, an empty YAML value
 * means "use the default", anything else (booleans, words) is an error naming the key.
 */
const numeric = (inner: z.ZodNumber) =>
  z.preprocess((v) => {
    if (v === null) return undefined;
    if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
    return v;
  }, inner.optional());
const num = (def: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  numeric(z.number().min(min).max(max)).transform((v) => v ?? def);
const int = (def: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  numeric(z.number().int().min(min).max(max)).transform((v) => v ?? def);
const bool = (def: boolean) =>
  z
    .preprocess((v) => {
      if (typeof v !== 'string') return v;
      const s = v.trim().toLowerCase();
      if (['true', '1', 'yes', 'on'].includes(s)) return true;
      if (['false', '0', 'no', 'off', ''].includes(s)) return false;
      return v;
    }, z.boolean())
    .default(def);
const list = () =>
  z
    .preprocess(
      (v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : v),
      z.array(z.string()),
    )
    .default([]);

const role = z.enum(['admin', 'operator', 'viewer']);
export type Role = z.infer<typeof role>;

const apiKeys = z
  .preprocess(
    (v) => {
      if (typeof v !== 'string') return v;
      return v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
        .map((entry) => {
          const idx = entry.lastIndexOf(':');
          return idx <= 0 ? { key: entry, role: '' } : { key: entry.slice(0, idx), role: entry.slice(idx + 1) };
        });
    },
    z.array(z.object({ key: z.string().min(8, 'API keys must be at least 8 characters'), role })),
  )
  .default([]);

export const coordinatorSchema = z
  .object({
    coordination: z
      .object({
        interval_seconds: num(30, 0.05, 86400),
        max_concurrent_tasks: int(100, 1),
        consensus_threshold: num(0.7, 0, 1),
        consensus_timeout_seconds: num(300, 1),
        /** How often the leader looks for pending work when no event woke it (ms). */
        assignment_poll_ms: int(1000, 50, 60000),
        /** Batching window after a wake-up event before an assignment pass (ms). */
        assignment_debounce_ms: int(20, 0, 5000),
      })
      .prefault({}),
    agents: z
      .object({
        max_capacity_default: num(100, 0.0001),
        heartbeat_timeout: num(120, 1),
        performance_weight: z
          .object({
            current_load: num(0.3),
            performance_score: num(0.25),
            success_rate: num(0.25),
            response_time: num(0.2),
          })
          .prefault({}),
        specialization_bonus: num(1.5, 0),
        /** Smoothing factor of the agent metrics' exponential moving averages. */
        metrics_smoothing: num(0.2, 0, 1),
      })
      .prefault({}),
    tasks: z
      .object({
        default_timeout: num(3600, 1),
        max_retries: int(3, 0, 100),
        priority_aging_factor: num(0.1, 0),
        /** Capacity units a task occupies when its requirements give no `load`. */
        default_load: num(10, 0),
        /** Largest page GET /tasks returns; also the default page size. */
        max_page_size: int(1000, 1, 100000),
      })
      .prefault({}),
    retention: z
      .object({
        /** Delivered experiences are kept this long in the outbox (for inspection), then deleted. */
        delivered_outbox_days: num(7, 0),
        /** Resolved conflicts and decided votes are kept this long. */
        history_days: num(30, 0),
      })
      .prefault({}),
    outbox: z
      .object({
        poll_ms: int(1000, 50),
        batch_size: int(100, 1, 10000),
        max_backoff_seconds: num(300, 1),
        request_timeout_ms: int(5000, 100),
      })
      .prefault({}),
  })
  .prefault({});

export const learningSchema = z
  .object({
    learning: z
      .object({
        learning_rate: num(0.1, 0, 1),
        adaptation_threshold: num(0.8, 0, 1),
        retraining_interval_hours: num(24, 0.001),
        experience_buffer_size: int(10000, 10),
        pattern_recognition: z
          .object({
            min_experiences: int(10, 2),
            clustering_algorithm: z.string().default('kmeans'),
            anomaly_threshold: num(0.1, 0, 1),
          })
          .prefault({}),
        prediction: z
          .object({
            model_type: z.string().default('random_forest'),
            train_test_split: num(0.8, 0.1, 0.95),
            cross_validation_folds: int(5, 2),
            min_training_experiences: int(50, 10),
          })
          .prefault({}),
        decision_making: z
          .object({
            multi_objective_weights: z.record(z.string(), z.coerce.number().min(0)).default({}),
          })
          .prefault({}),
      })
      .prefault({}),
    strategic_planning: z
      .object({
        default_horizon_days: int(90, 1),
        phase_duration_weeks: int(4, 1),
        risk_assessment_enabled: bool(true),
      })
      .prefault({}),
  })
  .prefault({});

export const optimizerSchema = z
  .object({
    monitoring: z
      .object({
        enabled: bool(true),
        metrics_collection_interval: num(30, 0.1),
        anomaly_detection: z
          .object({
            algorithm: z.string().default('isolation_forest'),
            contamination: num(0.1, 0, 0.5),
            z_threshold: num(3, 0.5),
          })
          .prefault({}),
        baseline_update_interval: num(3600, 1),
      })
      .prefault({}),
    optimization: z
      .object({
        interval_seconds: num(300, 1),
        auto_optimization_enabled: bool(true),
        max_risk_level: num(0.3, 0, 1),
        min_improvement_threshold: num(0.1, 0, 1),
        performance: z
          .object({
            cpu_threshold: num(80, 0, 100),
            memory_threshold: num(85, 0, 100),
            disk_threshold: num(90, 0, 100),
            low_cpu_threshold: num(20, 0, 100),
          })
          .prefault({}),
      })
      .prefault({}),
    reliability: z
      .object({
        check_interval_seconds: num(3600, 1),
        health_check_interval: num(300, 1),
        enhancement_cost_threshold: num(0.3, 0, 1),
        redundancy_levels: z.record(z.string(), z.coerce.number()).default({ critical: 3, high: 2, medium: 1 }),
      })
      .prefault({}),
  })
  .prefault({});

export const suiteConfigSchema = z.object({
  log_level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  data_dir: z.string().min(1).default('./data'),
  /** Set only when PORT is given; each service otherwise uses its own default port. */
  port: z.coerce.number().int().min(0).max(65535).optional(),
  database: z
    .object({
      url: z.string().optional(),
      host: z.string().optional(),
      port: int(5432, 1, 65535),
      name: z.string().default('nexus_architect'),
      user: z.string().default('nexus_user'),
      password: z.string().default('nexus_password'),
      pool_size: int(10, 1, 200),
      connect_timeout_ms: int(3000, 100),
    })
    .prefault({}),
  redis: z
    .object({
      url: z.string().optional(),
      host: z.string().optional(),
      port: int(6379, 1, 65535),
    })
    .prefault({}),
  http: z
    .object({
      body_limit: z.string().regex(/^\d+(b|kb|mb)$/i, 'use a size such as 512kb or 1mb').default('1mb'),
      cors_origins: list(),
      rate_limit_per_minute: int(0, 0),
      shutdown_timeout_ms: int(10000, 100),
    })
    .prefault({}),
  api_keys: apiKeys,
  learning_engine_url: z
    .string()
    .default('http://localhost:8071')
    .refine((v) => v === '' || /^https?:\/\/[^\s]+$/.test(v), 'must be an http(s) URL or empty'),
  coordinator: coordinatorSchema,
  learning: learningSchema,
  optimizer: optimizerSchema,
});

export type SuiteConfig = z.infer<typeof suiteConfigSchema>;
export type CoordinatorConfig = SuiteConfig['coordinator'];
export type LearningConfig = SuiteConfig['learning'];
export type OptimizerConfig = SuiteConfig['optimizer'];
export type ApiKey = SuiteConfig['api_keys'][number];
