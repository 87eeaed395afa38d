import { readFileSync } from 'node:fs';
import {
  buildSchema,
  getNullableType,
  getVariableValues,
  isAbstractType,
  isEnumType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  Kind,
  parse,
  validate,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import type { EmulatorExchange } from '../../../src/sandbox/emulator-server.js';
import type { ExchangeCheck, Mismatch } from './check-openapi-exchange.js';

/**
 * Checks a GraphQL exchange against a vendor's published schema: the
 * document validates (fields, arguments, types), the variables coerce to the
 * declared input types, and the answer's `data` has exactly the selected
 * fields with the types and nullability the schema declares.
 */
export class GraphQLDescription {
  private readonly documents = new Map<string, DocumentNode | Error>();

  constructor(
    readonly vendor: string,
    readonly schema: GraphQLSchema,
  ) {}

  static load(vendor: string, file: string | URL): GraphQLDescription {
    return new GraphQLDescription(vendor, buildSchema(readFileSync(file, 'utf8'), { assumeValidSDL: true }));
  }

  check(exchange: EmulatorExchange): ExchangeCheck {
    const request = (exchange.body ?? {}) as { query?: unknown; variables?: unknown; operationName?: unknown };
    const mismatches: Mismatch[] = [];
    if (typeof request.query !== 'string') {
      return { operation: undefined, mismatches: [{ operation: `${exchange.method} ${exchange.path}`, side: 'request', at: 'body.query', message: 'is not a GraphQL document' }] };
    }
    const document = this.parse(request.query);
    if (document instanceof Error) {
      return { operation: undefined, mismatches: [{ operation: 'unparsed document', side: 'request', at: 'body.query', message: document.message }] };
    }
    const operation = pickOperation(document, typeof request.operationName === 'string' ? request.operationName : undefined);
    if (!operation) {
      return { operation: undefined, mismatches: [{ operation: 'document', side: 'request', at: 'body.operationName', message: 'names no operation in the document' }] };
    }
    const name = `${operation.operation} ${operation.name?.value ?? rootFields(operation).join(',')}`;
    const add = (side: Mismatch['side'], at: string, message: string): void => {
      mismatches.push({ operation: name, side, at, message });
    };
    for (const error of validate(this.schema, document)) add('request', 'document', error.message);
    const coerced = getVariableValues(this.schema, operation.variableDefinitions ?? [], (request.variables ?? {}) as Record<string, unknown>);
    for (const error of coerced.errors ?? []) add('request', 'variables', error.message);

    const { status, body } = exchange.response;
    if (status !== 200) {
      // Linear answers errors with 200 or 400 and an `errors` list; a 400 must carry one.
      if (!hasErrors(body)) add('response', 'body.errors', `is missing from a ${status} answer`);
      return { operation: name, mismatches };
    }
    const data = (body as { data?: unknown } | undefined)?.data;
    if (data === null || data === undefined) {
      if (!hasErrors(body)) add('response', 'body.data', 'is missing and there are no errors');
      return { operation: name, mismatches };
    }
    const root = operation.operation === 'mutation' ? this.schema.getMutationType() : this.schema.getQueryType();
    if (!root) return { operation: name, mismatches };
    const fragments = fragmentsOf(document);
    // A field that errored is null in `data` (with the error listed); only fields without errors are checked strictly.
    const erroredPaths = new Set(((body as { errors?: { path?: unknown[] }[] }).errors ?? []).map((e) => (e.path ?? []).join('.')));
    this.checkObject(data, root, operation.selectionSet, 'data', fragments, erroredPaths, (at, message) => add('response', at, message));
    return { operation: name, mismatches };
  }

  private parse(query: string): DocumentNode | Error {
    let parsed = this.documents.get(query);
    if (!parsed) {
      try {
        parsed = parse(query);
      } catch (error) {
        parsed = error as Error;
      }
      this.documents.set(query, parsed);
    }
    return parsed;
  }

  private checkValue(value: unknown, type: GraphQLOutputType, selection: SelectionSetNode | undefined, at: string, fragments: Map<string, FragmentDefinitionNode>, errored: Set<string>, add: (at: string, message: string) => void): void {
    if (value === undefined) {
      add(at, 'is selected but missing');
      return;
    }
    if (value === null) {
      if (isNonNullType(type) && !errored.has(at.replace(/^data\./, '').replace(/\[(\d+)\]/g, '.$1'))) add(at, `is null, but the schema declares ${String(type)}`);
      return;
    }
    const nullable = getNullableType(type);
    if (isListType(nullable)) {
      if (!Array.isArray(value)) {
        add(at, `is ${kind(value)}, but the schema declares the list ${String(type)}`);
        return;
      }
      value.forEach((item, i) => this.checkValue(item, nullable.ofType as GraphQLOutputType, selection, `${at}[${i}]`, fragments, errored, add));
      return;
    }
    if (isScalarType(nullable)) {
      const problem = scalarProblem(nullable.name, value);
      if (problem) add(at, `${problem} (${String(type)})`);
      return;
    }
    if (isEnumType(nullable)) {
      if (typeof value !== 'string' || !nullable.getValue(value)) add(at, `is ${JSON.stringify(value)}, not a value of the enum ${nullable.name}`);
      return;
    }
    if (!selection) return;
    this.checkObject(value, nullable as GraphQLCompositeType, selection, at, fragments, errored, add);
  }

  private checkObject(value: unknown, type: GraphQLCompositeType, selection: SelectionSetNode, at: string, fragments: Map<string, FragmentDefinitionNode>, errored: Set<string>, add: (at: string, message: string) => void): void {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      add(at, `is ${kind(value)}, but the schema declares the object ${type.name}`);
      return;
    }
    const object = value as Record<string, unknown>;
    let runtime: GraphQLCompositeType = type;
    if (isAbstractType(type)) {
      const named = typeof object.__typename === 'string' ? this.schema.getType(object.__typename) : undefined;
      if (named && isObjectType(named) && this.schema.isSubType(type, named)) runtime = named;
    }
    const selected = new Set<string>();
    this.collect(selection, runtime, fragments, (key, fieldName, subSelection) => {
      selected.add(key);
      if (fieldName === '__typename') {
        if (typeof object[key] !== 'string') add(`${at}.${key}`, 'is not the type name');
        else if (isObjectType(runtime) && object[key] !== runtime.name) add(`${at}.${key}`, `is ${JSON.stringify(object[key])}, not ${runtime.name}`);
        return;
      }
      const fields = isObjectType(runtime) || 'getFields' in runtime ? (runtime as GraphQLObjectType).getFields() : {};
      const field = fields[fieldName];
      if (!field) return; // validate() has reported it.
      this.checkValue(object[key], field.type, subSelection, `${at}.${key}`, fragments, errored, add);
    });
    for (const key of Object.keys(object)) {
      if (!selected.has(key)) add(`${at}.${key}`, 'is answered but was not selected');
    }
  }

  /** Calls `visit` for each field the selection asks of an object of `runtime` type, fragments included. */
  private collect(selection: SelectionSetNode, runtime: GraphQLCompositeType, fragments: Map<string, FragmentDefinitionNode>, visit: (key: string, fieldName: string, sub: SelectionSetNode | undefined) => void): void {
    for (const node of selection.selections) {
      if (node.kind === Kind.FIELD) {
        visit(node.alias?.value ?? node.name.value, node.name.value, node.selectionSet);
      } else if (node.kind === Kind.INLINE_FRAGMENT) {
        if (this.applies(node.typeCondition?.name.value, runtime)) this.collect(node.selectionSet, runtime, fragments, visit);
      } else {
        const fragment = fragments.get(node.name.value);
        if (fragment && this.applies(fragment.typeCondition.name.value, runtime)) this.collect(fragment.selectionSet, runtime, fragments, visit);
      }
    }
  }

  private applies(condition: string | undefined, runtime: GraphQLCompositeType): boolean {
    if (!condition || condition === runtime.name) return true;
    const conditionType = this.schema.getType(condition);
    return Boolean(conditionType && isAbstractType(conditionType) && isObjectType(runtime) && this.schema.isSubType(conditionType, runtime));
  }
}

function pickOperation(document: DocumentNode, name: string | undefined): OperationDefinitionNode | undefined {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  return name ? operations.find((o) => o.name?.value === name) : operations.length === 1 ? operations[0] : undefined;
}

function rootFields(operation: OperationDefinitionNode): string[] {
  return operation.selectionSet.selections.flatMap((s) => (s.kind === Kind.FIELD ? [s.name.value] : []));
}

function fragmentsOf(document: DocumentNode): Map<string, FragmentDefinitionNode> {
  return new Map(document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]));
}

function hasErrors(body: unknown): boolean {
  const errors = (body as { errors?: unknown } | undefined)?.errors;
  return Array.isArray(errors) && errors.length > 0;
}

/** What is wrong with `value` as a `scalar` on the wire, or undefined when nothing is. */
function scalarProblem(scalar: string, value: unknown): string | undefined {
  switch (scalar) {
    case 'Int':
      return typeof value === 'number' && Number.isInteger(value) ? undefined : `is ${kind(value)}, not an Int`;
    case 'Float':
      return typeof value === 'number' ? undefined : `is ${kind(value)}, not a Float`;
    case 'Boolean':
      return typeof value === 'boolean' ? undefined : `is ${kind(value)}, not a Boolean`;
    case 'JSON':
    case 'JSONObject':
      return scalar === 'JSONObject' && (typeof value !== 'object' || Array.isArray(value)) ? `is ${kind(value)}, not an object` : undefined;
    case 'DateTime':
      return typeof value === 'string' && !Number.isNaN(Date.parse(value)) ? undefined : `is ${kind(value)}, not an ISO date-time`;
    case 'TimelessDate':
      return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value) ? undefined : `is ${kind(value)}, not a YYYY-MM-DD date`;
    default:
      // String, ID, UUID and Linear's other string-carried scalars.
      return typeof value === 'string' ? undefined : `is ${kind(value)}, not a string`;
  }
}

function kind(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value === 'number') return `the number ${value}`;
  return `a ${typeof value === 'object' ? 'object' : typeof value}`;
}

