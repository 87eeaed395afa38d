/**
 * A JSON Schema checker for the subset the vendors' OpenAPI descriptions use
 * (GitHub's 3.0, Jira's 3.0, Fly's Swagger 2.0): type, nullable,
 * `x-nullable`, enum, properties, required, items, additionalProperties,
 * oneOf / anyOf / allOf and `$ref`. Formats, lengths and ranges are not
 * checked: they are not what the emulators get wrong.
 *
 * `oneOf` is checked as `anyOf`: GitHub's branches often overlap (a
 * simple-user and an enterprise both fit an `account`), and a real response
 * fitting two of them is still a valid response.
 */

export type JsonSchema = Record<string, unknown>;

/** Resolves a local `$ref` (`#/components/schemas/x`, `#/definitions/x`). */
export type RefResolver = (ref: string) => JsonSchema;

export interface SchemaIssue {
  /** Where in the value, e.g. `body.head.repo.owner.login`. */
  at: string;
  message: string;
}

export function checkJsonSchema(value: unknown, schema: JsonSchema, resolve: RefResolver, at: string): SchemaIssue[] {
  const issues: SchemaIssue[] = [];
  check(value, schema, resolve, at, issues, 0);
  return issues;
}

function check(value: unknown, raw: JsonSchema, resolve: RefResolver, at: string, issues: SchemaIssue[], depth: number): void {
  if (depth > 64) return;
  const schema = deref(raw, resolve);
  if (value === null) {
    if (allowsNull(schema, resolve)) return;
    issues.push({ at, message: `is null, but the schema does not allow null (${describe(schema)})` });
    return;
  }
  if (Array.isArray(schema.allOf)) {
    for (const part of schema.allOf as JsonSchema[]) check(value, part, resolve, at, issues, depth + 1);
  }
  const branches = (schema.oneOf ?? schema.anyOf) as JsonSchema[] | undefined;
  if (Array.isArray(branches) && branches.length > 0) {
    const results = branches.map((branch) => {
      const found: SchemaIssue[] = [];
      check(value, branch, resolve, at, found, depth + 1);
      return found;
    });
    if (!results.some((r) => r.length === 0)) {
      // Report the branch that came closest, so the message names a field.
      const closest = results.reduce((best, r) => (r.length < best.length ? r : best));
      issues.push({ at, message: `fits none of ${branches.length} alternatives; closest: ${closest.map((i) => `${i.at} ${i.message}`).join('; ')}` });
    }
  }
  if (Array.isArray(schema.enum) && !schema.enum.some((allowed) => allowed === value)) {
    issues.push({ at, message: `is ${JSON.stringify(value)}, not one of ${JSON.stringify(schema.enum)}` });
    return;
  }
  const types = typesOf(schema);
  if (types.length > 0 && !types.some((t) => hasType(value, t))) {
    issues.push({ at, message: `is ${kindOf(value)}, expected ${types.join(' or ')}` });
    return;
  }
  if (Array.isArray(value)) {
    const items = schema.items as JsonSchema | undefined;
    if (items) value.forEach((item, i) => check(item, items, resolve, `${at}[${i}]`, issues, depth + 1));
    return;
  }
  if (typeof value !== 'object') return;
  const object = value as Record<string, unknown>;
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  for (const name of (schema.required ?? []) as string[]) {
    if (!(name in object)) issues.push({ at: `${at}.${name}`, message: 'is required but missing' });
  }
  for (const [name, field] of Object.entries(object)) {
    const declared = properties[name];
    if (declared) {
      check(field, declared, resolve, `${at}.${name}`, issues, depth + 1);
    } else if (schema.additionalProperties === false && !declaredInBranches(schema, name, resolve)) {
      issues.push({ at: `${at}.${name}`, message: 'is not a declared property' });
    } else if (typeof schema.additionalProperties === 'object' && schema.additionalProperties !== null) {
      check(field, schema.additionalProperties as JsonSchema, resolve, `${at}.${name}`, issues, depth + 1);
    }
  }
}

/**
 * Jira's descriptions put `additionalProperties: false` beside `anyOf`
 * (`JqlQueryClause`) with no properties of their own; read literally no
 * clause could have a field. A property one of the branches declares counts
 * as declared, as code generators read it.
 */
function declaredInBranches(schema: JsonSchema, name: string, resolve: RefResolver, depth = 0): boolean {
  if (depth > 8) return false;
  const branches = [...((schema.allOf ?? []) as JsonSchema[]), ...((schema.anyOf ?? []) as JsonSchema[]), ...((schema.oneOf ?? []) as JsonSchema[])];
  return branches.some((raw) => {
    const branch = deref(raw, resolve);
    return Boolean((branch.properties as Record<string, unknown> | undefined)?.[name]) || declaredInBranches(branch, name, resolve, depth + 1);
  });
}

export function deref(schema: JsonSchema, resolve: RefResolver): JsonSchema {
  let current = schema;
  for (let hops = 0; typeof current.$ref === 'string' && hops < 32; hops += 1) current = resolve(current.$ref);
  return current;
}

function allowsNull(schema: JsonSchema, resolve: RefResolver): boolean {
  if (schema.nullable === true || schema['x-nullable'] === true) return true;
  if (typesOf(schema).includes('null')) return true;
  if (Array.isArray(schema.enum) && schema.enum.includes(null)) return true;
  const branches = (schema.oneOf ?? schema.anyOf) as JsonSchema[] | undefined;
  if (Array.isArray(branches) && branches.some((b) => allowsNull(deref(b, resolve), resolve))) return true;
  if (Array.isArray(schema.allOf) && schema.allOf.length > 0) {
    return (schema.allOf as JsonSchema[]).every((b) => allowsNull(deref(b, resolve), resolve));
  }
  // A schema that says nothing about type (`{}`) takes anything.
  return typesOf(schema).length === 0 && !schema.properties && !schema.items && !schema.enum && !schema.allOf && !branches;
}

function typesOf(schema: JsonSchema): string[] {
  const type = schema.type;
  if (typeof type === 'string') return [type];
  if (Array.isArray(type)) return type as string[];
  return [];
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'number':
      return typeof value === 'number';
    case 'boolean':
      return typeof value === 'boolean';
    case 'array':
      return Array.isArray(value);
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    case 'null':
      return value === null;
    default:
      // `file` (Swagger 2.0) and other kinds the subset does not model.
      return true;
  }
}

function kindOf(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number') return Number.isInteger(value) ? `the integer ${value}` : `the number ${value}`;
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return `${typeof value === 'object' ? 'an object' : `a ${typeof value}`}`;
}

function describe(schema: JsonSchema): string {
  const types = typesOf(schema);
  return types.length > 0 ? types.join('|') : 'untyped';
}
