import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { AgentInvocation, AgentResult, AgentRuntime } from './agent-runtime.js';
import { runtimeSpecOf, type RuntimeSpec } from './runtime-table.js';

export function demoChangePath(identifier: string): string {
  return `ai-implement/${identifier}.md`;
}

function renderChange(invocation: AgentInvocation): string {
  const { ticket, instructions, reviewComments } = invocation.job;
  const lines = [`# ${ticket.identifier}: ${ticket.title}`, '', ticket.description.trim() || '_No description._', ''];
  if (instructions) lines.push('## Instructions', '', instructions.trim(), '');
  if (reviewComments && reviewComments.length > 0) {
    lines.push('## Review feedback addressed', '');
    for (const c of reviewComments) lines.push(`- ${c.author}${c.path ? ` (${c.path})` : ''}: ${c.body}`);
    lines.push('');
  }
  return lines.join('\n');
}

/**
 * A deterministic stand-in for a coding agent, used by sandbox mode and tests:
 * no model, no network. Edits write a visible file describing the ticket;
 * plan and review answer with fixed text built from the ticket.
 */
export const demoRuntime: AgentRuntime = {
  id: 'demo',
  spec: runtimeSpecOf('demo') as RuntimeSpec,
  async run(invocation): Promise<AgentResult> {
    const { ticket } = invocation.job;
    let text: string;
    if (invocation.mode === 'edit') {
      const relative = demoChangePath(ticket.identifier);
      const target = join(invocation.cwd, relative);
      await mkdir(dirname(target), { recursive: true });
      const previous = await readFile(target, 'utf8').catch(() => undefined);
      const next = renderChange(invocation);
      // A second pass (feedback loop) still changes the file, so there is something to commit.
      await writeFile(target, previous === next ? `${next}\n_Revised by the demo agent._\n` : next);
      text = `Wrote ${relative}.`;
    } else if (invocation.mode === 'plan') {
      text = [
        `Plan for ${ticket.identifier}: ${ticket.title}`,
        '',
        `1. Add ${demoChangePath(ticket.identifier)} describing the ticket.`,
        '2. Run the repository tests.',
        '3. Open a pull request that links the ticket.',
      ].join('\n');
    } else {
      text = [
        `Gap analysis for ${ticket.identifier}: ${ticket.title}`,
        '',
        `- The diff adds ${demoChangePath(ticket.identifier)}, which restates the ticket.`,
        '- No gaps found by the demo reviewer (it does not read code).',
      ].join('\n');
    }
    invocation.onOutput(`${text}\n`);
    return { exitCode: 0, timedOut: false, text, costUsd: 0, tokens: { input: invocation.prompt.length, output: text.length } };
  },
};
