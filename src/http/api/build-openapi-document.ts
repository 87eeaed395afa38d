import { z } from 'zod';
import type { ApiOperation } from './api-operation.js';

export interface OpenApiInfo {
  title: string;
  version: string;
}

type JsonSchema = Record<string, unknown>;

/**
 * OpenAPI 3.1 from the operations every route module declares, so the
 * document is generated from the same zod schemas that validate requests and
 * cannot drift from them. Requests are described as the client sends them
 * (`io: input`, before defaults and transforms), answers as the server sends them.
 */
export function buildOpenApiDocument(operations: readonly ApiOperation[], info: OpenApiInfo): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of [...operations].sort((a, b) => a.path.localeCompare(b.path))) {
    const path = op.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    const item = (paths[path] ??= {});
    item[op.method] = describeOperation(op);
  }
  return {
    openapi: '3.1.0',
    info: { ...info, description: 'Operator API of the AI-Implement orchestrator. Every route but POST /api/auth needs the bearer token it returns.' },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'Token from POST /api/auth (valid 24 h)' } },
      schemas: { Error: { type: 'object', properties: { error: { type: 'string' }, message: { type: 'string' } }, required: ['error', 'message'] } },
    },
    security: [{ bearer: [] }],
    paths,
  };
}

function describeOperation(op: ApiOperation): Record<string, unknown> {
  const parameters = [
    ...Object.entries(op.params ?? {}).map(([name, description]) => ({ name, in: 'path', required: true, description, schema: { type: 'string' } })),
    ...queryParameters(op.query),
  ];
  const responses: Record<string, unknown> = {};
  for (const [status, description] of Object.entries(op.statuses)) {
    const ok = Number(status) < 300;
    const schema = ok ? (op.response ? toSchema(op.response, 'output') : { type: 'object' }) : { $ref: '#/components/schemas/Error' };
    responses[status] = { description, content: { 'application/json': { schema } } };
  }
  return {
    operationId: operationIdOf(op),
    summary: op.summary,
    ...(op.public ? { security: [] } : {}),
    ...(parameters.length ? { parameters } : {}),
    ...(op.body ? { requestBody: { required: true, content: { 'application/json': { schema: toSchema(op.body, 'input') } } } } : {}),
    responses,
  };
}

function queryParameters(query: z.ZodType | undefined): Record<string, unknown>[] {
  if (!query) return [];
  const schema = toSchema(query, 'input');
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((schema.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => ({ name, in: 'query', required: required.has(name), schema: property }));
}

function toSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  // `unrepresentable: any` turns what JSON Schema cannot say (transforms, custom checks) into `{}` instead of throwing.
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as JsonSchema;
  return rest;
}

/** `post /api/mappings/:teamKey` → `postApiMappingsByTeamKey`. */
function operationIdOf(op: ApiOperation): string {
  const words = op.path
    .split('/')
    .filter(Boolean)
    .flatMap((segment) => (segment.startsWith(':') ? ['by', segment.slice(1)] : segment.split(/[-.]/)));
  return op.method + words.map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
}
