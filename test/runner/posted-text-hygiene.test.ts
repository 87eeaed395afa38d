import { Octokit } from '@octokit/rest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PR_METADATA_PATTERN, renderPrMetadata } from '../../src/domain/runner-protocol.js';
import { createPullRequest, ensurePullComment, type GitHubTarget } from '../../src/runner/github-pulls.js';
import { createRunnerLog } from '../../src/runner/runner-log.js';
import { GitHubEmulator } from '../../src/sandbox/github/index.js';
import { auditGitHub, expectTrueToVendor } from '../support/vendor-fidelity/vendor-audits.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * The runner posts the review pass's answer on the PR itself; that text gets
 * the same hygiene as runner text on the orchestrator side, through the real
 * Octokit against the GitHub emulator.
 */
describe('text the runner posts on a pull request', () => {
  const github = new GitHubEmulator();
  const githubAudit = auditGitHub(github.server);
  let target: GitHubTarget;
  let pull: number;

  beforeAll(async () => {
    await github.start();
    const installation = github.state.addInstallation({ account: 'acme' });
    github.state.addRepo({ owner: 'acme', name: 'app' });
    github.state.setFile('acme', 'app', 'ai-implement/ENG-1', 'a.txt', 'a');
    const token = github.issueToken(installation.id).token;
    const log = createRunnerLog(() => undefined);
    log.addSecret('sk-ant-api03-review-secret');
    target = { apiUrl: github.url, token, owner: 'acme', repo: 'app', redact: log.redact };
    pull = (await createPullRequest(target, { title: 'ENG-1', body: 'x', head: 'ai-implement/ENG-1', base: 'main' })).number;
  });

  afterAll(async () => {
    await github.stop();
    expectTrueToVendor(githubAudit, 'GitHub');
  });

  async function bodyOf(id: number): Promise<string> {
    const gh = new Octokit({ auth: target.token, baseUrl: github.url, log: quiet });
    const { data } = await gh.issues.getComment({ owner: 'acme', repo: 'app', comment_id: id });
    return data.body ?? '';
  }

  it('arrives as clean text: no escapes, secrets and the token scrubbed, one comment per marker', async () => {
    const marker = '<!-- ai-implement:review run-1 -->';
    const agentText = `\x1b[1m\x1b[32m✓\x1b[0m done\r\nkey sk-ant-api03-review-secret, token ${target.token}\r\nsee ai-implement:run-status:run-2`;
    const first = await ensurePullComment(target, pull, marker, `### AI-Implement review\n\n${agentText}`);
    const body = await bodyOf(first.id);
    expect(body).toBe(`${marker}\n### AI-Implement review\n\n✓ done\nkey ***, token ***\nsee ai-implement\u200b:run-status:run-2`);
    const again = await ensurePullComment(target, pull, marker, 'second pass');
    expect(again.id).toBe(first.id);
    expect(github.state.issueComments.filter((c) => c.issueNumber === pull)).toHaveLength(1);
  });

  it('cleans a new pull request’s body but keeps our metadata marker readable', async () => {
    github.state.setFile('acme', 'app', 'ai-implement/ENG-2', 'b.txt', 'b');
    const marker = renderPrMetadata({ runId: 'run-2', issueId: 'i-2', identifier: 'ENG-2', mappingKey: 'ENG' });
    const created = await createPullRequest(target, { title: 'ENG-2', body: `- \x1b[32mdone\x1b[0m with sk-ant-api03-review-secret\n\n${marker}`, head: 'ai-implement/ENG-2', base: 'main' });
    const stored = github.state.pulls.find((p) => p.number === created.number);
    expect(stored?.body).toBe(`- done with ***\n\n${marker}`);
    expect(PR_METADATA_PATTERN.exec(stored?.body ?? '')?.[1]).toBe(JSON.stringify({ runId: 'run-2', issueId: 'i-2', identifier: 'ENG-2', mappingKey: 'ENG' }));
  });

  it('cuts a 100 KB review with a visible note, under GitHub’s comment limit', async () => {
    const comment = await ensurePullComment(target, pull, '<!-- ai-implement:review run-big -->', 'y'.repeat(100 * 1024));
    const body = await bodyOf(comment.id);
    expect(body.length).toBeLessThan(65_536);
    expect(body).toMatch(/\n… cut: 42,400 more characters$/);
  });
});
