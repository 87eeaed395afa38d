import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { JobSpec } from '../../domain/runner-protocol.js';

export interface AgentGuidance {
  /** `model:` from the front matter, verbatim. */
  model?: string;
  /** The text after the front matter, appended to the agent's prompt. */
  guidance: string;
  file?: string;
  warning?: string;
}

const FRONT_MATTER = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?([\s\S]*)$/;

/** Planning has its own file so teams can pick a cheaper or stronger model for it. */
export function guidanceFileFor(phase: JobSpec['phase']): string {
  return phase === 'plan' ? 'PLANNING.md' : 'WORKFLOW.md';
}

/** Reads WORKFLOW.md or PLANNING.md from the repository root; a missing file means no model and no guidance. */
export async function readAgentGuidance(repoDir: string, phase: JobSpec['phase']): Promise<AgentGuidance> {
  const file = guidanceFileFor(phase);
  let text: string;
  try {
    text = await readFile(join(repoDir, file), 'utf8');
  } catch {
    return { guidance: '' };
  }
  const match = FRONT_MATTER.exec(text);
  if (!match) return { guidance: text.trim(), file };
  let front: unknown;
  try {
    front = parse(match[1] ?? '');
  } catch (error) {
    return { guidance: (match[2] ?? '').trim(), file, warning: `${file}: front matter is not YAML (${(error as Error).message})` };
  }
  const model = typeof front === 'object' && front !== null ? (front as Record<string, unknown>).model : undefined;
  return {
    guidance: (match[2] ?? '').trim(),
    file,
    ...(typeof model === 'string' && model.trim() !== '' ? { model: model.trim() } : {}),
  };
}
