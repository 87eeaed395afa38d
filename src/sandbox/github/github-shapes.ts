import { blobSha, normalizeBranchRef } from './github-git.js';
import type { GitHubState } from './github-state.js';
import type {
  GitHubAccount,
  Installation,
  IssueComment,
  PullRequest,
  Reaction,
  ReactionContent,
  Repo,
  ReviewComment,
  Workflow,
  WorkflowRun,
} from './github-types.js';

/** Where links in answers point: the API prefix the client used, and the "web" origin. */
export interface UrlBase {
  api: string;
  web: string;
}

const nodeId = (kind: string, id: number): string => Buffer.from(`${kind}:${id}`).toString('base64url');

/** GitHub's `simple-user`: every field its description requires. */
export function accountShape(account: GitHubAccount, urls: UrlBase): Record<string, unknown> {
  const api = `${urls.api}/users/${account.login}`;
  return {
    login: account.login,
    id: account.id,
    node_id: nodeId(account.type, account.id),
    avatar_url: `${urls.web}/avatars/${account.login}`,
    gravatar_id: '',
    url: api,
    html_url: `${urls.web}/${account.login}`,
    followers_url: `${api}/followers`,
    following_url: `${api}/following{/other_user}`,
    gists_url: `${api}/gists{/gist_id}`,
    starred_url: `${api}/starred{/owner}{/repo}`,
    subscriptions_url: `${api}/subscriptions`,
    organizations_url: `${api}/orgs`,
    repos_url: `${api}/repos`,
    events_url: `${api}/events{/privacy}`,
    received_events_url: `${api}/received_events`,
    type: account.type,
    site_admin: false,
  };
}

/** The hypermedia URLs every repository shape (`repository`, `minimal-repository`) carries. */
function repoUrls(api: string): Record<string, string> {
  return {
    archive_url: `${api}/{archive_format}{/ref}`,
    assignees_url: `${api}/assignees{/user}`,
    blobs_url: `${api}/git/blobs{/sha}`,
    branches_url: `${api}/branches{/branch}`,
    collaborators_url: `${api}/collaborators{/collaborator}`,
    comments_url: `${api}/comments{/number}`,
    commits_url: `${api}/commits{/sha}`,
    compare_url: `${api}/compare/{base}...{head}`,
    contents_url: `${api}/contents/{+path}`,
    contributors_url: `${api}/contributors`,
    deployments_url: `${api}/deployments`,
    downloads_url: `${api}/downloads`,
    events_url: `${api}/events`,
    forks_url: `${api}/forks`,
    git_commits_url: `${api}/git/commits{/sha}`,
    git_refs_url: `${api}/git/refs{/sha}`,
    git_tags_url: `${api}/git/tags{/sha}`,
    hooks_url: `${api}/hooks`,
    issue_comment_url: `${api}/issues/comments{/number}`,
    issue_events_url: `${api}/issues/events{/number}`,
    issues_url: `${api}/issues{/number}`,
    keys_url: `${api}/keys{/key_id}`,
    labels_url: `${api}/labels{/name}`,
    languages_url: `${api}/languages`,
    merges_url: `${api}/merges`,
    milestones_url: `${api}/milestones{/number}`,
    notifications_url: `${api}/notifications{?since,all,participating}`,
    pulls_url: `${api}/pulls{/number}`,
    releases_url: `${api}/releases{/id}`,
    stargazers_url: `${api}/stargazers`,
    statuses_url: `${api}/statuses/{sha}`,
    subscribers_url: `${api}/subscribers`,
    subscription_url: `${api}/subscription`,
    tags_url: `${api}/tags`,
    teams_url: `${api}/teams`,
    trees_url: `${api}/git/trees{/sha}`,
  };
}

export function repoShape(repo: Repo, urls: UrlBase): Record<string, unknown> {
  const api = `${urls.api}/repos/${repo.fullName}`;
  return {
    id: repo.id,
    node_id: nodeId('Repository', repo.id),
    name: repo.name,
    full_name: repo.fullName,
    private: repo.private,
    visibility: repo.private ? 'private' : 'public',
    owner: accountShape(repo.owner, urls),
    html_url: `${urls.web}/${repo.fullName}`,
    description: null,
    fork: false,
    url: api,
    ...repoUrls(api),
    git_url: `${urls.web.replace(/^https?:/, 'git:')}/${repo.fullName}.git`,
    ssh_url: `git@${new URL(urls.web).host}:${repo.fullName}.git`,
    clone_url: `${urls.web}/${repo.fullName}.git`,
    svn_url: `${urls.web}/${repo.fullName}`,
    mirror_url: null,
    homepage: null,
    language: null,
    license: null,
    size: 0,
    forks: 0,
    forks_count: 0,
    stargazers_count: 0,
    watchers: 0,
    watchers_count: 0,
    open_issues: 0,
    open_issues_count: 0,
    network_count: 0,
    subscribers_count: 0,
    has_issues: true,
    has_projects: true,
    has_wiki: true,
    has_pages: false,
    has_downloads: true,
    has_discussions: false,
    default_branch: repo.defaultBranch,
    archived: false,
    disabled: false,
    created_at: repo.createdAt,
    updated_at: repo.createdAt,
    pushed_at: repo.createdAt,
  };
}

export function installationShape(installation: Installation, appId: number, appSlug: string, urls: UrlBase): Record<string, unknown> {
  return {
    id: installation.id,
    account: accountShape(installation.account, urls),
    repository_selection: installation.repositorySelection,
    access_tokens_url: `${urls.api}/app/installations/${installation.id}/access_tokens`,
    repositories_url: `${urls.api}/installation/repositories`,
    html_url: `${urls.web}/organizations/${installation.account.login}/settings/installations/${installation.id}`,
    app_id: appId,
    app_slug: appSlug,
    target_id: installation.account.id,
    target_type: installation.account.type,
    permissions: installation.permissions,
    events: installation.events,
    created_at: installation.createdAt,
    updated_at: installation.createdAt,
    single_file_name: null,
    suspended_at: installation.suspended ? installation.createdAt : null,
    suspended_by: null,
  };
}

export function fileShape(repo: Repo, path: string, content: Buffer, ref: string, urls: UrlBase): Record<string, unknown> {
  const sha = blobSha(content);
  const api = `${urls.api}/repos/${repo.fullName}/contents/${path}?ref=${encodeURIComponent(ref)}`;
  const html = `${urls.web}/${repo.fullName}/blob/${ref}/${path}`;
  return {
    type: 'file',
    encoding: 'base64',
    size: content.length,
    name: path.split('/').pop(),
    path,
    content: content.toString('base64').replace(/(.{60})/g, '$1\n'),
    sha,
    url: api,
    git_url: `${urls.api}/repos/${repo.fullName}/git/blobs/${sha}`,
    html_url: html,
    download_url: `${urls.web}/raw/${repo.fullName}/${ref}/${path}`,
    _links: { self: api, git: `${urls.api}/repos/${repo.fullName}/git/blobs/${sha}`, html },
  };
}

export function refShape(repo: Repo, ref: string, sha: string, urls: UrlBase): Record<string, unknown> {
  return {
    ref: `refs/${ref}`,
    node_id: nodeId('Ref', repo.id),
    url: `${urls.api}/repos/${repo.fullName}/git/refs/${ref}`,
    object: { sha, type: 'commit', url: `${urls.api}/repos/${repo.fullName}/git/commits/${sha}` },
  };
}

export function pullHeadSha(repo: Repo, pull: PullRequest): string {
  return pull.closedHeadSha ?? repo.refs.get(normalizeBranchRef(pull.headRef)) ?? '';
}

function pullSide(repo: Repo, branch: string, sha: string, urls: UrlBase): Record<string, unknown> {
  return {
    label: `${repo.owner.login}:${branch}`,
    ref: branch,
    sha,
    user: accountShape(repo.owner, urls),
    repo: repoShape(repo, urls),
  };
}

export function pullShape(state: GitHubState, repo: Repo, pull: PullRequest, urls: UrlBase): Record<string, unknown> {
  const api = `${urls.api}/repos/${repo.fullName}`;
  const comments = state.issueComments.filter((c) => c.repoId === repo.id && c.issueNumber === pull.number).length;
  const reviewComments = state.reviewComments.filter((c) => c.repoId === repo.id && c.pullNumber === pull.number).length;
  return {
    url: `${api}/pulls/${pull.number}`,
    id: pull.id,
    node_id: nodeId('PullRequest', pull.id),
    html_url: `${urls.web}/${repo.fullName}/pull/${pull.number}`,
    diff_url: `${urls.web}/${repo.fullName}/pull/${pull.number}.diff`,
    patch_url: `${urls.web}/${repo.fullName}/pull/${pull.number}.patch`,
    issue_url: `${api}/issues/${pull.number}`,
    commits_url: `${api}/pulls/${pull.number}/commits`,
    review_comments_url: `${api}/pulls/${pull.number}/comments`,
    review_comment_url: `${api}/pulls/comments{/number}`,
    comments_url: `${api}/issues/${pull.number}/comments`,
    statuses_url: `${api}/statuses/${pullHeadSha(repo, pull)}`,
    number: pull.number,
    state: pull.state,
    locked: false,
    title: pull.title,
    user: accountShape(pull.user, urls),
    body: pull.body,
    labels: [],
    milestone: null,
    assignee: null,
    assignees: [],
    requested_reviewers: [],
    requested_teams: [],
    created_at: pull.createdAt,
    updated_at: pull.updatedAt,
    closed_at: pull.closedAt,
    merged_at: pull.mergedAt,
    merge_commit_sha: pull.mergeCommitSha,
    draft: pull.draft,
    head: pullSide(repo, pull.headRef, pullHeadSha(repo, pull), urls),
    base: pullSide(repo, pull.baseRef, repo.refs.get(normalizeBranchRef(pull.baseRef)) ?? '', urls),
    _links: {
      self: { href: `${api}/pulls/${pull.number}` },
      html: { href: `${urls.web}/${repo.fullName}/pull/${pull.number}` },
      issue: { href: `${api}/issues/${pull.number}` },
      comments: { href: `${api}/issues/${pull.number}/comments` },
      review_comments: { href: `${api}/pulls/${pull.number}/comments` },
      review_comment: { href: `${api}/pulls/comments{/number}` },
      commits: { href: `${api}/pulls/${pull.number}/commits` },
      statuses: { href: `${api}/statuses/${pullHeadSha(repo, pull)}` },
    },
    author_association: pull.user.type === 'Bot' ? 'NONE' : 'MEMBER',
    auto_merge: null,
    merged: pull.merged,
    mergeable: pull.state === 'open' ? true : null,
    mergeable_state: pull.state === 'open' ? 'clean' : 'unknown',
    merged_by: null,
    maintainer_can_modify: false,
    comments,
    review_comments: reviewComments,
    commits: 1,
    additions: 0,
    deletions: 0,
    changed_files: 0,
  };
}

function reactionRollup(state: GitHubState, subject: Reaction['subject'], commentId: number, url: string): Record<string, unknown> {
  const contents: ReactionContent[] = ['+1', '-1', 'laugh', 'confused', 'heart', 'hooray', 'rocket', 'eyes'];
  const mine = state.reactions.filter((r) => r.subject === subject && r.commentId === commentId);
  const rollup: Record<string, unknown> = { url, total_count: mine.length };
  for (const content of contents) rollup[content] = mine.filter((r) => r.content === content).length;
  return rollup;
}

export function issueCommentShape(state: GitHubState, repo: Repo, comment: IssueComment, urls: UrlBase): Record<string, unknown> {
  const url = `${urls.api}/repos/${repo.fullName}/issues/comments/${comment.id}`;
  return {
    id: comment.id,
    node_id: nodeId('IssueComment', comment.id),
    url,
    html_url: `${urls.web}/${repo.fullName}/issues/${comment.issueNumber}#issuecomment-${comment.id}`,
    issue_url: `${urls.api}/repos/${repo.fullName}/issues/${comment.issueNumber}`,
    body: comment.body,
    user: accountShape(comment.user, urls),
    created_at: comment.createdAt,
    updated_at: comment.updatedAt,
    author_association: comment.user.type === 'Bot' ? 'NONE' : 'MEMBER',
    reactions: reactionRollup(state, 'issue_comment', comment.id, `${url}/reactions`),
  };
}

export function reviewCommentShape(state: GitHubState, repo: Repo, comment: ReviewComment, urls: UrlBase): Record<string, unknown> {
  const url = `${urls.api}/repos/${repo.fullName}/pulls/comments/${comment.id}`;
  const html = `${urls.web}/${repo.fullName}/pull/${comment.pullNumber}#discussion_r${comment.id}`;
  const pullUrl = `${urls.api}/repos/${repo.fullName}/pulls/${comment.pullNumber}`;
  const pull = state.pulls.find((p) => p.repoId === repo.id && p.number === comment.pullNumber);
  // The emulator keeps no diff positions: the comment sits on the pull's current head, with no hunk.
  const commitId = pull ? pullHeadSha(repo, pull) : '';
  return {
    id: comment.id,
    node_id: nodeId('PullRequestReviewComment', comment.id),
    pull_request_review_id: null,
    url,
    html_url: html,
    pull_request_url: pullUrl,
    diff_hunk: '',
    path: comment.path,
    commit_id: commitId,
    original_commit_id: commitId,
    body: comment.body,
    user: accountShape(comment.user, urls),
    author_association: comment.user.type === 'Bot' ? 'NONE' : 'MEMBER',
    created_at: comment.createdAt,
    updated_at: comment.updatedAt,
    _links: { self: { href: url }, html: { href: html }, pull_request: { href: pullUrl } },
    reactions: reactionRollup(state, 'review_comment', comment.id, `${url}/reactions`),
  };
}

export function reactionShape(reaction: Reaction, urls: UrlBase): Record<string, unknown> {
  return {
    id: reaction.id,
    node_id: nodeId('Reaction', reaction.id),
    user: accountShape(reaction.user, urls),
    content: reaction.content,
    created_at: reaction.createdAt,
  };
}

export function workflowShape(repo: Repo, workflow: Workflow, urls: UrlBase): Record<string, unknown> {
  return {
    id: workflow.id,
    node_id: nodeId('Workflow', workflow.id),
    name: workflow.name,
    path: workflow.path,
    state: workflow.state,
    created_at: workflow.createdAt,
    updated_at: workflow.createdAt,
    url: `${urls.api}/repos/${repo.fullName}/actions/workflows/${workflow.id}`,
    html_url: `${urls.web}/${repo.fullName}/blob/${repo.defaultBranch}/${workflow.path}`,
    badge_url: `${urls.web}/${repo.fullName}/workflows/${encodeURIComponent(workflow.name)}/badge.svg`,
  };
}

/** GitHub's `minimal-repository`, as a workflow run carries it: the identity, owner and hypermedia URLs. */
export function minimalRepoShape(repo: Repo, urls: UrlBase): Record<string, unknown> {
  const api = `${urls.api}/repos/${repo.fullName}`;
  return {
    id: repo.id,
    node_id: nodeId('Repository', repo.id),
    name: repo.name,
    full_name: repo.fullName,
    private: repo.private,
    owner: accountShape(repo.owner, urls),
    html_url: `${urls.web}/${repo.fullName}`,
    description: null,
    fork: false,
    url: api,
    ...repoUrls(api),
  };
}

/**
 * `repository` defaults to a fresh minimal shape; a list passes one shared
 * object so a page of 100 runs does not build 200 copies of it.
 */
export function runShape(
  repo: Repo,
  run: WorkflowRun,
  workflow: Workflow | undefined,
  urls: UrlBase,
  repository: Record<string, unknown> = minimalRepoShape(repo, urls),
): Record<string, unknown> {
  const api = `${urls.api}/repos/${repo.fullName}/actions/runs/${run.id}`;
  return {
    id: run.id,
    name: run.name,
    node_id: nodeId('WorkflowRun', run.id),
    head_branch: run.headBranch,
    head_sha: run.headSha,
    path: workflow?.path ?? '',
    display_title: run.displayTitle,
    run_number: run.runNumber,
    run_attempt: run.runAttempt,
    event: run.event,
    status: run.status,
    conclusion: run.conclusion,
    workflow_id: run.workflowId,
    check_suite_id: run.id + 1,
    url: api,
    html_url: `${urls.web}/${repo.fullName}/actions/runs/${run.id}`,
    pull_requests: [],
    created_at: run.createdAt,
    updated_at: run.updatedAt,
    run_started_at: run.runStartedAt,
    actor: accountShape(run.actor, urls),
    triggering_actor: accountShape(run.actor, urls),
    jobs_url: `${api}/jobs`,
    check_suite_url: `${urls.api}/repos/${repo.fullName}/check-suites/${run.id + 1}`,
    logs_url: `${api}/logs`,
    artifacts_url: `${api}/artifacts`,
    cancel_url: `${api}/cancel`,
    rerun_url: `${api}/rerun`,
    workflow_url: `${urls.api}/repos/${repo.fullName}/actions/workflows/${run.workflowId}`,
    previous_attempt_url: null,
    head_commit: {
      id: run.headSha,
      tree_id: run.headSha,
      message: '',
      timestamp: run.createdAt,
      author: { name: run.actor.login, email: `${run.actor.id}+${run.actor.login}@users.noreply.github.com` },
      committer: { name: 'GitHub', email: 'noreply@github.com' },
    },
    repository,
    head_repository: repository,
  };
}
