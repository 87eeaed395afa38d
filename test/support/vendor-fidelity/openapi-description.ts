import { readFileSync } from 'node:fs';
import { checkJsonSchema, deref, type JsonSchema, type SchemaIssue } from './check-json-schema.js';

/**
 * One vendor's OpenAPI (3.x) or Swagger (2.0) description, read once, with
 * the concrete paths the emulators see matched to its path templates and
 * each operation's parameters, request body and responses in one shape for
 * both versions. `$ref`s are resolved when a check reaches them, so the big
 * GitHub description is parsed once and never dereferenced whole.
 */

export interface OpenApiParameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie' | 'body' | 'formData';
  required: boolean;
  schema: JsonSchema;
}

export interface OpenApiOperation {
  /** `operationId`, e.g. `pulls/create`, `addComment`, `Machines_list`. */
  id: string;
  method: string;
  template: string;
  parameters: OpenApiParameter[];
  requestBody: { required: boolean; schema: JsonSchema | undefined } | undefined;
  /** Status (`200`, `default`) → the JSON body schema, `null` when the status has no body. */
  responses: Map<string, JsonSchema | null>;
}

interface CompiledPath {
  template: string;
  segments: string[];
  literals: number;
}

export class OpenApiDescription {
  private readonly document: Record<string, unknown>;
  private readonly paths: CompiledPath[];
  private readonly operations = new Map<string, OpenApiOperation>();

  constructor(
    readonly vendor: string,
    document: Record<string, unknown>,
    /** Prefixes a client puts before the described paths (`/api/v3`, Fly's `/v1` base path). */
    private readonly prefixes: string[] = [],
  ) {
    this.document = document;
    this.paths = Object.keys((document.paths ?? {}) as object).map((template) => {
      const segments = template.split('/').slice(1);
      return { template, segments, literals: segments.filter((s) => !isParam(s)).length };
    });
  }

  static load(vendor: string, file: string | URL, prefixes: string[] = []): OpenApiDescription {
    return new OpenApiDescription(vendor, JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>, prefixes);
  }

  readonly resolve = (ref: string): JsonSchema => {
    if (!ref.startsWith('#/')) throw new Error(`${this.vendor}: external $ref ${ref} is not supported`);
    let node: unknown = this.document;
    for (const part of ref.slice(2).split('/')) {
      node = (node as Record<string, unknown> | undefined)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
    }
    if (!node || typeof node !== 'object') throw new Error(`${this.vendor}: $ref ${ref} resolves to nothing`);
    return node as JsonSchema;
  };

  /** The operation a concrete request names, with its path parameters, or undefined when the description has none. */
  match(method: string, concretePath: string): { operation: OpenApiOperation; pathParams: Record<string, string> } | undefined {
    const path = this.stripPrefix(concretePath);
    const segments = path.split('/').slice(1);
    let best: { compiled: CompiledPath; params: Record<string, string> } | undefined;
    for (const compiled of this.paths) {
      const params = matchSegments(compiled.segments, segments);
      if (!params) continue;
      if (!this.methodsOf(compiled.template).includes(method.toLowerCase())) continue;
      if (!best || compiled.literals > best.compiled.literals) best = { compiled, params };
    }
    if (!best) return undefined;
    return { operation: this.operation(method, best.compiled.template), pathParams: best.params };
  }

  operation(method: string, template: string): OpenApiOperation {
    const key = `${method.toUpperCase()} ${template}`;
    const cached = this.operations.get(key);
    if (cached) return cached;
    const item = deref(((this.document.paths as Record<string, JsonSchema>)[template] ?? {}) as JsonSchema, this.resolve);
    const raw = item[method.toLowerCase()] as JsonSchema | undefined;
    if (!raw) throw new Error(`${this.vendor}: no ${key}`);
    const parameters = [...((item.parameters ?? []) as JsonSchema[]), ...((raw.parameters ?? []) as JsonSchema[])].map((p) => this.parameter(p));
    const bodyParam = parameters.find((p) => p.in === 'body');
    let requestBody: OpenApiOperation['requestBody'];
    if (bodyParam) {
      requestBody = { required: bodyParam.required, schema: bodyParam.schema };
    } else if (raw.requestBody) {
      const body = deref(raw.requestBody as JsonSchema, this.resolve);
      requestBody = { required: body.required === true, schema: jsonSchemaOf(body.content) };
    }
    const responses = new Map<string, JsonSchema | null>();
    for (const [status, declared] of Object.entries((raw.responses ?? {}) as Record<string, JsonSchema>)) {
      const response = deref(declared, this.resolve);
      responses.set(status, (response.schema as JsonSchema | undefined) ?? jsonSchemaOf(response.content) ?? null);
    }
    const operation: OpenApiOperation = {
      id: typeof raw.operationId === 'string' ? raw.operationId : key,
      method: method.toUpperCase(),
      template,
      parameters: parameters.filter((p) => p.in !== 'body'),
      requestBody,
      responses,
    };
    this.operations.set(key, operation);
    return operation;
  }

  checkValue(value: unknown, schema: JsonSchema, at: string): SchemaIssue[] {
    return checkJsonSchema(value, schema, this.resolve, at);
  }

  private parameter(declared: JsonSchema): OpenApiParameter {
    const p = deref(declared, this.resolve);
    // Swagger 2.0 puts type/enum/items on the parameter itself.
    const schema = (p.schema as JsonSchema | undefined) ?? { type: p.type, enum: p.enum, items: p.items };
    return { name: String(p.name), in: p.in as OpenApiParameter['in'], required: p.required === true, schema };
  }

  private methodsOf(template: string): string[] {
    return Object.keys((this.document.paths as Record<string, object>)[template] ?? {});
  }

  private stripPrefix(path: string): string {
    for (const prefix of this.prefixes) {
      if (path === prefix) return '/';
      if (path.startsWith(`${prefix}/`)) return path.slice(prefix.length);
    }
    return path;
  }
}

function isParam(segment: string): boolean {
  return segment.startsWith('{') && segment.endsWith('}');
}

/**
 * Matches segment by segment; a trailing parameter may also take the rest of
 * the path, as GitHub's `{path}` (contents) and `{ref}` (`heads/main`) do.
 */
function matchSegments(template: string[], concrete: string[]): Record<string, string> | undefined {
  if (concrete.length < template.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < template.length; i += 1) {
    const t = template[i] as string;
    const c = concrete[i] as string;
    const last = i === template.length - 1;
    if (isParam(t)) {
      const value = last ? concrete.slice(i).join('/') : c;
      if (value === '') return undefined;
      params[t.slice(1, -1)] = safeDecode(value);
    } else if (t !== c) {
      return undefined;
    }
  }
  const lastTemplate = template[template.length - 1] ?? '';
  if (concrete.length > template.length && !isParam(lastTemplate)) return undefined;
  return params;
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function jsonSchemaOf(content: unknown): JsonSchema | undefined {
  if (!content || typeof content !== 'object') return undefined;
  const entries = Object.entries(content as Record<string, JsonSchema>);
  const json = entries.find(([type]) => type.includes('json')) ?? entries[0];
  return json?.[1]?.schema as JsonSchema | undefined;
}
