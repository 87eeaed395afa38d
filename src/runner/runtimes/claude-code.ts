import { z } from 'zod';
import { cliRuntime, requireAnyEnv, type AgentInvocation } from './agent-runtime.js';

/** The fields of `claude -p --output-format json` we use; the rest changes between versions. */
const claudeJsonSchema = z.object({
  result: z.string().optional(),
  total_cost_usd: z.number().optional(),
  usage: z.object({ input_tokens: z.number().optional(), output_tokens: z.number().optional() }).optional(),
});

function isBedrock(invocation: AgentInvocation): boolean {
  return invocation.job.agent.provider === 'bedrock';
}

export function claudeCodeArgs(invocation: AgentInvocation): string[] {
  const args = ['-p', invocation.prompt, '--max-turns', String(invocation.maxTurns), '--output-format', 'json'];
  // Plan and review are read-only passes; edits run unattended inside a throwaway job, so no prompts for permission.
  if (invocation.mode === 'edit') args.push('--dangerously-skip-permissions');
  else args.push('--permission-mode', 'plan');
  if (invocation.model) args.push('--model', invocation.model);
  return args;
}

export const claudeCodeRuntime = cliRuntime({
  id: 'claude-code',
  command: 'claude',
  args: claudeCodeArgs,
  env(invocation) {
    if (!isBedrock(invocation)) return {};
    const region = invocation.job.agent.awsRegion ?? invocation.env.AWS_REGION;
    return { CLAUDE_CODE_USE_BEDROCK: '1', ...(region ? { AWS_REGION: region } : {}) };
  },
  checkCredentials(invocation) {
    if (isBedrock(invocation)) {
      if (!invocation.job.agent.awsRegion && !invocation.env.AWS_REGION) {
        requireAnyEnv(invocation, ['AWS_REGION'], 'claude-code on Bedrock');
      }
      return;
    }
    requireAnyEnv(invocation, ['ANTHROPIC_API_KEY', 'CLAUDE_CODE_OAUTH_TOKEN'], 'claude-code');
  },
  parse(stdout) {
    let json: unknown;
    try {
      json = JSON.parse(stdout.trim());
    } catch {
      // Older CLIs or a crash print plain text; the raw text is still useful.
      return {};
    }
    const parsed = claudeJsonSchema.safeParse(json);
    if (!parsed.success) return {};
    const { result, total_cost_usd: cost, usage } = parsed.data;
    return {
      ...(result !== undefined ? { text: result } : {}),
      ...(cost !== undefined ? { costUsd: cost } : {}),
      ...(usage ? { tokens: { input: usage.input_tokens ?? 0, output: usage.output_tokens ?? 0 } } : {}),
    };
  },
});
