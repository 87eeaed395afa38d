import type { ModelProvider } from '../../domain/mapping.js';
import { runtimeSpecOf } from './runtime-table.js';

export type ModelSource = 'workflow' | 'mapping' | 'default';

export interface ResolvedModel {
  model: string;
  source: ModelSource;
  /** Why a model named for this run was not used (it belongs to another vendor). */
  warning?: string;
}

type Vendor = 'anthropic' | 'openai' | 'google';

/** Whose model a name is, when it can be told; OpenCode's `provider/model` names say it outright. */
export function vendorOfModel(model: string): Vendor | undefined {
  const name = model.toLowerCase();
  const bare = name.includes('/') ? name.slice(name.indexOf('/') + 1) : name;
  const prefix = name.includes('/') ? name.slice(0, name.indexOf('/')) : '';
  if (prefix === 'anthropic' || /^(claude|anthropic\.|[a-z]{2}\.anthropic\.)/.test(bare) || bare.includes('anthropic.claude')) return 'anthropic';
  if (prefix === 'openai' || /^(gpt|o\d|codex|chatgpt)/.test(bare)) return 'openai';
  if (prefix === 'google' || /^gemini/.test(bare)) return 'google';
  return undefined;
}

/** The vendors whose models a runtime on a provider can run; undefined means any (Cursor routes to several). */
function vendorsFor(runtime: string, provider: ModelProvider): Vendor[] | undefined {
  switch (runtime) {
    case 'claude-code':
      return ['anthropic'];
    case 'codex':
      return ['openai'];
    case 'gemini':
      return ['google'];
    case 'opencode':
      return provider === 'openai' ? ['openai'] : provider === 'google' ? ['google'] : ['anthropic'];
    default:
      return undefined;
  }
}

/**
 * The model a runtime is started with: the repository's WORKFLOW.md (or
 * PLANNING.md) first, then the mapping's model for this runtime, then the
 * vendor's current default for the provider. A name that belongs to another
 * vendor (a Claude model handed to Codex after a fallback) is never sent: it
 * is skipped with a warning.
 */
export function resolveModel(runtime: string, provider: ModelProvider, candidates: { workflow?: string; mapping?: string }): ResolvedModel {
  const allowed = vendorsFor(runtime, provider);
  const skipped: string[] = [];
  for (const source of ['workflow', 'mapping'] as const) {
    const model = candidates[source];
    if (!model) continue;
    const vendor = vendorOfModel(model);
    if (!allowed || !vendor || allowed.includes(vendor)) return { model, source, ...(skipped.length ? { warning: skipped.join('; ') } : {}) };
    skipped.push(`${source === 'workflow' ? 'the repository' : 'the mapping'} names ${model}, a ${vendor} model ${runtime} cannot run`);
  }
  const spec = runtimeSpecOf(runtime)?.providers.find((p) => p.provider === provider);
  return { model: spec?.defaultModel ?? '', source: 'default', ...(skipped.length ? { warning: skipped.join('; ') } : {}) };
}
