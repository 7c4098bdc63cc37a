import type { z } from 'zod';
import { ValidationError, type ErrorDetail } from '../errors/index.js';

export function zodDetails(error: z.ZodError, root = 'body'): ErrorDetail[] {
  return error.issues.map((issue) => ({
    field: issue.path.length ? issue.path.map(String).join('.') : root,
    message: issue.message,
  }));
}

function parseWith<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const res = schema.safeParse(value);
  if (!res.success) {
    throw new ValidationError(`Invalid ${what}`, zodDetails(res.error, what));
  }
  return res.data;
}

/** Validates a JSON body; an absent body is validated as `{}` so required fields are named. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  return parseWith(schema, body === undefined ? {} : body, 'body');
}

export function parseQuery<S extends z.ZodType>(schema: S, query: unknown): z.infer<S> {
  return parseWith(schema, query ?? {}, 'query');
}
