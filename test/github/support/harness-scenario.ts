import type { OrchestratorHarness } from '../../support/orchestrator-harness.js';
import { SECRETS } from '../../support/orchestrator-harness.js';
import { addPrComment, openAgentPull, repoTarget, seedOpeningRun, waitFor } from './github-scenario.js';
import { issueCommentEvent, postDelivery, signDelivery, type PullShape, type RepoTarget, type SignedDelivery } from './webhook-payloads.js';

/** Seeds the harness's GitHub emulator and store with one mapped repository that dispatches to Actions. */
export async function seedWebRepo(h: OrchestratorHarness, teamKey = 'ENG', repo = 'web'): Promise<RepoTarget> {
  h.github.state.addRepo({ owner: 'acme', name: repo, defaultBranch: 'main' });
  h.github.state.addWorkflow('acme', repo, {
    file: 'claude-implement.yml',
    name: 'AI-Implement',
    runName: 'AI-Implement ${{ inputs.run_id }}',
    inputs: { run_id: { required: true }, orchestrator_url: { required: true } },
  });
  await h.addMapping({ teamKey, owner: 'acme', repo, defaultBranch: 'main', executionMode: 'github-actions' });
  // Thousands of calls in one test: GitHub's hourly budget is not what is under test here.
  h.github.rateLimit.limit = 1e9;
  h.github.rateLimit.remaining = 1e9;
  return repoTarget(h.github.state, 'acme', repo);
}

/**
 * A PR with the agent's marker (and the stored run that opened it, which the
 * marker names), and a writer's `/ai-implement` comment on it, as a signed delivery.
 */
export async function commandOnNewPull(h: OrchestratorHarness, target: RepoTarget, n: number, instructions = `task ${n}`): Promise<{ pull: PullShape; commentId: number; issueId: string; delivery: SignedDelivery }> {
  const issueId = `issue-${target.repo}-${n}`;
  const identifier = `ENG-${1000 + n}`;
  const runId = `run-open-${target.repo}-${n}`;
  const pull = openAgentPull(h.github.state, target, { identifier, issueId, mappingKey: 'ENG', runId });
  await seedOpeningRun(h.orchestrator.store, { runId, issueId, identifier, mappingKey: 'ENG', pull });
  h.github.state.setPermission(target.owner, target.repo, 'writer', 'write');
  const body = `/ai-implement ${instructions}`;
  const commentId = addPrComment(h.github.state, target, pull.number, 'writer', body);
  const delivery = signDelivery(SECRETS.githubWebhook, 'issue_comment', issueCommentEvent(target, { prNumber: pull.number, commentId, body, login: 'writer' }));
  return { pull, commentId, issueId, delivery };
}

/** Posts through the real route, then wakes the inbox worker (the route only records). */
export async function post(h: OrchestratorHarness, delivery: SignedDelivery): Promise<number> {
  const { status } = await postDelivery(h.orchestrator.url, delivery);
  h.orchestrator.services.inbox.notify();
  return status;
}

export async function waitHandled(h: OrchestratorHarness, ids: Iterable<string>, timeoutMs = 30_000): Promise<void> {
  const pending = new Set(ids);
  await waitFor(
    async () => {
      for (const id of [...pending]) {
        const d = await h.orchestrator.store.inbox.getDelivery(id);
        if (d?.status === 'completed') pending.delete(id);
      }
      if (pending.size > 0) h.orchestrator.services.inbox.notify();
      return pending.size === 0 ? true : undefined;
    },
    timeoutMs,
    'deliveries to be handled',
  );
}
