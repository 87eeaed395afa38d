import { z } from 'zod';

/**
 * The fields of GitHub webhook payloads the handlers use, validated at the
 * boundary. Everything else in the (large) payloads is ignored; a payload
 * missing a field we need is skipped with a log line, not retried forever.
 */

const account = z.object({ login: z.string(), type: z.string().optional() });
const repository = z.object({ name: z.string(), owner: z.object({ login: z.string() }) });

export const pullRequestSchema = z.object({
  number: z.number().int(),
  title: z.string().nullish(),
  body: z.string().nullish(),
  state: z.string(),
  merged: z.boolean().nullish(),
  merged_at: z.string().nullish(),
  html_url: z.string().optional(),
  head: z.object({ ref: z.string() }),
  user: account.nullish(),
});

export const issueCommentPayload = z.object({
  action: z.string(),
  issue: z.object({ number: z.number().int(), pull_request: z.object({}).passthrough().nullish() }),
  comment: z.object({ id: z.number().int(), body: z.string().nullish(), user: account }),
  repository,
});

export const reviewPayload = z.object({
  action: z.string(),
  review: z.object({ id: z.number().int(), state: z.string(), body: z.string().nullish(), user: account, html_url: z.string().optional() }),
  pull_request: pullRequestSchema,
  repository,
});

export const reviewCommentPayload = z.object({
  action: z.string(),
  comment: z.object({
    id: z.number().int(),
    body: z.string(),
    path: z.string().optional(),
    line: z.number().int().nullish(),
    original_line: z.number().int().nullish(),
    user: account,
    html_url: z.string().optional(),
  }),
  pull_request: pullRequestSchema,
  repository,
});

export const pullRequestPayload = z.object({ action: z.string(), pull_request: pullRequestSchema, repository });

export const workflowRunPayload = z.object({
  action: z.string(),
  workflow_run: z.object({
    id: z.number().int(),
    display_title: z.string().nullish(),
    status: z.string().nullish(),
    conclusion: z.string().nullish(),
    html_url: z.string().optional(),
    run_started_at: z.string().nullish(),
  }),
});

const repoRef = z.object({ full_name: z.string() });
export const installationPayload = z.object({
  action: z.string(),
  installation: z.object({ id: z.number().int(), account: z.object({ login: z.string() }).nullish(), suspended_at: z.string().nullish() }),
  repositories: z.array(repoRef).nullish(),
  repositories_added: z.array(repoRef).nullish(),
  repositories_removed: z.array(repoRef).nullish(),
});

/** Bots (this app's own replies included) never trigger work: a bot loop would dispatch forever. */
export function isBot(user: { login: string; type?: string | undefined }): boolean {
  return user.type === 'Bot' || user.login.endsWith('[bot]');
}
