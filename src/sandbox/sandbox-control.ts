import type { SandboxActionResult, SandboxControl, SandboxPull } from '../admin/sandbox-control.js';
import { ConflictError, NotFoundError } from '../errors/index.js';
import { SANDBOX_USER } from './github/github-pages.js';
import { AI_IMPLEMENT_LABEL, DEMO_LINEAR_TEAM, DEMO_OWNER, DEMO_REPO } from './seed-demo.js';
import type { SandboxEmulators } from './start-sandbox.js';

const webhookOf = (delivered: number | 'failed' | undefined): SandboxActionResult['webhook'] => delivered ?? 'not sent';

/** The sandbox's "things to try", done on the emulators as the sandbox user (see admin/sandbox-control.ts). */
export function createSandboxControl({ github, linear }: SandboxEmulators): SandboxControl {
  const pullOf = (number: number) => {
    const pull = github.state.pull(DEMO_OWNER, DEMO_REPO, number);
    if (!pull) throw new NotFoundError(`${DEMO_OWNER}/${DEMO_REPO} has no pull request #${number}`);
    return pull;
  };
  const pullResult = (number: number, delivered: number | 'failed' | undefined): SandboxActionResult => ({
    subject: `${DEMO_OWNER}/${DEMO_REPO}#${number}`,
    url: `${github.url}/${DEMO_OWNER}/${DEMO_REPO}/pull/${number}`,
    webhook: webhookOf(delivered),
  });
  return {
    async addTicket(input) {
      const { issue, delivered } = await linear.users.createIssue({ team: DEMO_LINEAR_TEAM, title: input.title, description: input.description ?? null, labels: [AI_IMPLEMENT_LABEL] });
      return { subject: issue.identifier, url: issue.url, webhook: webhookOf(delivered) };
    },
    async commentOnPull(number, body) {
      pullOf(number);
      const { delivered } = await github.users.comment(DEMO_OWNER, DEMO_REPO, number, body, SANDBOX_USER);
      return pullResult(number, delivered);
    },
    async reviewPull(number, body) {
      if (pullOf(number).state !== 'open') throw new ConflictError(`${DEMO_OWNER}/${DEMO_REPO}#${number} is not open`);
      const { delivered } = await github.users.review(DEMO_OWNER, DEMO_REPO, number, body, SANDBOX_USER);
      return pullResult(number, delivered);
    },
    async mergePull(number) {
      const pull = pullOf(number);
      if (pull.state !== 'open') throw new ConflictError(`${DEMO_OWNER}/${DEMO_REPO}#${number} is ${pull.merged ? 'already merged' : 'closed'}`);
      const { delivered } = await github.users.merge(DEMO_OWNER, DEMO_REPO, number, SANDBOX_USER);
      return pullResult(number, delivered);
    },
    pulls() {
      const repo = github.state.repo(DEMO_OWNER, DEMO_REPO);
      if (!repo) return [];
      return github.state.pulls
        .filter((p) => p.repoId === repo.id)
        .sort((a, b) => b.number - a.number)
        .map((p): SandboxPull => ({ number: p.number, title: p.title, url: `${github.url}/${DEMO_OWNER}/${DEMO_REPO}/pull/${p.number}`, state: p.merged ? 'merged' : p.state === 'closed' ? 'closed' : 'open' }));
    },
  };
}
