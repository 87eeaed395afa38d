import type { z } from 'zod';
import { checkInput, problemsText, type FieldHint, type FieldProblem } from '../../domain/check-input.js';
import { HttpError } from '../http-error.js';

export type InputProblem = FieldProblem;

/**
 * Validates one part of a request with its zod schema. A failure is a 400
 * that names every bad field (`field` is the first, `problems` all of them,
 * each said as a sentence by `checkInput`), so an operator fixes a request in
 * one go.
 */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, where: 'body' | 'query' | 'params', hints?: Readonly<Record<string, FieldHint>>): z.output<S> {
  const checked = checkInput(schema, value, { where, ...(hints ? { hints } : {}) });
  if (checked.ok) return checked.data;
  throw invalidRequest(checked.problems);
}

export function invalidRequest(problems: InputProblem[]): HttpError {
  return new HttpError(400, 'invalid_request', `Invalid request: ${problemsText(problems)}`, {}, { field: problems[0]?.field, problems });
}
