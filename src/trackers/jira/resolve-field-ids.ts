import { ConfigError } from '../../errors/index.js';

/**
 * Finds the two custom fields the adapter relies on in Jira's field list.
 * Custom field ids differ per site, so they are looked up by name unless the
 * operator pins them.
 */

export const STATUS_FIELD_NAME = 'AI-Implement Status';
export const REPO_FIELD_NAME = 'AI-Implement Repo';

export interface FieldListEntry {
  id: string;
  name: string;
  schema?: { type?: string | null; custom?: string | null } | null;
}

export type FieldKind = 'select' | 'text';

export interface ResolvedFields {
  status: { id: string; kind: FieldKind };
  repo: { id: string; kind: FieldKind };
}

function kindOf(entry: FieldListEntry | undefined): FieldKind {
  // Select lists answer `{ value }` and take `=`; everything else is treated as text.
  return entry?.schema?.type === 'option' || /:(select|radiobuttons)$/.test(entry?.schema?.custom ?? '') ? 'select' : 'text';
}

export function resolveFieldIds(fields: readonly FieldListEntry[], overrides: { status?: string; repo?: string } = {}): ResolvedFields {
  const byName = (name: string): FieldListEntry | undefined => fields.find((f) => f.name.toLowerCase() === name.toLowerCase());
  const byId = (id: string): FieldListEntry | undefined => fields.find((f) => f.id === id);
  const problems: string[] = [];
  const pick = (override: string | undefined, name: string, option: string): { id: string; kind: FieldKind } | undefined => {
    if (override) return { id: override, kind: kindOf(byId(override)) };
    const entry = byName(name);
    if (!entry) problems.push(`${option}: Jira has no field named "${name}"; create it or set the field id explicitly`);
    return entry ? { id: entry.id, kind: kindOf(entry) } : undefined;
  };
  const status = pick(overrides.status, STATUS_FIELD_NAME, 'fieldIds.status');
  const repo = pick(overrides.repo, REPO_FIELD_NAME, 'fieldIds.repo');
  if (!status || !repo) throw new ConfigError('Jira custom fields for AI-Implement are missing', problems);
  return { status, repo };
}
