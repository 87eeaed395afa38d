import { z } from 'zod';
import { cliRuntime, type AgentInvocation, type ParsedAgentOutput } from './agent-runtime.js';
import { lastJsonValue } from './cli-json.js';

/** The fields of `claude -p --output-format json` we use; the rest changes between versions. */
const claudeResultSchema = z.object({
  type: z.string().optional(),
  subtype: z.string().optional(),
  is_error: z.boolean().optional(),
  result: z.string().optional(),
  total_cost_usd: z.number().optional(),
  usage: z
    .object({
      input_tokens: z.number().optional(),
      output_tokens: z.number().optional(),
      cache_read_input_tokens: z.number().optional(),
      cache_creation_input_tokens: z.number().optional(),
    })
    .optional(),
  modelUsage: z.record(z.string(), z.unknown()).optional(),
});

/** Tools a read-only pass may use: it reads the code and answers, and changes nothing. */
const READ_ONLY_TOOLS = ['Read', 'Grep', 'Glob', 'LS'];

export function claudeCodeArgs(invocation: AgentInvocation): string[] {
  const args = ['-p', invocation.prompt, '--output-format', 'json', '--max-turns', String(invocation.maxTurns), '--model', invocation.model];
  // Edits run unattended inside a throwaway clone. Plan and review passes do not use plan mode: headless, its
  // ExitPlanMode can never be approved and the plan may be lost; a read-only tool set keeps the answer as the result.
  if (invocation.mode === 'edit') args.push('--permission-mode', 'bypassPermissions');
  else args.push('--allowedTools', READ_ONLY_TOOLS.join(','), '--disallowedTools', 'Write,Edit,MultiEdit,NotebookEdit,Bash');
  return args;
}

export const claudeCodeRuntime = cliRuntime({
  id: 'claude-code',
  args: claudeCodeArgs,
  env(invocation) {
    const env: Record<string, string> = {
      CLAUDE_CONFIG_DIR: `${invocation.home}/.claude`,
      DISABLE_AUTOUPDATER: '1',
      DISABLE_TELEMETRY: '1',
      DISABLE_ERROR_REPORTING: '1',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    };
    // As root the CLI refuses bypassPermissions unless told it runs in a sandbox; the runner's clone is one.
    if (process.getuid?.() === 0) env.IS_SANDBOX = '1';
    if (invocation.provider === 'bedrock') {
      env.CLAUDE_CODE_USE_BEDROCK = '1';
      const region = invocation.job.agent.awsRegion ?? invocation.env.AWS_REGION;
      if (region) env.AWS_REGION = region;
    }
    if (invocation.provider === 'vertex') env.CLAUDE_CODE_USE_VERTEX = '1';
    return env;
  },
  parse(output): ParsedAgentOutput {
    const parsed = claudeResultSchema.safeParse(lastJsonValue(output.stdout));
    if (!parsed.success) return {};
    const { result, is_error: isError, total_cost_usd: cost, usage, modelUsage } = parsed.data;
    const model = modelUsage ? Object.keys(modelUsage)[0] : undefined;
    return {
      ...(result !== undefined ? { text: result } : {}),
      ...(cost !== undefined ? { costUsd: cost } : {}),
      ...(usage
        ? {
            tokens: {
              input: usage.input_tokens ?? 0,
              output: usage.output_tokens ?? 0,
              cacheRead: usage.cache_read_input_tokens ?? 0,
              cacheWrite: usage.cache_creation_input_tokens ?? 0,
            },
          }
        : {}),
      ...(model ? { model } : {}),
      ...(isError ? { failed: true, errorText: result ?? parsed.data.subtype ?? 'the agent reported an error' } : {}),
    };
  },
});
