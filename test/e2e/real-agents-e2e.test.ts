import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Run } from '../../src/domain/run.js';
import { ModelApiEmulator, type ConversationScript } from '../../src/sandbox/model-api/index.js';
import { waitFor } from '../github/support/github-scenario.js';
import { ensureAgentClis } from '../support/agent-clis.js';
import { startHarness, type OrchestratorHarness } from '../support/orchestrator-harness.js';

/**
 * The first real ticket becomes a PR, for each pinned agent CLI: a labelled
 * Linear ticket → intake → a local runner process → the real CLI (found on
 * the pinned install's PATH, in a home of its own) → a scripted model API on
 * loopback whose tool call edits the work tree → commit, push over git HTTP,
 * PR in the GitHub emulator → the ticket's final comment with agent, model,
 * tokens and cost.
 */

/** One turn that edits the work tree through the CLI's shell tool (relative to its working directory), then done. */
function editScript(file: string, content: string): ConversationScript {
  return {
    turns: [{ text: 'Making the change.', tool: { kind: 'shell', command: `printf '%s\\n' '${content}' > ${file}` } }, { text: `Wrote ${file}.` }],
    usage: { input: 150, cacheRead: 2_400, cacheWrite: 320, output: 60, reasoning: 0 },
  };
}

interface Case {
  team: string;
  runtime: string;
  provider: string;
  env: (model: ModelApiEmulator, key: string) => Record<string, string>;
  /** The CLI states its own cost (Claude Code, OpenCode); the others are priced from the table. */
  cliCost: boolean;
}

const CASES: Case[] = [
  { team: 'CLA', runtime: 'claude-code', provider: 'anthropic', cliCost: true, env: (m, key) => ({ ANTHROPIC_BASE_URL: m.anthropicBaseUrl, ANTHROPIC_API_KEY: key, CLAUDE_CODE_MAX_RETRIES: '1' }) },
  { team: 'CDX', runtime: 'codex', provider: 'openai', cliCost: false, env: (m, key) => ({ OPENAI_BASE_URL: m.openaiBaseUrl, CODEX_API_KEY: key }) },
  { team: 'GEM', runtime: 'gemini', provider: 'google', cliCost: false, env: (m, key) => ({ GOOGLE_GEMINI_BASE_URL: m.geminiBaseUrl, GEMINI_API_KEY: key }) },
  { team: 'OPC', runtime: 'opencode', provider: 'anthropic', cliCost: true, env: (m, key) => ({ ANTHROPIC_BASE_URL: m.anthropicBaseUrl, ANTHROPIC_API_KEY: key }) },
];

describe('real agent CLIs, ticket to pull request', () => {
  let h: OrchestratorHarness;
  const model = new ModelApiEmulator();

  beforeAll(async () => {
    // Local runs find the pinned CLIs after the server's own PATH (see localRunnerEnv).
    await ensureAgentClis();
    await model.start();
    h = await startHarness();
    h.linear.store.addLabel({ name: 'AI-Implement', team: null });
    for (const c of [...CASES, { team: 'FBK' }, { team: 'STL' }, { team: 'PLN' }]) {
      h.github.state.addRepo({ owner: 'acme', name: c.team.toLowerCase(), defaultBranch: 'main', files: { 'README.md': `# ${c.team}\n` } });
      h.linear.store.addTeam({ key: c.team });
    }
  }, 300_000);
  afterAll(async () => {
    await h?.stop();
    await model.stop();
  });

  /** A project on the local backend, one repository per team. */
  function addLocalMapping(team: string, runtime: string, provider: string, extraEnv: Record<string, string>, more: Record<string, unknown> = {}): Promise<void> {
    return h.addMapping({ teamKey: team, owner: 'acme', repo: team.toLowerCase(), defaultBranch: 'main', executionMode: 'local', agentRuntime: runtime, provider, extraEnv, ...more });
  }

  async function runTicket(team: string, title: string): Promise<{ run: Run; identifier: string }> {
    const issue = h.linear.store.addIssue({ team, title, labels: ['AI-Implement'] });
    await h.cycle();
    const [claimed] = await h.runsOf(issue.identifier);
    return { run: await h.waitForTerminal(claimed!.id, 150_000), identifier: issue.identifier };
  }

  for (const c of CASES) {
    it(`${c.runtime}: the agent's change is committed, pushed and opened as a PR; the ticket shows agent, model, tokens and cost`, async () => {
      const key = `key-${c.runtime}`;
      const file = `${c.runtime}.md`;
      model.setScript(editScript(file, `changed by ${c.runtime}`), { apiKey: key, name: c.runtime });
      await addLocalMapping(c.team, c.runtime, c.provider, c.env(model, key));
      const { run, identifier } = await runTicket(c.team, `Change for ${c.runtime}`);
      expect(run, run.failureReason).toMatchObject({ status: 'pr_opened', agent: { runtime: c.runtime } });
      // The edit the scripted model asked for, made by the real CLI's own tool, is on the PR's branch.
      expect(h.github.state.readFile('acme', c.team.toLowerCase(), file, run.branch)).toBe(`changed by ${c.runtime}\n`);
      const pull = h.github.state.pulls.find((p) => p.headRef === run.branch);
      expect(pull?.state).toBe('open');
      // Tokens as the model API reported them, cache counted apart, summed over the implement and review passes.
      expect(run.tokens?.cacheRead).toBeGreaterThanOrEqual(2_400);
      expect(run.tokens?.input).toBeGreaterThan(0);
      expect(run.tokens?.output).toBeGreaterThan(0);
      expect(run.costUsd).toBeGreaterThan(0);
      const done = await waitFor(() => h.linear.commentsOn(identifier).find((comment) => comment.body.includes(`Done by ${c.runtime}`)), 10_000, 'the final comment');
      expect(done.body).toMatch(/\d cache read( \/ [\d,]+ cache write)? tokens, \$\d/);
      expect(done.body).toContain(run.agent!.model!);
    }, 240_000);
  }

  it('an overloaded vendor: retried, then the fallback runtime finishes, and the ticket names it', async () => {
    model.setScript(editScript('fallback.md', 'finished by the fallback'), { apiKey: 'key-fbk-codex', name: 'fbk-codex' });
    await addLocalMapping(
      'FBK',
      'claude-code',
      'anthropic',
      { ANTHROPIC_BASE_URL: model.anthropicBaseUrl, ANTHROPIC_API_KEY: 'key-fbk-claude', CLAUDE_CODE_MAX_RETRIES: '1', OPENAI_BASE_URL: model.openaiBaseUrl, CODEX_API_KEY: 'key-fbk-codex', AI_IMPLEMENT_AGENT_RETRY_MS: '200' },
      { fallbackRuntime: 'codex' },
    );
    // Every Anthropic request answers 529: Claude Code gives up, is tried twice more, then Codex takes over.
    model.injectFault({ kind: 'status', status: 529, api: 'anthropic', retryAfterSeconds: 0 });
    try {
      const { run, identifier } = await runTicket('FBK', 'Finish despite the storm');
      expect(run, run.failureReason).toMatchObject({ status: 'pr_opened', agent: { runtime: 'codex', fallbackFrom: ['claude-code'] } });
      expect(h.github.state.readFile('acme', 'fbk', 'fallback.md', run.branch)).toBe('finished by the fallback\n');
      const refused = model.requests.filter((r) => r.api === 'anthropic' && r.fault);
      expect(refused.length).toBeGreaterThanOrEqual(6);
      const done = await waitFor(() => h.linear.commentsOn(identifier).find((comment) => comment.body.includes('Done by codex')), 10_000, 'the final comment');
      expect(done.body).toContain('after claude-code');
    } finally {
      model.clearFaults();
    }
  }, 300_000);

  it('a stalled agent is stopped and tried again', async () => {
    model.setScript(editScript('stalled.md', 'done on the second try'), { apiKey: 'key-stl', name: 'stl' });
    await addLocalMapping('STL', 'gemini', 'google', { GOOGLE_GEMINI_BASE_URL: model.geminiBaseUrl, GEMINI_API_KEY: 'key-stl', AI_IMPLEMENT_AGENT_STALL_MS: '4000', AI_IMPLEMENT_AGENT_RETRY_MS: '200' });
    // Gemini CLI waits on a stalled stream for good; only the runner's stall watch ends it.
    model.injectFault({ kind: 'stall-stream', api: 'gemini', role: 'turn', times: 1 });
    try {
      const { run } = await runTicket('STL', 'Survive a stall');
      expect(run, run.failureReason).toMatchObject({ status: 'pr_opened', agent: { runtime: 'gemini' } });
      expect(h.github.state.readFile('acme', 'stl', 'stalled.md', run.branch)).toBe('done on the second try\n');
    } finally {
      model.clearFaults();
      model.releaseStalls();
    }
  }, 300_000);

  it('a plan is what the agent wrote, captured from its structured output, posted on the ticket, with nothing changed', async () => {
    const plan = '1. Add a counter to src/counter.ts.\n2. Cover it with a unit test.\n3. Document it in the README.';
    model.setScript({ turns: [{ text: plan }] }, { apiKey: 'key-pln', name: 'pln' });
    await addLocalMapping('PLN', 'claude-code', 'anthropic', { ANTHROPIC_BASE_URL: model.anthropicBaseUrl, ANTHROPIC_API_KEY: 'key-pln', CLAUDE_CODE_MAX_RETRIES: '1' }, { planningEnabled: true });
    const { run, identifier } = await runTicket('PLN', 'Plan before you build');
    expect(run, run.failureReason).toMatchObject({ status: 'succeeded', phase: 'plan', agent: { runtime: 'claude-code' } });
    // The read-only pass offered Claude Code no write or shell tool.
    const offered = model.requests.filter((r) => r.conversation === 'pln').flatMap((r) => (r.body as { tools?: { name: string }[] }).tools?.map((t) => t.name) ?? []);
    expect(offered).toContain('Read');
    expect(offered).not.toContain('Write');
    expect(offered).not.toContain('Bash');
    const posted = await waitFor(() => h.linear.commentsOn(identifier).find((comment) => comment.body.includes('2. Cover it with a unit test.')), 10_000, 'the plan on the ticket');
    expect(posted.body).toContain('1. Add a counter to src/counter.ts.');
    expect(h.github.state.pulls.some((p) => p.headRef === run.branch)).toBe(false);
  }, 240_000);
});
