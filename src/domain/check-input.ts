import { z } from 'zod';

/**
 * The one place zod issues become sentences an operator can act on. Every
 * check of outside input — the environment at start (`loadConfig`), a
 * project mapping (`parseMapping`), an API body, query or path
 * (`parseInput`, `validated`) — goes through `checkInput`, so a missing,
 * mistyped or unknown field reads the same wherever it is reported: which
 * field, what is wrong with it, and what a right value looks like.
 *
 * A message a schema states itself ("must be an AWS region such as
 * us-east-1") is kept as written; zod's generic ones ("Invalid input:
 * expected string, received undefined") are replaced here, with the field's
 * hint when the caller has one.
 */

export interface FieldProblem {
  /** Dotted path of the field (`machine.cpus`), or the `where` of the input as a whole. */
  field: string;
  /** What follows the field's name: `is required: the branch PRs target, e.g. "main"`. */
  message: string;
}

export interface FieldHint {
  /** What the field is for, said when it is missing: `the branch PRs target`. */
  about?: string;
  /** A right value, written as it is sent: `"main"`, `3`, `true`. */
  example?: string;
}

export interface CheckInputOptions {
  /** Names the input when a problem is about all of it (`body`, `query`, `PORT`). */
  where?: string;
  /** By dotted field path; `a.*` stands for every entry of a record or list `a`. */
  hints?: Readonly<Record<string, FieldHint>>;
}

export type CheckedInput<T> = { ok: true; data: T } | { ok: false; problems: FieldProblem[] };

export function checkInput<S extends z.ZodType>(schema: S, value: unknown, options: CheckInputOptions = {}): CheckedInput<z.output<S>> {
  const where = options.where ?? 'body';
  const hints = options.hints ?? {};
  // The per-parse map is asked only for issues whose schema states no message of its own.
  const parsed = schema.safeParse(value, { error: (issue) => explainIssue(issue, hintFor(hints, fieldOf(issue.path ?? [], where))) });
  if (parsed.success) return { ok: true, data: parsed.data };
  const problems = parsed.error.issues.flatMap((issue): FieldProblem[] => {
    // zod reports unknown keys on their parent; the operator needs each key's own name.
    if (issue.code === 'unrecognized_keys') {
      const known = objectKeysAt(schema, issue.path);
      return issue.keys.map((key) => ({ field: fieldOf([...issue.path, key], where), message: unknownFieldMessage(key, known) }));
    }
    return [{ field: fieldOf(issue.path, where), message: issue.message }];
  });
  return { ok: false, problems };
}

/**
 * `defaultBranch is required: …`, the problem as one sentence. A schema's own
 * message that already starts with the field's name ("name must be …",
 * "RUNNER_IMAGE_ALLOWLIST entries must be …") is a sentence as it stands.
 */
export function problemSentence(problem: FieldProblem): string {
  const name = problem.field.slice(problem.field.lastIndexOf('.') + 1);
  return problem.message.startsWith(`${name} `) ? problem.message : `${problem.field} ${problem.message}`;
}

/** Every problem as sentences joined with "; ", for an error's message. */
export function problemsText(problems: readonly FieldProblem[]): string {
  return problems.map(problemSentence).join('; ');
}

function fieldOf(path: readonly PropertyKey[], where: string): string {
  return path.length > 0 ? path.map(String).join('.') : where;
}

function hintFor(hints: Readonly<Record<string, FieldHint>>, field: string): FieldHint | undefined {
  if (hints[field]) return hints[field];
  const parent = field.includes('.') ? `${field.slice(0, field.lastIndexOf('.'))}.*` : undefined;
  return parent ? hints[parent] : undefined;
}

type RawIssue = z.core.$ZodRawIssue;

function explainIssue(issue: RawIssue, hint: FieldHint | undefined): string {
  const eg = hint?.example ? `, e.g. ${hint.example}` : '';
  switch (issue.code) {
    case 'invalid_type': {
      if (issue.input === undefined || (issue.input === null && issue.expected !== 'null')) {
        return hint?.about ? `is required: ${hint.about}${eg}` : `is required${eg}`;
      }
      return `must be ${kindOf(issue.expected)}, not ${describeValue(issue.input)}${eg}`;
    }
    case 'invalid_value': {
      const allowed = issue.values.map((v) => JSON.stringify(v));
      const got = typeof issue.input === 'string' || typeof issue.input === 'number' ? ` (got ${quoteShort(issue.input)})` : ` (got ${describeValue(issue.input)})`;
      return allowed.length === 1 ? `must be ${allowed[0]}${got}` : `must be one of ${allowed.join(', ')}${got}`;
    }
    case 'too_small':
      return `${boundText('at least', 'more than', issue.origin, issue.minimum, issue.inclusive)}${gotNumber(issue.input)}${eg}`;
    case 'too_big':
      return `${boundText('at most', 'less than', issue.origin, issue.maximum, issue.inclusive)}${gotNumber(issue.input)}${eg}`;
    case 'not_multiple_of':
      return `must be a multiple of ${String(issue.divisor)}${gotNumber(issue.input)}${eg}`;
    case 'invalid_format':
      // The value itself is not echoed: a malformed field may well be a credential.
      return `${formatText(issue.format)}${eg || ''}`;
    case 'invalid_union':
      return `does not match any accepted form${eg}`;
    case 'invalid_key':
      return `has a key that is not allowed${eg}`;
    case 'invalid_element':
      return `has a value that is not allowed${eg}`;
    default:
      return `is not valid${eg}`;
  }
}

function boundText(inclusiveWord: string, exclusiveWord: string, origin: string, bound: number | bigint | Date, inclusive: boolean | undefined): string {
  const n = bound instanceof Date ? bound.toISOString() : String(bound);
  const word = inclusive === false ? exclusiveWord : inclusiveWord;
  if (origin === 'string') return bound === 1 && inclusiveWord === 'at least' && inclusive !== false ? 'must not be empty' : `must be ${word} ${n} characters long`;
  if (origin === 'array' || origin === 'set') return bound === 1 && inclusiveWord === 'at least' && inclusive !== false ? 'must not be empty' : `must hold ${word} ${n} items`;
  return `must be ${word} ${n}`;
}

function gotNumber(input: unknown): string {
  return typeof input === 'number' || typeof input === 'bigint' ? ` (got ${String(input)})` : '';
}

function formatText(format: string): string {
  switch (format) {
    case 'email':
      return 'must be an e-mail address';
    case 'url':
      return 'must be a URL';
    case 'uuid':
      return 'must be a UUID';
    case 'datetime':
      return 'must be an ISO 8601 date and time';
    case 'regex':
    case 'starts_with':
    case 'ends_with':
    case 'includes':
      return 'is not in the expected format';
    default:
      return `must be a valid ${format}`;
  }
}

const KINDS: Record<string, string> = {
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  bigint: 'a whole number',
  boolean: 'true or false',
  object: 'an object',
  array: 'a list',
  record: 'an object',
  date: 'a date',
  null: 'null',
};

function kindOf(expected: string): string {
  return KINDS[expected] ?? expected;
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  switch (typeof value) {
    case 'string':
      return 'text';
    case 'number':
      return Number.isFinite(value) ? `a number (${value})` : 'not a number';
    case 'boolean':
      return `${String(value)}`;
    case 'object':
      return 'an object';
    default:
      return typeof value;
  }
}

function quoteShort(value: string | number): string {
  if (typeof value === 'number') return String(value);
  return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
}

function unknownFieldMessage(key: string, known: readonly string[]): string {
  const near = closest(key, known);
  return near ? `is not a field here; did you mean ${near}?` : known.length > 0 && known.length <= 8 ? `is not a field here; the fields are ${known.join(', ')}` : 'is not a field here; remove it';
}

/** The known key nearest to a misspelt one (case, one or two typos), if any. */
function closest(key: string, known: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const distance = name.toLowerCase() === lower ? 0 : editDistance(lower, name.toLowerCase());
    if (distance <= Math.min(2, Math.floor(name.length / 3)) && (!best || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

/** Edits (insert, delete, replace, swap two neighbours) from `a` to `b`. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/** The keys of the object schema at `path`, looking through optional, default, nullable and pipe wrappers. */
function objectKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let current: z.core.$ZodType | undefined = schema;
  for (const step of [...path, undefined]) {
    current = unwrap(current);
    if (!(current instanceof z.ZodObject)) return [];
    if (step === undefined) return Object.keys(current.shape);
    current = (current.shape as Record<string, z.core.$ZodType>)[String(step)];
  }
  return [];
}

function unwrap(schema: z.core.$ZodType | undefined): z.core.$ZodType | undefined {
  let current = schema;
  for (let depth = 0; current && depth < 10; depth++) {
    const def = current._zod.def as { innerType?: z.core.$ZodType; in?: z.core.$ZodType };
    const next = def.innerType ?? def.in;
    if (!next) return current;
    current = next;
  }
  return current;
}
