import {
  GraphQLError,
  Kind,
  locatedError,
  valueFromASTUntyped,
  type DirectiveNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionNode,
} from 'graphql';

/**
 * Walks a graphql-js document over plain resolver objects. There is no
 * schema (the emulator has no copy of Linear's), so this stays our own: a
 * resolver object carries `__typename` and one entry per field, a value or a
 * function of the field's arguments. Fields the object does not know resolve
 * to `null`, which is how the emulator tolerates the long fragments
 * @linear/sdk asks for. Resolvers fail a field by throwing a `GraphQLError`
 * with Linear's `extensions`; it is reported with the field's path and
 * location, as Linear does.
 */

export interface GqlObject {
  __typename: string;
  /** Interfaces the object satisfies, for fragment type conditions (`Node`, …). */
  __interfaces?: string[];
  [field: string]: unknown;
}

export type FieldResolver = (args: Record<string, unknown>) => unknown;

export interface ExecutionResult {
  data: Record<string, unknown> | null;
  errors: GraphQLError[];
}

interface Context {
  fragments: Map<string, FragmentDefinitionNode>;
  variables: Record<string, unknown>;
  errors: GraphQLError[];
}

/** Picks the operation to run: by name, or the only one (graphql-js's messages). */
export function selectOperation(document: DocumentNode, operationName: string | undefined): OperationDefinitionNode {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const extensions = { type: 'graphql error' };
  if (operationName) {
    const named = operations.find((op) => op.name?.value === operationName);
    if (!named) throw new GraphQLError(`Unknown operation named "${operationName}".`, { extensions });
    return named;
  }
  if (operations.length > 1) throw new GraphQLError('Must provide operation name if query contains multiple operations.', { extensions });
  if (!operations[0]) throw new GraphQLError('Must provide an operation.', { extensions });
  return operations[0];
}

/** Root field names an operation selects (after expanding fragments), for routing and logs. */
export function rootFieldNames(document: DocumentNode, operation: OperationDefinitionNode): string[] {
  const ctx: Context = { fragments: fragmentsOf(document), variables: {}, errors: [] };
  const root = { __typename: operation.operation === 'mutation' ? 'Mutation' : 'Query' };
  return [...collectFields(root, operation.selectionSet.selections, ctx).values()].map((fields) => (fields[0] as FieldNode).name.value);
}

export function executeOperation(
  document: DocumentNode,
  operation: OperationDefinitionNode,
  root: GqlObject,
  variables: Record<string, unknown>,
): ExecutionResult {
  const merged: Record<string, unknown> = {};
  for (const definition of operation.variableDefinitions ?? []) {
    if (definition.defaultValue) merged[definition.variable.name.value] = valueFromASTUntyped(definition.defaultValue);
  }
  Object.assign(merged, variables);
  const ctx: Context = { fragments: fragmentsOf(document), variables: merged, errors: [] };
  const data = resolveObject(root, operation.selectionSet.selections, ctx, []);
  return { data, errors: ctx.errors };
}

function fragmentsOf(document: DocumentNode): Map<string, FragmentDefinitionNode> {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  return fragments;
}

function resolveObject(
  obj: GqlObject,
  selections: readonly SelectionNode[],
  ctx: Context,
  path: (string | number)[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, fields] of collectFields(obj, selections, ctx)) {
    const field = fields[0] as FieldNode;
    const subSelections = fields.flatMap((f) => f.selectionSet?.selections ?? []);
    try {
      out[key] = resolveField(obj, field, subSelections, ctx, [...path, key]);
    } catch (error) {
      // Anything but a GraphQLError is an emulator bug and should fail loudly.
      if (!(error instanceof GraphQLError)) throw error;
      ctx.errors.push(locatedError(error, fields, [...path, key]));
      out[key] = null;
    }
  }
  return out;
}

function resolveField(
  obj: GqlObject,
  field: FieldNode,
  subSelections: SelectionNode[],
  ctx: Context,
  path: (string | number)[],
): unknown {
  if (field.name.value === '__typename') return obj.__typename;
  const raw = obj[field.name.value];
  const value = typeof raw === 'function' ? (raw as FieldResolver)(argumentValues(field, ctx.variables)) : raw;
  return completeValue(value, subSelections, ctx, path);
}

function completeValue(value: unknown, subSelections: SelectionNode[], ctx: Context, path: (string | number)[]): unknown {
  if (value === undefined || value === null) return null;
  if (Array.isArray(value)) return value.map((item, i) => completeValue(item, subSelections, ctx, [...path, i]));
  if (subSelections.length > 0 && isGqlObject(value)) return resolveObject(value, subSelections, ctx, path);
  return value;
}

function isGqlObject(value: unknown): value is GqlObject {
  return typeof value === 'object' && value !== null && typeof (value as GqlObject).__typename === 'string';
}

function argumentValues(field: FieldNode, variables: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const arg of field.arguments ?? []) {
    // An argument bound to an unset variable counts as not given.
    if (arg.value.kind === Kind.VARIABLE && variables[arg.value.name.value] === undefined) continue;
    out[arg.name.value] = valueFromASTUntyped(arg.value, variables);
  }
  return out;
}

/** Groups the fields of a selection set by response key, expanding fragments that apply to `obj`. */
function collectFields(
  obj: GqlObject,
  selections: readonly SelectionNode[],
  ctx: Context,
  visited = new Set<string>(),
): Map<string, FieldNode[]> {
  const grouped = new Map<string, FieldNode[]>();
  const add = (key: string, field: FieldNode): void => {
    const list = grouped.get(key);
    if (list) list.push(field);
    else grouped.set(key, [field]);
  };
  for (const selection of selections) {
    if (!isIncluded(selection.directives, ctx.variables)) continue;
    if (selection.kind === Kind.FIELD) {
      add(selection.alias?.value ?? selection.name.value, selection);
      continue;
    }
    let typeCondition: string | undefined;
    let inner: readonly SelectionNode[];
    if (selection.kind === Kind.FRAGMENT_SPREAD) {
      const fragment = ctx.fragments.get(selection.name.value);
      // Unknown fragments never get here: validation rejects the document.
      if (!fragment || visited.has(fragment.name.value)) continue;
      visited.add(fragment.name.value);
      typeCondition = fragment.typeCondition.name.value;
      inner = fragment.selectionSet.selections;
    } else {
      typeCondition = selection.typeCondition?.name.value;
      inner = selection.selectionSet.selections;
    }
    if (typeCondition && !appliesTo(obj, typeCondition)) continue;
    for (const [key, fields] of collectFields(obj, inner, ctx, visited)) for (const f of fields) add(key, f);
  }
  return grouped;
}

function appliesTo(obj: GqlObject, typeCondition: string): boolean {
  return typeCondition === obj.__typename || (obj.__interfaces ?? []).includes(typeCondition);
}

// Lenient on purpose: without variable types to coerce against, a condition
// that is not a boolean (or an unset variable, as when routing) keeps the field.
function isIncluded(directives: readonly DirectiveNode[] | undefined, variables: Record<string, unknown>): boolean {
  for (const directive of directives ?? []) {
    const arg = directive.arguments?.find((a) => a.name.value === 'if');
    const condition = arg ? valueFromASTUntyped(arg.value, variables) : undefined;
    if (directive.name.value === 'skip' && condition === true) return false;
    if (directive.name.value === 'include' && condition === false) return false;
  }
  return true;
}
