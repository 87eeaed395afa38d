import type { EmulatorExchange } from '../../../src/sandbox/emulator-server.js';
import type { JsonSchema } from './check-json-schema.js';
import type { OpenApiDescription, OpenApiOperation, OpenApiParameter } from './openapi-description.js';

/** One way an exchange differs from the vendor's description. */
export interface Mismatch {
  /** `pulls/create (POST /repos/{owner}/{repo}/pulls)`, or the concrete request when no operation matched. */
  operation: string;
  side: 'request' | 'response';
  /** `query.include_deleted`, `body.head.repo`, `status`. */
  at: string;
  message: string;
}

export interface ExchangeCheck {
  /** The operation matched, undefined when the description has none for the request. */
  operation: string | undefined;
  mismatches: Mismatch[];
}

export function formatMismatch(m: Mismatch): string {
  return `${m.operation} ${m.side}: ${m.at} ${m.message}`;
}

/**
 * Checks one exchange against `description`: the path names an operation
 * with that method; path and query parameters are declared and have the
 * declared types; the JSON body fits the request schema; the status is one
 * the operation declares (always, for a success) and the body fits its schema.
 */
export function checkOpenApiExchange(description: OpenApiDescription, exchange: EmulatorExchange): ExchangeCheck {
  const matched = description.match(exchange.method, exchange.path);
  if (!matched) {
    return {
      operation: undefined,
      mismatches: [{ operation: `${exchange.method} ${exchange.path}`, side: 'request', at: 'path', message: `names no operation in ${description.vendor}'s description` }],
    };
  }
  const { operation, pathParams } = matched;
  const name = `${operation.id} (${operation.method} ${operation.template})`;
  const mismatches: Mismatch[] = [];
  const add = (side: Mismatch['side'], at: string, message: string): void => {
    mismatches.push({ operation: name, side, at, message });
  };

  for (const [key, value] of Object.entries(pathParams)) {
    const declared = operation.parameters.find((p) => p.in === 'path' && p.name === key);
    if (!declared) add('request', `path.${key}`, 'is not a declared path parameter');
    else checkParameter(description, declared, [value], `path.${key}`, (at, message) => add('request', at, message));
  }
  const queryNames = new Set(exchange.query.keys());
  for (const key of queryNames) {
    const declared = operation.parameters.find((p) => p.in === 'query' && p.name === key);
    if (!declared) add('request', `query.${key}`, 'is not a declared query parameter');
    else checkParameter(description, declared, exchange.query.getAll(key), `query.${key}`, (at, message) => add('request', at, message));
  }
  for (const p of operation.parameters) {
    if (p.in === 'query' && p.required && !queryNames.has(p.name)) add('request', `query.${p.name}`, 'is required but missing');
  }

  checkRequestBody(description, operation, exchange.body, (at, message) => add('request', at, message));
  checkResponse(description, operation, exchange, (at, message) => add('response', at, message));
  return { operation: name, mismatches };
}

function checkParameter(description: OpenApiDescription, parameter: OpenApiParameter, values: string[], at: string, add: (at: string, message: string) => void): void {
  const schema = parameter.schema;
  const type = typeof schema.type === 'string' ? schema.type : undefined;
  const itemsSchema = (schema.items ?? {}) as JsonSchema;
  const raw = type === 'array' ? values.flatMap((v) => v.split(',')) : values;
  if (type !== 'array' && raw.length > 1) add(at, `is sent ${raw.length} times, but it is not a list`);
  for (const value of raw) {
    const typed = coerce(value, type === 'array' ? (typeof itemsSchema.type === 'string' ? itemsSchema.type : undefined) : type);
    if (typed === undefined) {
      add(at, `is ${JSON.stringify(value)}, not a ${type === 'array' ? `list of ${String(itemsSchema.type)}` : type}`);
      continue;
    }
    for (const issue of description.checkValue(typed, type === 'array' ? itemsSchema : { ...schema, type }, at)) add(issue.at, issue.message);
  }
}

/** The query-string text as the declared scalar type, or undefined when it is not one. */
function coerce(value: string, type: string | undefined): unknown {
  switch (type) {
    case 'boolean':
      return value === 'true' ? true : value === 'false' ? false : undefined;
    case 'integer':
      return /^-?\d+$/.test(value) ? Number(value) : undefined;
    case 'number':
      return value.trim() !== '' && Number.isFinite(Number(value)) ? Number(value) : undefined;
    default:
      return value;
  }
}

function checkRequestBody(description: OpenApiDescription, operation: OpenApiOperation, body: unknown, add: (at: string, message: string) => void): void {
  const declared = operation.requestBody;
  if (body === undefined) {
    if (declared?.required) add('body', 'is required but missing');
    return;
  }
  if (!declared) {
    add('body', 'is sent, but the operation takes no body');
    return;
  }
  if (declared.schema) for (const issue of description.checkValue(body, declared.schema, 'body')) add(issue.at, issue.message);
}

function checkResponse(description: OpenApiDescription, operation: OpenApiOperation, exchange: EmulatorExchange, add: (at: string, message: string) => void): void {
  const { status, body, streamed } = exchange.response;
  const key = String(status);
  const success = status >= 200 && status < 300;
  const declared = operation.responses.has(key) ? operation.responses.get(key) : operation.responses.get(`${key[0]}XX`) ?? operation.responses.get('default');
  if (declared === undefined) {
    // An error the description does not list (a 404 for an unknown repo, a
    // 401) is still how the vendor answers; a success it does not list is not.
    if (success) add('status', `is ${status}, which the operation does not declare (it declares ${[...operation.responses.keys()].join(', ')})`);
    return;
  }
  if (streamed) return;
  if (declared === null) {
    if (status === 204 && body !== undefined && body !== '') add('body', `is sent with ${status} No Content`);
    return;
  }
  if (body === undefined || body === '') {
    // Jira declares its 204s (and a property PUT's 201) with `schema: {}`: any body, none included.
    if (Object.keys(declared).length > 0) add('body', `is empty, but ${status} declares a JSON body`);
    return;
  }
  // A raw media type (`application/vnd.github.raw`) asks for the bytes, not JSON.
  const accept = String(exchange.headers.accept ?? '');
  if (typeof body === 'string' && /\.(raw|diff|patch)\b/.test(accept)) return;
  for (const issue of description.checkValue(body, declared, 'body')) add(issue.at, issue.message);
}
