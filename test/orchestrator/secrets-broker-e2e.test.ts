import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Run } from '../../src/domain/run.js';
import { cleanEnv, runCli } from '../runner/support/run-cli.js';
import { SECRETS, startHarness, type OrchestratorHarness } from '../support/orchestrator-harness.js';

/** No shape to recognise it by: only the broker's bookkeeping can keep it out of everything. */
const LLM_KEY = 'llm-key-from-the-broker-Zx81Qw4Rt';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Every file under a directory, read whole. */
function readTree(dir: string): string {
  let text = '';
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) text += readFileSync(join(entry.parentPath, entry.name), 'utf8');
  }
  return text;
}

/**
 * The whole path of an LLM key on GitHub Actions, through the real
 * composition root and the real runner CLI: an operator stores it through
 * the API, a ticket is dispatched as a workflow run, the job exchanges its
 * Actions id token and fetches the key from the broker, and the repository's
 * own test script (what an agent CLI would be) sees it in its environment —
 * while the workflow inputs, the job spec, the data directory, the logs,
 * every `/api` answer, the ticket and the pull request never hold it.
 */
describe('a GitHub Actions run gets its LLM key only from the secrets broker', () => {
  let h: OrchestratorHarness;
  let bearer: string;
  let root: string;
  let run: Run;
  let runner: { code: number | null; stdout: string; stderr: string };
  let jobSpecText: string;
  let probe: string;

  const api = async (path: string, init: RequestInit = {}) =>
    fetch(`${h.orchestrator.url}${path}`, { ...init, headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}`, ...init.headers } });

  beforeAll(async () => {
    h = await startHarness({}, { actionsOidc: true });
    root = await mkdtemp(join(tmpdir(), 'broker-e2e-'));
    // The repository's test script stands in for the agent: it records a digest of the key it was given, and prints the key.
    h.addActionsRepo('vault-app', {
      'README.md': '# vault\n',
      'package.json': JSON.stringify({ name: 'vault-app', private: true, scripts: { test: 'node probe.cjs' } }),
      'probe.cjs': [
        "const { createHash } = require('node:crypto');",
        "const key = process.env.ANTHROPIC_API_KEY ?? '';",
        "require('node:fs').writeFileSync(process.env.PROBE_OUT, key ? createHash('sha256').update(key).digest('hex') : 'absent');",
        "console.log('the key is ' + key);",
      ].join('\n'),
    });
    h.linear.store.addTeam({ key: 'SEC' });
    h.linear.store.addLabel({ name: 'AI-Implement', team: null });
    const auth = await fetch(`${h.orchestrator.url}/api/auth`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: SECRETS.adminAccessCode }) });
    bearer = ((await auth.json()) as { token: string }).token;

    // The operator's whole part: a mapping through the API and the key through the broker.
    const mapping = await api('/api/mappings', { method: 'POST', body: JSON.stringify({ teamKey: 'SEC', owner: 'acme', repo: 'vault-app', defaultBranch: 'main', executionMode: 'github-actions', agentRuntime: 'demo', extraEnv: { NODE_ENV: 'test' } }) });
    expect(mapping.status).toBe(201);
    const stored = await api('/api/mappings/SEC/secrets', { method: 'POST', body: JSON.stringify({ name: 'ANTHROPIC_API_KEY', value: LLM_KEY }) });
    expect(stored.status).toBe(201);

    const issue = h.linear.store.addIssue({ team: 'SEC', title: 'Rotate the vault key', labels: ['AI-Implement'] });
    await h.cycle();
    [run] = (await h.runsOf(issue.identifier)) as [Run];
    expect(run).toMatchObject({ status: 'launching', backend: 'github-actions' });

    // What the job will fetch as its spec (read here with the run's own token, as the runner does).
    const tokens = h.orchestrator.services.tokens!.mint(run.id, run.attempt, run.deadlineAt!);
    const spec = await fetch(`${h.orchestrator.url}/runner/job`, { headers: { authorization: `Bearer ${tokens.progressToken}` } });
    expect(spec.status).toBe(200);
    jobSpecText = await spec.text();

    // The Actions job: an id token request grant for this workflow run, and the real runner CLI.
    const workflowRun = h.github.state.runs.find((r) => r.inputs.run_id === run.id)!;
    const oidc = h.github.oidc.createRequestToken({ repository: 'acme/vault-app', runId: workflowRun.id });
    probe = join(root, 'probe.txt');
    runner = await runCli(
      cleanEnv({
        GITHUB_ACTIONS: 'true',
        ACTIONS_ID_TOKEN_REQUEST_URL: oidc.requestUrl,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: oidc.requestToken,
        AI_IMPLEMENT_RUN_ID: run.id,
        AI_IMPLEMENT_URL: h.orchestrator.url,
        AI_IMPLEMENT_WORKDIR: join(root, 'work'),
        PROBE_OUT: probe,
        NO_PROXY: '127.0.0.1,localhost',
      }),
    );
    await h.waitForTerminal(run.id, 20_000);
  }, 120_000);

  afterAll(async () => {
    await h?.stop();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('hands the key to the job, whose commands see it', async () => {
    expect(runner.code, runner.stderr).toBe(0);
    expect(runner.stderr).toContain('secrets received');
    expect(await readFile(probe, 'utf8')).toBe(sha256(LLM_KEY));
    expect((await h.orchestrator.store.runs.getRun(run.id))?.status).toBe('pr_opened');
  });

  it('keeps the key out of the workflow inputs, the job spec, the stored records, the logs, every /api answer, the ticket and the PR', async () => {
    const places: Record<string, string> = {};
    places['workflow dispatch inputs'] = JSON.stringify(h.github.state.runs.map((r) => r.inputs));
    places['job spec'] = jobSpecText;
    places['data directory'] = readTree(h.orchestrator.config.dataDir);
    places['orchestrator log'] = h.logLines.join('\n');
    places['runner output'] = `${runner.stdout}\n${runner.stderr}`;
    places['ticket comments'] = JSON.stringify(h.linear.store.workspace.comments);
    places['pull requests'] = JSON.stringify([h.github.state.pulls, h.github.state.issueComments, h.github.state.reviewComments]);
    expect(h.github.state.pulls.length).toBeGreaterThan(0);

    // Every GET of the operator API the OpenAPI document lists, with this run's and mapping's ids filled in.
    const doc = (await (await api('/api/openapi.json')).json()) as { paths: Record<string, Record<string, unknown>> };
    let answers = '';
    let called = 0;
    for (const [path, operations] of Object.entries(doc.paths)) {
      if (!('get' in operations)) continue;
      const concrete = path.replace(/\{(\w+)\}/g, (_m, name: string) => (name === 'teamKey' ? 'SEC' : name === 'runId' || name === 'id' ? run.id : 'x'));
      const answer = await api(concrete);
      answers += `${concrete} ${answer.status} ${await answer.text()}\n`;
      called++;
    }
    expect(called).toBeGreaterThan(10);
    expect(answers).toContain('ANTHROPIC_API_KEY');
    places['/api answers'] = answers;

    // The run printed it; the runner scrubbed it before its step log reached the store.
    expect(places['data directory']).toContain('the key is ***');
    for (const [where, text] of Object.entries(places)) expect(text.includes(LLM_KEY), where).toBe(false);
  });
});
