import { createHash, timingSafeEqual } from 'node:crypto';
import { Router, type Request } from 'express';
import { z } from 'zod';
import { GITHUB_OWNER_RULE, GITHUB_REPO_RULE, isGitHubOwner, isGitHubRepo } from '../domain/github-names.js';
import { checkInput, problemsText } from '../domain/check-input.js';
import type { GapFillTrigger } from '../github/create-github-integration.js';
import { MAX_INSTRUCTIONS_CHARS } from '../github/pr-command.js';
import { HttpError } from './http-error.js';

export interface TriggerRoutesDeps {
  /** `GAP_FILL_TRIGGER_SECRET`; unset → 503. */
  secret: string | undefined;
  /** Unset without GitHub App credentials (PRs cannot be read): 503 after auth. */
  gapFill: GapFillTrigger | undefined;
}

/** The fields validated once the PR is found (step 5 below). */
const restSchema = z.object({
  instructions: z.string().max(MAX_INSTRUCTIONS_CHARS).optional(),
  commentId: z.number().int().positive().optional(),
});

/** Same length digests, so the comparison takes the same time whatever was sent. */
function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

function bearerOf(req: Request): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  return match?.[1];
}

/** A name GitHub would give out, or undefined: nothing else can name a repository (and `.`/`..` would walk the API path). */
function nameOf(value: unknown, valid: (name: string) => boolean): string | undefined {
  return typeof value === 'string' && valid(value.trim()) ? value.trim() : undefined;
}

/** `12` or `"12"` (what a shell script tends to send). */
function prNumberOf(value: unknown): number | undefined {
  const n = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value;
  return typeof n === 'number' && Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

/**
 * `POST /trigger/gap-fill` (the comment-trigger.yml workflow calls it):
 * `{owner, repo, prNumber, instructions?, commentId?}` with
 * `Authorization: Bearer <GAP_FILL_TRIGGER_SECRET>`. Checks, in this order:
 *
 *   1. 503 the secret is unset (or no GitHub App to read PRs with)
 *   2. 401 the bearer is missing or wrong (constant-time comparison)
 *   3. 423 the project mapping the PR is paused
 *   4. 404 the PR is unknown (or belongs to no mapping / ticket)
 *   5. 400 the rest of the body is bad
 *
 * So 423 and 404 can come before 400, the body is read in two passes: owner,
 * repo and prNumber leniently (enough to find the mapping and the PR), then
 * the other fields strictly. A body that does not even name a PR cannot be
 * looked up, so it is a 400 straight after auth. A body that is not JSON at
 * all is refused by the shared body parser before this route runs.
 *
 * A start goes through the same code path as the `/ai-implement` webhook,
 * keyed by the comment id, so a comment seen by both starts one run.
 */
export function createTriggerRoutes(deps: TriggerRoutesDeps): Router {
  const router = Router();
  router.post('/trigger/gap-fill', async (req, res) => {
    if (!deps.secret) throw new HttpError(503, 'trigger_disabled', 'Gap-fill triggers are disabled: GAP_FILL_TRIGGER_SECRET is not set');
    const bearer = bearerOf(req);
    if (!bearer || !sameSecret(bearer, deps.secret)) {
      throw new HttpError(401, bearer ? 'bad_secret' : 'missing_token', bearer ? 'The bearer token is not the gap-fill trigger secret' : 'Authorization: Bearer <GAP_FILL_TRIGGER_SECRET> is required', {
        'WWW-Authenticate': 'Bearer',
      });
    }
    if (!deps.gapFill) throw new HttpError(503, 'github_disabled', 'Gap-fill triggers need the GitHub App credentials (APP_ID, PRIVATE_KEY) to read pull requests');
    const gapFill = deps.gapFill;

    const body = (req.body !== null && typeof req.body === 'object' ? req.body : {}) as Record<string, unknown>;
    const owner = nameOf(body.owner, isGitHubOwner);
    const repo = nameOf(body.repo, isGitHubRepo);
    const prNumber = prNumberOf(body.prNumber);
    if (!owner || !repo || prNumber === undefined) {
      const field = !owner ? 'owner' : !repo ? 'repo' : 'prNumber';
      const rule = !owner ? `: it ${GITHUB_OWNER_RULE}` : !repo ? `: it ${GITHUB_REPO_RULE}` : '';
      throw new HttpError(400, 'invalid_body', `Invalid request body: ${field} must name a pull request ({owner, repo, prNumber})${rule}`, {}, { field });
    }

    const mappings = await gapFill.mappingsFor(owner, repo);
    if (mappings.length > 0 && mappings.every((m) => m.paused)) throw pausedError(mappings.map((m) => m.teamKey));
    const pull = await gapFill.findPull(owner, repo, prNumber);
    if (!pull) throw new HttpError(404, 'unknown_pr', `Pull request ${owner}/${repo}#${prNumber} does not exist or the app cannot see it`);
    const target = await gapFill.resolve(pull);
    if (target.ok && target.mapping.paused) throw pausedError([target.mapping.teamKey]);
    if (!target.ok) throw new HttpError(404, target.problem === 'no-mapping' ? 'no_mapping' : 'no_ticket', `Nothing to do for ${owner}/${repo}#${prNumber}: ${target.reason}`);

    const rest = checkInput(restSchema, { instructions: body.instructions, commentId: body.commentId }, { where: '(body)' });
    if (!rest.ok) {
      const field = rest.problems[0]?.field ?? '(body)';
      throw new HttpError(400, 'invalid_body', `Invalid request body: ${problemsText(rest.problems)}`, {}, { field });
    }
    const instructions = rest.data.instructions?.trim();
    const outcome = await gapFill.start({
      pull,
      ...(instructions ? { instructions } : {}),
      ...(rest.data.commentId !== undefined ? { commentId: rest.data.commentId } : {}),
    });
    switch (outcome.kind) {
      case 'started':
      case 'duplicate':
      case 'busy':
        res.status(200).json({ status: outcome.kind, runId: outcome.run.id, runStatus: outcome.run.status });
        return;
      case 'paused':
        throw pausedError([outcome.mapping.teamKey]);
      case 'over-budget':
        throw new HttpError(409, 'over_budget', `No run started for ${owner}/${repo}#${prNumber}: ${outcome.reason}`);
      case 'closed':
        throw new HttpError(409, 'pr_closed', `Pull request ${owner}/${repo}#${prNumber} is closed`);
      case 'no-mapping':
      case 'no-ticket':
        throw new HttpError(404, outcome.kind === 'no-mapping' ? 'no_mapping' : 'no_ticket', `Nothing to do for ${owner}/${repo}#${prNumber}: ${outcome.reason}`);
    }
  });
  return router;
}

function pausedError(teamKeys: string[]): HttpError {
  return new HttpError(423, 'mapping_paused', `The project ${teamKeys.join(', ')} is paused; unpause it to trigger runs`);
}
