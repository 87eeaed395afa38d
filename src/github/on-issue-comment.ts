import type { Logger } from 'pino';
import type { GitHubAppDeps } from './github-app-deps.js';
import { parseAiImplementCommand } from './pr-command.js';
import type { PullRequestApi } from './api/pull-request-api.js';
import { describeGapFill, gapFillKey, startGapFill } from '../orchestrator/start-gap-fill.js';
import { isBot, issueCommentPayload } from './webhook-payloads.js';

/**
 * `issue_comment.created` with `/ai-implement …` on a pull request: a writer
 * gets an `eyes` reaction (best effort) and a gap-fill run on the PR's branch; anyone else
 * gets a polite reply and no run. Edits, deletions, bots and plain comments
 * are ignored. Every step is idempotent, so a retried delivery (or the same
 * comment arriving through `/trigger/gap-fill`) starts nothing twice.
 */
export async function handleIssueComment(deps: GitHubAppDeps, payload: unknown, api: PullRequestApi, log: Logger): Promise<void> {
  const parsed = issueCommentPayload.safeParse(payload);
  if (!parsed.success) {
    log.warn({ issues: parsed.error.issues.slice(0, 3) }, 'issue_comment payload without the fields we need; skipped');
    return;
  }
  const { action, issue, comment, repository } = parsed.data;
  if (action !== 'created' || !issue.pull_request || isBot(comment.user)) return;
  const instructions = parseAiImplementCommand(comment.body);
  if (instructions === undefined) return;
  const owner = repository.owner.login;
  const repo = repository.name;
  const key = gapFillKey(owner, repo, comment.id);
  if (deps.handledCommands.has(key)) return;
  const login = comment.user.login;

  const permission = await api.permissionOf(login);
  if (permission !== 'admin' && permission !== 'write') {
    await api.ensureComment(
      issue.number,
      `gap-fill:${comment.id}`,
      `Thanks @${login}! Only people with write access to ${owner}/${repo} can ask AI-Implement to work on a pull request, so nothing was started. A maintainer can repeat the request.`,
    );
    deps.handledCommands.add(key);
    log.info({ login, permission, pr: issue.number }, '/ai-implement from a user without write access; refused');
    return;
  }
  await acknowledge(api, comment.id, log);
  const pull = await api.getPull(issue.number);
  if (!pull) {
    log.info({ pr: issue.number }, 'the pull request of an /ai-implement comment is gone');
    return;
  }
  const outcome = await startGapFill(deps, { pull, commentId: comment.id, via: 'comment', ...(instructions ? { instructions } : {}) });
  // A duplicate was answered when it was first seen (here or via the trigger route).
  if (outcome.kind !== 'started' && outcome.kind !== 'duplicate') {
    await api.ensureComment(issue.number, `gap-fill:${comment.id}`, describeGapFill(outcome));
  }
  deps.handledCommands.add(key);
  log.info({ pr: issue.number, outcome: outcome.kind, ...('run' in outcome ? { runId: outcome.run.id } : {}) }, '/ai-implement handled');
}

/**
 * The `eyes` reaction only tells the commenter we saw them; a comment deleted
 * meanwhile (404) or a reactions API having a bad moment must not cost them
 * the run they asked for, nor make the delivery retry.
 */
async function acknowledge(api: PullRequestApi, commentId: number, log: Logger): Promise<void> {
  try {
    await api.reactToIssueComment(commentId, 'eyes');
  } catch (error) {
    log.warn({ err: error, commentId }, 'could not react to the /ai-implement comment; starting the run anyway');
  }
}
