import type { z } from 'zod';
import { HttpError } from '../http-error.js';

export interface InputProblem {
  field: string;
  message: string;
}

/**
 * Validates one part of a request with its zod schema. A failure is a 400
 * that names every bad field (`field` is the first, `problems` all of them),
 * so an operator fixes a request in one go.
 */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, where: 'body' | 'query' | 'params'): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const problems = problemsOf(parsed.error.issues, where);
  throw invalidRequest(problems);
}

export function problemsOf(issues: readonly z.core.$ZodIssue[], where: string): InputProblem[] {
  return issues.flatMap((issue) => {
    const at = issue.path.map(String);
    // zod reports unknown keys on the parent object; the operator needs the key's own name.
    if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => ({ field: [...at, key].join('.'), message: 'is not a field this route accepts' }));
    return [{ field: at.join('.') || where, message: issue.message }];
  });
}

export function invalidRequest(problems: InputProblem[]): HttpError {
  const text = problems.map((p) => `${p.field}: ${p.message}`).join('; ');
  return new HttpError(400, 'invalid_request', `Invalid request: ${text}`, {}, { field: problems[0]?.field, problems });
}
