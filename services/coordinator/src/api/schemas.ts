import { z } from 'zod';
import { AGENT_STATUSES, AGENT_TYPES, CONFLICT_TYPES, PRIORITY_NAMES, TASK_STATUSES, TASK_TYPES } from '../domain/types.js';

/** Ids are what URLs carry: 1–255 characters of letters, digits and . _ : @ - */
export const id = z
  .string()
  .min(1, 'must not be empty')
  .max(255, 'must be at most 255 characters')
  .regex(/^[A-Za-z0-9._:@-]+$/, 'may contain only letters, digits and . _ : @ -');

const label = z.string().trim().min(1).max(100);

const resources = z
  .record(z.string().min(1).max(100), z.number().min(0).max(1e12))
  .refine((r) => Object.keys(r).length <= 50, 'at most 50 resources');

export const registerAgentBody = z
  .object({
    id: id.optional(),
    agent_type: z.enum(AGENT_TYPES),
    name: z.string().trim().min(1).max(255),
    capabilities: z.array(label).max(100),
    max_capacity: z.number().positive().max(1e9).optional(),
    specializations: z.array(label).max(100).default([]),
    resource_requirements: resources.optional(),
    /** Alias of resource_requirements. */
    resources: resources.optional(),
    status: z.enum(['active', 'draining']).optional(),
  })
  .transform(({ resources: alias, resource_requirements, ...rest }) => ({
    ...rest,
    resource_requirements: resource_requirements ?? alias ?? {},
  }));

export const heartbeatBody = z.object({
  status: z.enum(AGENT_STATUSES).optional(),
  current_load: z.number().min(0).max(1e9).optional(),
  performance_score: z.number().min(0).max(1).optional(),
  success_rate: z.number().min(0).max(1).optional(),
  average_response_time: z.number().min(0).max(1e9).optional(),
});

const priority = z.union([
  z.number().int('must be an integer from 1 to 5').min(1).max(5),
  z
    .string()
    .transform((s) => s.trim().toLowerCase())
    .pipe(z.enum(Object.keys(PRIORITY_NAMES) as [keyof typeof PRIORITY_NAMES, ...Array<keyof typeof PRIORITY_NAMES>]))
    .transform((name) => PRIORITY_NAMES[name]),
]);

/** ISO 8601 date-time; without an offset it is taken as UTC. */
export const timestamp = z
  .string()
  .max(64)
  .transform((s, ctx) => {
    const iso = /^(\d{4})-(\d{2})-(\d{2})([T ](\d{2}):(\d{2})(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/i;
    const m = iso.exec(s.trim());
    if (!m) {
      ctx.addIssue({ code: 'custom', message: 'must be an ISO 8601 date-time, e.g. 2024-01-15T10:00:00Z' });
      return z.NEVER;
    }
    const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
    const daysInMonth = new Date(Date.UTC(2000 + (year % 400), month, 0)).getUTCDate();
    if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth || Number(m[5] ?? 0) > 23 || Number(m[6] ?? 0) > 59) {
      ctx.addIssue({ code: 'custom', message: 'is not a real date-time (year 0001-9999, valid month, day and time)' });
      return z.NEVER;
    }
    const hasZone = /(Z|[+-]\d{2}:?\d{2})$/i.test(s.trim()) && s.trim().length > 10;
    const d = new Date(hasZone ? s.trim() : `${s.trim().replace(' ', 'T')}${s.trim().length === 10 ? 'T00:00:00' : ''}Z`);
    if (Number.isNaN(d.getTime())) {
      ctx.addIssue({ code: 'custom', message: 'is not a valid date-time' });
      return z.NEVER;
    }
    return d;
  });

const requirements = z
  .record(z.string().max(200), z.unknown())
  .superRefine((r, ctx) => {
    if ('load' in r && (typeof r.load !== 'number' || !Number.isFinite(r.load) || r.load < 0 || r.load > 1e9)) {
      ctx.addIssue({ code: 'custom', path: ['load'], message: 'must be a number of capacity units >= 0' });
    }
    if ('resources' in r && !resources.safeParse(r.resources).success) {
      ctx.addIssue({ code: 'custom', path: ['resources'], message: 'must map resource names to amounts >= 0' });
    }
  });

export const submitTaskBody = z.object({
  id: id.optional(),
  task_type: z.enum(TASK_TYPES),
  priority,
  description: z.string().max(10_000),
  requirements: requirements.default({}),
  dependencies: z.array(id).max(1000).default([]),
  deadline: timestamp.nullable().optional(),
  estimated_duration: z.number().min(0).max(1e9).default(0),
  max_retries: z.number().int().min(0).max(100).optional(),
});

export const statusBody = z.object({
  status: z.enum(TASK_STATUSES),
  /** The reporting agent; when given, the task must be assigned to it (a stale worker gets 409). */
  agent_id: id.optional(),
  result: z.unknown().optional(),
  error_message: z.string().max(10_000).nullable().optional(),
});

export const voteBody = z.object({
  agent_id: id,
  vote: z.boolean(),
  reasoning: z.string().max(5000).optional(),
});

export const collaborationBody = z.object({
  problem_id: z.string().trim().min(1).max(255),
  description: z.string().max(10_000).default(''),
  required_capabilities: z.array(label).min(1).max(100),
});

export const solutionBody = z.object({
  agent_id: id,
  solution: z.record(z.string().max(200), z.unknown()),
});

const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

export const agentsQuery = z.object({
  status: z.enum(AGENT_STATUSES).optional(),
  agent_type: z.enum(AGENT_TYPES).optional(),
});

export function tasksQuery(maxPage: number) {
  return z.object({
    status: z.enum(TASK_STATUSES).optional(),
    task_type: z.enum(TASK_TYPES).optional(),
    assigned_agent: id.optional(),
    limit: z.coerce.number().int().min(1).max(maxPage).default(maxPage),
    cursor: z.string().max(64).optional(),
  });
}

export const agentTasksQuery = z.object({
  status: z
    .string()
    .optional()
    .transform((s) => (s ? s.split(',').map((x) => x.trim()) : undefined))
    .pipe(z.array(z.enum(TASK_STATUSES)).optional()),
});

export const conflictsQuery = z.object({
  include_resolved: bool.optional(),
  type: z.enum(CONFLICT_TYPES).optional(),
});

export const sessionsQuery = z.object({ status: z.enum(['active', 'passed', 'rejected', 'timeout']).optional() });
export const collaborationsQuery = z.object({ status: z.enum(['active', 'agreed', 'rejected']).optional() });
