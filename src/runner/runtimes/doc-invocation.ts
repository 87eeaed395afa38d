import type { AgentInvocation, AgentMode } from './agent-runtime.js';

/** An invocation with placeholders, so the README shows each adapter's real flags. */
export function makeDocInvocation(mode: AgentMode): AgentInvocation {
  return {
    prompt: '<prompt>',
    mode,
    cwd: '.',
    model: '<model>',
    provider: 'anthropic',
    maxTurns: 50,
    timeoutMs: 0,
    env: {},
    home: '<home>',
    job: { agent: { awsRegion: undefined } } as unknown as AgentInvocation['job'],
    onOutput: () => undefined,
  };
}
