import type { EmulatorRequest, EmulatorResponse } from '../emulator-server.js';
import { formField, html, htmlPage, seeOther, type SafeHtml } from '../html-page.js';
import type { GitHubState } from './github-state.js';
import type { PullRequest, Repo } from './github-types.js';
import type { GitHubUserActions } from './github-user-actions.js';
import { pullDiff } from './pull-diff.js';

/** The person who uses the sandbox's pages: a writer on every repository the sandbox seeds. */
export const SANDBOX_USER = 'sandbox-user';

const PAGE_PATH = /^\/([^/]+)\/([^/]+)\/pull\/(\d+)(?:\/(files|checks|comment|review|merge))?\/?$/;

export function isPullPagePath(path: string): boolean {
  return PAGE_PATH.test(path);
}

export interface GitHubPagesDeps {
  state: GitHubState;
  actions: GitHubUserActions;
  /** The local bare repository runners push to, when sandbox mode has one for the repository. */
  gitDirOf: (owner: string, repo: string) => string | undefined;
}

/**
 * github.com's pull request page, as far as a sandbox user needs it: the
 * title and body, the diff, the conversation and review comments, the merged
 * state, and forms that comment, review and merge as `sandbox-user` (each one
 * sends the webhook GitHub would). Served at the `html_url` the API answers,
 * so every PR link the panels show opens here.
 */
export async function handlePullPage(req: EmulatorRequest, deps: GitHubPagesDeps): Promise<EmulatorResponse> {
  const [, owner = '', name = '', numberText = '', tab] = PAGE_PATH.exec(req.path) ?? [];
  const repo = deps.state.repo(owner, name);
  const pull = repo ? deps.state.pull(owner, name, Number(numberText)) : undefined;
  if (!repo || !pull) return htmlPage('GitHub', 'Not Found', html`<div class="card"><h1>404</h1><p>There is no pull request ${`${owner}/${name}#${numberText}`} on this emulator.</p></div>`, 404);
  const base = `/${repo.fullName}/pull/${pull.number}`;
  if (req.method === 'POST') {
    const text = (formField(req.body, 'body') ?? '').trim();
    try {
      if (tab === 'comment' && text) await deps.actions.comment(owner, name, pull.number, text, SANDBOX_USER);
      else if (tab === 'review' && text) await deps.actions.review(owner, name, pull.number, text, SANDBOX_USER, formField(req.body, 'path') || undefined);
      else if (tab === 'merge') await deps.actions.merge(owner, name, pull.number, SANDBOX_USER);
      else return seeOther(base);
    } catch (error) {
      return htmlPage('GitHub', 'Could not do that', html`<div class="card"><p>${(error as Error).message}</p><p><a href="${base}">Back to the pull request</a></p></div>`, 422);
    }
    return seeOther(tab === 'review' ? `${base}/files` : base);
  }
  if (req.method !== 'GET') return { status: 405, body: 'Method Not Allowed' };
  const content = tab === 'files' ? await filesTab(repo, pull, deps, base) : tab === 'checks' ? checksTab(deps.state, repo, pull) : conversationTab(deps.state, repo, pull, base);
  return htmlPage('GitHub', `${pull.title} · Pull Request #${pull.number} · ${repo.fullName}`, html`${head(repo, pull, base, tab)}${content}`);
}

function head(repo: Repo, pull: PullRequest, base: string, tab: string | undefined): SafeHtml {
  const badge = pull.merged ? html`<span class="badge merged">Merged</span>` : pull.state === 'closed' ? html`<span class="badge closed">Closed</span>` : html`<span class="badge">Open</span>`;
  const what = pull.merged ? 'merged' : 'wants to merge';
  return html`<p class="muted"><a href="/${repo.owner.login}">${repo.owner.login}</a> / ${repo.name}</p>
<h1 data-testid="pr-title">${pull.title} <span class="muted">#${pull.number}</span></h1>
<p>${badge} <strong>${pull.user.login}</strong> ${what} into <code>${pull.baseRef}</code> from <code>${pull.headRef}</code></p>
<nav><a href="${base}"${tab === undefined ? html` aria-current="page"` : ''}>Conversation</a><a href="${base}/files"${tab === 'files' ? html` aria-current="page"` : ''}>Files changed</a><a href="${base}/checks"${tab === 'checks' ? html` aria-current="page"` : ''}>Checks</a></nav>`;
}

function conversationTab(state: GitHubState, repo: Repo, pull: PullRequest, base: string): SafeHtml {
  const entries = [
    ...state.issueComments.filter((c) => c.repoId === repo.id && c.issueNumber === pull.number).map((c) => ({ at: c.createdAt, id: c.id, who: c.user.login, body: c.body, where: '' })),
    ...state.reviewComments.filter((c) => c.repoId === repo.id && c.pullNumber === pull.number).map((c) => ({ at: c.createdAt, id: c.id, who: c.user.login, body: c.body, where: c.path })),
  ].sort((a, b) => a.at.localeCompare(b.at) || a.id - b.id);
  const comments = entries.map(
    (e) => html`<div class="card comment" id="comment-${e.id}"><p class="muted"><strong>${e.who}</strong> ${e.where ? html`reviewed <code>${e.where}</code>` : 'commented'} · ${e.at}</p><pre>${e.body}</pre></div>`,
  );
  const open = pull.state === 'open';
  return html`<div class="card"><p class="muted"><strong>${pull.user.login}</strong> opened this pull request · ${pull.createdAt}</p><pre data-testid="pr-body">${pull.body ?? 'No description provided.'}</pre></div>
${comments}
${pull.merged ? html`<div class="card"><span class="badge merged">Merged</span> at ${pull.mergedAt ?? ''}</div>` : ''}
<div class="card"><form method="post" action="${base}/comment"><label for="comment-body">Comment as <strong>${SANDBOX_USER}</strong> (try <code>/ai-implement add tests</code>)</label>
<textarea id="comment-body" name="body" required></textarea><p><button class="primary" type="submit">Comment</button></p></form></div>
${open ? html`<div class="card"><form method="post" action="${base}/merge"><button class="primary" type="submit">Merge pull request</button> <span class="muted">as ${SANDBOX_USER}; GitHub then tells AI-Implement it was merged</span></form></div>` : ''}`;
}

async function filesTab(repo: Repo, pull: PullRequest, deps: GitHubPagesDeps, base: string): Promise<SafeHtml> {
  const diff = await pullDiff(repo, pull, deps.gitDirOf(repo.owner.login, repo.name));
  const rows = diff
    .split('\n')
    .map((line) => {
      const kind = line.startsWith('diff --git') ? 'file' : line.startsWith('@@') ? 'hunk' : line.startsWith('+') && !line.startsWith('+++') ? 'add' : line.startsWith('-') && !line.startsWith('---') ? 'del' : '';
      return html`<div class="${kind}">${line || ' '}</div>`;
    });
  const review = pull.state === 'open'
    ? html`<div class="card"><form method="post" action="${base}/review"><label for="review-body">Review comment as <strong>${SANDBOX_USER}</strong> (requests changes)</label>
<p><input name="path" placeholder="file (optional)" aria-label="file"></p><textarea id="review-body" name="body" required></textarea><p><button class="primary" type="submit">Request changes</button></p></form></div>`
    : '';
  return html`<div class="card diff" data-testid="diff">${diff ? rows : html`<p class="muted">No changes between ${pull.baseRef} and ${pull.headRef}.</p>`}</div>${review}`;
}

function checksTab(state: GitHubState, repo: Repo, pull: PullRequest): SafeHtml {
  const runs = state.runs.filter((r) => r.repoId === repo.id && r.headBranch === pull.headRef);
  return html`<div class="card">${runs.length
    ? html`<ul>${runs.map((r) => html`<li>${r.displayTitle}: ${r.status}${r.conclusion ? ` (${r.conclusion})` : ''}</li>`)}</ul>`
    : html`<p class="muted">No checks ran on this branch: in the sandbox runs go to the local runner, whose progress the AI-Implement run page shows.</p>`}</div>`;
}
