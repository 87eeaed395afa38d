import { cliRuntime, type AgentInvocation, type ParsedAgentOutput } from './agent-runtime.js';
import { lastJsonValue, numberOr, recordOf } from './cli-json.js';

export function geminiArgs(invocation: AgentInvocation): string[] {
  // yolo approves every tool for an edit; a read-only pass keeps the default mode, in which headless Gemini
  // refuses the tools that would need an approval (writes, shell) and still reads.
  return ['-p', invocation.prompt, '--output-format', 'json', '-m', invocation.model, '--approval-mode', invocation.mode === 'edit' ? 'yolo' : 'default', '--skip-trust'];
}

export const geminiRuntime = cliRuntime({
  id: 'gemini',
  args: geminiArgs,
  env(invocation) {
    const key = invocation.env.GEMINI_API_KEY || invocation.env.GOOGLE_API_KEY || '';
    return {
      // Without it the CLI relaunches itself in a second process that ignores SIGTERM.
      GEMINI_CLI_NO_RELAUNCH: 'true',
      ...(key && invocation.provider === 'google' ? { GEMINI_API_KEY: key } : {}),
      ...(invocation.provider === 'vertex' ? { GOOGLE_GENAI_USE_VERTEXAI: 'true' } : {}),
    };
  },
  files(invocation) {
    // A headless run must name its auth type (the base URL alone selects one headless mode rejects: exit 41),
    // and neither update itself nor report telemetry; --skip-trust trusts the clone (else exit 55 before any request).
    const settings = {
      security: { auth: { selectedType: invocation.provider === 'vertex' ? 'vertex-ai' : 'gemini-api-key' } },
      general: { disableAutoUpdate: true, disableUpdateNag: true },
      telemetry: { enabled: false },
      privacy: { usageStatisticsEnabled: false },
    };
    return { '.gemini/settings.json': `${JSON.stringify(settings, null, 2)}\n` };
  },
  parse(output): ParsedAgentOutput {
    // On failure stdout is empty and the error document is the last JSON on stderr (exit code = HTTP status mod 256).
    const doc = recordOf(lastJsonValue(output.stdout.trim() ? output.stdout : output.stderr));
    if (Object.keys(doc).length === 0) return {};
    const stats = recordOf(doc.stats);
    const models = recordOf(stats.models);
    const tokens = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 };
    let model: string | undefined;
    for (const [name, value] of Object.entries(models)) {
      model ??= name;
      const t = recordOf(recordOf(value).tokens);
      // `prompt` counts cached tokens too; they are reported apart.
      const cached = numberOr(t.cached);
      tokens.input += Math.max(0, numberOr(t.prompt) - cached);
      tokens.output += numberOr(t.candidates) + numberOr(t.thoughts);
      tokens.cacheRead += cached;
    }
    const error = recordOf(doc.error);
    const toolFailures = numberOr(recordOf(stats.tools).totalFail);
    return {
      ...(typeof doc.response === 'string' ? { text: doc.response } : {}),
      ...(Object.keys(models).length > 0 ? { tokens } : {}),
      ...(model ? { model } : {}),
      ...(typeof error.message === 'string' ? { errorText: error.message, failed: true } : {}),
      // A failed tool call still exits 0; only the stats show it.
      ...(toolFailures > 0 ? { toolFailed: `${toolFailures} tool call(s) failed` } : {}),
    };
  },
});
