/**
 * A tool as a request offers it, whatever the wire format: its name, whether
 * it takes JSON arguments (`function`) or free text (`custom`, Codex's
 * freeform `apply_patch`), and its argument names with their JSON types.
 */
export interface OfferedTool {
  name: string;
  kind: 'function' | 'custom';
  /** Property name → JSON schema `type` (`'string'`, `'array'`, …; `''` when unstated). */
  properties: Record<string, string>;
  required: string[];
}

/** Reads a JSON schema's top-level properties; anything unexpected yields no properties rather than an error. */
export function offeredFunction(name: string, schema: unknown): OfferedTool {
  const properties: Record<string, string> = {};
  const required: string[] = [];
  if (isRecord(schema)) {
    if (isRecord(schema.properties)) {
      for (const [key, value] of Object.entries(schema.properties)) {
        properties[key] = isRecord(value) && typeof value.type === 'string' ? value.type : '';
      }
    }
    if (Array.isArray(schema.required)) required.push(...schema.required.filter((r): r is string => typeof r === 'string'));
  }
  return { name, kind: 'function', properties, required };
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
