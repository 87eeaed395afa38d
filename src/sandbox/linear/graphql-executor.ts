import {
  valueToJson,
  type GqlDirective,
  type GqlDocument,
  type GqlField,
  type GqlOperation,
  type GqlSelection,
  type GqlValue,
} from './graphql-parser.js';

/**
 * Walks a parsed selection set over plain resolver objects. A resolver object
 * carries `__typename` and one entry per field: a value, or a function of the
 * field's arguments. Fields the object does not know resolve to `null`, which
 * is how the emulator tolerates the long fragments @linear/sdk asks for.
 */

export interface GqlObject {
  __typename: string;
  /** Interfaces the object satisfies, for fragment type conditions (`Node`, …). */
  __interfaces?: string[];
  [field: string]: unknown;
}

export type FieldResolver = (args: Record<string, unknown>) => unknown;

/** A GraphQL error raised by a resolver, carried to the response's `errors`. */
export class GqlResolverError extends Error {
  constructor(
    message: string,
    readonly extensions: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'GqlResolverError';
  }
}

export interface GqlErrorEntry {
  message: string;
  path?: (string | number)[];
  extensions: Record<string, unknown>;
}

export interface ExecutionResult {
  data: Record<string, unknown> | null;
  errors: GqlErrorEntry[];
}

interface Context {
  document: GqlDocument;
  variables: Record<string, unknown>;
  errors: GqlErrorEntry[];
}

/** Picks the operation to run: by name, or the only one. */
export function selectOperation(document: GqlDocument, operationName: string | undefined): GqlOperation {
  if (operationName) {
    const named = document.operations.find((op) => op.name === operationName);
    if (!named) throw new GqlResolverError(`Unknown operation named "${operationName}".`, { type: 'graphql error' });
    return named;
  }
  if (document.operations.length > 1) {
    throw new GqlResolverError('Must provide operation name if query contains multiple operations.', { type: 'graphql error' });
  }
  return document.operations[0] as GqlOperation;
}

/** Root field names an operation selects (after expanding fragments), for routing and logs. */
export function rootFieldNames(document: GqlDocument, operation: GqlOperation): string[] {
  const rootType = operation.operation === 'mutation' ? 'Mutation' : 'Query';
  const ctx: Context = { document, variables: {}, errors: [] };
  return [...collectFields({ __typename: rootType }, operation.selections, ctx).values()].map((fields) => (fields[0] as GqlField).name);
}

export function executeOperation(
  document: GqlDocument,
  operation: GqlOperation,
  root: GqlObject,
  variables: Record<string, unknown>,
): ExecutionResult {
  const merged: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(operation.variableDefaults)) merged[name] = valueToJson(value, {});
  Object.assign(merged, variables);
  const ctx: Context = { document, variables: merged, errors: [] };
  const data = resolveObject(root, operation.selections, ctx, []);
  return { data, errors: ctx.errors };
}

function resolveObject(
  obj: GqlObject,
  selections: GqlSelection[],
  ctx: Context,
  path: (string | number)[],
): Record<string, unknown> | null {
  const out: Record<string, unknown> = {};
  for (const [key, fields] of collectFields(obj, selections, ctx)) {
    const field = fields[0] as GqlField;
    const subSelections = fields.flatMap((f) => f.selections ?? []);
    try {
      out[key] = resolveField(obj, field, subSelections, ctx, [...path, key]);
    } catch (error) {
      if (!(error instanceof GqlResolverError)) throw error;
      ctx.errors.push({ message: error.message, path: [...path, key], extensions: error.extensions });
      out[key] = null;
    }
  }
  return out;
}

function resolveField(
  obj: GqlObject,
  field: GqlField,
  subSelections: GqlSelection[],
  ctx: Context,
  path: (string | number)[],
): unknown {
  if (field.name === '__typename') return obj.__typename;
  const raw = obj[field.name];
  const value = typeof raw === 'function' ? (raw as FieldResolver)(argsToJson(field.args, ctx.variables)) : raw;
  return completeValue(value, subSelections, ctx, path);
}

function completeValue(value: unknown, subSelections: GqlSelection[], ctx: Context, path: (string | number)[]): unknown {
  if (value === undefined || value === null) return null;
  if (Array.isArray(value)) return value.map((item, i) => completeValue(item, subSelections, ctx, [...path, i]));
  if (subSelections.length > 0 && isGqlObject(value)) return resolveObject(value, subSelections, ctx, path);
  return value;
}

function isGqlObject(value: unknown): value is GqlObject {
  return typeof value === 'object' && value !== null && typeof (value as GqlObject).__typename === 'string';
}

function argsToJson(args: Record<string, GqlValue>, variables: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(args)) {
    // An argument bound to an unset variable counts as not given.
    if (value.kind === 'variable' && variables[value.name] === undefined) continue;
    out[name] = valueToJson(value, variables);
  }
  return out;
}

/** Groups the fields of a selection set by response key, expanding fragments that apply to `obj`. */
function collectFields(obj: GqlObject, selections: GqlSelection[], ctx: Context, visited = new Set<string>()): Map<string, GqlField[]> {
  const grouped = new Map<string, GqlField[]>();
  const add = (key: string, field: GqlField): void => {
    const list = grouped.get(key);
    if (list) list.push(field);
    else grouped.set(key, [field]);
  };
  for (const selection of selections) {
    if (!isIncluded(selection.directives, ctx.variables)) continue;
    if (selection.kind === 'field') {
      add(selection.alias ?? selection.name, selection);
      continue;
    }
    let typeCondition: string | undefined;
    let inner: GqlSelection[];
    if (selection.kind === 'spread') {
      if (visited.has(selection.name)) continue;
      const fragment = ctx.document.fragments.get(selection.name);
      if (!fragment) throw new GqlResolverError(`Unknown fragment "${selection.name}".`, { type: 'graphql error' });
      visited.add(selection.name);
      typeCondition = fragment.typeCondition;
      inner = fragment.selections;
    } else {
      typeCondition = selection.typeCondition;
      inner = selection.selections;
    }
    if (typeCondition && !appliesTo(obj, typeCondition)) continue;
    for (const [key, fields] of collectFields(obj, inner, ctx, visited)) for (const f of fields) add(key, f);
  }
  return grouped;
}

function appliesTo(obj: GqlObject, typeCondition: string): boolean {
  return typeCondition === obj.__typename || (obj.__interfaces ?? []).includes(typeCondition);
}

function isIncluded(directives: GqlDirective[], variables: Record<string, unknown>): boolean {
  for (const directive of directives) {
    const condition = directive.args.if ? valueToJson(directive.args.if, variables) : undefined;
    if (directive.name === 'skip' && condition === true) return false;
    if (directive.name === 'include' && condition === false) return false;
  }
  return true;
}
