import type { ApplicationFunction, Context } from 'probot';
import type { GitHubAppDeps } from './github-app-deps.js';
import { handleInstallationEvent } from './on-installation.js';
import { handleIssueComment } from './on-issue-comment.js';
import { handlePullRequestClosed } from './on-pull-request-closed.js';
import { handleReviewEvent } from './on-review-feedback.js';
import { handleWorkflowRun } from './on-workflow-run.js';
import { createPullRequestApi, type RestClient } from './api/pull-request-api.js';

/** The repository of an event's payload, for the handlers' GitHub calls. */
function repoOf(context: Context): { owner: string; repo: string } {
  const repository = (context.payload as { repository?: { name: string; owner: { login: string } } }).repository;
  if (!repository) throw new Error(`${context.name} delivery ${context.id} has no repository`);
  return { owner: repository.owner.login, repo: repository.name };
}

function prApiOf(context: Context, redact: GitHubAppDeps['redact']) {
  const { owner, repo } = repoOf(context);
  // Probot authenticates `context.octokit` as the delivery's installation.
  return createPullRequestApi(context.octokit as unknown as RestClient, owner, repo, redact);
}

/**
 * The Probot app: one handler per webhook event, each in its own file. It
 * runs from the inbox worker (never from the HTTP request), so a handler that
 * throws leaves the delivery to be retried; every handler is idempotent.
 */
export function createGitHubApp(deps: GitHubAppDeps): ApplicationFunction {
  return (app) => {
    const logFor = (context: Context) => deps.log.child({ deliveryId: context.id, event: context.name });
    app.on('issue_comment.created', (context) => handleIssueComment(deps, context.payload, prApiOf(context, deps.redact), logFor(context)));
    app.on('pull_request_review.submitted', (context) => handleReviewEvent(deps, 'pull_request_review', context.payload, prApiOf(context, deps.redact), logFor(context)));
    app.on('pull_request_review_comment.created', (context) =>
      handleReviewEvent(deps, 'pull_request_review_comment', context.payload, prApiOf(context, deps.redact), logFor(context)),
    );
    app.on('pull_request.closed', (context) => handlePullRequestClosed(deps, context.payload, logFor(context)));
    app.on(['workflow_run.completed', 'workflow_run.in_progress'], (context) => handleWorkflowRun(deps, context.payload, logFor(context)));
    app.on('installation', (context) => handleInstallationEvent(deps, 'installation', context.payload, logFor(context)));
    app.on('installation_repositories', (context) => handleInstallationEvent(deps, 'installation_repositories', context.payload, logFor(context)));
  };
}
